#!/usr/bin/env bash
# Serves a fresh demo database from the built binary and runs the browser journey against it;
# then serves a second one set up for every way in (a real OpenID provider for staff and
# customers, portal sessions from a shop) and runs the sign-in tests against that.
# Expects the site built as .ci/test builds it (target/debug/einblick and target/site, split per page).
set -euo pipefail
cd "$(dirname "$0")/../.."

workdir=$(mktemp -d)
port=${EINBLICK_BROWSER_TEST_PORT:-3197}
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "${second_pid:-}" ] && kill "$second_pid" 2>/dev/null || true
  [ -n "${provider_pid:-}" ] && kill "$provider_pid" 2>/dev/null || true
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
status=0
node tests/browser/journey.mjs "http://127.0.0.1:$port" || { echo "--- server log ---"; tail -50 "$workdir/server.log"; status=1; }

# The second server, for the ways in. Ports next to the first: the provider must know the
# server's callback address before either starts.
second_port=$((port + 1))
shop_port=$((port + 2))
second="http://127.0.0.1:$second_port"
cat > "$workdir/provider.json" <<JSON
{ "port": $((port + 3)),
  "clients": [
    { "client_id": "einblick-staff", "client_secret": "browser-test-staff-secret",
      "redirect_uris": ["$second/staff/login/sso/callback"], "post_logout_redirect_uris": ["$second/staff/login"] },
    { "client_id": "einblick-customers", "client_secret": "browser-test-customer-secret",
      "redirect_uris": ["$second/login/oidc/callback"], "post_logout_redirect_uris": ["$second/login"] } ],
  "accounts": {
    "analyst": { "name": "Ada Analyst", "email": "ada@corp.example", "email_verified": true, "groups": ["einblick-analysts"] },
    "lead": { "name": "Lea Lead", "email": "lea@corp.example", "email_verified": true, "groups": ["einblick-leads"] },
    "marketing": { "name": "Mark Eting", "email": "mark@corp.example", "email_verified": true, "groups": ["marketing"] },
    "nora": { "name": "Nora Kundin", "email": "nora@example.org", "locale": "en-GB", "customer_number": "C-880001" } } }
JSON
node tests/oidc/provider.mjs "$workdir/provider.json" > "$workdir/provider.log" 2>&1 &
provider_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening ' "$workdir/provider.log" 2>/dev/null && break
  kill -0 "$provider_pid" 2>/dev/null || { cat "$workdir/provider.log"; echo "identity provider did not start"; exit 1; }
  sleep 0.2
done
issuer=$(sed -n 's/^listening //p' "$workdir/provider.log")
export DATABASE_URL="sqlite://$workdir/second.sqlite3"
LEPTOS_SITE_ADDR="127.0.0.1:$second_port" LEPTOS_SITE_ROOT=target/site EINBLICK_PUBLIC_URL="$second" \
  EINBLICK_LOG=warn EINBLICK_LOG_KEY_DIR="$workdir/log-keys-2" EINBLICK_OUTBOX_DIR="$workdir/outbox-2" \
  EINBLICK_OIDC_ISSUER="$issuer" EINBLICK_OIDC_CLIENT_ID=einblick-staff EINBLICK_OIDC_CLIENT_SECRET=browser-test-staff-secret \
  EINBLICK_OIDC_PROVIDER_NAME="Corp Login" \
  EINBLICK_OIDC_ROLE_MAP="einblick-admins=admin,einblick-leads=privacy_lead,einblick-analysts=privacy_analyst" \
  EINBLICK_CUSTOMER_OIDC_ISSUER="$issuer" EINBLICK_CUSTOMER_OIDC_CLIENT_ID=einblick-customers \
  EINBLICK_CUSTOMER_OIDC_CLIENT_SECRET=browser-test-customer-secret EINBLICK_CUSTOMER_OIDC_PROVIDER_NAME="Shop Account" \
  EINBLICK_CUSTOMER_SIGN_IN=portal,oidc,password EINBLICK_RETURN_ORIGINS="http://127.0.0.1:$shop_port" \
  ./target/debug/einblick serve --demo > "$workdir/server-2.log" 2>&1 &
second_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$second/healthz" > /dev/null 2>&1 && break
  kill -0 "$second_pid" 2>/dev/null || { cat "$workdir/server-2.log"; echo "second server did not start"; exit 1; }
  sleep 0.2
done
service_token=$(EINBLICK_LOG=warn ./target/debug/einblick service-token create --label "browser test shop" | grep '^ebs_')
feed_token=$(EINBLICK_LOG=warn ./target/debug/einblick token create --source /shop/browser-test | grep '^ebf_')
node tests/browser/sign_in.mjs "$second" "$shop_port" "$service_token" "$feed_token" \
  || { echo "--- second server log ---"; tail -50 "$workdir/server-2.log"; status=1; }
exit $status
