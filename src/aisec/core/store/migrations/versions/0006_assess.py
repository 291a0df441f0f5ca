"""Assessment runs: one row per `aisec assess`, so a later run can say what changed.

Revision ID: 0006_assess
Revises: 0005_data_ledger
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_assess"
down_revision = "0005_data_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assess_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("root_key", sa.String(64), nullable=False),
        sa.Column("root", sa.String(2000), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
    )
    op.create_index("ix_assess_runs_root_key", "assess_runs", ["root_key"])


def downgrade() -> None:
    op.drop_index("ix_assess_runs_root_key", "assess_runs")
    op.drop_table("assess_runs")
