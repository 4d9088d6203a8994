"""Note templates: the bundled ones (YAML files in this folder) and a team's own files, with errors that name the file
and the problem. The format is described in summarize/README.md."""

from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from models import NoteTemplate, TemplateSection
from models.yaml_errors import yaml_syntax_problem

TEMPLATES_DIR = Path(__file__).parent
NO_TEMPLATE = "none"


class TemplateError(ValueError):
    """A note template that cannot be read or is not a valid template."""


def builtin_templates() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml")))


def _where(loc: tuple[int | str, ...], data: object) -> str:
    """`sections[2] (budget).title`: a pydantic location, naming a section by its id where it has one."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            label = f"[{key}]"
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label += f" ({item['id']})"
            parts.append(label)
            node = item
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def _problem(error: ValidationError, data: object) -> str:
    detail = error.errors(include_url=False)[0]
    message = "is required" if detail["type"] == "missing" else detail["msg"].removeprefix("Value error, ")
    more = error.error_count() - 1
    suffix = f" (and {more} more)" if more else ""
    where = _where(tuple(detail["loc"]), data)
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"


def _unknown_key(data: dict) -> str | None:
    """The first key the format does not know: the contract ignores extra keys, so a typo would pass silently."""

    def extra(node: object, model: type[BaseModel], path: str) -> str | None:
        if not isinstance(node, dict):
            return None
        unknown = sorted(str(key) for key in node if key not in model.model_fields)
        return (f"{path}.{unknown[0]}" if path else unknown[0]) if unknown else None

    found = extra(data, NoteTemplate, "")
    for index, section in enumerate(data.get("sections") or []):
        found = found or extra(section, TemplateSection, f"sections[{index}]")
    return found


def parse_template(text: str, source: str) -> NoteTemplate:
    """A note template from YAML text; `source` names where the text came from in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{source}: {yaml_syntax_problem(exc)}") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: a note template must be a mapping of keys (id, version, languages, sections)")
    try:
        template = NoteTemplate.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(f"{source}: {_problem(exc, data)}") from exc
    unknown = _unknown_key(data)
    if unknown:
        raise TemplateError(f"{source}: {unknown}: is not a known key (see summarize/README.md)")
    return template


def load_template(path: Path) -> NoteTemplate:
    """Read and validate one note template file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the note template: {exc.strerror or exc}") from exc
    return parse_template(text, str(path))


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
