#!/usr/bin/env bash
# Runs the test suite, installing what it needs on first use. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
export PYANNOTE_METRICS_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest "$@"
