"""Peer learning: open questions answered later, contacts that left, digests.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lessons") as batch:
        batch.add_column(sa.Column("contact_active", sa.Boolean, nullable=False, server_default=sa.true()))
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("answer_lesson_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("asker_name", sa.String(200), nullable=False, server_default=""))
    op.create_index("ix_questions_status", "questions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_questions_status", "questions")
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("asker_name")
        batch.drop_column("notified_at")
        batch.drop_column("answer_lesson_id")
    with op.batch_alter_table("lessons") as batch:
        batch.drop_column("contact_active")
