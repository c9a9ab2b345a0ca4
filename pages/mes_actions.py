"""Mes actions — mettre à jour ses actions en une minute, entre deux comités.

One table of the actions the user may edit; only statut, avancement, commentaire and point
de vigilance are open. One save sends every changed row with the version it was loaded
with; each row gets its own outcome (saved, refused with the reason, conflict). Refused
and conflicting input stays in the table to correct or re-apply.
"""

import pandas as pd
import streamlit as st

from ctg_core.common import config, db
from ctg_core.common.history import change_text
from ctg_core.common.models import ActionStatus
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from ctg_core.plan import table_edits
from ctg_core.plan.commands import BatchReport, Outcome, RowChange
from ctg_core.plan.table_edits import EDITABLE_FIELDS
from ui.auth import current_user
from ui.committee_text import conflict_text
from ui.confirm import ask, confirmation
from ui.form_feedback import show_flash
from ui.plan_labels import LATE_TEXT, status_text

PENDING_KEY = "mes-actions-pending"  # action id -> (outcome, the user's values)
REPORT_KEY = "mes-actions-report"
CONFIRM_KEY = "mes-actions-batch"
SAVES_KEY = "mes-actions-saves"
LOADED_KEY = "mes-actions-loaded"
ALL = "Toutes les conventions"
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

with db.session() as session:
    fresh = plan_queries.officer_actions(session, user, today)
# The table keeps the rows (and versions) it was loaded with until the next save or reload:
# every cell edit reruns the page, and reloading then would drop the edits in progress.
frame = st.session_state.get(LOADED_KEY)
if frame is None or frame.attrs.get("user_id") != user.id:
    frame = fresh
    frame.attrs["user_id"] = user.id
    st.session_state[LOADED_KEY] = frame
elif frame.attrs["data_version"] != fresh.attrs["data_version"]:
    notice, reload = st.columns([4, 1], vertical_alignment="center")
    notice.info(
        "Des actions ont été modifiées depuis l'ouverture du tableau. Vos saisies seront "
        "vérifiées à l'enregistrement ; rechargez pour voir les dernières valeurs.",
        icon=":material/sync:",
    )
    if reload.button("Recharger", icon=":material/refresh:", key="mes-actions-reload"):
        st.session_state.pop(LOADED_KEY, None)
        st.rerun()
if frame.empty:
    st.info(
        "Aucune action à mettre à jour : votre profil ne pilote aucun plan d'actions.",
        icon=":material/info:",
    )
    st.stop()

# --- what to show ----------------------------------------------------------------------------

conventions = list(dict.fromkeys(frame["convention"]))
left, right = st.columns([3, 2], vertical_alignment="bottom")
chosen = (
    left.selectbox("Convention", [ALL, *conventions], key="mes-actions-convention")
    if len(conventions) > 1
    else ALL
)
alerts_only = right.toggle("Seulement en retard ou avec vigilance", key="mes-actions-alerts")
view = frame if chosen == ALL else frame[frame["convention"] == chosen]
if alerts_only:
    view = view[view["late"] | (view["vigilance"].str.strip() != "")]

original = view.set_index("id")
pending: dict[int, tuple[Outcome, dict]] = st.session_state.setdefault(PENDING_KEY, {})
shown = original.assign(
    state="",
    alert=original["late"].map({True: LATE_TEXT, False: ""}),
)
shown["progress"] = shown["progress"].astype("Int64")
for action_id, (outcome, values) in pending.items():
    if action_id in shown.index:
        for name, value in values.items():
            shown.at[action_id, name] = value
        shown.at[action_id, "state"] = OUTCOME_TEXT[outcome]

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


