#!/usr/bin/env bash
# Usage: servers/sekmet/start.sh PORT DATA_DIR
# Starts sekmet-fhir (FHIR R4 + Bulk Data $export) on http://127.0.0.1:PORT/fhir with its SQLite
# database and bulk files under DATA_DIR (use a fresh temporary directory per run).
# Creates servers/sekmet/.venv first if it is missing. Runs in the foreground (exec).
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: $0 PORT DATA_DIR" >&2
  exit 2
fi
PORT="$1"
DATA_DIR="$(mkdir -p "$2" && cd "$2" && pwd)"
HERE="$(cd "$(dirname "$0")" && pwd)"
"$HERE/install.sh"
sed -e "s|@PORT@|$PORT|g" -e "s|@DATA_DIR@|$DATA_DIR|g" "$HERE/settings.yaml" > "$DATA_DIR/settings.yaml"
export SEKMET_CONFIG="$DATA_DIR/settings.yaml"
cd "$DATA_DIR"
exec "$HERE/.venv/bin/sekmet" serve --config "$DATA_DIR/settings.yaml" --host 127.0.0.1 --port "$PORT"
