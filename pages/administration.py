"""Administration — page en construction."""

import streamlit as st

st.title("Administration")
st.info("Cette page arrive dans une prochaine version.", icon=":material/construction:")
