"""The address each CRM connection's change webhooks come to: a secret path token (kept only as its SHA-256, like a
password) and, where the CRM signs or marks its calls, the sealed secret to check them with (Bitrix24's
application token, a HubSpot app's client secret)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.db.tables import Base, utcnow


class CRMWebhook(Base):
    __tablename__ = "crm_webhooks"

    connection_id: Mapped[int] = mapped_column(ForeignKey("crm_connections.id", ondelete="CASCADE"), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 (hex) of the URL's path token.")
    secret: Mapped[str | None] = mapped_column(
        Text, default=None, doc="Bitrix24's application token or a HubSpot app's client secret, sealed."
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
