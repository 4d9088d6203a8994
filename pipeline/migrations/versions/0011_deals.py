"""Deals from the CRMs: pipelines, stages, users, contacts, deals with their history, linked calls, risks, sync state

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _crm_keyed(name: str, *columns: sa.Column) -> None:
    """A table of things a CRM names by its own id."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crm", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("crm", "external_id", name=f"uq_{name}_crm_external_id"),
    )


def upgrade() -> None:
    _crm_keyed("crm_contacts", sa.Column("name", sa.String(length=256), nullable=False))
    _crm_keyed("crm_pipelines", sa.Column("name", sa.String(length=256), nullable=False))
    op.create_table(
        "contact_phones",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["crm_contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id", "phone"),
    )
    op.create_index("ix_contact_phones_phone", "contact_phones", ["phone"])
    op.create_table(
        "crm_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["pipeline_id"], ["crm_pipelines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pipeline_id", "external_id", name="uq_crm_stages_pipeline_external_id"),
    )
    op.create_table(
        "deal_risk_settings",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id"),
    )
    _crm_keyed(
        "crm_users",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=True),
        sa.Column("rep_id", sa.Integer(), sa.ForeignKey("reps.id", ondelete="SET NULL"), nullable=True),
        sa.Column("mapped_by", sa.String(length=8), nullable=True),
    )
    _crm_keyed(
        "deals",
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), sa.ForeignKey("crm_pipelines.id", ondelete="SET NULL"), nullable=True),
        sa.Column("stage_id", sa.Integer(), sa.ForeignKey("crm_stages.id", ondelete="SET NULL"), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("crm_users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("rep_id", sa.Integer(), sa.ForeignKey("reps.id", ondelete="SET NULL"), nullable=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("crm_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("crm_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_deals_rep_id", "deals", ["rep_id"])
    op.create_index("ix_deals_team_id_deleted", "deals", ["team_id", "deleted"])
    op.create_table(
        "deal_calls",
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("linked_by", sa.String(length=256), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index("ix_deal_calls_deal_id", "deal_calls", ["deal_id"])
    op.create_table(
        "deal_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deal_changes_deal_id", "deal_changes", ["deal_id"])
    op.create_table(
        "deal_contacts",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["crm_contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deal_id", "contact_id"),
    )
    op.create_table(
        "deal_risks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deal_id", "kind", name="uq_deal_risks_deal_kind"),
    )
    op.create_index("ix_deal_risks_kind", "deal_risks", ["kind"])
    op.create_table(
        "deal_sync_state",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("deals_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deletions_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["crm_connections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id"),
    )


def downgrade() -> None:
    for table in (
        "deal_sync_state",
        "deal_risks",
        "deal_contacts",
        "deal_changes",
        "deal_calls",
        "deals",
        "crm_users",
        "deal_risk_settings",
        "crm_stages",
        "contact_phones",
        "crm_pipelines",
        "crm_contacts",
    ):
        op.drop_table(table)
