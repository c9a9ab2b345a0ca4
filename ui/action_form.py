"""Create, edit and archive a fiche action. The rules are the core's: this module only
collects input, calls one service and shows its French answer next to each field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import streamlit as st

from ctg_core.common import formats
from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import Action, ActionStatus
from ctg_core.common.validation import changed_fields
from ctg_core.plan import commands as plan_commands
from ctg_core.plan.queries import ActionDetail, AxisRef
from ui.confirm import ask, confirmation
from ui.form_feedback import FormState, field_error, form_problems, form_state, save, save_changes
from ui.plain_text import md
from ui.plan_labels import status_text

FIELDS = (
    "code",
    "title",
    "axis_id",
    "lead",
    "starts_on",
    "due_on",
    "status",
    "progress",
    "budget",
    "partners",
    "objective",
    "last_comment",
    "vigilance",
)
# Wide enough for any plausible CTG; the core judges the dates themselves.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
PENDING_FICHE = "pending_fiche_id"


def budget_text(value: Decimal | None) -> str:
    return formats.number(value, 2) if value is not None else ""


def action_fields(
    state: FormState, name: str, shown: dict[str, Any], axes: list[AxisRef]
) -> dict[str, Any]:
    """The widgets of a fiche action, each followed by its error; returns the input."""
    key = lambda f: state.widget_key(name, f)  # noqa: E731
    axis_labels = {a.id: a.label for a in axes}
    if shown.get("axis_id") not in axis_labels and shown.get("axis_id") is not None:
        axis_labels[shown["axis_id"]] = f"Axe n° {shown['axis_id']}"
    values: dict[str, Any] = {}

    code_col, title_col = st.columns([1, 4])
    with code_col:
        values["code"] = st.text_input(
            "Code", value=shown["code"], key=key("code"), placeholder="PE-01"
        )
        field_error(state, "code")
    with title_col:
        values["title"] = st.text_input("Intitulé", value=shown["title"], key=key("title"))
        field_error(state, "title")

    axis_col, lead_col = st.columns(2)
    with axis_col:
        options = list(axis_labels)
        values["axis_id"] = st.selectbox(
            "Axe",
            options,
            index=options.index(shown["axis_id"]) if shown.get("axis_id") in options else 0,
            format_func=axis_labels.__getitem__,
            key=key("axis_id"),
            placeholder="Choisissez…",
        )
        field_error(state, "axis_id")
    with lead_col:
        values["lead"] = st.text_input(
            "Pilote", value=shown["lead"], key=key("lead"), help="Laisser vide : sans pilote."
        )
        field_error(state, "lead")

    start_col, due_col, status_col, progress_col = st.columns(4)
    with start_col:
        values["starts_on"] = st.date_input(
            "Début",
            value=shown["starts_on"],
            min_value=FIRST_DAY,
            max_value=LAST_DAY,
            format="DD/MM/YYYY",
            key=key("starts_on"),
        )
        field_error(state, "starts_on")
    with due_col:
        values["due_on"] = st.date_input(
            "Échéance",
            value=shown["due_on"],
            min_value=FIRST_DAY,
            max_value=LAST_DAY,
            format="DD/MM/YYYY",
            key=key("due_on"),
        )
        field_error(state, "due_on")
    with status_col:
        statuses = list(ActionStatus)
        values["status"] = st.selectbox(
            "Statut",
            statuses,
            index=statuses.index(ActionStatus(shown["status"])),
            format_func=status_text,
            key=key("status"),
            placeholder="Choisissez…",
        )
        field_error(state, "status")
    with progress_col:
        # Text read by the core's French number rule: « 40 % » is 40, 150 and « 42,5 » are
        # refused in French (a number box would drop the comma and read 425).
        values["progress"] = st.text_input(
            "Avancement (%)",
            value=str(shown["progress"]),
            key=key("progress"),
            placeholder="0 à 100",
        )
        field_error(state, "progress")

    budget_col, partners_col = st.columns([1, 3])
    with budget_col:
        raw_budget = st.text_input(
            "Budget (€)",
            value=budget_text(shown["budget"]),
            key=key("budget"),
            placeholder="12 500,00",
        )
        values["budget"] = raw_budget  # « 12 500,50 » is read by the core
        field_error(state, "budget")
    with partners_col:
        values["partners"] = st.text_input(
            "Partenaires", value=shown["partners"], key=key("partners")
        )
        field_error(state, "partners")

    values["objective"] = st.text_area(
        "Objectif", value=shown["objective"], key=key("objective"), height=90
    )
    field_error(state, "objective")
    values["last_comment"] = st.text_area(
        "Dernier commentaire", value=shown["last_comment"], key=key("last_comment"), height=90
    )
    field_error(state, "last_comment")
    values["vigilance"] = st.text_area(
        "Point de vigilance",
        value=shown["vigilance"],
        key=key("vigilance"),
        height=70,
        help="Laisser vide s'il n'y a pas de point d'attention.",
    )
    field_error(state, "vigilance")
    return values


def blank_action(axis_id: int | None) -> dict[str, Any]:
    return {
        "code": "",
        "title": "",
        "axis_id": axis_id,
        "lead": "",
        "starts_on": None,
        "due_on": None,
        "status": ActionStatus.a_venir,
        "progress": 0,
        "budget": None,
        "partners": "",
        "objective": "",
        "last_comment": "",
        "vigilance": "",
    }


def edit_action_form(detail: ActionDetail, axes: list[AxisRef], user: CurrentUser) -> None:
    """Edit every field of a fiche; only the fields changed are sent, with the version the
    form showed."""
    name = f"action-{detail.id}"
    state = form_state(name)
    state.start(detail.id, detail.form_values(), detail.version)
    assert state.shown is not None
    form_problems(state, FIELDS)
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = action_fields(state, name, state.defaults, axes)
        submitted = st.form_submit_button(
            "Enregistrer la fiche", type="primary", icon=":material/save:"
        )
    if not submitted:
        return
    change = changed_fields(plan_commands.ActionChange, values, state.shown)
    save_changes(
        lambda session: plan_commands.update_action(
            session, user, detail.id, state.seen_version or 0, change
        ),
        done=f"Fiche {detail.code} enregistrée.",
        state=state,
        change=change,
    )


def new_action_form(
    convention_id: int, axes: list[AxisRef], user: CurrentUser, axis_id: int | None
) -> None:
    name = f"new-action-{convention_id}"
    state = form_state(name)
    state.start(convention_id, blank_action(axis_id or (axes[0].id if axes else None)), None)
    assert state.shown is not None
    form_problems(state, FIELDS)
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        values = action_fields(state, name, state.shown, axes)
        submitted = st.form_submit_button("Créer la fiche", type="primary", icon=":material/add:")
    if not submitted:
        return

    def opened(action: Action) -> str:
        st.session_state[PENDING_FICHE] = action.id
        return f"Fiche {action.code} créée."

    save(
        lambda session: plan_commands.create_action(session, user, convention_id, values),
        done=opened,
        state=state,
    )


def archive_button(detail: ActionDetail, user: CurrentUser) -> None:
    """« Archiver la fiche… » asks for confirmation: archiving is the only way an action
    leaves the plan, and nothing is deleted."""
    key = f"archive-{detail.id}"
    st.button(
        "Archiver la fiche…",
        icon=":material/archive:",
        key="archive-fiche",
        on_click=ask,
        args=(key,),
    )
    confirmation(
        key,
        title="Archiver la fiche action",
        question=f"Archiver la fiche **{md(detail.code)} — {md(detail.title)}** ?",
        details=lambda: st.caption(
            "Elle quittera le plan d'actions, les synthèses et le calendrier, mais restera "
            "consultable avec son historique (option « Inclure les archivées »). "
            "Rien n'est supprimé."
        ),
        confirm_label="Archiver",
        icon=":material/archive:",
        write=lambda session: plan_commands.archive_action(
            session, user, detail.id, detail.version
        ),
        done=f"Fiche {detail.code} archivée.",
    )
