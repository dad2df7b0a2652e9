"""What coordinators do to the lesson base: a lesson's state (current, outdated, archived), merges, the audit
log of every change, and one-time sign-in links for the web page.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lessons", sa.Column("status", sa.String(16), nullable=False, server_default="current"))
    op.add_column("lessons", sa.Column("merged_into", sa.Integer, nullable=True))
    op.create_index("ix_lessons_merged_into", "lessons", ["merged_into"])
    op.create_table(
        "lesson_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("lesson_id", sa.Integer, nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_table(
        "admin_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workspaces", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_links")
    op.drop_table("lesson_audit")
    op.drop_index("ix_lessons_merged_into", "lessons")
    op.drop_column("lessons", "merged_into")
    op.drop_column("lessons", "status")
