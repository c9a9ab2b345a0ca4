"""The plan d'actions on the Convention page: filters (kept in the session), the table, the
calendar, and the fiche action opened from either."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ctg_core.common import formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import ActionStatus
from ctg_core.plan import charts as plan_charts
from ctg_core.plan import filters as plan_filters
from ctg_core.plan import timeline
from ctg_core.plan.filters import PlanFilters
from ctg_core.plan.queries import ActionDetail, AxisRef, ConventionHeader
from ui import action_form
from ui.chart_specs import spec_of
from ui.convention_header import show_history
from ui.form_feedback import form_state
from ui.plain_text import md
from ui.plan_labels import LATE_TEXT, NO_LEAD_TEXT, VIGILANCE_TEXT, status_text
from ui.url import requested_id

FICHE = "fiche_id"
ARCHIVED = "plan_archived"
AXES = "plan_axes"
FILTER_DEFAULTS: dict[str, object] = {
    AXES: [],
    "plan_statuses": [],
    "plan_leads": [],
    "plan_no_lead": False,
    "plan_late": False,
    "plan_vigilance": False,
}


def clear_filters() -> None:
    for key, default in FILTER_DEFAULTS.items():
        st.session_state[key] = default.copy() if isinstance(default, list) else default


def filter_widgets(frame: pd.DataFrame) -> PlanFilters:
    """Filter widgets (state in `st.session_state`, kept while the convention stays)."""
    counts = frame["axis_id"].value_counts()
    labels = dict(zip(frame["axis_id"], frame["axis"], strict=False))
    axis_ids = [int(i) for i in pd.unique(frame["axis_id"])]
    chosen_axes = st.pills(
        "Axe",
        axis_ids,
        selection_mode="multi",
        format_func=lambda i: f"{labels[i]} ({counts[i]})",
        key=AXES,
    )
    chosen_statuses = st.pills(
        "Statut",
        [s.value for s in ActionStatus],
        selection_mode="multi",
        format_func=status_text,
        key="plan_statuses",
    )
    lead_col, flags_col, archived_col = st.columns([2, 2, 1.4])
    with lead_col:
        chosen_leads = st.multiselect(
            "Pilote",
            plan_filters.leads(frame),
            key="plan_leads",
            placeholder="Tous les pilotes",
            select_all=False,
        )
    with flags_col:
        no_lead = st.checkbox("Sans pilote", key="plan_no_lead")
        late = st.checkbox("En retard", key="plan_late")
        vigilance = st.checkbox("Avec un point de vigilance", key="plan_vigilance")
    with archived_col:
        st.toggle(
            "Inclure les archivées",
            key=ARCHIVED,
            help="Les fiches archivées restent consultables avec leur historique.",
        )
    filters = PlanFilters(
        axis_ids=frozenset(chosen_axes or []),
        statuses=frozenset(chosen_statuses or []),
        leads=frozenset(chosen_leads or []),
        without_lead=no_lead,
        late_only=late,
        vigilance_only=vigilance,
    )
    st.button(
        "Effacer les filtres",
        icon=":material/filter_alt_off:",
        on_click=clear_filters,
        disabled=not filters.active,
    )
    return filters


def plan_table(rows: pd.DataFrame, archived: set[int]) -> pd.DataFrame:
    """The plan as the table shows it: words and symbols beside every status and alert."""
    is_archived = rows["id"].isin(archived)
    status = rows["status"].map(status_text) + is_archived.map({True: " (archivée)", False: ""})
    late = (rows["late"] & ~is_archived).map({True: LATE_TEXT, False: ""})
    watch = (rows["vigilance"].fillna("").str.strip() != "").map({True: VIGILANCE_TEXT, False: ""})
    alerts = (late + " " + watch).str.strip()
    updated = pd.to_datetime(rows["updated_at"], utc=True).dt.tz_convert("Europe/Paris")
    return pd.DataFrame(
        {
            "code": rows["code"],
            "title": rows["title"],
            "status": status,
            "progress": rows["progress"],
            "due_on": pd.to_datetime(rows["due_on"]),
            "alerts": alerts,
            "lead": rows["lead"].fillna("").str.strip().replace("", NO_LEAD_TEXT),
            "axis": rows["axis"],
            "updated_at": updated.dt.tz_localize(None),
        }
    ).reset_index(drop=True)


PLAN_COLUMNS = {
    "code": st.column_config.TextColumn("Code", width=70),
    "title": st.column_config.TextColumn("Intitulé", width=240),
    "axis": st.column_config.TextColumn("Axe", width=130),
    "lead": st.column_config.TextColumn("Pilote", width=130),
    "status": st.column_config.TextColumn("Statut", width=105),
    "progress": st.column_config.ProgressColumn(
        "Avancement", min_value=0, max_value=100, format="%d %%", width=100
    ),
    "due_on": st.column_config.DateColumn("Échéance", format="DD/MM/YYYY", width=90),
    "alerts": st.column_config.TextColumn(
        "Alertes", width=120, help="En retard : échéance dépassée. Vigilance : point d'attention."
    ),
    "updated_at": st.column_config.DatetimeColumn("Mise à jour", format="DD/MM/YYYY", width=95),
}


def row_picked(table_key: str, ids: list[int]) -> None:
    rows = st.session_state[table_key]["selection"]["rows"]
    if rows:
        st.session_state[FICHE] = ids[rows[0]]
        st.query_params["action"] = str(ids[rows[0]])


def fiche_picked() -> None:
    picked = st.session_state.get(FICHE)
    if picked is None:
        st.query_params.pop("action", None)
    else:
        st.query_params["action"] = str(picked)


def show_plan_table(rows: pd.DataFrame, archived: set[int]) -> None:
    ids = [int(i) for i in rows["id"]]
    table_key = "plan_table-" + str(abs(hash(tuple(ids))))
    st.dataframe(
        plan_table(rows, archived),
        key=table_key,
        on_select=lambda: row_picked(table_key, ids),
        selection_mode="single-row",
        hide_index=True,
        column_config=PLAN_COLUMNS,
    )


def fiche_selector(frame: pd.DataFrame) -> int | None:
    """Choose the fiche to open; a click on a table row does the same."""
    labels = {int(r.id): f"{r.code} — {r.title}" for r in frame.itertuples(index=False)}
    pending = st.session_state.pop(action_form.PENDING_FICHE, None)
    if pending in labels:
        st.session_state[FICHE] = pending
        st.query_params["action"] = str(pending)
    elif FICHE not in st.session_state:
        asked = requested_id("action")
        st.session_state[FICHE] = asked if asked in labels else None
    if st.session_state.get(FICHE) not in labels:
        st.session_state[FICHE] = None
    return st.selectbox(
        "Fiche action",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key=FICHE,
        on_change=fiche_picked,
        placeholder="Choisissez une fiche, ou cliquez une ligne du tableau",
    )


def show_fiche(
    detail: ActionDetail, header: ConventionHeader, axes: list[AxisRef], user: CurrentUser
) -> None:
    with st.container(border=True):
        st.subheader(f"{md(detail.code)} — {md(detail.title)}")
        facts = [status_text(detail.status), f"avancement {detail.progress} %"]
        if detail.late:
            facts.append(f"**{LATE_TEXT}** : échéance dépassée")
        if detail.archived:
            facts.append(f"**Archivée** le {formats.moment(detail.archived_at)}")
        st.markdown(" · ".join(facts))
        st.progress(
            min(max(detail.progress, 0), 100) / 100, text=f"Avancement : {detail.progress} %"
        )
        left, middle, right = st.columns(3)
        left.markdown(f"**Axe**  \n{md(detail.axis)}")
        left.markdown(f"**Pilote**  \n{md(detail.lead) if detail.lead else NO_LEAD_TEXT}")
        middle.markdown(f"**Début**  \n{formats.day(detail.starts_on) or '—'}")
        middle.markdown(f"**Échéance**  \n{formats.day(detail.due_on) or '—'}")
        right.markdown(f"**Budget**  \n{formats.euros(detail.budget) or '—'}")
        by = f" par {md(detail.updated_by)}" if detail.updated_by else ""
        right.markdown(f"**Dernière mise à jour**  \n{formats.moment(detail.updated_at)}{by}")
        for label, text in (
            ("Partenaires", detail.partners),
            ("Objectif", detail.objective),
            ("Dernier commentaire", detail.last_comment),
        ):
            st.markdown(f"**{label}**  \n{md(text) if text.strip() else '—'}")
        if detail.vigilance.strip():
            st.warning(f"**Point de vigilance** : {md(detail.vigilance)}", icon=":material/flag:")
        else:
            st.markdown("**Point de vigilance**  \nAucun")
        st.markdown("**Historique de la fiche**")
        show_history(list(detail.history), key="fiche_history")
        if not header.can_edit_plan or detail.archived:
            return
        editing = form_state(f"action-{detail.id}")
        with st.expander(
            "Modifier la fiche",
            icon=":material/edit:",
            expanded=bool(editing.errors or editing.problem),
        ):
            action_form.edit_action_form(detail, axes, user)
        action_form.archive_button(detail, user)


def show_timeline(rows: pd.DataFrame, today: date) -> None:
    bars = timeline.timeline_rows(rows)
    if bars.empty:
        st.info("Aucune action datée ne correspond aux filtres.", icon=":material/info:")
    else:
        st.vega_lite_chart(
            spec=spec_of(plan_charts.timeline_chart, bars, today), key="timeline", width="content"
        )
        st.caption(
            f"Chaque barre va du début à l'échéance (◆). Trait pointillé : aujourd'hui "
            f"({formats.day(today)}). Les actions en retard portent la mention "
            "« ⚠ en retard » et un contour rouge."
        )
    undated = timeline.undated_count(rows)
    if undated:
        st.caption(f"{undated} action(s) sans date n'apparaissent pas sur le calendrier.")
