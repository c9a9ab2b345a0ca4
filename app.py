"""CTG Pilotage — entry point: page config, sign-in, and the explicit list of pages."""

from pathlib import Path

import streamlit as st

from ui import boundary
from ui.auth import sign_in

boundary.install()  # every error of every page, fragment and callback is shown in French

st.set_page_config(
    page_title="CTG Pilotage",
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),  # no request leaves the app
    layout="wide",
    initial_sidebar_state="expanded",
)

user = sign_in()

PAGES = [
    st.Page("pages/vue_ensemble.py", title="Vue d'ensemble", icon=":material/map:", default=True),
    st.Page(
        "pages/convention.py",
        title="Convention",
        icon=":material/description:",
        url_path="convention",
    ),
    st.Page("pages/comite.py", title="Comité", icon=":material/groups:", url_path="comite"),
    st.Page(
        "pages/mes_actions.py",
        title="Mes actions",
        icon=":material/edit_note:",
        url_path="mes-actions",
    ),
    st.Page(
        "pages/indicateurs.py",
        title="Indicateurs",
        icon=":material/monitoring:",
        url_path="indicateurs",
    ),
    st.Page(
        "pages/financement.py",
        title="Financement des postes",
        icon=":material/euro:",
        url_path="financement",
    ),
    st.Page(
        "pages/administration.py",
        title="Administration",
        icon=":material/settings:",
        url_path="administration",
    ),
]

st.navigation(PAGES).run()
