"""Administration — reference tables (the thématiques of the plans d'actions) and the list of
users, for the Caf's application owner only."""

from __future__ import annotations

import streamlit as st

from ctg_core.common import db
from ctg_core.people import queries as people
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from ui.auth import current_user
from ui.form_feedback import field_error, form_problems, form_state, save, show_flash
from ui.plain_text import md

user = current_user()
show_flash()
st.title("Administration")

if not user.is_admin:
    st.warning(
        "Cette page est réservée à l'administrateur de l'application. Pour ajouter une "
        "thématique ou un utilisateur, adressez-vous à l'administrateur de la Caf.",
        icon=":material/lock:",
    )
    st.stop()


def new_axis_form() -> None:
    """Add a thématique; the core refuses a code or label already taken."""
    state = form_state("new-axis")
    state.start("new", {"code": "", "label": ""}, None)
    form_problems(state, ("code", "label"))
    with st.form(f"new-axis-{state.generation}", enter_to_submit=False):
        code_col, label_col = st.columns([1, 3])
        with code_col:
            code = st.text_input(
                "Code",
                key=state.widget_key("new-axis", "code"),
                max_chars=8,
                placeholder="SEN",
                help="Préfixe des codes des fiches actions (SEN-01…), 8 caractères au plus.",
            )
            field_error(state, "code")
        with label_col:
            label = st.text_input(
                "Libellé",
                key=state.widget_key("new-axis", "label"),
                placeholder="Seniors et solidarités intergénérationnelles",
            )
            field_error(state, "label")
        submitted = st.form_submit_button(
            "Ajouter la thématique", type="primary", icon=":material/add:"
        )
    if not submitted:
        return
    save(
        lambda session: plan_commands.add_axis(session, user, {"code": code, "label": label}),
        done=lambda axis: f"Thématique « {md(axis.label)} » ajoutée.",
        state=state,
    )


st.header("Thématiques des plans d'actions")
st.caption(
    "Chaque fiche action relève d'une thématique (axe). Les sept thématiques de la CTG "
    "sont fournies ; vous pouvez en ajouter. Une thématique n'est jamais supprimée."
)
with db.session() as session:
    axes = plan_queries.axes_with_usage(session)
st.dataframe(
    axes.assign(archived=axes["archived"].map({True: "Archivée", False: "Active"})),
    key="axes_table",
    hide_index=True,
    column_order=["position", "code", "label", "actions", "archived"],
    column_config={
        "position": st.column_config.NumberColumn("Ordre", width="small"),
        "code": st.column_config.TextColumn("Code", width="small"),
        "label": st.column_config.TextColumn("Libellé", width="large"),
        "actions": st.column_config.NumberColumn("Fiches actions"),
        "archived": st.column_config.TextColumn("État"),
    },
)
creating = form_state("new-axis")
with st.expander(
    "Ajouter une thématique",
    icon=":material/add_circle:",
    expanded=bool(creating.errors or creating.problem),
):
    new_axis_form()

st.header("Utilisateurs")
st.caption("Lecture seule. Les comptes sont reconnus par leur adresse e-mail lors de la connexion.")
with db.session() as session:
    users = people.user_directory(session, user)
st.dataframe(
    users.assign(
        active=users["active"].map({True: "Oui", False: "Non"}),
        demo=users["demo"].map({True: "Démonstration", False: ""}),
    ),
    key="users_table",
    hide_index=True,
    column_config={
        "name": st.column_config.TextColumn("Nom"),
        "email": st.column_config.TextColumn("E-mail"),
        "role": st.column_config.TextColumn("Rôle"),
        "territories": st.column_config.TextColumn("Territoires", width="large"),
        "active": st.column_config.TextColumn("Actif", width="small"),
        "demo": st.column_config.TextColumn("Profil", width="small"),
    },
)
