# Sourced by the tests that drive scripts/run (run_keeps_account.sh,
# operator_walkthrough.sh), with the spotd binary as $1. Sets up:
#   root, work     the repository and a temporary directory (removed at exit, with the
#                  PostgreSQL cluster and Redis that scripts/run left in $work/var)
#   fail MSG       prints MSG and the outputs kept in $work, exits 1
#   start NAME ARGS...  scripts/run ARGS in the background, output in $work/NAME.out and
#                  .err, waiting for its banner
#   stop NAME      SIGTERM to scripts/run: it stops spotd, which drains and exits 0
# scripts/run then uses $work/var and puts every listener on 127.0.0.1 with an ephemeral
# port (the cluster: 5432 or the next free one; Redis: 6379 or the next free one), so the
# tests can run beside others.
[ $# -eq 1 ] || { echo "usage: $0 <spotd binary>" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/spot-run-test-XXXXXX)"
# The cluster in $work/var/pg runs as the user postgres, which must be able to reach it.
chmod 711 "$work"
run_pid=""
cleanup() {
  if [ -n "$run_pid" ]; then
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  if [ -d "$work/var/pg/data" ]; then "$root/scripts/pg" stop "$work/var/pg" 2>/dev/null || true; fi
  if [ -d "$work/var/redis" ]; then "$root/scripts/redis" stop "$work/var/redis" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err "$work"/body; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -40 "$f" >&2; }
  done
  exit 1
}

export SPOTD="$1" SPOT_VAR_DIR="$work/var"
export SPOT_HTTP_ADDRESS=127.0.0.1 SPOT_HTTP_PORT=0 SPOT_TCP_ADDRESS=127.0.0.1 SPOT_TCP_PORT=0
export SPOT_ADMIN_ADDRESS=127.0.0.1 SPOT_ADMIN_PORT=0 SPOT_LOG_LEVEL=warn
unset SPOTD_ADMIN_TOKEN SPOT_JOURNAL_DIR

start() {
  (cd "$root" && exec scripts/run "${@:2}") >"$work/$1.out" 2>"$work/$1.err" &
  run_pid=$!
  for _ in $(seq 1 600); do
    grep -q '^Ctrl-C stops spotd' "$work/$1.out" && return 0
    kill -0 "$run_pid" 2>/dev/null || fail "$1: scripts/run exited before its banner"
    sleep 0.1
  done
  fail "$1: no banner within 60 s"
}
stop() {
  kill -TERM "$run_pid"
  local rc=0
  wait "$run_pid" || rc=$?
  run_pid=""
  [ "$rc" -eq 0 ] || fail "$1: scripts/run exited $rc after SIGTERM"
}
