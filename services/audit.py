"""The access audit log: recording an action, and checking that nobody edited or removed an entry.

Each entry's hash is SHA-256(previous entry's hash + this entry's canonical JSON). On PostgreSQL an advisory lock
serialises appends, so concurrent requests still build one linear chain; the lock is held until the caller's
transaction ends, which also keeps an entry and the action it records in one commit.
"""

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db.audit import GENESIS_HASH, AuditEntry, append, canonical_json, chain_hash

log = logging.getLogger(__name__)

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class AuditAction:
    """The actions the log records; the first word groups them on the admin page."""

    sign_in_password = "sign_in.password"
    sign_in_password_failed = "sign_in.password_failed"
    sign_in_sso = "sign_in.sso"
    sign_in_sso_failed = "sign_in.sso_failed"
    sign_in_mfa = "sign_in.mfa"
    sign_in_mfa_failed = "sign_in.mfa_failed"
    mfa_enrolled = "mfa.enrolled"
    mfa_disabled = "mfa.disabled"
    call_opened = "call.opened"
    call_audio_played = "call.audio_played"
    call_audio_downloaded = "call.audio_downloaded"
    call_deleted = "call.deleted"
    call_purged = "call.purged"
    export_csv = "export.csv"
    export_audit = "export.audit"
    script_changed = "script.changed"
    user_changed = "user.changed"
    team_changed = "team.changed"
    crm_changed = "crm.changed"


__all__ = ["AuditAction", "AuditError", "ChainCheck", "canonical_json", "record", "verify"]


class AuditError(BadInput):
    """An entry that cannot be recorded as asked."""


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target: str = "",
    detail: dict[str, object] | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry in the caller's transaction: it is kept only if the caller commits."""
    if not _ACTION.match(action) or len(action) > 64:
        raise AuditError(f"an audit action is dotted lowercase words such as 'call.opened', not '{action}'")
    append(session, actor_id=actor_id, action=action, target=target, detail=detail or {}, ip=ip)
    log.info("audit %s %s", action, target, extra={"audit_action": action, "actor_id": actor_id, "target": target})


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking the chain: how many entries held, and the first that did not (None when all did)."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify(session: Session, batch: int = 1000) -> ChainCheck:
    """Walk the log in order and report the first entry whose link or content does not match."""
    expected_prev = GENESIS_HASH
    checked = 0
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return ChainCheck(checked)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainCheck(
                    checked, entry.id, "its link to the previous entry does not match: an entry before it was removed"
                )
            if chain_hash(entry.prev_hash, entry) != entry.entry_hash:
                return ChainCheck(checked, entry.id, "its content does not match its hash: the entry was edited")
            expected_prev = entry.entry_hash
            checked += 1
        after = rows[-1].id
