"""The team directory: which rep and team a call belongs to, and the settings a team's calls use."""

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import Rep, StoredDocument, Team

DOCUMENT_KINDS = ("script", "fields")


@dataclass(frozen=True)
class TeamSettings:
    """A team's own settings; None means the deployment's default."""

    name: str
    script: str | None = None
    fields: str | None = None
    vocabulary: list[str] = field(default_factory=list)
    timezone: str | None = None
    language: str | None = None
    summary_template: str | None = None
    recogniser: str | None = None
    """The recogniser the team's Russian calls go to; None: CALLINTEL_ASR_RUSSIAN_RECOGNISER."""


def team_settings(session: Session, team_id: int | None) -> TeamSettings | None:
    team = session.get(Team, team_id) if team_id is not None else None
    if team is None:
        return None
    return TeamSettings(
        name=team.name,
        script=team.script,
        fields=team.fields,
        vocabulary=list(team.vocabulary or []),
        timezone=team.timezone,
        language=team.language,
        summary_template=team.summary_template,
        recogniser=team.recogniser,
    )


def normalize_phone(number: str | None) -> str | None:
    """Digits only, a leading 8 of a Russian 11-digit number read as 7: the forms PBXs mix for one line."""
    if not number:
        return None
    digits = re.sub(r"\D", "", number)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits or None


def find_rep(session: Session, *, extension: str | None = None, phones: tuple[str | None, ...] = ()) -> Rep | None:
    """The rep with this PBX extension, else the rep owning one of these phone numbers."""
    if extension:
        rep = session.scalar(select(Rep).where(Rep.extension == extension.strip()))
        if rep is not None:
            return rep
    for phone in phones:
        normalized = normalize_phone(phone)
        if normalized:
            rep = session.scalar(select(Rep).where(Rep.phone == normalized))
            if rep is not None:
                return rep
    return None


def stored_document(session: Session, kind: str, ref: str) -> StoredDocument | None:
    """A stored script or field schema by 'name' (its latest version) or 'name@version'."""
    name, _, version = ref.partition("@")
    query = select(StoredDocument).where(StoredDocument.kind == kind, StoredDocument.name == name)
    if version:
        query = query.where(StoredDocument.version == version)
    return session.scalar(query.order_by(StoredDocument.created_at.desc(), StoredDocument.id.desc()).limit(1))


class DirectoryError(BadInput, ValueError):
    """A directory change that cannot be made; the message names the problem."""


def _check_timezone(name: str | None) -> None:
    if name is None:
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DirectoryError(f"timezone: unknown time zone {name!r} (expected e.g. 'Europe/Moscow')") from None


def check_document_ref(session: Session, kind: str, ref: str | None) -> None:
    """A team's script or field schema must be one every worker machine can load: built in or stored."""
    if ref is None or (kind == "script" and ref == "auto"):
        return
    from crm_fill.schema import SCHEMAS_DIR
    from scoring_scripts.loader import BUILTIN_SCRIPTS

    builtin = BUILTIN_SCRIPTS if kind == "script" else tuple(p.stem for p in SCHEMAS_DIR.glob("*.yaml"))
    if ref not in builtin and stored_document(session, kind, ref) is None:
        label = "call script" if kind == "script" else "field schema"
        raise DirectoryError(
            f"{kind}: no built-in or stored {label} {ref!r} (built in: {', '.join(builtin)}; "
            f"store one with `callintel {kind} add FILE`)"
        )


def _check_template(name: str | None) -> None:
    from summarize.templates import TemplateError, resolve_template

    if name is None:
        return
    try:
        resolve_template(name)
    except TemplateError as exc:
        raise DirectoryError(f"summary template: {exc}") from None


def _check_recogniser(name: str | None) -> None:
    from transcribe.recognisers import RECOGNISERS

    if not name:
        return  # '' puts the team back on the deployment's recogniser
    kind, _, model = name.partition(":")
    if kind not in RECOGNISERS or (":" in name and not model.strip()):
        raise DirectoryError(
            f"recogniser: expected {', '.join(RECOGNISERS)}, optionally followed by ':MODEL' (a Whisper model, a "
            f"GigaAM checkpoint or T-one's model.onnx), got {name!r}"
        )


def save_team(session: Session, name: str, **changes: Any) -> tuple[Team, bool]:
    """Create a team or change its settings; only the settings given (not None) change. True when created."""
    team = session.scalar(select(Team).where(Team.name == name))
    created = team is None
    _check_timezone(changes.get("timezone"))
    check_document_ref(session, "script", changes.get("script"))
    check_document_ref(session, "fields", changes.get("fields"))
    _check_template(changes.get("summary_template"))
    _check_recogniser(changes.get("recogniser"))
    if changes.get("language") not in (None, "ru", "en"):
        raise DirectoryError(f"language: expected ru or en, got {changes['language']!r}")
    if team is None:
        team = Team(name=name, vocabulary=[], crm={})
        session.add(team)
    for key, value in changes.items():
        if value is not None:
            setattr(team, key, value)
    session.flush()
    return team, created


def save_rep(
    session: Session,
    name: str,
    *,
    extension: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    team: str | None = None,
) -> Rep:
    """Add a rep, or update the one with this extension, phone or e-mail."""
    phone = normalize_phone(phone)
    if not (extension or phone or email):
        raise DirectoryError(f"rep {name!r}: give an extension, a phone number or an e-mail to find their calls by")
    team_row = session.scalar(select(Team).where(Team.name == team)) if team else None
    if team and team_row is None:
        raise DirectoryError(f"no team {team!r}")
    rep = find_rep(session, extension=extension, phones=(phone,))
    if rep is None and email:
        rep = session.scalar(select(Rep).where(Rep.email == email))
    if rep is None:
        rep = Rep(name=name)
        session.add(rep)
    rep.name = name
    for key, value in {"extension": extension, "phone": phone, "email": email}.items():
        if value is not None:
            setattr(rep, key, value)
    if team_row is not None:
        rep.team_id = team_row.id
    session.flush()
    return rep


def store_document(session: Session, kind: str, name: str, version: str, body: str) -> StoredDocument:
    """Store a validated script or field schema as a new version; the same version must keep the same text."""
    existing = stored_document(session, kind, f"{name}@{version}")
    if existing is not None:
        if existing.body != body:
            raise DirectoryError(f"{kind} {name} version {version} is already stored with other content: bump version")
        return existing
    document = StoredDocument(kind=kind, name=name, version=version, body=body)
    session.add(document)
    session.flush()
    return document
