"""Initial schema: lessons, embeddings, people, questions, feedback, processed events, counters.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("learned", sa.Text, nullable=False),
        sa.Column("municipality", sa.String(200), nullable=False),
        sa.Column("municipality_code", sa.String(16), nullable=False),
        sa.Column("organisation_kind", sa.String(32), nullable=False),
        sa.Column("themes", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("contact_platform", sa.String(32), nullable=False),
        sa.Column("contact_user_id", sa.String(128), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("captured_by_platform", sa.String(32), nullable=False),
        sa.Column("captured_by_user_id", sa.String(128), nullable=False),
        sa.Column("captured_by_name", sa.String(200), nullable=False),
        sa.Column("source_platform", sa.String(32), nullable=False),
        sa.Column("source_workspace", sa.String(128), nullable=False),
        sa.Column("source_channel_id", sa.String(128), nullable=False),
        sa.Column("source_channel_name", sa.String(200), nullable=False),
        sa.Column("source_visibility", sa.String(16), nullable=False),
        sa.Column("source_message_id", sa.String(128), nullable=False),
        sa.Column("source_thread_id", sa.String(128), nullable=False),
        sa.Column("permalink", sa.String(1000), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("edited_by_form", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("occurred_at", TZ, nullable=True),
        sa.Column("deleted_at", TZ, nullable=True),
        sa.UniqueConstraint("source_platform", "source_workspace", "source_channel_id", "source_message_id",
                            name="uq_lessons_source"),
    )
    op.create_index("ix_lessons_municipality_code", "lessons", ["municipality_code"])
    op.create_index("ix_lessons_contact_user_id", "lessons", ["contact_user_id"])
    op.create_index("ix_lessons_captured_by_user_id", "lessons", ["captured_by_user_id"])
    op.create_index("ix_lessons_revision", "lessons", ["revision"])
    op.create_table(
        "embeddings",
        sa.Column("lesson_id", sa.Integer, sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("model_id", sa.String(200), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("platform_user_id", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("municipality", sa.String(200), nullable=False),
        sa.Column("municipality_code", sa.String(16), nullable=False),
        sa.Column("accepts_introductions", sa.Boolean, nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("platform", "platform_user_id", name="uq_people_platform_user"),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("hit_ids", sa.JSON, nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("asked_at", TZ, nullable=False),
    )
    op.create_index("ix_questions_user_id", "questions", ["user_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=True),
        sa.Column("lesson_id", sa.Integer, sa.ForeignKey("lessons.id", ondelete="CASCADE"), nullable=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_feedback_user_id", "feedback", ["user_id"])
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("processed_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("processed_events", "feedback", "questions", "people", "embeddings", "lessons", "counters"):
        op.drop_table(table)
