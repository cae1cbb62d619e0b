# shellcheck shell=bash
# Shell helpers shared by bench/compare.sh and bench/profile.sh (sourced, not run; the
# working directory is the repository's root).

# The value of key $2 in the JSON object in file $1.
json_get() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# Waits up to 10 s for file $1 to exist and not be empty; fails if it never does.
wait_file() {
  for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done
  return 1
}

# The assets of the symbols in config/spotd.toml, space-separated.
config_assets() {
  python3 -c 'import sys,tomllib;print(" ".join(sorted({a for s in tomllib.load(open(sys.argv[1],"rb"))["symbols"] for a in s["name"].split("-")})))' config/spotd.toml
}

# Deposits $5 (default 10^9) of every asset into account $3 through spotd's admin API
# on port $1 with token $2, each with reference "$4-<asset>". Every order locks what it
# may spend, so a load account funded far beyond what a run can lock has no order
# refused for money.
fund_account() {
  local admin="$1" token="$2" account="$3" reference="$4" amount="${5:-1000000000}" asset
  for asset in $(config_assets); do
    curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" \
      -d "{\"asset\":\"$asset\",\"amount\":\"$amount\",\"reference\":\"$reference-$asset\"}" \
      "127.0.0.1:$admin/admin/v1/accounts/$account/deposits" ||
      { echo "funding account $account with $asset failed" >&2; return 1; }
  done
}
