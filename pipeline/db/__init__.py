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
from pipeline.db.collab import CallSnippet, Comment, CommentMention
from pipeline.db.crm import CRMConnection, CRMRateLimit
from pipeline.db.crm_hooks import CRMWebhook
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
from pipeline.db.forecast import ForecastOverride, PipelineTarget
from pipeline.db.identities import SignInRequest, UserIdentity
from pipeline.db.intake import PendingRecording
from pipeline.db.outbox import Delivery, OutboxEvent, Subscriber
from pipeline.db.reviews import FieldDecisionLog, ItemOverride
from pipeline.db.scorecards import CallSignalRow, ScorecardItemRow
from pipeline.db.session import Database
from pipeline.db.signatures import SeenSignature
from pipeline.db.snapshots import DealSnapshot, SnapshotRun
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
    "CRMWebhook",
    "Call",
    "CallResultRow",
    "CallSignalRow",
    "CallSnippet",
    "CatalogueProduct",
    "Comment",
    "CommentMention",
    "ContactPhone",
    "Database",
    "Deal",
    "DealCall",
    "DealChange",
    "DealContact",
    "DealRisk",
    "DealRiskSettings",
    "DealSnapshot",
    "DealSyncState",
    "Delivery",
    "FieldDecisionLog",
    "ForecastOverride",
    "ItemOverride",
    "LoginChallenge",
    "OutboxEvent",
    "PendingRecording",
    "PipelineTarget",
    "Proposal",
    "Recording",
    "RecoveryCode",
    "Rep",
    "ScorecardItemRow",
    "ScriptExampleEdit",
    "SeenSignature",
    "SignInRequest",
    "SnapshotRun",
    "StageRun",
    "StoredDocument",
    "Subscriber",
    "Team",
    "User",
    "UserIdentity",
    "UserMFA",
    "WebSession",
]
