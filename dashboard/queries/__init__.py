"""Read models and actions behind the dashboard pages: plain functions over the database.

Pages stay thin and call these; tests call them directly on SQLite and PostgreSQL.
"""
