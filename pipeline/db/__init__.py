"""The database: call state, stage runs, results, scorecard answers and deal-gap signals, proposals, the team
directory, accounts, CRM connections, the decision and override logs and the outbox."""

from pipeline.db.accounts import (
    APIToken,
    AttemptCounter,
    LoginChallenge,
    RecoveryCode,
    User,
    UserMFA,
    WebSession,
)
from pipeline.db.audit import AuditEntry
from pipeline.db.crm import CRMConnection, CRMRateLimit
from pipeline.db.deals import (
    ContactPhone,
    CRMContact,
    CRMPipeline,
    CRMStage,
    CRMUser,
    Deal,
    DealCall,
    DealChange,
    DealContact,
    DealRisk,
    DealRiskSettings,
    DealSyncState,
)
from pipeline.db.directory import Rep, StoredDocument, Team
from pipeline.db.examples import CatalogueProduct, ScriptExampleEdit
from pipeline.db.identities import SignInRequest, UserIdentity
from pipeline.db.intake import PendingRecording
from pipeline.db.outbox import Delivery, OutboxEvent, Subscriber
from pipeline.db.reviews import FieldDecisionLog, ItemOverride
from pipeline.db.scorecards import CallSignalRow, ScorecardItemRow
from pipeline.db.session import Database
from pipeline.db.signatures import SeenSignature
from pipeline.db.tables import Base, Call, CallResultRow, Proposal, Recording, StageRun

__all__ = [
    "APIToken",
    "AttemptCounter",
    "AuditEntry",
    "Base",
    "CRMConnection",
    "CRMContact",
    "CRMPipeline",
    "CRMRateLimit",
    "CRMStage",
    "CRMUser",
    "Call",
    "CallResultRow",
    "CallSignalRow",
    "CatalogueProduct",
    "ContactPhone",
    "Database",
    "Deal",
    "DealCall",
    "DealChange",
    "DealContact",
    "DealRisk",
    "DealRiskSettings",
    "DealSyncState",
    "Delivery",
    "FieldDecisionLog",
    "ItemOverride",
    "LoginChallenge",
    "OutboxEvent",
    "PendingRecording",
    "Proposal",
    "Recording",
    "RecoveryCode",
    "Rep",
    "ScorecardItemRow",
    "ScriptExampleEdit",
    "SeenSignature",
    "SignInRequest",
    "StageRun",
    "StoredDocument",
    "Subscriber",
    "Team",
    "User",
    "UserIdentity",
    "UserMFA",
    "WebSession",
]
