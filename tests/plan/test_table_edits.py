"""What the user typed in the officer's table, turned into the rows to save: compared with
what is stored column by column, avancement left to the core's French number rule."""

from __future__ import annotations

import pandas as pd

from ctg_core.plan import table_edits
from ctg_core.plan.commands import RowChange
from ctg_core.plan.table_edits import PendingEdit


def stored(**rows: dict) -> pd.DataFrame:
    """Stored rows by action id: « a11 » is action 11."""
    frame = pd.DataFrame(
        [
            {
                "id": int(key[1:]),
                "version": 1,
                "status": "en_cours",
                "progress": 20,
                "last_comment": "",
                "vigilance": "",
                **row,
            }
            for key, row in rows.items()
        ]
    )
    return frame.set_index("id")


def typed(original: pd.DataFrame, **cells: dict) -> pd.DataFrame:
    edited = original.astype(object).copy()
    for key, values in cells.items():
        for name, value in values.items():
            edited.at[int(key[1:]), name] = value
    return edited


def test_avancement_typed_with_a_percent_sign_equal_to_what_is_stored_is_no_change():
    original = stored(a11={"progress": 40})
    assert table_edits.changes_between(original, typed(original, a11={"progress": "40 %"})) == []


def test_avancement_typed_with_a_decimal_comma_is_sent_as_typed_for_the_core_to_refuse():
    original = stored(a11={"progress": 35})
    changes = table_edits.changes_between(original, typed(original, a11={"progress": "42,5"}))
    assert changes == [RowChange(11, 1, {"progress": "42,5"})]


def test_avancement_out_of_range_is_sent_as_typed_never_clamped():
    original = stored(a11={"progress": 35})
    changes = table_edits.changes_between(original, typed(original, a11={"progress": "150"}))
    assert changes == [RowChange(11, 1, {"progress": "150"})]


def test_a_cleared_avancement_is_sent_as_missing():
    original = stored(a11={"progress": 35})
    changes = table_edits.changes_between(original, typed(original, a11={"progress": ""}))
    assert changes == [RowChange(11, 1, {"progress": None})]


def test_a_cleared_comment_equals_an_empty_one():
    original = stored(a11={"last_comment": ""}, a12={"last_comment": "Vu"})
    edited = typed(original, a11={"last_comment": None}, a12={"last_comment": None})
    assert table_edits.changes_between(original, edited) == [RowChange(12, 1, {"last_comment": ""})]


def test_only_the_changed_cells_of_a_row_are_sent_with_its_version():
    original = stored(a11={"version": 4}, a12={})
    edited = typed(original, a11={"status": "suspendue", "vigilance": "Budget gelé"})
    assert table_edits.changes_between(original, edited) == [
        RowChange(11, 4, {"status": "suspendue", "vigilance": "Budget gelé"})
    ]


def test_edited_cells_are_kept_by_action_with_the_version_first_seen():
    edits: dict[int, PendingEdit] = {}
    table_edits.merge_editor_rows(edits, {0: {"progress": "40"}}, [(11, 3), (12, 1)])
    # Redrawn after a colleague's save (version 4): the input keeps the version it was typed on.
    table_edits.merge_editor_rows(edits, {0: {"last_comment": "Vu"}}, [(11, 4), (12, 1)])
    table_edits.merge_editor_rows(edits, {1: {"title": "not editable"}}, [(11, 4), (12, 1)])

    assert edits == {11: PendingEdit(3, {"progress": "40", "last_comment": "Vu"})}


def test_a_row_position_the_table_no_longer_has_is_ignored():
    edits: dict[int, PendingEdit] = {}
    table_edits.merge_editor_rows(edits, {5: {"progress": "40"}}, [(11, 3)])
    assert edits == {}
