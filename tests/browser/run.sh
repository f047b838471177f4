#!/usr/bin/env bash
# Serves a fresh demo database from the built binary and runs the browser journey against it.
# Expects `cargo leptos build` to have run (target/debug/einblick and target/site).
set -euo pipefail
cd "$(dirname "$0")/../.."

workdir=$(mktemp -d)
port=${EINBLICK_BROWSER_TEST_PORT:-3197}
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

DATABASE_URL="sqlite://$workdir/einblick.sqlite3" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site \
  EINBLICK_LOG=warn EINBLICK_LOG_KEY_DIR="$workdir/log-keys" ./target/debug/einblick serve --demo > "$workdir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$workdir/server.log"; echo "server did not start"; exit 1; }
  sleep 0.2
done
node tests/browser/journey.mjs "http://127.0.0.1:$port" || { echo "--- server log ---"; tail -50 "$workdir/server.log"; exit 1; }
