"""Why a lesson worked or not, and under which conditions; and why a reader found a lesson not useful.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lessons") as batch:
        batch.add_column(sa.Column("why", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("conditions", sa.Text, nullable=False, server_default=""))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("reason", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("lessons") as batch:
        batch.drop_column("conditions")
        batch.drop_column("why")
