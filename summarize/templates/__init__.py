"""Note templates: the bundled ones (YAML files in this folder) and a team's own files, with errors that name the file
and the problem. The format is described in summarize/README.md."""

from pathlib import Path

from models import NoteTemplate
from models.documents import DocumentError, DocumentKind, load_document, parse_document

TEMPLATES_DIR = Path(__file__).parent
NO_TEMPLATE = "none"


class TemplateError(DocumentError):
    """A note template that cannot be read or is not a valid template."""


_TEMPLATE = DocumentKind("note template", NoteTemplate, "summarize/README.md", TemplateError)


def builtin_templates() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml")))


def parse_template(text: str, source: str) -> NoteTemplate:
    """A note template from YAML text; `source` names where the text came from in error messages."""
    return parse_document(text, source, _TEMPLATE)


def load_template(path: Path) -> NoteTemplate:
    """Read and validate one note template file."""
    return load_document(path, _TEMPLATE)


def resolve_template(ref: str | None) -> NoteTemplate | None:
    """None for no template ('none' or empty); else a bundled template by name, or a YAML file by path."""
    if not ref or ref == NO_TEMPLATE:
        return None
    if ref in builtin_templates():
        return load_template(TEMPLATES_DIR / f"{ref}.yaml")
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_template(path)
    raise TemplateError(
        f"no bundled note template named {ref!r} and no such file; bundled: {', '.join(builtin_templates())}"
    )
