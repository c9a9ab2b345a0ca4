"""Mes actions — page en construction."""

import streamlit as st

st.title("Mes actions")
st.info("Cette page arrive dans une prochaine version.", icon=":material/construction:")
