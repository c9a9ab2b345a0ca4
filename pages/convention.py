"""Convention — page en construction."""

import streamlit as st

st.title("Convention")
st.info("Cette page arrive dans une prochaine version.", icon=":material/construction:")
