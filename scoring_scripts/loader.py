"""Loading call scripts from YAML files into `models.CallScript`, with errors that name the file and the problem."""

from pathlib import Path

import yaml
from pydantic import ValidationError

from models import CallScript, ConversationMetrics, MetricCondition, ScriptItem, ScriptSection
from models.yaml_errors import yaml_syntax_problem

SCRIPTS_DIR = Path(__file__).parent / "scripts"
BUILTIN_SCRIPTS: tuple[str, ...] = ("ru_b2b_discovery", "en_b2b_discovery")
_DEFAULT_BY_LANGUAGE = {"ru": "ru_b2b_discovery", "en": "en_b2b_discovery"}


class ScriptError(ValueError):
    """A call script file that cannot be read or is not a valid script."""


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _first_problem(error: ValidationError) -> str:
    detail = error.errors(include_url=False)[0]
    message = detail["msg"].removeprefix("Value error, ")
    message = message.replace("greater than or equal to", "≥").replace("Input should be", "must be")
    if detail["type"] == "missing":
        message = "is required"
    extra = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    where = _location(detail["loc"])
    return f"{where}: {message}{extra}" if where else f"{message}{extra}"


def _unknown_key(data: dict) -> str | None:
    """The path of the first key no model knows: the contracts ignore extra keys, so a typo would pass silently."""

    def extra(node: object, model: type, path: str) -> str | None:
        if not isinstance(node, dict):
            return None
        unknown = sorted(str(key) for key in node if key not in model.model_fields)
        if unknown:
            return f"{path}.{unknown[0]}" if path else unknown[0]
        return None

    found = extra(data, CallScript, "")
    for s_index, section in enumerate(data.get("sections") or []):
        found = found or extra(section, ScriptSection, f"sections[{s_index}]")
        items = section.get("items") if isinstance(section, dict) else None
        for i_index, item in enumerate(items or []):
            path = f"sections[{s_index}].items[{i_index}]"
            found = found or extra(item, ScriptItem, path)
            if isinstance(item, dict):
                found = found or extra(item.get("metric"), MetricCondition, f"{path}.metric")
    return found


def _metric_names(model: type = ConversationMetrics, prefix: str = "") -> list[str]:
    names: list[str] = []
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and hasattr(info.annotation, "model_fields"):
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
                    f"sections[{s_index}].items[{i_index}].metric.metric: unknown metric {item.metric.metric!r} "
                    f"(known: {', '.join(known)})"
                )
    return None


def parse_script(text: str, source: str) -> CallScript:
    """A script from YAML text; `source` names where the text came from in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScriptError(f"{source}: {yaml_syntax_problem(exc)}") from exc
    if not isinstance(data, dict):
        raise ScriptError(f"{source}: a call script must be a mapping of keys (id, version, title, sections...)")
    try:
        script = CallScript.model_validate(data)
    except ValidationError as exc:
        raise ScriptError(f"{source}: {_first_problem(exc)}") from exc
    unknown = _unknown_key(data)
    if unknown:
        raise ScriptError(f"{source}: {unknown}: is not a known key (see scoring_scripts/README.md)")
    bad_metric = _unknown_metric(script)
    if bad_metric:
        raise ScriptError(f"{source}: {bad_metric}")
    return script


def load_script(path: Path) -> CallScript:
    """Read and validate one call script file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read the call script: {exc.strerror or exc}") from exc
    return parse_script(text, str(path))


def builtin_script(name: str) -> CallScript:
    """One of the scripts shipped with callintel, by name (see `BUILTIN_SCRIPTS`)."""
    if name not in BUILTIN_SCRIPTS:
        raise ScriptError(f"no built-in call script named {name!r}; the built-in ones are {', '.join(BUILTIN_SCRIPTS)}")
    return load_script(SCRIPTS_DIR / f"{name}.yaml")


def default_script_for(language: str) -> CallScript:
    """The built-in script for a call's language; English for languages without one of their own."""
    return builtin_script(_DEFAULT_BY_LANGUAGE.get(language.split("-")[0].lower(), "en_b2b_discovery"))
