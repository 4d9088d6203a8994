"""Reading the YAML documents users write (call scripts, note templates, CRM field schemas) into their models.

Every problem becomes one line that starts with where the text came from (a file name, an upload, a stored
document) and says what is wrong and where: a YAML syntax error with its line and column, or the first
validation error with its path (`sections[2] (budget).items[0] (ask_budget).weight: must be ≥ 0`).
Unknown keys are refused by the models themselves (`extra="forbid"`), so a misspelt key never passes silently.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from models.errors import BadInput

Document = TypeVar("Document", bound=BaseModel)

# pydantic's own wording, said the way a person editing the file reads it (a validator's message is left as written).
_WORDING = (("Input should be", "must be"), ("greater than or equal to", "≥"), ("less than or equal to", "≤"))


class DocumentError(BadInput, ValueError):
    """A document that cannot be read, parsed or validated; the message names its source and the problem."""


@dataclass(frozen=True)
class DocumentKind(Generic[Document]):
    """What a kind of document is called, the model it becomes, where its format is described, and the error
    its loader raises (a subclass of `DocumentError`, so callers keep catching the type they know)."""

    name: str
    model: type[Document]
    guide: str
    error: type[DocumentError] = DocumentError


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """'YAML syntax error at line L, column C: problem' (the position when the parser knows it)."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"YAML syntax error{where}: {problem}"


def _path(loc: tuple[int | str, ...], data: object) -> str:
    """`sections[2] (budget).title`: a pydantic location, naming a list entry by its id or name where it has one,
    so the writer need not count entries."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            entry = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            label = f"[{key}]"
            name = (entry.get("id") or entry.get("name")) if isinstance(entry, dict) else None
            if isinstance(name, str):
                label += f" ({name})"
            parts.append(label)
            node = entry
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def _message(detail: ErrorDetails, guide: str) -> str:
    if detail["type"] == "missing":
        return "is required"
    if detail["type"] == "extra_forbidden":
        return f"is not a known key (see {guide})"
    if detail["type"] == "value_error":
        return detail["msg"].removeprefix("Value error, ")
    message = detail["msg"]
    for said, meant in _WORDING:
        message = message.replace(said, meant)
    return message


def _problem(error: ValidationError, data: object, guide: str) -> str:
    """The first problem, path first, and how many more there are. An unknown key goes first: it usually
    explains the rest (a misspelt required key is also reported missing)."""
    details = sorted(error.errors(include_url=False), key=lambda d: d["type"] != "extra_forbidden")
    first = details[0]
    where = _path(tuple(first["loc"]), data)
    more = len(details) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    message = _message(first, guide)
    return f"{where}: {message}{suffix}" if where else f"{message}{suffix}"


def parse_document(text: str, source: str, kind: DocumentKind[Document]) -> Document:
    """A document from YAML text; `source` names where the text came from in every error message."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise kind.error(f"{source}: {_yaml_problem(exc)}") from exc
    if not isinstance(data, dict):
        required = ", ".join(name for name, field in kind.model.model_fields.items() if field.is_required())
        raise kind.error(f"{source}: a {kind.name} must be a mapping with the keys {required} (see {kind.guide})")
    try:
        return kind.model.model_validate(data)
    except ValidationError as exc:
        raise kind.error(f"{source}: {_problem(exc, data, kind.guide)}") from exc


def load_document(path: Path, kind: DocumentKind[Document]) -> Document:
    """Read and validate one document file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise kind.error(f"{path}: cannot read the {kind.name}: {exc.strerror or exc}") from exc
    return parse_document(text, str(path), kind)
