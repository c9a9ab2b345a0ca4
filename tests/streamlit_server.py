"""A real `streamlit run app.py` on a free port, against a prepared SQLite database.

Use the `streamlit_server` fixture (register this module with
`pytest_plugins = ["tests.streamlit_server"]`) or, outside pytest, `running_app(...)`.
The server runs in its own process group and is always stopped, even when a test fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from ctg_core.common import db
from ctg_core.reference.funding_rules import load_funding_rules
from ctg_core.reference.indicator_catalogue import load_indicator_catalogue
from ctg_core.reference.territories import load_territories
from ctg_core.setup import bootstrap, demo

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass(frozen=True)
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_demo_database(
    path: Path, today: date | None = None, departements: Sequence[str] = ()
) -> str:
    """A SQLite file migrated, with the real territories and the deterministic demo: of
    `CTG_DEPARTEMENT`, or, when `departements` are given, of every EPCI of those départements
    (several départements: the national overview)."""
    url = f"sqlite:///{path}"
    if not departements:
        bootstrap.prepare(url, demo=True, today=today)
    else:
        bootstrap.upgrade(url)
        with Session(db.engine_for(url), expire_on_commit=False) as session:
            for departement in departements:
                load_territories(session, departement)
            load_funding_rules(session)
            load_indicator_catalogue(session)
            demo.generate(session, today=today, departement=None)
    db.engine_for(url).dispose()
    return url


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit s'est arrêté au démarrage (code {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit ne répond pas sur {url} après {STARTUP_TIMEOUT_S} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def running_app(
    database_url: str,
    script: Path = ROOT / "app.py",
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    *,
    port: int | None = None,
    args: list[str] | None = None,
) -> Iterator[Server]:
    """`streamlit run <script>` on a free port of 127.0.0.1 (or `port`) until the block
    ends; `args` are more options of `streamlit run` (e.g. `--secrets.files <file>`)."""
    port = port or free_port()
    environment = {
        **os.environ,
        "CTG_DATABASE_URL": database_url,
        "CTG_MAP_TILES": "none",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *(args or []),
    ]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with every child
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process)
        yield Server(url, database_url, process)
    finally:
        _stop(process)
        if log is not subprocess.DEVNULL:
            log.close()


@pytest.fixture(scope="module")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the demo data (a fresh SQLite file), for the module's browser tests.

    Tests may change that database before they open a page (the app reads it per run).
    """
    folder = tmp_path_factory.mktemp("streamlit")
    url = prepare_demo_database(folder / "ctg.db")
    with running_app(url, log_path=folder / "streamlit.log") as server:
        yield server
    db.engine_for(url).dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no browser download is possible here)."""
    if not CHROMIUM.exists():
        reason = f"Chromium introuvable ({CHROMIUM}) : `make test` l'installe."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " Les tests navigateur sont obligatoires en CI.")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


def offline_context(browser, **options):  # type: ignore[no-untyped-def]
    """A browser context in which every request outside this machine is aborted and noted
    in `context.outside` (the app must load nothing from the internet)."""
    from urllib.parse import urlparse

    context = browser.new_context(locale="fr-FR", **options)
    context.outside = []  # type: ignore[attr-defined]

    def route(request_route) -> None:  # type: ignore[no-untyped-def]
        if urlparse(request_route.request.url).hostname in LOCAL_HOSTS:
            request_route.continue_()
        else:
            context.outside.append(request_route.request.url)  # type: ignore[attr-defined]
            request_route.abort()

    context.route("**/*", route)
    return context
