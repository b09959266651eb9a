"""The PRISMA counts a run drew, kept as one of its inputs.

``analysis_runs`` gains ``prisma_csv`` (the project's PRISMA 2020 counts the run's flow
diagram was drawn from, as the CSV text the run wrote to ``prisma.csv``) and
``prisma_sha256`` (its SHA-256), beside the plan's, the extraction table's and the
risk-of-bias table's. Both are empty when a run drew no diagram, as they are for every run
made before this revision: which counts those drew is kept only in their files
(``inputs/prisma.csv``, when they drew one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

TABLE = "analysis_runs"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("prisma_csv", sa.Text, nullable=False, server_default=""))
    op.add_column(
        TABLE, sa.Column("prisma_sha256", sa.String(64), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column(TABLE, "prisma_sha256")
    op.drop_column(TABLE, "prisma_csv")
