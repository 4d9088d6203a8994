#!/usr/bin/env bash
# Rebuilds .gpu_carry/part1..part5, the folders the GPU measurements carry (benchmarks/gpu/README.md).
# Downloads stay in .gpu_carry/downloads between runs; every part is laid out afresh. Fails if a part passes 50 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qxF '.gpu_carry/' .git/info/exclude 2>/dev/null || echo '.gpu_carry/' >> .git/info/exclude
export HF_HUB_OFFLINE=1 PYANNOTE_METRICS_ENABLED=false
.venv/bin/python -m benchmarks.gpu.carry --carry .gpu_carry
