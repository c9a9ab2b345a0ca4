"""Chart builders: what they draw is read back from the Vega-Lite spec (no database)."""

from datetime import date

import pandas as pd
import pytest

from ctg_core.common.models import ActionStatus
from ctg_core.plan import charts as plan_charts
from ctg_core.plan import timeline
from ctg_core.plan.queries import ACTION_COLUMNS, AxisStatus

NONE = dict.fromkeys(ActionStatus, 0)


def axis(axis_id, name, late=0, **counts):
    by_status = {**NONE, **{ActionStatus(k): v for k, v in counts.items()}}
    return AxisStatus(axis_id, name, by_status, sum(by_status.values()), 50.0, late, 0)


STATUSES = [
    axis(1, "Petite enfance", late=2, a_venir=1, en_cours=3, realisee=1),
    axis(2, "Enfance-jeunesse", suspendue=1),
]


def relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def layers(spec: dict) -> list[dict]:
    return spec.get("layer") or spec["spec"]["layer"]


def dataset(spec: dict, layer: dict | None = None) -> list[dict]:
    name = (layer or spec)["data"]["name"]
    return spec["datasets"][name]


# --- palette -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(ActionStatus))
def test_count_labels_read_on_their_segment(status):
    fill, ink = plan_charts.STATUS_COLOURS[status]
    assert contrast(fill, ink) >= 4.5


def test_every_status_has_its_own_colour():
    fills = [fill for fill, _ in plan_charts.STATUS_COLOURS.values()]
    assert len(set(fills)) == len(ActionStatus)


# --- per-axis status ---------------------------------------------------------------------


def test_segments_stack_in_status_order_and_skip_empty_ones():
    segments = plan_charts.status_segments(STATUSES)

    first = segments[segments["axis_id"] == 1]
    assert list(first["status_label"]) == ["À venir", "En cours", "Réalisée"]
    assert list(zip(first["start"], first["end"], strict=True)) == [(0, 1), (1, 4), (4, 5)]
    assert list(first["middle"]) == [0.5, 2.5, 4.5]
    second = segments[segments["axis_id"] == 2]
    assert list(second["status_label"]) == ["Suspendue"]


def test_axes_outside_the_filter_are_drawn_faded():
    segments = plan_charts.status_segments(STATUSES, selected=[2])
    assert set(segments[segments["axis_id"] == 1]["in_selection"]) == {False}
    assert set(segments[segments["axis_id"] == 2]["in_selection"]) == {True}
    assert set(plan_charts.status_segments(STATUSES)["in_selection"]) == {True}
    # White on a faded blue would not read: faded segments are labelled in dark ink.
    faded_en_cours = segments[(segments["axis_id"] == 1) & (segments["status"] == "en_cours")]
    assert list(faded_en_cours["ink"]) == [plan_charts.DARK]


def test_each_bar_ends_with_its_total_and_late_count_in_words():
    totals = plan_charts.axis_totals(STATUSES)
    assert list(totals["text"]) == ["5 actions · 2 en retard", "1 action"]


def test_axis_chart_reports_clicks_on_an_axis_and_labels_every_segment():
    spec = plan_charts.axis_status_chart(STATUSES).to_dict()

    bars, counts, ends = layers(spec)
    [param] = spec.get("params") or bars["params"]
    assert param["name"] == plan_charts.AXIS_SELECTION
    assert param["select"]["fields"] == ["axis_id"]
    scale = bars["encoding"]["color"]["scale"]
    assert scale["domain"] == [s.label for s in ActionStatus]
    assert scale["range"] == [plan_charts.STATUS_COLOURS[s][0] for s in ActionStatus]
    assert counts["mark"]["type"] == "text"
    assert counts["encoding"]["text"]["field"] == "count"
    assert [row["text"] for row in dataset(spec, ends)] == ["5 actions · 2 en retard", "1 action"]


def test_charts_speak_french():
    spec = plan_charts.axis_status_chart(STATUSES).to_dict()
    assert spec["config"]["locale"]["time"]["months"][0] == "janvier"
    assert spec["config"]["locale"]["number"]["decimal"] == ","


# --- timeline ----------------------------------------------------------------------------


def actions_frame() -> pd.DataFrame:
    def row(ident, code, axis_id, axis_name, starts_on, due_on, status, late):
        return {
            "id": ident,
            "version": 1,
            "code": code,
            "title": f"Action {code}",
            "axis_id": axis_id,
            "axis": axis_name,
            "lead": "",
            "partners": "",
            "objective": "",
            "starts_on": starts_on,
            "due_on": due_on,
            "budget": None,
            "status": status.value,
            "status_label": status.label,
            "progress": 20,
            "last_comment": "",
            "vigilance": "",
            "late": late,
            "updated_at": None,
        }

    en_cours, a_venir, realisee = ActionStatus.en_cours, ActionStatus.a_venir, ActionStatus.realisee
    pe, ej = (1, "Petite enfance"), (2, "Enfance-jeunesse")
    rows = [
        row(1, "PE-01", *pe, date(2025, 1, 1), date(2026, 6, 30), en_cours, True),
        row(2, "PE-02", *pe, date(2026, 1, 1), date(2027, 6, 30), a_venir, False),
        row(3, "EJ-01", *ej, date(2025, 3, 1), date(2026, 2, 1), realisee, False),
    ]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


def test_timeline_groups_by_axis_with_todays_line_and_late_marks():
    rows = timeline.timeline_rows(actions_frame())
    spec = plan_charts.timeline_chart(rows, date(2026, 11, 25)).to_dict()

    assert spec["facet"]["row"]["field"] == "axis"
    assert spec["facet"]["row"]["sort"] == ["Petite enfance", "Enfance-jeunesse"]
    bars, _due_marks, late_marks, today_line = spec["spec"]["layer"]
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x2"]["field"]) == ("start", "due")
    assert today_line["mark"]["type"] == "rule"
    assert today_line["encoding"]["x"]["field"] == "today"
    assert late_marks["transform"] == [{"filter": "datum.late"}]
    data = dataset(spec)
    assert {row["today"][:10] for row in data} == {"2026-11-25"}
    assert [(row["code"], row["late_text"]) for row in data] == [
        ("PE-01", "⚠ en retard"),
        ("PE-02", ""),
        ("EJ-01", ""),
    ]
