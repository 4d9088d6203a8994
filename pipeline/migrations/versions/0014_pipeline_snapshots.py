"""Daily pipeline snapshots stored as changes (deal_snapshots), the runs that took them, and each team's snapshot time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("pipeline_id", sa.Integer(), nullable=True),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "day", name="uq_deal_snapshots_deal_day"),
    )
    # The trend and the forecast read only the included columns: on PostgreSQL an index-only scan answers them.
    include = ["category", "amount", "currency", "gone", "team_id", "rep_id", "close_date"]
    op.create_index(
        "ix_deal_snapshots_team_outcome_until",
        "deal_snapshots",
        ["team_id", "outcome", "until", "day"],
        postgresql_include=include,
    )
    op.create_index(
        "ix_deal_snapshots_outcome_until", "deal_snapshots", ["outcome", "until", "day"], postgresql_include=include
    )
    op.create_table(
        "snapshot_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "day", name="uq_snapshot_runs_team_day"),
    )
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("snapshot_time", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("snapshot_time")
    op.drop_table("snapshot_runs")
    op.drop_index("ix_deal_snapshots_outcome_until", table_name="deal_snapshots")
    op.drop_index("ix_deal_snapshots_team_outcome_until", table_name="deal_snapshots")
    op.drop_table("deal_snapshots")
