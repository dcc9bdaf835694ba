"""Streamlit page scripts, run only by ``st.navigation`` from dashboard/app.py (never imported).

Not named ``pages/``: Streamlit would treat that folder as a multipage app of its own and could run
a page script without app.py's login and routing.
"""
