"""Loading CRM field schemas from YAML files (format: crm_fill/README.md)."""

from pathlib import Path

import yaml
from pydantic import ValidationError

from models import FieldSchema

SCHEMAS_DIR = Path(__file__).parent / "schemas"


class FieldSchemaError(ValueError):
    """A field schema file that cannot be read, parsed or validated; the message names the file and the problem."""


def _location(loc: tuple[int | str, ...], data: object) -> str:
    """Render a pydantic error location as `fields[3] (budget).type`, naming the field when it has a name."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            item = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                label += f" ({item['name']})"
            parts.append(label)
            node = item
        else:
            parts.append(f".{key}" if parts else key)
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def _describe(error: ValidationError, data: object) -> str:
    first = error.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    where = _location(tuple(first["loc"]), data)
    more = error.error_count() - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"


def load_field_schema(path: Path) -> FieldSchema:
    """Read and validate one field schema file; raises FieldSchemaError naming the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FieldSchemaError(f"{path}: cannot read field schema: {exc.strerror or exc}") from exc
    return parse_field_schema(text, str(path))


def parse_field_schema(text: str, source: str) -> FieldSchema:
    """A field schema from YAML text; `source` names where the text came from in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FieldSchemaError(f"{source}{line}: YAML syntax error: {problem}") from exc
    if not isinstance(data, dict):
        raise FieldSchemaError(f"{source}: a field schema must be a mapping with id, version, title and fields")
    try:
        return FieldSchema.model_validate(data)
    except ValidationError as exc:
        raise FieldSchemaError(f"{source}: invalid field schema: {_describe(exc, data)}") from exc


def builtin_field_schema(name: str = "default") -> FieldSchema:
    """One of the schemas shipped in crm_fill/schemas/, by file name without extension."""
    path = SCHEMAS_DIR / f"{name}.yaml"
    if not path.is_file():
        shipped = sorted(p.stem for p in SCHEMAS_DIR.glob("*.yaml"))
        raise FieldSchemaError(f"{path}: no built-in field schema '{name}' (shipped: {', '.join(shipped)})")
    return load_field_schema(path)
