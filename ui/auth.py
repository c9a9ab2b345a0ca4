"""Sign-in: OpenID Connect through `st.login` when configured, else the mode démonstration.

Every run re-reads the signed-in user from the database (app.py's `sign_in`, then the
page's `current_user`): a user deactivated by the administrator is refused at their next
page as at their next action, and a changed role or scope applies at once. In production
(`CTG_ENV=production`) the app refuses to open without an identity provider.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from ctg_core.common import auth, db, settings
from ctg_core.common.auth import AccountDisabled, CurrentUser
from ctg_core.people import access
from ctg_core.people.access import SignInRefused
from ui import navigation
from ui.plain_text import md

PERSONA_KEY = "persona_id"
USER_KEY = "current_user"
PERSONA_LABELS_KEY = "persona_labels"  # the profiles' labels, read by `_demo_user`
SIGNED_IN_KEY = "signed_in_email"  # whose sign-in this browser session already recorded


def auth_configured() -> bool:
    """True when `.streamlit/secrets.toml` holds an `[auth]` section for `st.login`."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sign_in() -> CurrentUser:
    """The current user as stored now, or stop the script after showing why not: a
    production server without sign-in, nobody signed in, a refused or deactivated account."""
    configured = auth_configured()
    refusal = access.startup_refusal(configured)
    if refusal:
        st.title("CTG Pilotage")
        st.error(md(refusal), icon=":material/block:")
        _stop()
    user = _oidc_user() if configured else _demo_user()
    st.session_state[USER_KEY] = user
    return user


def current_user() -> CurrentUser:
    """The signed-in user, re-read now; every page calls this first. A page the user's
    role may not open stops here with a French refusal (none of its content is drawn)."""
    _run_through_entrypoint()
    user = st.session_state.get(USER_KEY)
    user = sign_in() if user is None else _still_allowed(user)
    page_id = _calling_page()
    if page_id in navigation.SPECS and not auth.can_open(user.role, page_id):
        navigation.refuse_page(user, page_id)
    return user


def _stop() -> None:
    """Stop at the door: nobody is let in this run, so no menu either."""
    navigation.no_menu()
    st.stop()


def _calling_page() -> str:
    """The id of the page file that called `current_user` (« administration » for
    pages/administration.py), whether app.py's navigation ran it or not."""
    caller = Path(str(sys._getframe(2).f_globals.get("__file__", "")))
    return caller.stem if caller.parent.name == "pages" else ""


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


def _still_allowed(user: CurrentUser) -> CurrentUser:
    try:
        with db.session() as session:
            user = access.still_allowed(session, user)
    except AccountDisabled:
        _refuse_disabled(user)
    st.session_state[USER_KEY] = user
    return user


def _refuse_disabled(user: CurrentUser) -> None:
    st.title("CTG Pilotage")
    st.error(
        f"Le compte de {md(user.name)} a été désactivé : l'accès à CTG Pilotage est fermé. "
        "Contactez l'administrateur de la Caf si c'est une erreur.",
        icon=":material/block:",
    )
    navigation.record_once(
        ("disabled", user.id),
        lambda session: access.record_refusal(
            session, user=user, refused="Accès refusé : compte désactivé"
        ),
    )
    if auth_configured():
        st.button("Se déconnecter", on_click=_sign_out)
    st.stop()


# --- OpenID Connect -------------------------------------------------------------------------


def _oidc_user() -> CurrentUser:
    if not st.user.is_logged_in:
        st.title("CTG Pilotage")
        st.write("Connectez-vous avec votre compte professionnel pour accéder au tableau de bord.")
        st.button("Se connecter", on_click=st.login, type="primary")
        _stop()
    email = str(st.user.get("email") or "")
    try:
        with db.session() as session:
            user = access.account_for(session, email, email_verified=st.user.get("email_verified"))
    except SignInRefused as refusal:
        _refuse_sign_in(email, refusal)
    if st.session_state.get(SIGNED_IN_KEY) != user.email:
        with db.session(write=True) as session:
            access.record_sign_in(session, user)
        st.session_state[SIGNED_IN_KEY] = user.email
    with st.sidebar:
        st.caption(f"Connecté : {md(user.name)} · {user.role.label}")
        st.button("Se déconnecter", on_click=_sign_out)
    return user


def _refuse_sign_in(email: str, refusal: SignInRefused) -> None:
    st.title("CTG Pilotage")
    st.error(md(refusal.message), icon=":material/block:")
    navigation.record_once(
        ("sign_in", email, refusal.logged),
        lambda session: access.record_refusal(
            session, user=refusal.account, email=email, refused=refusal.logged
        ),
    )
    st.button("Se déconnecter", on_click=_sign_out)
    _stop()


def _sign_out() -> None:
    for key in (USER_KEY, SIGNED_IN_KEY, navigation.REFUSALS_KEY):
        st.session_state.pop(key, None)
    st.logout()


# --- mode démonstration ---------------------------------------------------------------------


def persona_picker() -> None:
    """The mode démonstration's list of profiles, in the sidebar (app.py draws it after the
    menu, except in a light first pass: `ui.first_paint`); nothing when sign-in is
    configured."""
    labels: dict[int, str] | None = st.session_state.get(PERSONA_LABELS_KEY)
    if labels is None or auth_configured():
        return
    with st.sidebar:
        st.selectbox(
            "Profil de démonstration",
            options=list(labels),
            format_func=labels.__getitem__,
            key=PERSONA_KEY,
            placeholder="Choisissez un profil",
            help="Mode démonstration : choisissez un rôle pour voir ce qu'il peut faire.",
        )


def _demo_user() -> CurrentUser:
    with db.session() as session:
        personas = auth.demo_personas(session)
        demo_data = settings.holds_demo_data(session)
        missing = PERSONA_KEY not in st.session_state
        chosen = st.session_state.get(PERSONA_KEY)
        disabled = chosen is not None and access.is_deactivated(session, chosen)
    if not personas:
        st.error(
            "Aucun utilisateur n'est configuré. Lancez `make run` (qui charge la démonstration) "
            "ou configurez la connexion OpenID Connect."
        )
        _stop()
    by_id = {p.id: p for p in personas}
    if disabled:  # this browser's persona was deactivated: refused until another is chosen
        st.session_state[PERSONA_KEY] = None
    elif missing or (chosen is not None and chosen not in by_id):
        st.session_state[PERSONA_KEY] = personas[0].id
    else:  # kept even in a run that does not draw the list (a light first pass)
        st.session_state[PERSONA_KEY] = chosen
    st.session_state[PERSONA_LABELS_KEY] = {p.id: f"{p.role.label} — {p.name}" for p in personas}
    notice = "**Mode démonstration** — aucune connexion n'est configurée."
    if demo_data:
        notice += (
            " Conventions, actions, personnes et montants sont **fictifs** ;"
            " les territoires sont réels."
        )
    with st.container(key="demo-banner"):  # the presenter draws it as one thin line
        st.info(notice, icon=":material/science:")
    if st.session_state[PERSONA_KEY] is None:
        persona_picker()
        st.title("CTG Pilotage")
        st.error(
            "Ce profil de démonstration a été désactivé par l'administrateur : choisissez-en "
            "un autre dans la barre latérale.",
            icon=":material/block:",
        )
        _stop()
    return by_id[st.session_state[PERSONA_KEY]]
