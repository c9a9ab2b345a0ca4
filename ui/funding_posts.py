"""Cooperation posts and their holders: who holds each post (a post can be shared), the
years it has a line for; for the Caf, the forms to create a post, add or end a holder and
open a year's line. Each form calls one command; the core checks everything."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ctg_core.common import db, formats
from ctg_core.common.auth import CurrentUser
from ctg_core.funding import commands as funding
from ctg_core.funding import queries as funding_queries
from ctg_core.funding.queries import PostView
from ui.form_feedback import FormState, field_error, form_problems, form_state, save
from ui.funding_cycle import day_input
from ui.plain_text import md

HOLDER_FIELDS = ("name", "email", "fte", "starts_on", "ends_on")


def posts_section(posts: list[PostView], user: CurrentUser, today: date) -> None:
    if posts:
        by_id = {p.id: p for p in posts}
        post_id = st.selectbox(
            "Poste",
            list(by_id),
            format_func=lambda i: by_id[i].territory,
            key="funding_post",
        )
        post = by_id[post_id]
        show_post(post, today)
        if user.decides_funding:
            open_line_form(post, user, today)
            holder_forms(post, user)
    else:
        st.info("Aucun poste de chargé de coopération n'est visible.", icon=":material/info:")
    if user.decides_funding:
        with st.expander("Créer un poste", icon=":material/add_circle:"):
            new_post_form(user, today)


def show_post(post: PostView, today: date) -> None:
    fte, months = post.coverage(today.year)
    years = ", ".join(str(y) for y in post.years) or "aucune"
    st.caption(
        f"{md(post.territory)} · en {today.year} : {formats.number(fte, 2)} ETP sur "
        f"{months} mois · années financées : {years}"
    )
    frame = pd.DataFrame(
        {
            "Titulaire": [h.name for h in post.holders],
            "E-mail": [h.email for h in post.holders],
            "ETP": [formats.number(h.fte, 2) for h in post.holders],
            "Début": [formats.day(h.starts_on) for h in post.holders],
            "Fin": [formats.day(h.ends_on) for h in post.holders],
            "En poste": ["Oui" if h.in_post(today) else "Non" for h in post.holders],
        }
    )
    st.dataframe(frame, hide_index=True, key=f"holders-{post.id}")


def open_line_form(post: PostView, user: CurrentUser, today: date) -> None:
    candidates = [y for y in (today.year + 1, today.year, today.year - 1) if y not in post.years]
    if not candidates:
        return
    name = f"open-line-{post.id}"
    state = form_state(name)
    state.start((post.id, post.years), {}, None)
    form_problems(state, ("year", "fte", "months"))
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        year = st.selectbox(
            "Ouvrir le financement de l'année",
            candidates,
            key=state.widget_key(name, "year"),
            format_func=lambda y: _coverage_label(post, y),
        )
        field_error(state, "year")
        submitted = st.form_submit_button("Ouvrir l'année", icon=":material/playlist_add:")
    if submitted:
        save(
            lambda session: funding.open_line(session, user, post.id, {"year": year}),
            done=f"Financement {year} ouvert pour {post.territory}.",
            state=state,
        )


def _coverage_label(post: PostView, year: int) -> str:
    fte, months = post.coverage(year)
    if not months:
        return f"{year} (aucun titulaire cette année)"
    return f"{year} ({formats.number(fte, 2)} ETP sur {months} mois, selon les titulaires)"


def holder_fields(state: FormState, name: str) -> dict[str, object]:
    values: dict[str, object] = {}
    left, right = st.columns(2)
    with left:
        values["name"] = st.text_input("Nom", key=state.widget_key(name, "name"))
        field_error(state, "name")
    with right:
        values["email"] = st.text_input(
            "E-mail", key=state.widget_key(name, "email"), placeholder="nom@territoire.fr"
        )
        field_error(state, "email")
    fte_col, start_col, end_col = st.columns(3)
    with fte_col:
        values["fte"] = st.text_input(
            "ETP", key=state.widget_key(name, "fte"), placeholder="0,8", help="De 0,01 à 1."
        )
        field_error(state, "fte")
    with start_col:
        values["starts_on"] = day_input(state, name, "starts_on", "Début")
    with end_col:
        values["ends_on"] = day_input(state, name, "ends_on", "Fin (si connue)", optional=True)
    return values


def holder_forms(post: PostView, user: CurrentUser) -> None:
    with st.expander(
        "Ajouter un titulaire (poste partagé ou successeur)", icon=":material/person_add:"
    ):
        name = f"add-holder-{post.id}"
        state = form_state(name)
        state.start((post.id, post.version), {}, post.version)
        form_problems(state, HOLDER_FIELDS)
        with st.form(f"{name}-{state.generation}", enter_to_submit=False):
            values = holder_fields(state, name)
            submitted = st.form_submit_button("Ajouter le titulaire", type="primary")
        if submitted:
            save(
                lambda session: funding.add_holder(session, user, post.id, post.version, values),
                done=f"Titulaire ajouté au poste de {post.territory}.",
                state=state,
            )
    current = [h for h in post.holders if h.ends_on is None]
    if not current:
        return
    with st.expander("Fin de fonction d'un titulaire", icon=":material/person_remove:"):
        name = f"end-holder-{post.id}"
        state = form_state(name)
        state.start((post.id, tuple(h.version for h in current)), {}, None)
        form_problems(state, ("ends_on",))
        by_id = {h.id: h for h in current}
        with st.form(f"{name}-{state.generation}", enter_to_submit=False):
            holder_id = st.selectbox(
                "Titulaire",
                list(by_id),
                format_func=lambda i: by_id[i].name,
                key=state.widget_key(name, "holder"),
            )
            ends_on = day_input(state, name, "ends_on", "Fin de fonction le")
            submitted = st.form_submit_button("Enregistrer la fin de fonction")
        if submitted:
            holder = by_id[holder_id]
            save(
                lambda session: funding.update_holder(
                    session, user, holder.id, holder.version, {"ends_on": ends_on}
                ),
                done=f"Fin de fonction de {holder.name} enregistrée.",
                state=state,
            )


def new_post_form(user: CurrentUser, today: date) -> None:
    with db.session() as session:
        options = funding_queries.territories_without_post(session, today)
    if not options:
        st.caption("Chaque territoire a déjà un poste en cours.")
        return
    name = "new-post"
    state = form_state(name)
    state.start("new", {}, None)
    form_problems(state, ("territory_id", *HOLDER_FIELDS))
    by_id = {t.id: t.name for t in options}
    with st.form(f"{name}-{state.generation}", enter_to_submit=False):
        territory_id = st.selectbox(
            "Territoire",
            list(by_id),
            format_func=by_id.__getitem__,
            key=state.widget_key(name, "territory_id"),
        )
        field_error(state, "territory_id")
        st.caption("Premier titulaire du poste :")
        values = holder_fields(state, name)
        submitted = st.form_submit_button("Créer le poste", type="primary", icon=":material/add:")
    if submitted:
        save(
            lambda session: funding.create_post(
                session, user, {"territory_id": territory_id, **values}
            ),
            done=f"Poste créé pour {by_id.get(territory_id, '')}.",
            state=state,
        )
