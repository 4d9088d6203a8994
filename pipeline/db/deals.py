"""Deals from the CRMs: pipelines and their stages (each mapped to open, won or lost), CRM users mapped to reps,
contacts with their phones, the deals themselves with the history of their stage, amount, owner and close date,
the calls linked to each deal, and the risks found on open deals.

A CRM's own ids are kept as text (`external_id`) beside the name of the CRM they come from (`crm`: amocrm,
bitrix24, hubspot, or `import` for a file), so a second sync or import finds the same rows.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class CRMPipeline(Base):
    """A sales pipeline (amoCRM pipeline, Bitrix24 category, HubSpot pipeline)."""

    __tablename__ = "crm_pipelines"
    __table_args__ = (UniqueConstraint("crm", "external_id", name="uq_crm_pipelines_crm_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))


class CRMStage(Base):
    """A stage of one pipeline, mapped to open, won or lost with a default probability (amoCRM stages carry none)."""

    __tablename__ = "crm_stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "external_id", name="uq_crm_stages_pipeline_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("crm_pipelines.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(Integer, default=0, doc="Order within the pipeline, first stage 0.")
    outcome: Mapped[str] = mapped_column(String(8), default="open", doc="open, won or lost.")
    probability: Mapped[float | None] = mapped_column(Float, default=None, doc="Default win probability, 0..1.")
    forecast_category: Mapped[str | None] = mapped_column(
        String(16), default=None, doc="commit, best_case, pipeline or omitted; None: from the probability."
    )


class CRMUser(Base):
    """A CRM user who owns deals, mapped to a rep by e-mail or by hand on the admin page."""

    __tablename__ = "crm_users"
    __table_args__ = (UniqueConstraint("crm", "external_id", name="uq_crm_users_crm_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(256), default=None)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), default=None)
    mapped_by: Mapped[str | None] = mapped_column(String(8), default=None, doc="email or hand; None while unmapped.")


class CRMContact(Base):
    """A CRM contact: the customer a deal's calls are with."""

    __tablename__ = "crm_contacts"
    __table_args__ = (UniqueConstraint("crm", "external_id", name="uq_crm_contacts_crm_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256), default="")


class ContactPhone(Base):
    """One phone of a contact, normalised as pipeline.directory.normalize_phone does for calls."""

    __tablename__ = "contact_phones"

    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class Deal(Base):
    """A deal as its CRM last told it; `rep_id` and `team_id` follow from the owner's mapping."""

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("crm", "external_id", name="uq_deals_crm_external_id"),
        Index("ix_deals_team_id_deleted", "team_id", "deleted"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crm: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(512), default="")
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("crm_pipelines.id", ondelete="SET NULL"), default=None)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("crm_stages.id", ondelete="SET NULL"), default=None)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None, doc="ISO 4217 code, kept as the CRM gave.")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("crm_users.id", ondelete="SET NULL"), default=None)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), default=None, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), default=None)
    close_date: Mapped[date | None] = mapped_column(Date, default=None)
    crm_created_at: Mapped[datetime | None] = mapped_column(default=None)
    crm_modified_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted: Mapped[bool] = mapped_column(default=False)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DealContact(Base):
    __tablename__ = "deal_contacts"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"), primary_key=True)


class DealChange(Base):
    """One change of a deal's stage, amount, owner or close date, as a sync or import first saw it."""

    __tablename__ = "deal_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(16), doc="stage, amount, owner or close_date.")
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, doc="The CRM's modification time, else when it was seen.")


class DealCall(Base):
    """A call linked to a deal, and how: deal_id (the telephony metadata), phone (contact's only open deal) or
    hand (someone chose it on the call page)."""

    __tablename__ = "deal_calls"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(8))
    linked_by: Mapped[str | None] = mapped_column(String(256), default=None)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealRisk(Base):
    """A risk in force on a deal, from the latest risk pass; gone when the pass no longer finds it."""

    __tablename__ = "deal_risks"
    __table_args__ = (UniqueConstraint("deal_id", "kind", name="uq_deal_risks_deal_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(JSON)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealRiskSettings(Base):
    """A team's risk settings (models.deals.RiskSettings as JSON); a team without a row uses the defaults."""

    __tablename__ = "deal_risk_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DealSyncState(Base):
    """Where the deal sync of one CRM connection stands: it resumes from here after a failure, and the next pass
    asks only for what changed since."""

    __tablename__ = "deal_sync_state"

    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"), primary_key=True)
    deals_since: Mapped[datetime | None] = mapped_column(
        default=None, doc="The CRM modification time of the newest deal saved."
    )
    deletions_since: Mapped[datetime | None] = mapped_column(default=None, doc="The newest deletion seen.")
    finished_at: Mapped[datetime | None] = mapped_column(default=None, doc="When the last complete pass ended.")
