"""Streamlit page scripts (run by ``st.navigation`` from dashboard/app.py, never imported)."""
