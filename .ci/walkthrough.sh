#!/usr/bin/env bash
# Runs the curl commands of the README's walkthrough, verbatim, against a
# server started from this work tree on a fresh database, and fails if any
# of them gets an error status.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
port=18026
go build -o "$work/opentid" ./cmd/opentid
"$work/opentid" serve --addr "127.0.0.1:$port" --db "$work/walk.db" 2>"$work/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# The shell blocks of the walkthrough section, joined, with the port of this run.
awk '/^## A walkthrough/{on=1; next} /^## /{on=0} on' README.md |
  awk '/^```sh/{inb=1; next} /^```/{inb=0} inb' |
  sed "s/localhost:1026/127.0.0.1:$port/g" >"$work/walk.sh"

# Every curl fails on an HTTP error status.
sed -i 's/^curl /curl --fail-with-body -sS /' "$work/walk.sh"
echo "--- running:"; cat "$work/walk.sh"; echo "---"
bash -euo pipefail "$work/walk.sh"
echo
echo "walkthrough passed"
