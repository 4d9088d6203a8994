"""Every error class the project declares takes a side in the failure policy (models/errors.py): it derives from
`BadInput` or `Unavailable`, or is one of the few family bases that group both. Read from the source, so the check
needs no heavy imports."""

import ast
import builtins
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# words/ sits beside models and imports nothing of ours; its ValueErrors are typed where they are used.
PACKAGES = (
    "cli",
    "ingest",
    "transcribe",
    "diarize",
    "summarize",
    "crm_fill",
    "scoring_scripts",
    "pipeline",
    "services",
    "publish",
    "web",
    "models",
)
BRANCHES = {"BadInput", "Unavailable"}
FAMILIES = {"CallintelError", "CRMError", "StageFailed", "StorageError"}
BUILTIN_ERRORS = {
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
}


def declared_bases() -> dict[str, set[str]]:
    """Class name → the names of its bases, for every class in the project's packages."""
    bases: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    names = {
                        base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases
                    }
                    bases.setdefault(node.name, set()).update(names)
    return bases


def ancestors(name: str, bases: dict[str, set[str]]) -> set[str]:
    found: set[str] = set()
    todo = [name]
    while todo:
        for base in bases.get(todo.pop(), ()):
            if base not in found:
                found.add(base)
                todo.append(base)
    return found


def test_every_error_class_is_bad_input_or_unavailable() -> None:
    bases = declared_bases()
    errors = {name for name in bases if ancestors(name, bases) & (BUILTIN_ERRORS | FAMILIES)}
    assert len(errors) > 40, "the source walk found too few error classes to be looking in the right place"
    untyped = sorted(name for name in errors - FAMILIES - BRANCHES if not ancestors(name, bases) & BRANCHES)
    assert untyped == [], f"error classes outside the failure policy: {untyped}"


def test_no_class_is_both_bad_input_and_unavailable() -> None:
    bases = declared_bases()
    both = sorted(name for name in bases if ancestors(name, bases) >= BRANCHES)
    assert both == []
