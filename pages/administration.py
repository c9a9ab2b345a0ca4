"""Administration — the people who use the app (add, change role and territories,
deactivate, reactivate: never delete) and the reference tables (the thématiques of the plans
d'actions), for the Caf's application owner only."""

from __future__ import annotations

import streamlit as st

from ctg_core.common import config, db
from ctg_core.people import queries as people
from ctg_core.plan import commands as plan_commands
from ctg_core.plan import queries as plan_queries
from ui.auth import current_user
from ui.convention_header import territory_choices
from ui.form_feedback import field_error, form_problems, form_state, save, show_flash
from ui.plain_text import md
from ui.user_form import access_switch, edit_user_form, new_user_form

USER_PICKER = "admin-user"

user = current_user()  # refuses every role but the administrator (common.auth.PAGE_ROLES)
show_flash()
st.title("Administration")


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


st.header("Utilisateurs")
st.caption(
    "Chaque personne se connecte avec l'adresse e-mail que transmet le fournisseur "
    "d'identité ; son rôle et ses territoires décident de ce qu'elle voit et modifie. Un "
    "compte n'est jamais supprimé : il est désactivé, et l'historique garde son nom."
)
with db.session() as session:
    records = people.users(session, user)
by_id = {r.id: r for r in records}
st.dataframe(
    [
        {
            "Nom": r.name,
            "E-mail": r.email,
            "Rôle": r.role.label,
            "Territoires": ", ".join(r.territories) or "—",
            "État": "Actif" if r.is_active else "Désactivé",
            "Profil": "Démonstration" if r.is_demo else "",
        }
        for r in records
    ],
    key="users_table",
    hide_index=True,
    column_config={"Territoires": st.column_config.TextColumn("Territoires", width="large")},
)
territories = territory_choices(config.database_url())
adding = form_state("new-user")
with st.expander(
    "Ajouter un utilisateur",
    icon=":material/person_add:",
    expanded=bool(adding.errors or adding.problem),
):
    new_user_form(user, territories)

st.subheader("Modifier un utilisateur")
chosen = st.selectbox(
    "Utilisateur",
    list(by_id),
    index=None,
    format_func=lambda ident: by_id[ident].label,
    key=USER_PICKER,
    placeholder=f"Choisissez parmi {len(by_id)} utilisateur(s)",
)
if chosen in by_id:
    record = by_id[chosen]
    edit_user_form(user, record, territories)
    access_switch(user, record)

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
