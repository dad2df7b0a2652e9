"""Check-backs: months after a lesson whose outcome was not known yet, its contact is asked how it ended;
each (lesson, period) is asked once, and people may opt out.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkbacks",
        sa.Column("lesson_id", sa.Integer, sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("period", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False, index=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False, server_default=""),
    )
    op.create_table(
        "checkback_optouts",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("checkback_optouts")
    op.drop_table("checkbacks")
