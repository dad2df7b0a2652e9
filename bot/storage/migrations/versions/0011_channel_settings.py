"""Per-channel settings chosen by a channel's members: capture on or off, answers in a thread or at the top
level, the language of the bot's replies; per-workspace settings chosen by its admin: sharing with the
network, and whether public lessons stay when the app is uninstalled; the workspace a question was asked in.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("workspace", sa.String(128), nullable=False, server_default=""))
    op.create_table(
        "channel_settings",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(128), primary_key=True),
        sa.Column("capture", sa.Boolean, nullable=False),
        sa.Column("threads", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "workspace_settings",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("workspace", sa.String(128), primary_key=True),
        sa.Column("sharing", sa.Boolean, nullable=False),
        sa.Column("keep_public", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("questions", "workspace")
    op.drop_table("workspace_settings")
    op.drop_table("channel_settings")
