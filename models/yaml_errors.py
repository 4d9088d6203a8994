"""How a YAML syntax error is told to the person who wrote the file: where it is and what is wrong."""

import yaml


def yaml_syntax_problem(exc: yaml.YAMLError) -> str:
    """'YAML syntax error at line L, column C: problem' (the position when the parser knows it)."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"YAML syntax error{where}: {problem}"
