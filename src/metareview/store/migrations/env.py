"""Alembic environment: runs on the connection :func:`metareview.store.migrate.upgrade_on` passes.

Alembic executes this file with its ``context`` set up; a plain import (e.g. by doctest
collection) finds no context and does nothing.
"""

from __future__ import annotations

from alembic import context

from metareview.store.schema import metadata


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:
    run_migrations()
