"""Vue d'ensemble — headline figures across the territories the user may read."""

from datetime import date

import streamlit as st

from ctg_core import db, formats, queries
from ui.auth import current_user

user = current_user()
today = date.today()

st.title("Vue d'ensemble des CTG")
with db.session() as session:
    totals = queries.totals(session, user, today)

cols = st.columns(4)
cols[0].metric("Conventions", formats.number(totals.conventions))
cols[1].metric("Conventions signées", formats.number(totals.signed))
cols[2].metric("Population couverte", formats.number(totals.population_covered))
cols[3].metric("Actions en retard", formats.number(totals.actions_late))
