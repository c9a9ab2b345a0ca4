"""CTG Pilotage — entry point: page config, sign-in, and the pages of the user's role."""

from pathlib import Path

import streamlit as st

from ui import boundary, first_paint, navigation
from ui.auth import persona_picker, sign_in
from ui.page_lang import french_pages

boundary.install()  # every error of every page, fragment and callback is shown in French

st.set_page_config(
    page_title="CTG Pilotage",
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),  # no request leaves the app
    layout="wide",
    initial_sidebar_state="auto",
)
with st.container(key="page-lang"):  # takes no room on the page
    french_pages(key="page-lang-script")

user = sign_in()
menu = navigation.menu_for(user)  # the role's pages in the menu; the others hidden, refused
page = st.navigation(menu.pages)
if not first_paint.light_pass(menu.ids.get(id(page))):
    persona_picker()  # mode démonstration only
navigation.run(page, menu, user)
