"""The administrator's forms for users: add one, change their role, name and territories,
deactivate or reactivate them (after a confirmation). The rules — one account per
e-mail, the last administrator kept, a territory for the territorial roles — are the
core's (`people.commands`); their French refusals show under the fields."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ctg_core.common.auth import CurrentUser
from ctg_core.common.models import Role
from ctg_core.common.validation import changed_fields
from ctg_core.people import commands as people_commands
from ctg_core.people.queries import UserRecord
from ctg_core.plan.queries import Choice
from ui.confirm import ask, confirmation
from ui.form_feedback import FormState, field_error, form_problems, form_state, save, save_changes
from ui.plain_text import md

FIELDS = ("email", "name", "role", "territory_ids")
TERRITORIES_HELP = (
    "Pour un chargé de coopération ou un membre de comité : le ou les territoires dont il "
    "suit la CTG. Les rôles de la Caf voient tous les territoires (ce champ est alors ignoré)."
)


def _role_and_territories(
    state: FormState, name: str, shown: dict[str, Any], territories: list[Choice]
) -> dict[str, Any]:
    labels = {t.id: t.label for t in territories}
    roles = list(Role)
    values: dict[str, Any] = {}
    values["role"] = st.selectbox(
        "Rôle",
        roles,
        index=roles.index(Role(shown["role"])),
        format_func=lambda r: r.label,
        key=state.widget_key(name, "role"),
    )
    field_error(state, "role")
    values["territory_ids"] = st.multiselect(
        "Territoires",
        list(labels),
        default=[t for t in shown["territory_ids"] if t in labels],
        format_func=lambda ident: labels[ident],
        key=state.widget_key(name, "territory_ids"),
        placeholder="Choisissez un ou plusieurs territoires",
        help=TERRITORIES_HELP,
        select_all=False,
    )
    field_error(state, "territory_ids")
    return values


def new_user_form(admin: CurrentUser, territories: list[Choice]) -> None:
    """Add a user who will sign in with this e-mail."""
    state = form_state("new-user")
    shown = {"email": "", "name": "", "role": Role.coop_officer, "territory_ids": []}
    state.start("new", shown, None)
    form_problems(state, FIELDS)
    with st.form(f"new-user-{state.generation}", enter_to_submit=False):
        email_col, name_col = st.columns(2)
        with email_col:
            email = st.text_input(
                "E-mail",
                key=state.widget_key("new-user", "email"),
                max_chars=254,
                placeholder="prenom.nom@exemple.fr",
                help="L'adresse que le fournisseur d'identité transmet à la connexion.",
            )
            field_error(state, "email")
        with name_col:
            name = st.text_input(
                "Nom", key=state.widget_key("new-user", "name"), placeholder="Prénom Nom"
            )
            field_error(state, "name")
        values = {"email": email, "name": name}
        values |= _role_and_territories(state, "new-user", shown, territories)
        submitted = st.form_submit_button(
            "Ajouter l'utilisateur", type="primary", icon=":material/person_add:"
        )
    if submitted:
        save(
            lambda session: people_commands.add_user(session, admin, values),
            done=lambda row: f"{md(row.name)} peut maintenant se connecter.",
            state=state,
        )


def edit_user_form(admin: CurrentUser, record: UserRecord, territories: list[Choice]) -> None:
    """Change a user's name, role or territories (only the fields changed are sent)."""
    state = form_state("edit-user")
    shown = {
        "name": record.name,
        "role": record.role,
        "territory_ids": list(record.territory_ids),
    }
    state.start(record.id, shown, record.version)
    form_problems(state, FIELDS)
    with st.form(f"edit-user-{state.generation}", enter_to_submit=False):
        st.markdown(f"**E-mail** : {md(record.email)}")
        values = {
            "name": st.text_input(
                "Nom", value=state.defaults["name"], key=state.widget_key("edit-user", "name")
            )
        }
        field_error(state, "name")
        values |= _role_and_territories(state, "edit-user", state.defaults, territories)
        submitted = st.form_submit_button(
            "Enregistrer les modifications", type="primary", icon=":material/save:"
        )
    if not submitted:
        return
    change = changed_fields(people_commands.UserChange, values, state.shown or shown)
    if "territory_ids" in change and sorted(change["territory_ids"]) == sorted(
        shown["territory_ids"]
    ):
        change.pop("territory_ids")
    save_changes(
        lambda session: people_commands.change_user(
            session, admin, record.id, state.seen_version or record.version, change
        ),
        done=f"Modifications de {md(record.name)} enregistrées.",
        state=state,
        change=change,
    )


def access_switch(admin: CurrentUser, record: UserRecord) -> None:
    """Deactivate (or reactivate) the account, after a confirmation."""
    key = f"user-access-{record.id}"
    if record.is_active:
        st.button(
            "Désactiver le compte",
            icon=":material/person_off:",
            key=f"deactivate-{record.id}",
            on_click=ask,
            args=(key,),
        )
        confirmation(
            key,
            title="Désactiver le compte",
            question=(
                f"**{md(record.name)}** ne pourra plus se connecter, et ses pages ouvertes "
                "refuseront sa prochaine action. Ses modifications restent dans "
                "l'historique ; vous pourrez réactiver le compte."
            ),
            confirm_label="Désactiver",
            icon=":material/person_off:",
            write=lambda session: people_commands.deactivate_user(
                session, admin, record.id, record.version
            ),
            done=f"Le compte de {md(record.name)} est désactivé.",
        )
    else:
        st.button(
            "Réactiver le compte",
            icon=":material/person_check:",
            key=f"reactivate-{record.id}",
            on_click=ask,
            args=(key,),
        )
        confirmation(
            key,
            title="Réactiver le compte",
            question=(
                f"**{md(record.name)}** pourra de nouveau se connecter, avec le rôle et les "
                "territoires affichés."
            ),
            confirm_label="Réactiver",
            icon=":material/person_check:",
            write=lambda session: people_commands.reactivate_user(
                session, admin, record.id, record.version
            ),
            done=f"Le compte de {md(record.name)} est réactivé.",
        )
