"""Loading call scripts from YAML files into `models.CallScript`, with errors that name the file and the problem."""

from pathlib import Path

from pydantic import BaseModel

from models import CallScript, ConversationMetrics
from models.documents import DocumentError, DocumentKind, load_document, parse_document

SCRIPTS_DIR = Path(__file__).parent / "scripts"
BUILTIN_SCRIPTS: tuple[str, ...] = ("ru_b2b_discovery", "en_b2b_discovery")
_DEFAULT_BY_LANGUAGE = {"ru": "ru_b2b_discovery", "en": "en_b2b_discovery"}


class ScriptError(DocumentError):
    """A call script file that cannot be read or is not a valid script."""


_SCRIPT = DocumentKind("call script", CallScript, "scoring_scripts/README.md", ScriptError)


def _metric_names(model: type[BaseModel] = ConversationMetrics, prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            names += _metric_names(info.annotation, f"{prefix}{name}.")
        elif info.annotation in (int, float):
            names.append(f"{prefix}{name}")
    return names


def _unknown_metric(script: CallScript) -> str | None:
    known = _metric_names()
    for s_index, section in enumerate(script.sections):
        for i_index, item in enumerate(section.items):
            if item.metric is not None and item.metric.metric not in known:
                return (
                    f"sections[{s_index}] ({section.id}).items[{i_index}] ({item.id}).metric.metric: "
                    f"unknown metric {item.metric.metric!r} (known: {', '.join(known)})"
                )
    return None


def parse_script(text: str, source: str) -> CallScript:
    """A script from YAML text; `source` names where the text came from in error messages."""
    return _known_metrics(parse_document(text, source, _SCRIPT), source)


def load_script(path: Path) -> CallScript:
    """Read and validate one call script file."""
    return _known_metrics(load_document(path, _SCRIPT), str(path))


def _known_metrics(script: CallScript, source: str) -> CallScript:
    bad_metric = _unknown_metric(script)
    if bad_metric:
        raise ScriptError(f"{source}: {bad_metric}")
    return script


def builtin_script(name: str) -> CallScript:
    """One of the scripts shipped with callintel, by name (see `BUILTIN_SCRIPTS`)."""
    if name not in BUILTIN_SCRIPTS:
        raise ScriptError(f"no built-in call script named {name!r}; the built-in ones are {', '.join(BUILTIN_SCRIPTS)}")
    return load_script(SCRIPTS_DIR / f"{name}.yaml")


def default_script_for(language: str) -> CallScript:
    """The built-in script for a call's language; English for languages without one of their own."""
    return builtin_script(_DEFAULT_BY_LANGUAGE.get(language.split("-")[0].lower(), "en_b2b_discovery"))
