"""The top of the Convention page: who and when (territory, dates, advisor, officer), the
phase stepper, the convention's own form and its history."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ctg_core.common import config, db, formats, history
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import ConventionPhase
from ctg_core.plan import phases
from ctg_core.plan import queries as plan_queries
from ctg_core.plan.queries import ConventionHeader
from ui import convention_form
from ui.form_feedback import form_state
from ui.plain_text import md


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


def show_convention_admin(header: ConventionHeader, user: CurrentUser) -> None:
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
    # Read and drawn only while open (on_change reruns the page when it is opened).
    history_box = st.expander(
        "Historique de la convention",
        icon=":material/history:",
        key=f"convention-history-{header.id}",
        on_change="rerun",
    )
    if not history_box.open:
        return
    with history_box:
        with db.session() as session:
            lines = plan_queries.convention_history(session, user, header.id)
        show_history(lines, key="convention_history")
        if len(lines) >= plan_queries.CONVENTION_HISTORY_LINES:
            st.caption(
                f"Les {len(lines)} dernières modifications. L'historique complet, filtrable et "
                "exportable, est dans la page Historique."
            )


def show_history(lines: list[history.HistoryLine], *, key: str) -> None:
    if not lines:
        st.caption("Aucune modification enregistrée.")
        return
    with_subject = any(line.subject for line in lines)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": formats.moment(line.at),
                    "Par": line.user_name,
                    "Opération": line.operation_label,
                    **({"Objet": line.subject} if with_subject else {}),
                    "Réunion": line.meeting or "—",
                    "Modifications": line.summary,
                }
                for line in lines
            ]
        ),
        key=key,
        hide_index=True,
    )
