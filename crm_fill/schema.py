"""Loading CRM field schemas from YAML files (format: crm_fill/README.md)."""

from pathlib import Path

from models import FieldSchema
from models.documents import DocumentError, DocumentKind, load_document, parse_document

SCHEMAS_DIR = Path(__file__).parent / "schemas"


class FieldSchemaError(DocumentError):
    """A field schema file that cannot be read, parsed or validated; the message names the file and the problem."""


_FIELD_SCHEMA = DocumentKind("field schema", FieldSchema, "crm_fill/README.md", FieldSchemaError)


def load_field_schema(path: Path) -> FieldSchema:
    """Read and validate one field schema file; raises FieldSchemaError naming the file and what is wrong."""
    return load_document(path, _FIELD_SCHEMA)


def parse_field_schema(text: str, source: str) -> FieldSchema:
    """A field schema from YAML text; `source` names where the text came from in error messages."""
    return parse_document(text, source, _FIELD_SCHEMA)


def builtin_field_schema(name: str = "default") -> FieldSchema:
    """One of the schemas shipped in crm_fill/schemas/, by file name without extension."""
    path = SCHEMAS_DIR / f"{name}.yaml"
    if not path.is_file():
        shipped = sorted(p.stem for p in SCHEMAS_DIR.glob("*.yaml"))
        raise FieldSchemaError(f"{path}: no built-in field schema '{name}' (shipped: {', '.join(shipped)})")
    return load_field_schema(path)


def with_catalogue(schema: FieldSchema, catalogue: dict[str, list[str]]) -> FieldSchema:
    """`schema` with a team's product catalogue (name → synonyms) as the known values of its `catalogue` fields,
    in place of the schema's own examples; unchanged without a catalogue. A product is found by its name or any
    synonym, in any language of the call, lemma by lemma (summarize.phrases)."""
    if not catalogue:
        return schema
    known = {name: {"any": [name, *synonyms]} for name, synonyms in catalogue.items()}
    fields = [
        spec.model_copy(update={"value_phrases": known}) if spec.catalogue and not spec.allowed_values else spec
        for spec in schema.fields
    ]
    return schema.model_copy(update={"fields": fields})
