"""The project store: a review's records and its append-only log of decisions.

One SQLite file by default (WAL journal), or PostgreSQL by URL
(``postgresql+psycopg://user@host/db``); the schema is created and migrated by the Alembic
migrations shipped in :mod:`metareview.store.migrations`.
"""

from metareview.store.project import ImportBatch, Project, project_url

__all__ = ["ImportBatch", "Project", "project_url"]
