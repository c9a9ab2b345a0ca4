"""Mes actions — mettre à jour ses actions en une minute, entre deux comités.

One table of the actions the user may edit, opened on what they work on (their conventions,
a filter by convention, axis, statut, late or vigilance, one page of rows at a time); only
statut, avancement, commentaire and point de vigilance are open. The session keeps only the
user's input (by action id, with the version they saw), never the table: every run reads
the page of rows afresh, so a colleague's save shows on the next rerun. One save sends every
changed row with the version it was seen at; each row gets its own outcome (saved, refused
with the reason, conflict). Refused and conflicting input stays in the table to correct or
re-apply.
"""

import math

import pandas as pd
import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.history import change_text, json_value, readable_value
from ctg_core.common.labels import field_label
from ctg_core.common.models import ActionStatus
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.commands import BatchReport, Outcome, RowChange
from ctg_core.plan.queries import OfficerFilter
from ctg_core.plan.table_edits import (
    EDITABLE_FIELDS,
    PendingEdit,
    changes_between,
    merge_editor_rows,
    progress_as_read,
)
from ui.auth import current_user
from ui.committee_text import conflict_text
from ui.confirm import ask, confirmation
from ui.convention_picker import editable_refs
from ui.form_feedback import show_flash
from ui.plan_labels import LATE_TEXT, status_text

PAGE_SIZE = 50
EDITS_KEY = "mes-actions-edits"  # action id -> PendingEdit: the user's input, nothing else
DRAWN_KEY = "mes-actions-drawn"  # the editor's key and the (id, version) of the rows it drew
PAGE_KEY = "mes-actions-page"
REPORT_KEY = "mes-actions-report"
CONFIRM_KEY = "mes-actions-batch"
SAVES_KEY = "mes-actions-saves"
MOVED_TEXT = "⚠ Modifiée entre-temps"
OUTCOME_TEXT = {
    Outcome.saved: "✓ Enregistrée",
    Outcome.unchanged: "＝ Inchangée",
    Outcome.rejected: "✖ Refusée",
    Outcome.conflict: "⚠ Conflit",
}

user = current_user()
today = config.today()
show_flash()

st.title("Mes actions")
st.caption(
    "Mettez à jour le statut, l'avancement, le commentaire et le point de vigilance de vos "
    "actions, puis enregistrez tout en une fois."
)

refs = editable_refs(user)
if not refs:
    st.info(
        "Aucune action à mettre à jour : votre profil ne pilote aucun plan d'actions.",
        icon=":material/info:",
    )
    st.stop()

# --- the user's input, as the table reported it since it was last drawn ------------------------

edits: dict[int, PendingEdit] = st.session_state.setdefault(EDITS_KEY, {})
drawn = st.session_state.get(DRAWN_KEY)
if drawn is not None and drawn[0] in st.session_state:
    merge_editor_rows(edits, st.session_state[drawn[0]]["edited_rows"], drawn[1])

# --- what to show ----------------------------------------------------------------------------


# Callbacks are bound methods of session state, not functions of this page: a session keeps
# its widgets' callbacks, and a function defined here would keep this run's rows alive too.
first_page = {"on_change": st.session_state.update, "kwargs": {PAGE_KEY: 0}}
with db.session() as session:
    axes = plan_queries.axes(session)
