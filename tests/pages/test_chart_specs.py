"""Charts' texts are readable (WCAG AA), whatever Streamlit's chart theme says."""

from __future__ import annotations

import re

from tests.pages.test_accessibility_browser import contrast_on_white
from tests.streamlit_server import ROOT
from ui.chart_specs import CHART_TEXT, readable


def rgb(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def test_streamlits_grey_is_too_pale_and_ours_is_not():
    assert contrast_on_white(rgb("#808495")) < 4.5  # Streamlit's axis labels
    assert contrast_on_white(rgb(CHART_TEXT)) >= 4.5


def test_axis_legend_and_facet_texts_get_the_readable_grey_unless_the_chart_chose_one():
    spec = readable({"mark": "bar", "config": {"axis": {"labelColor": "#000000", "grid": False}}})
    assert spec["config"]["axis"] == {
        "labelColor": "#000000",
        "titleColor": CHART_TEXT,
        "grid": False,
    }
    for part in ("legend", "header"):
        assert spec["config"][part] == {"labelColor": CHART_TEXT, "titleColor": CHART_TEXT}
    assert spec["mark"] == "bar"


def test_every_chart_of_the_app_is_drawn_from_a_readable_specification():
    """`spec_of` applies `readable`: no page draws a chart another way."""
    calls = []
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        calls += [
            (path.name, text[m.end() : m.end() + 200])
            for m in re.finditer(r"st\.(?:vega_lite_chart|altair_chart)\(", text)
        ]
    assert len(calls) >= 6
    for name, arguments in calls:
        assert re.match(r"\s*spec=spec_of\(", arguments), (name, arguments[:80])
