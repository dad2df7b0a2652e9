"""Introductions asked of a lesson's contact first: asked, accepted, not now or declined (a reason kept
private), and whether the two met, asked some days after.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "introductions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("asker_id", sa.String(128), nullable=False, index=True),
        sa.Column("asker_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("contact_id", sa.String(128), nullable=False, index=True),
        sa.Column("lesson_id", sa.Integer, sa.ForeignKey("lessons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="asked"),
        sa.Column("reason", sa.String(32), nullable=False, server_default=""),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("met_asker", sa.Boolean, nullable=True),
        sa.Column("met_contact", sa.Boolean, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("introductions")
