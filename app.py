"""CTG Pilotage — entry point: page config, sign-in, and the pages of the user's role."""

from pathlib import Path

import streamlit as st

from ui import boundary, navigation
from ui.auth import sign_in

boundary.install()  # every error of every page, fragment and callback is shown in French

st.set_page_config(
    page_title="CTG Pilotage",
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),  # no request leaves the app
    layout="wide",
    initial_sidebar_state="expanded",
)
# The pages are in French: screen readers read them with a French voice (Streamlit serves
# `lang="en"`). Constants only, no user text; the block itself takes no room on the page.
with st.container(key="page-lang"):
    st.html(
        '<style>[data-testid="stLayoutWrapper"]:has(> .st-key-page-lang) { display: none; }'
        "</style>"
        '<script>document.documentElement.lang = "fr";</script>',
        unsafe_allow_javascript=True,
    )

user = sign_in()
menu = navigation.menu_for(user)  # the role's pages in the menu; the others hidden, refused
navigation.run(st.navigation(menu.pages), menu, user)
