"""CRM connections per team; deliveries to a CRM connection with what the CRM kept

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("field_map", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "kind", name="uq_crm_connections_team_kind"),
    )
    with op.batch_alter_table("crm_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_connections_team_id"), ["team_id"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("subscriber_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("crm_connection_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_deliveries_crm_connection_id"), ["crm_connection_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_deliveries_crm_connection_id_crm_connections",
            "crm_connections",
            ["crm_connection_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE subscriber_id IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("fk_deliveries_crm_connection_id_crm_connections", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_deliveries_crm_connection_id"))
        batch_op.drop_column("result")
        batch_op.drop_column("crm_connection_id")
        batch_op.alter_column("subscriber_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("crm_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_connections_team_id"))
    op.drop_table("crm_connections")
