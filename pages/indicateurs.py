"""Indicateurs — page en construction."""

import streamlit as st

st.title("Indicateurs")
st.info("Cette page arrive dans une prochaine version.", icon=":material/construction:")
