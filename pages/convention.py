"""Convention — the page a committee opens for one territory, and where the Caf advisor and
the chargé de coopération keep the plan d'actions up to date. Deep link: ?convention=<id>
(and &action=<id> to open a fiche)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats, history
from ctg_core.common.errors import CtgError
from ctg_core.common.models import ActionStatus, ConventionPhase
from ctg_core.plan import charts as plan_charts
from ctg_core.plan import filters as plan_filters
from ctg_core.plan import phases, timeline
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.filters import PlanFilters
from ctg_core.plan.queries import ActionDetail, AxisRef, AxisStatus, ConventionHeader, ConventionRef
from ui import action_form, convention_form
from ui.auth import current_user
from ui.feedback import show_error
from ui.form_feedback import form_state, show_flash
from ui.plain_text import md
from ui.plan_labels import LATE_TEXT, NO_LEAD_TEXT, VIGILANCE_TEXT, status_text

SEARCH = "convention_search"
PICKER = "convention_picker"
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

user = current_user()
today = config.today()
show_flash()


# --- which convention --------------------------------------------------------------------


def clear_filters() -> None:
    for key, default in FILTER_DEFAULTS.items():
        st.session_state[key] = default.copy() if isinstance(default, list) else default


def open_picked() -> None:
    picked = st.session_state.get(PICKER)
    if picked is None:
        return
    st.query_params["convention"] = str(picked)
    st.query_params.pop("action", None)
    st.session_state.pop(FICHE, None)
    clear_filters()


def requested_convention(default: int | None) -> tuple[int | None, str]:
    """The id asked for in the URL (or the first readable one), or a French complaint."""
    raw = st.query_params.get("convention", "").strip()
    if not raw:
        if default is not None:
            st.query_params["convention"] = str(default)
        return default, ""
    try:
        return int(raw), ""
    except ValueError:
        return None, f"« {md(raw)} » n'est pas un numéro de convention valide."


def ref_label(ref: ConventionRef) -> str:
    place = "" if ref.territory_name in ref.title else f" — {ref.territory_name}"
    return f"{ref.title}{place} · {ref.phase.label}"


def convention_selector(current: int | None, readable: list[ConventionRef]) -> None:
    """Search by territory, title or member commune (« Rezé » finds Nantes Métropole)."""
    search_col, pick_col = st.columns([2, 3])
    with search_col:
        text = st.text_input(
            "Rechercher un territoire ou une commune",
            key=SEARCH,
            placeholder="p. ex. Rezé, Pornic, Nozay…",
            help="Une commune membre d'un EPCI mène à la CTG de cet EPCI.",
        )
    refs = readable
    if text.strip():
        with db.session() as session:
            refs = plan_queries.search_conventions(session, user, text)
    by_id = {r.id: r for r in refs}
    st.session_state[PICKER] = current if current in by_id else None
    with pick_col:
        st.selectbox(
            "Convention",
            list(by_id),
            index=None,
            format_func=lambda ident: ref_label(by_id[ident]),
            key=PICKER,
            on_change=open_picked,
            placeholder=f"Choisissez parmi {len(refs)} convention(s)",
        )
        if text.strip():
            found = f"{len(refs)} convention(s) trouvée(s)" if refs else "Aucune convention"
            st.caption(f"{found} pour « {md(text.strip())} ».")


# --- header ------------------------------------------------------------------------------


def show_header(header: ConventionHeader) -> None:
    st.title(md(header.title))
    kind = "EPCI" if header.territory_kind == "epci" else "Commune"
    territory_col, dates_col, advisor_col, officer_col = st.columns(4)
    territory_col.markdown(
        f"**Territoire**  \n{md(header.territory_name)}  \n"
        f"{kind} · {formats.number(header.population)} habitants"
    )
    if header.starts_on and header.ends_on:
        period = f"du {formats.day(header.starts_on)} au {formats.day(header.ends_on)}"
        period += f"  \n{phases.duration_label(header.starts_on, header.ends_on)}"
    else:
        period = "Dates non renseignées"
    signed = f"signée le {formats.day(header.signed_on)}" if header.signed_on else "non signée"
    dates_col.markdown(f"**Convention**  \n{period} · {signed}")
    advisor_col.markdown(f"**Conseiller Caf**  \n{md(header.advisor_name) or 'Non désigné'}")
    officer_col.markdown(
        f"**Chargé(e) de coopération**  \n{md(header.officer_name) or 'Poste non pourvu'}"
    )
    show_stepper(header)


def show_stepper(header: ConventionHeader) -> None:
    """Five steps; the current one is framed and says « Phase actuelle » in words."""
    steps = phases.phase_steps(header.phase, header.phase_dates)
    st.markdown("**Phase de la convention**")
    for column, step in zip(st.columns(len(steps)), steps, strict=True):
        reached = formats.day(step.reached_on)
        with column:
            if step.state == "current":
                since = f" depuis le {reached}" if reached else ""
                with st.container(border=True):
                    st.markdown(
                        f":material/radio_button_checked: **{step.number}. {step.phase.label}**"
                        f"  \n**Phase actuelle**{since}"
                    )
            elif step.state == "done":
                when = f"Atteinte le {reached}" if reached else "Étape franchie"
                st.markdown(f":material/check_circle: {step.number}. {step.phase.label}  \n{when}")
            else:
                st.markdown(
                    f":material/radio_button_unchecked: {step.number}. {step.phase.label}"
                    "  \nÀ venir"
                )
    if header.phase is ConventionPhase.echue:
        ended = header.phase_dates.get(ConventionPhase.echue)
        since = f" depuis le {formats.day(ended)}" if ended else ""
        st.info(f"Convention **échue**{since} : à renouveler.", icon=":material/event_busy:")


@st.cache_data(ttl=300, show_spinner=False)
def advisor_choices(database_url: str) -> list[plan_queries.Choice]:
    """Choices for the forms, read at most every five minutes (keyed by database)."""
    with db.session() as session:
        return plan_queries.advisor_choices(session)


@st.cache_data(ttl=3600, show_spinner=False)
def territory_choices(database_url: str) -> list[plan_queries.Choice]:
    with db.session() as session:
        return plan_queries.territory_choices(session)


def show_convention_admin(header: ConventionHeader) -> None:
    if header.can_manage:
        editing = form_state(f"convention-{header.id}")
        with st.expander(
            "Modifier la convention (intitulé, dates, phase, conseiller)",
            icon=":material/edit:",
            expanded=bool(editing.errors or editing.problem),
        ):
            convention_form.edit_convention_form(
                header, advisor_choices(config.database_url()), user
            )
    with st.expander("Historique de la convention", icon=":material/history:"):
        with db.session() as session:
            lines = plan_queries.convention_history(session, user, header.id)
        show_history(lines, key="convention_history")


# --- per-axis status ---------------------------------------------------------------------


def axis_clicked(chart_key: str) -> None:
    """A click on a bar filters the plan on that axis; a second click shows every axis."""
    event = st.session_state.get(chart_key)
    picked = (event or {}).get("selection", {}).get(plan_charts.AXIS_SELECTION, [])
    ids = sorted({int(p["axis_id"]) for p in picked if "axis_id" in p})
    current = sorted(st.session_state.get(AXES) or [])
    st.session_state[AXES] = [] if ids == current else ids


def axis_table(statuses: list[AxisStatus]) -> pd.DataFrame:
    """The chart as a table (readable by screen readers, and the figures are exact)."""
    rows = []
    for status in statuses:
        row: dict[str, object] = {"Axe": status.axis}
        row.update({s.label: status.by_status.get(s, 0) for s in ActionStatus})
        row["Total"] = status.total
        row["Avancement moyen"] = formats.percent(status.mean_progress / 100)
        row["En retard"] = status.late
        row["Points de vigilance"] = status.vigilance
        rows.append(row)
    return pd.DataFrame(rows)


def show_axis_status(active: pd.DataFrame, axis_filter: list[int]) -> None:
    st.subheader("Avancement par axe")
    statuses = plan_queries.axis_status(active)
    total, late = len(active), int(active["late"].sum())
    vigilance = int((active["vigilance"].fillna("").str.strip() != "").sum())
    mean = float(active["progress"].mean()) if total else None
    count_col, mean_col, late_col, vigilance_col = st.columns(4)
    count_col.metric("Actions du plan", formats.number(total))
    mean_col.metric("Avancement moyen", formats.percent(mean / 100) if mean is not None else "—")
    late_col.metric("En retard", formats.number(late))
    vigilance_col.metric("Points de vigilance", formats.number(vigilance))
    if not statuses:
        st.info("Le plan d'actions ne contient encore aucune action.", icon=":material/info:")
        return
    chart_tab, table_tab = st.tabs(["Graphique", "Tableau"])
    with chart_tab:
        chart_key = "axis_chart-" + "-".join(str(i) for i in sorted(axis_filter))
        st.altair_chart(
            plan_charts.axis_status_chart(statuses, axis_filter),
            key=chart_key,
            on_select=lambda: axis_clicked(chart_key),
            selection_mode=plan_charts.AXIS_SELECTION,
            width="stretch",
        )
        st.caption(
            "Cliquez sur un axe pour filtrer le plan d'actions ci-dessous ; cliquez-le à "
            "nouveau pour revenir à tous les axes. Chaque segment porte son nombre d'actions."
        )
    with table_tab:
        st.dataframe(axis_table(statuses), key="axis_table", hide_index=True)


# --- plan d'actions ----------------------------------------------------------------------


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
            "Pilote", plan_filters.leads(frame), key="plan_leads", placeholder="Tous les pilotes"
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
        raw = st.query_params.get("action", "")
        st.session_state[FICHE] = int(raw) if raw.isdigit() and int(raw) in labels else None
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


def show_history(lines: list[history.HistoryLine], *, key: str) -> None:
    if not lines:
        st.caption("Aucune modification enregistrée.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": formats.moment(line.at),
                    "Par": line.user_name,
                    "Opération": line.operation_label,
                    "Réunion": line.meeting or "—",
                    "Modifications": line.summary,
                }
                for line in lines
            ]
        ),
        key=key,
        hide_index=True,
    )


def show_fiche(detail: ActionDetail, header: ConventionHeader, axes: list[AxisRef]) -> None:
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


def show_timeline(rows: pd.DataFrame) -> None:
    bars = timeline.timeline_rows(rows)
    if bars.empty:
        st.info("Aucune action datée ne correspond aux filtres.", icon=":material/info:")
    else:
        st.altair_chart(plan_charts.timeline_chart(bars, today), key="timeline", width="content")
        st.caption(
            f"Chaque barre va du début à l'échéance (◆). Trait pointillé : aujourd'hui "
            f"({formats.day(today)}). Les actions en retard portent la mention "
            "« ⚠ en retard » et un contour rouge."
        )
    undated = timeline.undated_count(rows)
    if undated:
        st.caption(f"{undated} action(s) sans date n'apparaissent pas sur le calendrier.")


# --- the page, top to bottom -------------------------------------------------------------

with db.session() as session:
    readable = plan_queries.conventions(session, user)
current, complaint = requested_convention(readable[0].id if readable else None)

header: ConventionHeader | None = None
if current is not None:
    try:
        with db.session() as session:
            header = plan_queries.convention_header(session, user, current)
            active = plan_queries.actions_frame(session, user, current, today)
            frame = (
                plan_queries.actions_frame(session, user, current, today, include_archived=True)
                if st.session_state.get(ARCHIVED, False)
                else active
            )
            axes = plan_queries.axes(session)
    except CtgError as error:
        complaint = f"{md(error.message)}"

if header is None:
    st.title("Convention")
convention_selector(current, readable)
if user.can_manage_convention():
    creating = form_state("new-convention")
    with st.expander(
        "Créer une convention",
        icon=":material/add_circle:",
        expanded=bool(creating.errors or creating.problem),
    ):
        convention_form.new_convention_form(
            territory_choices(config.database_url()), advisor_choices(config.database_url()), user
        )

if complaint:
    st.warning(
        complaint + " Choisissez une convention dans la liste ci-dessus.",
        icon=":material/search_off:",
    )
    st.stop()
if header is None:
    st.info("Aucune convention n'est visible avec votre profil.", icon=":material/info:")
    st.stop()

archived_ids = set(frame["id"]) - set(active["id"])
show_header(header)
show_convention_admin(header)
st.divider()
show_axis_status(active, sorted(st.session_state.get(AXES) or []))
st.divider()

st.subheader("Plan d'actions")
if header.can_edit_plan:
    creating_action = form_state(f"new-action-{header.id}")
    with st.expander(
        "Nouvelle fiche action",
        icon=":material/add_circle:",
        expanded=bool(creating_action.errors or creating_action.problem),
    ):
        axis_filter = st.session_state.get(AXES) or []
        action_form.new_action_form(
            header.id, axes, user, axis_filter[0] if len(axis_filter) == 1 else None
        )
if frame.empty:
    st.info("Aucune fiche action pour cette convention.", icon=":material/info:")
    st.stop()

filters = filter_widgets(frame)
filtered = plan_filters.filter_actions(frame, filters)
st.caption(f"{len(filtered)} fiche(s) affichée(s) sur {len(frame)}.")
table_tab, timeline_tab = st.tabs(["Tableau", "Calendrier"])
with table_tab:
    show_plan_table(filtered, archived_ids)
    fiche_id = fiche_selector(frame)
    if fiche_id is not None:
        try:
            with db.session() as session:
                detail = plan_queries.action_detail(session, user, fiche_id, today)
        except CtgError as error:
            show_error(error)
        else:
            show_fiche(detail, header, axes)
with timeline_tab:
    show_timeline(filtered[~filtered["id"].isin(archived_ids)])
