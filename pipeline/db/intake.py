from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class PendingRecording(Base):
    """A recording being written to storage, recorded before the write starts.

    Its row goes in the transaction that records the recording; one left behind (the database or the process went
    down mid-intake) names an object no row may point at, which the orphan sweep (pipeline/orphans.py) removes.
    """

    __tablename__ = "pending_recordings"

    storage_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
