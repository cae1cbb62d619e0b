#!/usr/bin/env bash
# The Prometheus files in docker/prometheus/ pass promtool: the alert rules
# (`check rules`), their unit tests (`test rules alerts_test.yml`) and the compose scrape
# configuration (`check config`, which checks the rule files it names too).
#   tests/ops/promtool_test.sh <promtool>
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 <promtool>" >&2; exit 2; }
promtool="$1"
dir="$(cd "$(dirname "$0")/../../docker/prometheus" && pwd)"
cd "$dir"
"$promtool" check rules alerts.yml
"$promtool" test rules alerts_test.yml
"$promtool" check config prometheus.yml
echo "promtool_test: docker/prometheus passes check rules, test rules and check config"
