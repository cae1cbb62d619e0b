#!/usr/bin/env bash
# The Prometheus files in docker/prometheus/ pass promtool: the alert rules
# (`check rules`), their unit tests (`test rules alerts_test.yml`) and the compose scrape
# configuration (`check config`, which checks the rule files it names too); every alert's
# runbook_url names a section of a document in the repository.
#   tests/ops/promtool_test.sh <promtool>
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <promtool>" >&2; exit 2; }
promtool="$1"
dir="$(cd "$(dirname "$0")/../../docker/prometheus" && pwd)"
cd "$dir"
"$promtool" check rules alerts.yml
"$promtool" test rules alerts_test.yml
"$promtool" check config prometheus.yml
# Every alert has a runbook_url, and each names a file of the repository and a heading
# in it (GitHub's anchor of "## SpotdDown" is "spotddown").
root="$(cd ../.. && pwd)"
alerts="$(grep -c -- '- alert:' alerts.yml)"
urls="$(grep -c 'runbook_url:' alerts.yml)"
[ "$alerts" -eq "$urls" ] || { echo "FAIL: $alerts alerts but $urls runbook_url" >&2; exit 1; }
while read -r url; do
  file="${url%%#*}"
  anchor="${url#*#}"
  [ -f "$root/$file" ] || { echo "FAIL: runbook $file does not exist" >&2; exit 1; }
  grep -E '^#+ ' "$root/$file" | sed -E 's/^#+ //' | tr '[:upper:]' '[:lower:]' |
    grep -qx -- "$anchor" || { echo "FAIL: no heading for #$anchor in $file" >&2; exit 1; }
done < <(sed -nE 's/^ *runbook_url: *"([^"]*)".*/\1/p' alerts.yml)
echo "promtool_test: docker/prometheus passes check rules, test rules and check config; runbooks found"
