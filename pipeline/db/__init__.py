"""The database: call state, stage runs, results and proposals (SQLite embedded, PostgreSQL in service mode)."""

from pipeline.db.session import Database
from pipeline.db.tables import Base, Call, CallResultRow, Proposal, Recording, StageRun

__all__ = ["Base", "Call", "CallResultRow", "Database", "Proposal", "Recording", "StageRun"]