EVERY = 0  # the option « all » of the filters below (ids start at 1)
# Each list's labels as a dict: a selectbox keeps its `format_func` with the session, and a
# lambda of this page would keep this whole run (every reference, the rows) alive with it.
conventions = {EVERY: "Toutes mes conventions"} | {r.id: r.title for r in refs}
axis_labels = {EVERY: "Tous les axes"} | {a.id: a.label for a in axes}
statuses = {EVERY: "Tous les statuts"} | {s: status_text(s) for s in ActionStatus}
convention_column, axis_column, status_column, toggles = st.columns(
    [3, 2, 2, 2], vertical_alignment="bottom"
)
convention_id = (
    convention_column.selectbox(
        "Convention",
        list(conventions),
        format_func=conventions.__getitem__,
        key=f"mes-actions-convention-{user.id}",  # each user their own list
        **first_page,
        placeholder="Choisissez une convention",
    )
    if len(refs) > 1
    else EVERY
)
axis_id = axis_column.selectbox(
    "Axe",
    list(axis_labels),
    format_func=axis_labels.__getitem__,
    key="mes-actions-axis",
    **first_page,
    placeholder="Choisissez un axe",
)
status = status_column.selectbox(
    "Statut",
    list(statuses),
    format_func=statuses.__getitem__,
    key="mes-actions-status",
    **first_page,
    placeholder="Choisissez un statut",
)
late_only = toggles.toggle("En retard", key="mes-actions-late", **first_page)
vigilance_only = toggles.toggle("Avec vigilance", key="mes-actions-vigilance", **first_page)
where = OfficerFilter(
    convention_id or None, axis_id or None, status or None, late_only, vigilance_only
)

