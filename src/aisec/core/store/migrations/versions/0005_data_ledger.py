"""Data provenance ledger: signed records of data sets (content digest, source, transform,
actor, parent), their approval and their quarantine.

Revision ID: 0005_data_ledger
Revises: 0004_registry
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_data_ledger"
down_revision = "0004_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_records",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("parent", sa.String(40), nullable=True),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("tree", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("transform", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_at", sa.String(40), nullable=True),
        sa.Column("quarantined_by", sa.String(200), nullable=True),
        sa.Column("quarantined_at", sa.String(40), nullable=True),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        sa.Column("state_seq", sa.Integer(), nullable=False),
        sa.Column("state_signature", sa.Text(), nullable=False),
    )
    op.create_index("ix_data_records_digest", "data_records", ["digest"])
    op.create_index("ix_data_records_parent", "data_records", ["parent"])


def downgrade() -> None:
    op.drop_index("ix_data_records_parent", "data_records")
    op.drop_index("ix_data_records_digest", "data_records")
    op.drop_table("data_records")
