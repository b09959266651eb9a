"""The analysis in the workspace: the plan's versions, the runs and the files they wrote.

``analysis_plans`` is append-only (the same triggers as the logs refuse updates, deletes and
overwriting inserts). ``analysis_runs`` rows change while a run runs (its progress, then its
end); a partial unique index allows one ``running`` row at a time, so two runs of one review
never run at once, whichever process starts them. ``analysis_run_files`` holds a run's report,
``results.json``, figures and tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from metareview.store.migrations.append_only import refuse_changes

revision = "0007"
down_revision = "0006"

PLANS = "analysis_plans"


def upgrade() -> None:
    op.create_table(
        PLANS,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("saved_by", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "analysis_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_by", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("plan_text", sa.Text, nullable=False),
        sa.Column("plan_sha256", sa.String(64), nullable=False),
        sa.Column("extraction_csv", sa.Text, nullable=False),
        sa.Column("extraction_sha256", sa.String(64), nullable=False),
        sa.Column("rob_csv", sa.Text, nullable=False),
        sa.Column("rob_sha256", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_analysis_runs_one_running",
        "analysis_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "analysis_run_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_runs.id"), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ix_analysis_run_files_path", "analysis_run_files", ["run_id", "path"], unique=True
    )
    for statement in refuse_changes(PLANS, op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("analysis_run_files")
    op.drop_table("analysis_runs")
    op.drop_table(PLANS)
