"""Which call script and CRM field schema a call is analysed with."""

from pathlib import Path

from crm_fill.schema import builtin_field_schema, load_field_schema
from models import CallScript, FieldSchema
from scoring_scripts.loader import BUILTIN_SCRIPTS, builtin_script, default_script_for, load_script


def resolve_script(ref: str, language: str) -> CallScript:
    """'auto' picks the built-in script for the call's language; otherwise a built-in name or a YAML path."""
    if ref == "auto":
        return default_script_for(language)
    if ref in BUILTIN_SCRIPTS:
        return builtin_script(ref)
    return load_script(Path(ref))


def resolve_fields(ref: str) -> FieldSchema:
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_field_schema(path)
    return builtin_field_schema(ref)
