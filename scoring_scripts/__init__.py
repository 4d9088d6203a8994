"""Call scripts (rubrics) as data files: their YAML format (see README.md) and the loader."""

from scoring_scripts.loader import BUILTIN_SCRIPTS, ScriptError, builtin_script, default_script_for, load_script

__all__ = ["BUILTIN_SCRIPTS", "ScriptError", "builtin_script", "default_script_for", "load_script"]