report: BatchReport | None = st.session_state.get(REPORT_KEY)
if report is not None:
    saved, failed = report.count(Outcome.saved), len(report.failed)
    summary = f"Dernier enregistrement : {saved} action(s) enregistrée(s)"
    if failed:
        summary += f", {failed} non enregistrée(s)."
        st.warning(summary, icon=":material/report:")
    else:
        st.success(summary + ".", icon=":material/check_circle:")
    st.dataframe(report_frame(report), hide_index=True, width="stretch")
    if failed:
        st.caption(
            "Vos saisies non enregistrées restent dans le tableau (colonne État) : corrigez-les, "
            "ou relisez les valeurs de l'autre personne puis réenregistrez pour les appliquer."
        )
    hide, drop = st.columns(2)
    if hide.button("Masquer le rapport", key="mes-actions-hide-report"):
        st.session_state.pop(REPORT_KEY, None)
        st.rerun()
    if pending and drop.button("Abandonner mes saisies refusées", key="mes-actions-drop"):
        pending.clear()
        st.session_state[SAVES_KEY] = st.session_state.get(SAVES_KEY, 0) + 1
        st.session_state.pop(LOADED_KEY, None)
        st.rerun()

# --- the table -------------------------------------------------------------------------------

columns = ["state", "convention", "code", "title", "due_on", "alert", *EDITABLE_FIELDS]
if len(conventions) == 1 or chosen != ALL:
    columns.remove("convention")
if not (shown["state"] != "").any():
    columns.remove("state")
editor_key = "-".join(
    [
        "mes-actions",
        frame.attrs["data_version"],
        str(st.session_state.get(SAVES_KEY, 0)),
        str(conventions.index(chosen) if chosen in conventions else "all"),
        "alerts" if alerts_only else "every",
    ]
)
edited = st.data_editor(
    shown,
    key=editor_key,
    hide_index=True,
    num_rows="fixed",
    column_order=columns,
    disabled=[c for c in shown.columns if c not in EDITABLE_FIELDS],
    column_config={
        "state": st.column_config.TextColumn("État", width="small"),
        "convention": st.column_config.TextColumn("Convention"),
        "code": st.column_config.TextColumn("Code", width="small"),
        "title": st.column_config.TextColumn("Intitulé", width="medium"),
        "due_on": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY"),
        "alert": st.column_config.TextColumn("Retard", width="small"),
        "status": st.column_config.SelectboxColumn(
            "Statut",
            options=[s.value for s in ActionStatus],
            format_func=status_text,
            required=True,
        ),
        "progress": st.column_config.NumberColumn(
            "Avancement (%)", min_value=0, max_value=100, step=1, format="%d %%"
        ),
        "last_comment": st.column_config.TextColumn("Commentaire", width="large"),
        "vigilance": st.column_config.TextColumn("Point de vigilance", width="medium"),
    },
)
changes = table_edits.changes_between(original, edited)
# Kept input that now matches what is stored (reverted, or saved by someone else) is done.
for action_id in set(pending) & set(original.index) - {c.action_id for c in changes}:
    pending.pop(action_id)
if not view.empty and view.shape[0] < frame.shape[0]:
    st.caption(f"{len(view)} action(s) affichée(s) sur {len(frame)}.")

# --- saving ----------------------------------------------------------------------------------


def change_frame(changes: list[RowChange]) -> pd.DataFrame:
    rows = []
    for row in changes:
        before = original.loc[row.action_id]
        for name, value in row.change.items():
            rows.append(
                {
                    "Action": before["code"],
                    "Modification": change_text(name, before[name], value),
                }
            )
    return pd.DataFrame(rows)


def saved(result: BatchReport) -> str:
    """After the batch: refused and conflicting input stays in the table, the report shows."""
    for row in result.rows:
        if row.outcome in {Outcome.rejected, Outcome.conflict}:
            pending[row.action_id] = (row.outcome, row.attempted)
        else:
            pending.pop(row.action_id, None)
    st.session_state[REPORT_KEY] = result
    st.session_state[SAVES_KEY] = st.session_state.get(SAVES_KEY, 0) + 1
    st.session_state.pop(LOADED_KEY, None)
    return f"{result.count(Outcome.saved)} action(s) enregistrée(s)."


st.button(
    f"Enregistrer {len(changes)} modification(s)" if changes else "Aucune modification",
    type="primary",
    icon=":material/save:",
    disabled=not changes,
    key="mes-actions-save",
    on_click=ask,
    args=(CONFIRM_KEY,),
)
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
