"""Model registry: models, immutable versions, stage pointers and their history.

Revision ID: 0004_registry
Revises: 0003_api_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_registry"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "registry_models",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "registry_versions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(128), sa.ForeignKey("registry_models.name"), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("manifest_digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("scan_verdict", sa.String(20), nullable=False),
        sa.Column("scan_summary", sa.Text(), nullable=False),
        sa.Column("signer", sa.String(500), nullable=True),
        sa.Column("signature_method", sa.String(50), nullable=True),
        sa.Column("signature_blob", sa.String(64), nullable=True),
        sa.Column("pushed_by", sa.String(200), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quarantined", sa.Boolean(), nullable=False),
        sa.Column("quarantine_reason", sa.Text(), nullable=True),
        sa.Column("quarantined_by", sa.String(200), nullable=True),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("model", "version"),
    )
    op.create_table(
        "registry_stages",
        sa.Column("model", sa.String(128), sa.ForeignKey("registry_models.name"), primary_key=True),
        sa.Column("stage", sa.String(20), primary_key=True),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "registry_stage_history",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("previous", sa.String(128), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("gate_passed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_registry_stage_history_model_stage", "registry_stage_history", ["model", "stage"]
    )


def downgrade() -> None:
    op.drop_index("ix_registry_stage_history_model_stage", "registry_stage_history")
    op.drop_table("registry_stage_history")
    op.drop_table("registry_stages")
    op.drop_table("registry_versions")
    op.drop_table("registry_models")
