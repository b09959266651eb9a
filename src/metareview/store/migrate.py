"""Run the packaged Alembic migrations programmatically on a store's engine.

>>> from sqlalchemy import create_engine, inspect
>>> engine = create_engine("sqlite://")
>>> upgrade(engine)
>>> sorted(inspect(engine).get_table_names())  # doctest: +NORMALIZE_WHITESPACE
['accounts', 'alembic_version', 'analysis_plans', 'analysis_run_files', 'analysis_runs',
 'events', 'full_texts', 'imports', 'invitations', 'login_failures', 'record_embeddings',
 'records', 'sessions', 'study_events']
>>> current_revision(engine) == head_revision()
True
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

SCRIPT_LOCATION = "metareview.store:migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    """The newest schema revision this version of metareview knows."""
    return str(ScriptDirectory.from_config(_config()).get_current_head())


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database behind ``engine`` (``None`` if never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def known_revisions() -> set[str]:
    """Every schema revision this version of metareview ships."""
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` (default: the newest)."""
    with engine.begin() as connection:
        upgrade_on(connection, revision)


def upgrade_on(connection: Connection, revision: str = "head") -> None:
    """Migrate inside a transaction the caller holds (and commits)."""
    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
