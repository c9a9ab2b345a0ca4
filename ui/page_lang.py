"""`lang="fr"` on every page, so that screen readers read it with a French voice (Streamlit
serves `lang="en"`).

A script-only component: the overview's map is one too (`ui.leaflet_map`), so a browser's
first page loads no more code for it (an `st.html` block with a script used to bring in the
HTML element's code and its sanitizer before the map's). app.py draws it in a container
keyed `page-lang`, which its style hides.
"""

import streamlit as st

french_pages = st.components.v2.component(
    "ctg_page_lang",
    # (on several lines: Streamlit takes a one-line text with "[" or "/" for a file's path)
    css='[data-testid="stLayoutWrapper"]:has(> .st-key-page-lang) {\n  display: none;\n}',
    js='export default function () {\n  document.documentElement.lang = "fr";\n}',
    isolate_styles=False,  # the style hides the block that holds the component
)
