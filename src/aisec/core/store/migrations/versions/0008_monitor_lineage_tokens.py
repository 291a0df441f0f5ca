"""Training-data lineage of registry versions, and the gateway's JWT deny list.

Revision ID: 0008_monitor_lineage_tokens
Revises: 0007_monitor
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_monitor_lineage_tokens"
down_revision = "0007_monitor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_training_data",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("version", sa.String(200), primary_key=True),
        sa.Column("dataset_id", sa.String(100), primary_key=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_registry_training_data_dataset_id", "registry_training_data", ["dataset_id"]
    )
    op.create_table(
        "token_denials",
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("value", sa.String(300), primary_key=True),
        sa.Column("not_before", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("token_denials")
    op.drop_index("ix_registry_training_data_dataset_id", "registry_training_data")
    op.drop_table("registry_training_data")
