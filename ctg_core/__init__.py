"""CTG Pilotage domain core: models, services, queries. Knows nothing of Streamlit."""
