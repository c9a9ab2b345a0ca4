"""Streamlit helpers shared by app.py and the pages (UI only: no SQL, no rules)."""
