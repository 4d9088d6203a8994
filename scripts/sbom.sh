#!/usr/bin/env bash
# A software bill of materials (CycloneDX 1.6 JSON) of an installed callintel: every Python package in the
# environment that runs it, with versions, licences and package URLs, and callintel itself as the main component.
# Usage: scripts/sbom.sh [PYTHON_OR_VENV] [OUTPUT]   (defaults: the repository's .venv, ./sbom.cdx.json)
# The generator (cyclonedx-bom, in the test extra) runs from .venv; the environment described may be another
# one, such as a production install: pass its interpreter or virtualenv. The output is checked against the
# CycloneDX schema before it is written (about a minute on two cores); SBOM_NO_VALIDATE=1 skips that check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$(realpath -m "${1:-$root/.venv}")
output=$(realpath -m "${2:-sbom.cdx.json}")
cd "$root"
if [ ! -x .venv/bin/cyclonedx-py ]; then
  echo "cyclonedx-py is not installed: run scripts/bootstrap.sh --test (or pip install -e '.[test]')" >&2
  exit 2
fi
validate=--validate
[ "${SBOM_NO_VALIDATE:-0}" = 1 ] && validate=--no-validate
.venv/bin/cyclonedx-py environment --pyproject pyproject.toml --mc-type application --output-reproducible \
  "$validate" --of JSON -o "$output" "$target"
echo "wrote $output" >&2