page = st.session_state.get(PAGE_KEY, 0)
with db.session() as session:
    window = plan_queries.officer_actions(
        session, user, today, where, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    last_page = max(math.ceil(window.attrs["total"] / PAGE_SIZE) - 1, 0)
    if page > last_page:  # fewer rows than when the page was chosen
        page = st.session_state[PAGE_KEY] = last_page
        window = plan_queries.officer_actions(
            session, user, today, where, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
    elsewhere = set(edits) - set(window["id"])
    stored = (
        pd.concat(
            [window, plan_queries.officer_actions(session, user, today, ids=elsewhere)],
            ignore_index=True,
        )
        if elsewhere
        else window
    ).set_index("id")

# --- what the user changed (compared only when there is input) --------------------------------

gone = [action_id for action_id in edits if action_id not in stored.index]
for action_id in gone:  # archived, or no longer the user's to edit: the core would refuse it
    edits.pop(action_id)
changes: list[RowChange] = []
original = stored.loc[list(edits)]
if edits:
    original = original.assign(version=[edits[i].version for i in original.index])
    typed = original[list(EDITABLE_FIELDS)].astype(object)
    for action_id, edit in edits.items():
        for name, value in edit.values.items():
            typed.at[action_id, name] = value
    changes = changes_between(original, typed)
    changed = {c.action_id: c for c in changes}
    for action_id in list(edits):  # input that now matches what is stored is done
        if action_id not in changed:
            edits.pop(action_id)
        else:
            edit = edits[action_id]
            edit.values = {k: v for k, v in edit.values.items() if k in changed[action_id].change}
if gone:
    st.warning(
        f"{len(gone)} saisie(s) portaient sur des actions archivées ou que vous ne pouvez "
        "plus modifier : elles ont été écartées.",
        icon=":material/warning:",
    )
moved = [i for i, e in edits.items() if e.outcome is None and stored.at[i, "version"] != e.version]
if moved:
    st.info(
        f"{len(moved)} action(s) que vous modifiez ont été enregistrées entre-temps par quelqu'un "
        "d'autre : l'enregistrement les signalera en conflit, avec les valeurs de l'autre "
        "personne, et vous pourrez réappliquer les vôtres.",
        icon=":material/sync:",
    )

# --- the last save's report ------------------------------------------------------------------


def report_frame(report: BatchReport) -> pd.DataFrame:
    rows = []
    for row in report.rows:
        if row.outcome is Outcome.saved:
            detail = " ; ".join(change_text(f, old, new) for f, (old, new) in row.changes.items())
        elif row.outcome is Outcome.conflict and row.conflict is not None:
            detail = conflict_text(row.conflict)
        elif row.outcome is Outcome.unchanged:
            detail = "Valeurs identiques à celles enregistrées."
        else:
            detail = row.message
        rows.append({"Action": row.code, "Résultat": OUTCOME_TEXT[row.outcome], "Détail": detail})
    return pd.DataFrame(rows)


def start_afresh() -> None:
    """The next table starts from what is stored plus the input kept in `edits`."""
    st.session_state[SAVES_KEY] = st.session_state.get(SAVES_KEY, 0) + 1
    st.session_state.pop(DRAWN_KEY, None)


report: BatchReport | None = st.session_state.get(REPORT_KEY)
if report is not None:
    saved_count, failed = report.count(Outcome.saved), len(report.failed)
    summary = f"Dernier enregistrement : {saved_count} action(s) enregistrée(s)"
    if failed:
        summary += f", {failed} non enregistrée(s)."
        st.warning(summary, icon=":material/report:")
    else:
        st.success(summary + ".", icon=":material/check_circle:")
    with st.container(key="mes-actions-report-table"):
        st.dataframe(report_frame(report), hide_index=True, width="stretch")
    if failed:
        st.caption(
            "Vos saisies non enregistrées restent dans le tableau (colonne État) : corrigez-les, "
            "ou relisez les valeurs de l'autre personne puis réenregistrez pour les appliquer."
        )
    if st.button("Masquer le rapport", key="mes-actions-hide-report"):
        st.session_state.pop(REPORT_KEY, None)
        st.rerun()

# --- the table -------------------------------------------------------------------------------


def state_of(action_id: int) -> str:
    """What the user must know about a row before saving again (the « État » column only
    appears then: a column appearing on every first edit would move the cells being typed in)."""
    edit = edits.get(action_id)
    if edit is None:
        return ""
    if edit.outcome is not None:
        return OUTCOME_TEXT[edit.outcome]
    return MOVED_TEXT if action_id in moved else ""


shown = window.set_index("id").assign(
    state=lambda f: [state_of(i) for i in f.index],
    alert=lambda f: f["late"].map({True: LATE_TEXT, False: ""}),
    progress=lambda f: f["progress"].astype(str),
)
shown[list(EDITABLE_FIELDS)] = shown[list(EDITABLE_FIELDS)].astype(object)
for action_id in shown.index.intersection(list(edits)):
    for name, value in edits[action_id].values.items():
        shown.at[action_id, name] = "" if value is None else str(value)

columns = [
    "state",
    "code",
    "status",
    "progress",
    "last_comment",
    "vigilance",
    "title",
    "alert",
    "due_on",
    "axis",
    "convention",
]
if convention_id != EVERY or len(refs) == 1:
    columns.remove("convention")
if not (shown["state"] != "").any():
    columns.remove("state")
editor_key = "-".join(
    [
        "mes-actions",
        str(st.session_state.get(SAVES_KEY, 0)),
        plan_queries.data_version(window.assign(version=0)),  # the rows shown, by id
    ]
)
st.session_state[DRAWN_KEY] = (
    editor_key,
    [(i, edits[i].version if i in edits else int(v)) for i, v in shown["version"].items()],
)
# The table toolbar's buttons (search, CSV download, full screen) speak English and its
# download would write comments starting with « = » as live formulas: it is hidden here.
st.html(
    "<style>.st-key-mes-actions-table [data-testid='stElementToolbar'],"
    ".st-key-mes-actions-report-table [data-testid='stElementToolbar']"
    "{display: none;}</style>"
)
with st.container(key="mes-actions-table"):
    st.data_editor(
        shown,
        key=editor_key,
        hide_index=True,
        num_rows="fixed",
        column_order=columns,
        disabled=[c for c in shown.columns if c not in EDITABLE_FIELDS],
        placeholder="—",
        column_config={
            "state": st.column_config.TextColumn("État", width=110),
            "code": st.column_config.TextColumn("Code", width=70, pinned=True),
            "status": st.column_config.SelectboxColumn(
                "Statut",
                options=[s.value for s in ActionStatus],
                format_func=status_text,
                required=True,
                width=130,
            ),
            "progress": st.column_config.TextColumn(
                "Avancement (%)",
                width=140,
                help="Un nombre entier de 0 à 100, par exemple 40 ou 40 %.",
            ),
            "last_comment": st.column_config.TextColumn("Commentaire", width=240),
            "vigilance": st.column_config.TextColumn("Point de vigilance", width=200),
            "title": st.column_config.TextColumn("Intitulé", width=280),
            "alert": st.column_config.TextColumn("Retard", width=110),
            "due_on": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY"),
            "axis": st.column_config.TextColumn("Axe"),
            "convention": st.column_config.TextColumn("Convention"),
        },
    )

# --- paging ----------------------------------------------------------------------------------

total = window.attrs["total"]
if total == 0:
    st.caption("Aucune action ne correspond à ces filtres.")
elif last_page > 0:
    before, where_am_i, after = st.columns([1, 3, 1], vertical_alignment="center")
    before.button(
        "Précédentes",
        icon=":material/chevron_left:",
        key="mes-actions-previous",
        disabled=page == 0,
        on_click=st.session_state.update,
        kwargs={PAGE_KEY: page - 1},
    )
    where_am_i.caption(
        f"Actions {page * PAGE_SIZE + 1} à {page * PAGE_SIZE + len(window)} sur {total} · "
        f"page {page + 1} sur {last_page + 1}"
    )
    after.button(
        "Suivantes",
        icon=":material/chevron_right:",
        key="mes-actions-next",
        disabled=page == last_page,
        on_click=st.session_state.update,
        kwargs={PAGE_KEY: page + 1},
    )
elsewhere_count = len(set(edits) - set(window["id"]))
if elsewhere_count:
    st.caption(
        f"{elsewhere_count} autre(s) action(s) modifiée(s) hors de cette page seront aussi "
        "enregistrées."
    )

# --- saving ----------------------------------------------------------------------------------


def change_line(name: str, before: object, typed: object) -> str:
    """« Avancement : 20 % → 40 % »; an avancement the core will refuse shows as typed
    (« 20 % → 42,5 »), never as a number it is not."""
    if name == "progress":
        read = progress_as_read(typed)
        if isinstance(read, str):
            old = readable_value(name, json_value(before))
            return f"{field_label(name)} : {old} → {read}"
        typed = read
    return change_text(name, before, typed)


def change_frame(changes: list[RowChange]) -> pd.DataFrame:
    rows = []
    for row in changes:
        before = original.loc[row.action_id]
        for name, value in row.change.items():
            rows.append(
                {"Action": before["code"], "Modification": change_line(name, before[name], value)}
            )
    return pd.DataFrame(rows)


def saved(result: BatchReport) -> str:
    """After the batch: refused and conflicting input stays in the table, the report shows."""
    for row in result.rows:
        edit = edits.get(row.action_id)
        if row.outcome in {Outcome.rejected, Outcome.conflict} and edit is not None:
            edit.outcome = row.outcome
            if row.conflict is not None:  # the user now sees the other person's values
                edit.version = row.conflict.current_version
        else:
            edits.pop(row.action_id, None)
    st.session_state[REPORT_KEY] = result
    start_afresh()
    return f"{result.count(Outcome.saved)} action(s) enregistrée(s)."


save_column, drop_column = st.columns([1, 1])
save_column.button(
    f"Enregistrer {len(changes)} modification(s)" if changes else "Aucune modification",
    type="primary",
    icon=":material/save:",
    disabled=not changes,
    key="mes-actions-save",
    on_click=ask,
    args=(CONFIRM_KEY,),
)
if changes and drop_column.button(
    "Abandonner mes saisies",
    icon=":material/undo:",
    key="mes-actions-drop",
    help="Revenir aux valeurs enregistrées, sur toutes les pages du tableau.",
):
    edits.clear()
    start_afresh()
    st.rerun()
if changes:
    confirmation(
        CONFIRM_KEY,
        title="Confirmer l'enregistrement",
        question=f"**{len(changes)} action(s)** vont être modifiées :",
        details=lambda: st.dataframe(change_frame(changes), hide_index=True, width="stretch"),
        confirm_label="Enregistrer",
        write=lambda session: plan_commands.update_actions(session, user, changes),
        done=saved,
        width="large",
    )
