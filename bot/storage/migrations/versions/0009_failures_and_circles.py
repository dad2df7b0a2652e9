"""Failures shared anonymously and the sessions that discuss them; learning circles, their members and rounds;
what a contact tells of how a lesson ended besides the button.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("checkbacks", sa.Column("note", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "failure_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False, server_default=""),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("title", sa.String(300), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("created_by", sa.String(128), nullable=False, server_default=""),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(128), nullable=False, server_default=""),
    )
    op.create_table(
        "anonymous_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(128), nullable=False, server_default=""),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("channel_visibility", sa.String(16), nullable=False, server_default="public"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("pattern", sa.String(32), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending", index=True),
        sa.Column("author_id", sa.String(128), nullable=False, server_default="", index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lesson_id", sa.Integer, sa.ForeignKey("lessons.id", ondelete="SET NULL"), nullable=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("failure_sessions.id", ondelete="SET NULL"),
                  nullable=True),
    )
    op.create_table(
        "circles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("every_days", sa.Integer, nullable=False, server_default="28"),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "circle_members",
        sa.Column("circle_id", sa.Integer, sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(16), nullable=False, server_default="invited"),
    )
    op.create_table(
        "circle_rounds",
        sa.Column("circle_id", sa.Integer, sa.ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("presenter_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("question", sa.Text, nullable=False, server_default=""),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("circle_rounds")
    op.drop_table("circle_members")
    op.drop_table("circles")
    op.drop_table("anonymous_failures")
    op.drop_table("failure_sessions")
    op.drop_column("checkbacks", "note")
