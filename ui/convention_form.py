"""Create a convention and change its title, dates, advisor and phase (a phase change is
recorded with the date it was reached)."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from ctg_core.common import config
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import Convention, ConventionPhase
from ctg_core.common.validation import changed_fields
from ctg_core.plan import commands as plan_commands
from ctg_core.plan.queries import Choice, ConventionHeader
from ui.form_feedback import FormState, field_error, form_problems, form_state, save, save_changes

FIELDS = ("territory_id", "title", "phase", "signed_on", "starts_on", "ends_on", "advisor_id")
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
NO_ADVISOR = "— aucun —"


def _date(state: FormState, name: str, label: str, field_name: str, value: date | None) -> Any:
    chosen = st.date_input(
        label,
        value=value,
        min_value=FIRST_DAY,
        max_value=LAST_DAY,
        format="DD/MM/YYYY",
        key=state.widget_key(name, field_name),
    )
    field_error(state, field_name)
    return chosen


def convention_fields(
    state: FormState, name: str, shown: dict[str, Any], advisors: list[Choice]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values["title"] = st.text_input(
        "Intitulé de la convention", value=shown["title"], key=state.widget_key(name, "title")
    )
    field_error(state, "title")
    phase_col, advisor_col = st.columns(2)
    with phase_col:
        phases = list(ConventionPhase)
        values["phase"] = st.selectbox(
            "Phase",
            phases,
            index=phases.index(ConventionPhase(shown["phase"])),
            format_func=lambda p: p.label,
            key=state.widget_key(name, "phase"),
            placeholder="Choisissez…",
        )
        field_error(state, "phase")
    with advisor_col:
        labels: dict[int | None, str] = {None: NO_ADVISOR, **{a.id: a.label for a in advisors}}
        if shown.get("advisor_id") not in labels:
            labels[shown["advisor_id"]] = f"Utilisateur n° {shown['advisor_id']}"
        options = list(labels)
        values["advisor_id"] = st.selectbox(
            "Conseiller Caf",
            options,
            index=options.index(shown.get("advisor_id")),
            format_func=labels.__getitem__,
            key=state.widget_key(name, "advisor_id"),
            placeholder="Choisissez…",
        )
        field_error(state, "advisor_id")
    signed_col, start_col, end_col = st.columns(3)
    with signed_col:
        values["signed_on"] = _date(state, name, "Signature", "signed_on", shown["signed_on"])
    with start_col:
        values["starts_on"] = _date(state, name, "Début", "starts_on", shown["starts_on"])
    with end_col:
        values["ends_on"] = _date(state, name, "Fin", "ends_on", shown["ends_on"])
    return values


def edit_convention_form(
    header: ConventionHeader, advisors: list[Choice], user: CurrentUser
) -> None:
    name = f"convention-{header.id}"
    state = form_state(name)
    state.start(
        header.id,
        {
            "title": header.title,
            "phase": header.phase,
            "signed_on": header.signed_on,
            "starts_on": header.starts_on,
            "ends_on": header.ends_on,
            "advisor_id": header.advisor_id,
        },
        header.version,
    )
    assert state.shown is not None
    form_problems(state, (*FIELDS, "phase_reached_on"))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = convention_fields(state, name, state.defaults, advisors)
        reached_on = st.date_input(
            "Si la phase change : date à laquelle elle a été atteinte",
            value=config.today(),
            min_value=FIRST_DAY,
            max_value=LAST_DAY,
            format="DD/MM/YYYY",
            key=state.widget_key(name, "phase_reached_on"),
        )
        field_error(state, "phase_reached_on")
        submitted = st.form_submit_button(
            "Enregistrer la convention", type="primary", icon=":material/save:"
        )
    if not submitted:
        return
    change = changed_fields(plan_commands.ConventionChange, values, state.shown)
    save_changes(
        change=change,
        state=state,
        done="Convention enregistrée.",
        write=lambda session: plan_commands.update_convention(
            session,
            user,
            header.id,
            state.seen_version or 0,
            change,
            phase_reached_on=reached_on if "phase" in change else None,
        ),
    )


def new_convention_form(
    territories: list[Choice], advisors: list[Choice], user: CurrentUser
) -> None:
    name = "new-convention"
    state = form_state(name)
    state.start(
        "new",
        {
            "territory_id": None,
            "title": "",
            "phase": ConventionPhase.preparation,
            "signed_on": None,
            "starts_on": None,
            "ends_on": None,
            "advisor_id": user.id if user.role.value == "caf_advisor" else None,
        },
        None,
    )
    assert state.shown is not None
    form_problems(state, FIELDS)
    labels = {t.id: t.label for t in territories}
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        territory_id = st.selectbox(
            "Territoire (EPCI ou commune)",
            list(labels),
            index=None,
            format_func=labels.__getitem__,
            placeholder="Tapez un nom pour chercher",
            key=state.widget_key(name, "territory_id"),
        )
        field_error(state, "territory_id")
        values = convention_fields(state, name, state.shown, advisors)
        submitted = st.form_submit_button(
            "Créer la convention", type="primary", icon=":material/add:"
        )
    if not submitted:
        return
    data = values if territory_id is None else {"territory_id": territory_id, **values}

    def opened(convention: Convention) -> str:
        st.query_params["convention"] = str(convention.id)
        return "Convention créée."

    save(
        lambda session: plan_commands.create_convention(session, user, data),
        done=opened,
        state=state,
    )
