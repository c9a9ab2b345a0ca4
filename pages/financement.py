"""Financement des postes — page en construction."""

import streamlit as st

st.title("Financement des postes")
st.info("Cette page arrive dans une prochaine version.", icon=":material/construction:")
