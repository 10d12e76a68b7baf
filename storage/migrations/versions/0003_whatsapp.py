"""whatsapp class-group messages, linking pre- and post-event webhooks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_sid", sa.String(length=40), nullable=False),
        sa.Column("content_key", sa.String(length=64), nullable=False),
        sa.Column("message_ref", sa.String(length=100), nullable=False),
        sa.Column("message_sid", sa.String(length=40), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("judged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_messages")),
        sa.UniqueConstraint("message_ref", name=op.f("uq_whatsapp_messages_message_ref")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_whatsapp_messages_message_sid")),
    )
    with op.batch_alter_table("whatsapp_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_whatsapp_messages_content", ["conversation_sid", "content_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_whatsapp_messages_judged_at"), ["judged_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("whatsapp_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_whatsapp_messages_judged_at"))
        batch_op.drop_index("ix_whatsapp_messages_content")
    op.drop_table("whatsapp_messages")
