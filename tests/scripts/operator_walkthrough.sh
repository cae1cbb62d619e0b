#!/usr/bin/env bash
# What a new operator reads is what spotd does: the commands of README.md's "Using it"
# block and of docs/runbook-dlq.md's "Try it against scripts/run" block, run as written
# against scripts/run (spotd with its PostgreSQL cluster and Redis).
#   tests/scripts/operator_walkthrough.sh <spotd binary>
# Only the ports change (ephemeral, on 127.0.0.1: scripts_run_support.sh) and the paths of
# var/ and build/release/. Each curl must answer 2xx
# with a JSON body (/metrics: the text format), except the dead-letter routes of id 1 in
# the README block, which run before any dead letter exists: 404, spotctl exit 5. In the
# runbook block each command must exit 0, or the code its comment names ("# exit 7"), and
# the last one must show the replayed row.
set -euo pipefail
bin="$(cd "$(dirname "$1")" && pwd)"
source "$(dirname "$0")/scripts_run_support.sh"

start run
ports="$(cat "$work/var/ports.json")"
port_of() { echo "$ports" | sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }
http_port="$(port_of http)"
admin_port="$(port_of admin)"

# The first ```sh block after the heading $2 of file $1, continuation lines joined.
block() {
  awk -v heading="$2" '
    $0 == heading { in_section = 1; next }
    in_section && /^```sh/ { in_block = 1; next }
    in_block && /^```/ { exit }
    in_block { print }
  ' "$1" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta'
}
# A line as it runs here: this spotd's ports, this var/ and build/.
localize() {
  sed -e "s#localhost:8080#127.0.0.1:$http_port#g" \
      -e "s#127\.0\.0\.1:8081#127.0.0.1:$admin_port#g" \
      -e "s#SPOTCTL_PORT=8081#SPOTCTL_PORT=$admin_port#g" \
      -e "s#var/#$work/var/#g" \
      -e "s#build/release/#$bin/#g" <<<"$1"
}

cd "$root"
readme="$(block README.md '## Using it')"
[ "$(grep -c '^curl' <<<"$readme")" -ge 20 ] || fail "README.md: fewer than 20 curl lines under Using it"
curls=0
while IFS= read -r line; do
  line="${line%%  #*}"
  case "$line" in
    '' | '#'*) continue ;;
    'TOKEN='*) eval "$(localize "$line")" ;;
    'ACCOUNT='*)
      # The accountId of the account the line before created.
      ACCOUNT="$(sed -nE 's/.*"accountId":([0-9]+).*/\1/p' "$work/body")"
      [ -n "$ACCOUNT" ] || fail "no accountId in the reply before: $line" ;;
    'KEY='*)
      # The apiKey of the account the line before created.
      KEY="$(sed -nE 's/.*"apiKey":"([0-9a-f]+)".*/\1/p' "$work/body")"
      [ -n "$KEY" ] || fail "no apiKey in the reply before: $line" ;;
    'export '*) eval "$(localize "$line")" ;;
    curl*)
      command="$(localize "$line") -o $work/body -w %{http_code}"
      code="$(eval "$command")" || fail "curl failed: $line"
      expected=2xx
      if grep -qE 'dlq/1( |/|$)' <<<"$line"; then expected=404; fi
      case "$expected:$code" in
        2xx:2??) ;;
        404:404) ;;
        *) fail "HTTP $code, expected $expected: $line" ;;
      esac
      if grep -q '/metrics' <<<"$line"; then
        grep -q '^spot_build_info' "$work/body" || fail "no spot_build_info in /metrics"
      else
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/body" ||
          fail "not JSON: $line"
      fi
      curls=$((curls + 1)) ;;
    "build/release/spotctl "*)
      rc=0
      eval "$(localize "$line")" >"$work/cmd.out" 2>&1 || rc=$?
      expected=0
      if grep -qE 'dlq (show|replay|discard) 1( |$)' <<<"$line"; then expected=5; fi
      [ "$rc" -eq "$expected" ] || fail "exit $rc, expected $expected: $line"
      ;;
    *) fail "README.md: a line this walkthrough does not know how to run: $line" ;;
  esac
done <<<"$readme"
echo "README.md: $curls curl commands answered as documented"

# The runbook's poison record, replayed.
runbook="$(block docs/runbook-dlq.md '## Try it against scripts/run')"
steps=0
while IFS= read -r line; do
  expected=0
  if [[ "$line" =~ \#\ exit\ ([0-9]+) ]]; then expected="${BASH_REMATCH[1]}"; fi
  line="${line%%  #*}"
  case "$line" in
    '' | '#'*) continue ;;
    'scripts/run &'*) continue ;;  # running already
  esac
  rc=0
  eval "$(localize "$line")" >"$work/cmd.out" 2>&1 || rc=$?
  [ "$rc" -eq "$expected" ] || fail "exit $rc, expected $expected: $line"
  steps=$((steps + 1))
  # A person takes seconds between two lines; the projector needs milliseconds to set the
  # refused record aside. Wait for it before the next line looks.
  if [[ "$line" == curl* ]]; then
    for _ in $(seq 1 100); do
      "$bin/spotctl" dlq show 1 >/dev/null 2>&1 && break
      sleep 0.1
    done
  fi
done <<<"$runbook"
grep -qE '^ +[0-9]+ \| NEW' "$work/cmd.out" || fail "the replayed order is not in the database"
echo "docs/runbook-dlq.md: $steps steps as documented, the dead letter replayed"

stop run
echo "operator walkthrough: ok"
