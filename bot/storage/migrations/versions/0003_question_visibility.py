"""Where a question was asked: public, private or DM, so lists and digests show it only where it may be seen.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        # Questions from before this column: their place is unknown, so they are treated as private.
        batch.add_column(sa.Column("channel_visibility", sa.String(16), nullable=False, server_default="private"))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("channel_visibility")
