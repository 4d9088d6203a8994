"""Which call script, CRM field schema and vocabulary a call is analysed with: call options, then its team's
settings, then the deployment's settings. The vocabulary is the call's bias list (`pipeline.biasing`)."""

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from crm_fill.schema import builtin_field_schema, load_field_schema, parse_field_schema
from models import CallInfo, CallScript, FieldSchema
from pipeline.biasing import bias_terms, deal_names
from pipeline.catalogue import team_catalogue
from pipeline.db import Call, Rep
from pipeline.directory import stored_document, team_settings
from pipeline.settings import Settings
from scoring_scripts.loader import BUILTIN_SCRIPTS, builtin_script, default_script_for, load_script, parse_script


@dataclass
class CallSetup:
    """A call as its stages see it, read once at the start of a stage."""

    id: str
    info: CallInfo
    options: dict
    recording_key: str
    script_ref: str
    fields_ref: str
    vocabulary: list[str]
    summary_template: str | None = None
    script_text: str | None = None
    fields_text: str | None = None
    catalogue: dict[str, list[str]] = field(default_factory=dict)
    recogniser: str | None = None
    """The team's recogniser for Russian calls; None: the deployment's."""

    @property
    def language(self) -> str | None:
        language = self.options.get("language") or self.info.language
        return None if language in (None, "auto") else language


def load_call(session: Session, row: Call, settings: Settings) -> CallSetup:
    team = team_settings(session, row.team_id)
    info = CallInfo.model_validate(row.info)
    if team is not None:
        updates = {"team": info.team or team.name, "timezone": info.timezone or team.timezone}
        updates["language"] = info.language or team.language
        info = info.model_copy(update=updates)
    script_ref = row.options.get("script") or (team and team.script) or settings.script
    fields_ref = row.options.get("fields") or (team and team.fields) or settings.fields
    script_doc = stored_document(session, "script", script_ref)
    fields_doc = stored_document(session, "fields", fields_ref)
    catalogue = team_catalogue(session, row.team_id)
    rep = session.get(Rep, row.rep_id) if row.rep_id is not None else None
    vocabulary = bias_terms(
        deal=deal_names(session, row.id),
        rep=info.rep_name or (rep.name if rep else None),
        company=settings.vocabulary,
        vocabulary=team.vocabulary if team else (),
        catalogue=catalogue,
    )
    return CallSetup(
        id=row.id,
        info=info,
        options=dict(row.options),
        recording_key=row.recording.storage_key,
        script_ref=script_ref,
        fields_ref=fields_ref,
        vocabulary=vocabulary,
        summary_template=row.options.get("template") or (team and team.summary_template) or None,
        script_text=script_doc.body if script_doc else None,
        fields_text=fields_doc.body if fields_doc else None,
        catalogue=catalogue,
        recogniser=team.recogniser if team else None,
    )


def resolve_script(ref: str, language: str, text: str | None = None) -> CallScript:
    """A stored script's text when there is one; else 'auto' (the built-in script for the call's language),
    a built-in name or a YAML path."""
    if text is not None:
        return parse_script(text, f"stored script {ref}")
    if ref == "auto":
        return default_script_for(language)
    if ref in BUILTIN_SCRIPTS:
        return builtin_script(ref)
    return load_script(Path(ref))


def resolve_fields(ref: str, text: str | None = None) -> FieldSchema:
    if text is not None:
        return parse_field_schema(text, f"stored field schema {ref}")
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_field_schema(path)
    return builtin_field_schema(ref)
