#!/usr/bin/env bash
# Fails when the tables in src/**/*.table.ts differ from the committed migration snapshots: drizzle-kit would
# generate a new migration. Works on a copy of drizzle/, so the checkout is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d .drift-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp -r drizzle "$tmp/drizzle"
before=$(find "$tmp/drizzle" -type f | sort | xargs sha256sum)
npx drizzle-kit generate --dialect postgresql --schema './src/**/*.table.ts' --out "$tmp/drizzle" >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
after=$(find "$tmp/drizzle" -type f | sort | xargs sha256sum)
if [ "$before" != "$after" ]; then
  echo "migration drift: the table definitions differ from drizzle/ — run 'npm run db:generate' and commit" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "migrations match the table definitions"
