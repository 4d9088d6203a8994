"""Pipeline targets per team and period, the forecast override log, and a forecast category per CRM stage

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("set_by", sa.String(length=256), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "period_start", "period_end", name="uq_pipeline_targets_team_period"),
    )
    op.create_table(
        "forecast_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_forecast_overrides_deal_id", "forecast_overrides", ["deal_id"])
    with op.batch_alter_table("crm_stages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forecast_category", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crm_stages", schema=None) as batch_op:
        batch_op.drop_column("forecast_category")
    op.drop_index("ix_forecast_overrides_deal_id", table_name="forecast_overrides")
    op.drop_table("forecast_overrides")
    op.drop_table("pipeline_targets")
