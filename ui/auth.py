"""Sign-in: OpenID Connect through `st.login` when configured, else the mode démonstration."""

from __future__ import annotations

import streamlit as st

from ctg_core.common import auth, db, settings
from ctg_core.common.auth import CurrentUser
from ui.plain_text import md

PERSONA_KEY = "persona_id"
USER_KEY = "current_user"


def auth_configured() -> bool:
    """True when `.streamlit/secrets.toml` holds an `[auth]` section for `st.login`."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sign_in() -> CurrentUser:
    """The current user, or stop the script after showing how to sign in."""
    user = _oidc_user() if auth_configured() else _demo_user()
    st.session_state[USER_KEY] = user
    return user


def current_user() -> CurrentUser:
    """The user signed in by app.py; every page calls this first."""
    _run_through_entrypoint()
    user = st.session_state.get(USER_KEY)
    if user is None:  # a page run on its own (tests): sign in the same way as app.py
        user = sign_in()
    return user


def _run_through_entrypoint() -> None:
    """Make sure app.py (page config, sign-in, st.navigation) ran before this page.

    Because the pages live in `pages/`, Streamlit starts each new server process in its
    legacy multipage mode until some run calls `st.navigation`: a deep link such as
    `/convention?convention=12` opened first would run the page file alone. Leaving that mode
    and rerunning sends the same URL through app.py, which selects the same page (v1 and v2
    page ids are both derived from the URL path).
    """
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager

    # AppTest resets this flag before every run, so there the check would fire each time.
    if PagesManager.uses_pages_directory and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()


def _oidc_user() -> CurrentUser:
    if not st.user.is_logged_in:
        st.title("CTG Pilotage")
        st.write("Connectez-vous avec votre compte professionnel pour accéder au tableau de bord.")
        st.button("Se connecter", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email", ""))
    if st.user.get("email_verified") is False:
        st.error(
            f"L'adresse {md(email)} n'est pas vérifiée par votre fournisseur d'identité : "
            "l'accès est refusé."
        )
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    with db.session() as session:
        user = auth.user_by_email(session, email)
    if user is None:
        st.error(
            f"Le compte {md(email)} n'a pas encore accès à CTG Pilotage. "
            "Demandez à l'administrateur de la Caf de vous ajouter."
        )
        st.button("Se déconnecter", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.caption(f"Connecté : {md(user.name)} · {user.role.label}")
        st.button("Se déconnecter", on_click=st.logout)
    return user


def _demo_user() -> CurrentUser:
    with db.session() as session:
        personas = auth.demo_personas(session)
        demo_data = settings.holds_demo_data(session)
    if not personas:
        st.error(
            "Aucun utilisateur n'est configuré. Lancez `make run` (qui charge la démonstration) "
            "ou configurez la connexion OpenID Connect."
        )
        st.stop()
    by_id = {p.id: p for p in personas}
    if st.session_state.get(PERSONA_KEY) not in by_id:
        st.session_state[PERSONA_KEY] = personas[0].id
    with st.sidebar:
        st.selectbox(
            "Profil de démonstration",
            options=list(by_id),
            format_func=lambda pid: f"{by_id[pid].role.label} — {by_id[pid].name}",
            key=PERSONA_KEY,
            help="Mode démonstration : choisissez un rôle pour voir ce qu'il peut faire.",
        )
    notice = "**Mode démonstration** — aucune connexion n'est configurée."
    if demo_data:
        notice += (
            " Conventions, actions, personnes et montants sont **fictifs** ;"
            " les territoires sont réels."
        )
    st.info(notice, icon=":material/science:")
    return by_id[st.session_state[PERSONA_KEY]]
