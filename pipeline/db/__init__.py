"""The database: call state, stage runs, results, scorecard answers and deal-gap signals, proposals, the team
directory, accounts, CRM connections, the decision and override logs and the outbox."""

from pipeline.db.accounts import APIToken, LoginAttempt, User, WebSession
from pipeline.db.crm import CRMConnection, CRMRateLimit
from pipeline.db.directory import Rep, StoredDocument, Team
from pipeline.db.outbox import Delivery, OutboxEvent, Subscriber
from pipeline.db.reviews import FieldDecisionLog, ItemOverride
from pipeline.db.scorecards import CallSignalRow, ScorecardItemRow
from pipeline.db.session import Database
from pipeline.db.tables import Base, Call, CallResultRow, Proposal, Recording, StageRun

__all__ = [
    "APIToken",
    "Base",
    "CRMConnection",
    "CRMRateLimit",
    "Call",
    "CallResultRow",
    "CallSignalRow",
    "Database",
    "Delivery",
    "FieldDecisionLog",
    "ItemOverride",
    "LoginAttempt",
    "OutboxEvent",
    "Proposal",
    "Recording",
    "Rep",
    "ScorecardItemRow",
    "StageRun",
    "StoredDocument",
    "Subscriber",
    "Team",
    "User",
    "WebSession",
]
