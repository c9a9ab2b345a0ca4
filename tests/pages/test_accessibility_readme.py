"""The README lists every Streamlit-side accessibility finding the browser check excuses."""

from __future__ import annotations

from tests.pages.test_accessibility_browser import STREAMLIT_SIDE
from tests.streamlit_server import ROOT


def test_every_excused_streamlit_finding_is_listed_in_the_readme_with_its_selector():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Accessibilité", 1)[1].split("\n## ", 1)[0]
    assert STREAMLIT_SIDE
    for finding in STREAMLIT_SIDE:
        assert f"`{finding.rule}`" in section, finding.rule
        assert f"`{finding.selector}`" in section, finding.selector
