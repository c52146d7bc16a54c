#!/usr/bin/env bash
# CI step of the generated clients: regenerates the Go and TypeScript
# clients from spec/openapi.yaml and fails if the committed code differs,
# then builds the TypeScript client and runs its tests against a reference
# server built from this tree. Needs Go, git, and Node 20 or later with npm.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node --version | sed 's/^v\([0-9]*\).*/\1/')
if [ "$node_major" -lt 20 ]; then
  echo "clients: Node 20 or later is needed, found $(node --version)" >&2
  exit 1
fi

echo "== clients: install the TypeScript dependencies (npm ci)"
(cd clients/typescript && npm ci --no-audit --no-fund)

echo "== clients: regenerate"
go generate ./clients/...
(cd clients/typescript && npm run --silent generate)

echo "== clients: generated code matches the committed code"
git diff --exit-code -- clients/
untracked=$(git ls-files --others --exclude-standard -- clients/)
if [ -n "$untracked" ]; then
  echo "clients: files not committed after generation:"; echo "$untracked"
  exit 1
fi

echo "== clients: Go client"
go vet ./clients/...
go test ./clients/...

echo "== clients: TypeScript build and tests against a reference server"
bin_dir=$(mktemp -d)
trap 'rm -rf "$bin_dir"' EXIT
go build -o "$bin_dir/opentid" ./cmd/opentid
(cd clients/typescript && npm run --silent build && OPENTID_BIN="$bin_dir/opentid" npm test)

echo "clients: OK"
