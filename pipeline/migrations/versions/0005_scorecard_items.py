"""Scorecard answers and deal-gap signals per call, and indexes for the team views

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecard_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("section_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("auto_fail", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scorecard_items_call_id", "scorecard_items", ["call_id"])
    op.create_index("ix_scorecard_items_item_id_answer", "scorecard_items", ["item_id", "answer"])
    op.create_table(
        "call_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_signals_call_id", "call_signals", ["call_id"])
    op.create_index("ix_call_signals_severity", "call_signals", ["severity"])
    op.create_index("ix_calls_team_id_created_at", "calls", ["team_id", "created_at"])
    op.create_index("ix_calls_rep_id_created_at", "calls", ["rep_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_rep_id_created_at", table_name="calls")
    op.drop_index("ix_calls_team_id_created_at", table_name="calls")
    op.drop_table("call_signals")
    op.drop_table("scorecard_items")
