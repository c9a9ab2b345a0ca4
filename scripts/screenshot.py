"""Screenshot a page of the running app in Debian's Chromium (for the README and reviews).

Usage: python scripts/screenshot.py http://localhost:8501/financement docs/financement.png
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--wait-ms", type=int, default=4000)
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(
            viewport={"width": args.width, "height": args.height}, locale="fr-FR"
        )
        page.goto(args.url, wait_until="networkidle")
        page.wait_for_timeout(args.wait_ms)
        page.screenshot(path=args.out, full_page=args.full_page)
        browser.close()


if __name__ == "__main__":
    main()
