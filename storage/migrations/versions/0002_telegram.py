"""group bindings, pending warnings and member refs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("bound_at", sa.DateTime(), nullable=True),
        sa.Column("bound_by", sa.String(length=200), nullable=True),
        sa.Column("moderator_address", sa.String(length=200), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=True),
        sa.Column("mode_set_by", sa.String(length=200), nullable=True),
        sa.Column("mode_set_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_bindings")),
        sa.UniqueConstraint("platform", "chat_id", name=op.f("uq_group_bindings_platform")),
    )
    op.create_table(
        "pending_warnings",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("group_id", sa.String(length=100), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("notice_ref", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_pending_warnings_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_pending_warnings_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_pending_warnings")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_pending_warnings_outbox_id")),
    )
    with op.batch_alter_table("pending_warnings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_warnings_pseudonym"), ["pseudonym"], unique=False
        )
    op.create_table(
        "member_refs",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_member_refs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_member_refs")),
    )


def downgrade() -> None:
    op.drop_table("member_refs")
    with op.batch_alter_table("pending_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_warnings_pseudonym"))
    op.drop_table("pending_warnings")
    op.drop_table("group_bindings")
