"""Keyring metadata: named keys and their versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("backend_ref", sa.String(2000), nullable=False),
        sa.Column("primary_version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
    )
    op.create_table(
        "key_versions",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("key_name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tink_key_id", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.UniqueConstraint("key_name", "version"),
    )
    op.create_index("ix_key_versions_key_name", "key_versions", ["key_name"])


def downgrade() -> None:
    op.drop_index("ix_key_versions_key_name", "key_versions")
    op.drop_table("key_versions")
    op.drop_table("keys")
