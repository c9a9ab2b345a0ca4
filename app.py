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

user = sign_in()
menu = navigation.menu_for(user)  # the role's pages in the menu; the others hidden, refused
navigation.run(st.navigation(menu.pages), menu, user)
