#!/usr/bin/env bash
# Creates servers/sekmet/.venv with sekmet-fhir and its pinned dependencies (idempotent).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
stamp=.venv/.requirements.installed
if [ -x .venv/bin/sekmet ] && [ -f "$stamp" ] && cmp -s requirements.txt "$stamp"; then
  exit 0
fi
rm -rf .venv
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
cp requirements.txt "$stamp"
