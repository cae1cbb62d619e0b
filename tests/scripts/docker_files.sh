#!/usr/bin/env bash
# What can be checked of docker/ without a Docker daemon: the compose file parses, has
# the five services wired to each other, mounts files that exist; Prometheus scrapes
# spotd's admin port; the Dockerfile builds the targets scripts/run builds, runs as a
# non-root user and checks /readyz. (promtool checks of the Prometheus files are
# tests/ops.) Usage: docker_files.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python3 - "$root" <<'PY'
import re, sys, yaml
root = sys.argv[1]
fail = []
def check(ok, what):
    if not ok:
        fail.append(what)

compose = yaml.safe_load(open(f"{root}/docker/docker-compose.yml"))
services = compose["services"]
check(set(services) == {"spotd", "postgres", "redis", "prometheus", "grafana"},
      f"services: {sorted(services)}")
spotd = services["spotd"]
env = spotd["environment"]
check("@postgres:5432/" in env["SPOT_POSTGRES_URL"], "spotd's database is the postgres service")
check(env["SPOT_REDIS_URL"].startswith("redis://redis:6379"), "spotd's cache is the redis service")
check(env.get("SPOT_ADMIN_ADDRESS") == "0.0.0.0", "the admin port is reachable by prometheus")
check(set(spotd["depends_on"]) == {"postgres", "redis"}, "spotd waits for postgres and redis")
check(spotd["build"]["dockerfile"] == "docker/Dockerfile", "spotd is built from docker/Dockerfile")
check(services["postgres"]["image"].startswith("postgres:15"), "postgres:15")
check(services["redis"]["image"].startswith("redis:7"), "redis:7")
import os
def mounts(name):
    out = []
    for v in services[name].get("volumes", []):
        src = v.split(":")[0]
        if src.startswith("./"):
            out.append(os.path.normpath(os.path.join(root, "docker", src)))
    return out
for name in ("prometheus", "grafana"):
    for path in mounts(name):
        check(os.path.exists(path), f"{name} mounts {path}, which exists")
prom = yaml.safe_load(open(f"{root}/docker/prometheus/prometheus.yml"))
targets = [t for job in prom["scrape_configs"] for sc in job.get("static_configs", [])
           for t in sc.get("targets", [])]
check("spotd:8081" in targets, f"prometheus scrapes spotd:8081 (targets {targets})")
check(any("alerts.yml" in f for f in prom.get("rule_files", [])), "prometheus loads alerts.yml")
check(os.path.exists(f"{root}/docker/prometheus/alerts.yml"), "docker/prometheus/alerts.yml")
check(os.path.isdir(f"{root}/docker/grafana/dashboards") and
      any(f.endswith(".json") for f in os.listdir(f"{root}/docker/grafana/dashboards")),
      "a dashboard in docker/grafana/dashboards")

docker = open(f"{root}/docker/Dockerfile").read()
check(len(re.findall(r"^FROM ", docker, re.M)) == 2, "a two-stage Dockerfile")
check(re.search(r"^FROM debian:bookworm", docker, re.M) is not None, "built on Debian bookworm")
run_targets = re.search(r"scripts/build release ([^\n]*)", open(f"{root}/scripts/run").read())
built = re.search(r"scripts/build release ([^\n&]*)", docker)
check(run_targets and built and
      sorted(run_targets.group(1).split()) == sorted(built.group(1).split()),
      "the Dockerfile builds the targets scripts/run builds")
user = re.findall(r"^USER (\S+)", docker, re.M)
check(user and user[-1] not in ("root", "0"), "runs as a non-root user")
check(re.search(r"^HEALTHCHECK .*\n?.*readyz", docker, re.M) is not None, "HEALTHCHECK on /readyz")
if fail:
    print("docker files:\n  " + "\n  ".join(fail))
    sys.exit(1)
print("docker files: compose, Prometheus wiring and Dockerfile as expected")
PY
