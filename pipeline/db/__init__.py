"""The database: call state, stage runs, results, proposals, the team directory, CRM connections and the outbox."""

from pipeline.db.crm import CRMConnection
from pipeline.db.directory import Rep, StoredDocument, Team
from pipeline.db.outbox import Delivery, OutboxEvent, Subscriber
from pipeline.db.session import Database
from pipeline.db.tables import Base, Call, CallResultRow, Proposal, Recording, StageRun

__all__ = [
    "Base",
    "CRMConnection",
    "Call",
    "CallResultRow",
    "Database",
    "Delivery",
    "OutboxEvent",
    "Proposal",
    "Recording",
    "Rep",
    "StageRun",
    "StoredDocument",
    "Subscriber",
    "Team",
]
