#!/usr/bin/env bash
# pnpm test:kind — the integration run against real Kubernetes: two kind clusters (two regions)
# with Cilium's CRD, then the cluster contract suite (and the suites in HYDRA_KIND_SUITES)
# against them through HYDRA_CLUSTERS.
#
# Without Docker, kind or kubectl it prints that it SKIPPED and exits 0: a skip is not a pass.
# HYDRA_KIND_KEEP=1 keeps the clusters afterwards (the next run reuses them).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

skip() {
  echo "test:kind SKIPPED: $1."
  echo "test:kind did not run any test against a real cluster; this is not a pass."
  exit 0
}
for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
docker info >/dev/null 2>&1 || skip "the Docker engine is not reachable (docker info failed)"

SUITES="${HYDRA_KIND_SUITES:-test/cluster-contract}"

cleanup() {
  if [ "${HYDRA_KIND_KEEP:-0}" != 1 ]; then
    "$REPO_ROOT/test/kind/delete-clusters.sh" || true
  else
    echo "keeping the kind clusters (HYDRA_KIND_KEEP=1); delete them with test/kind/delete-clusters.sh"
  fi
}
trap cleanup EXIT

"$REPO_ROOT/test/kind/create-clusters.sh"

export HYDRA_CLUSTERS="$KIND_CLUSTERS_FILE"
export HYDRA_CLUSTER_DRIVER=kubernetes
export KUBECONFIG="$KIND_KUBECONFIG"

status=0
for suite in $SUITES; do
  echo "test:kind: running $suite against $(tr -d '\n ' <"$HYDRA_CLUSTERS")"
  pnpm exec jest "$suite" --ci --runInBand || status=$?
done
if [ "$status" = 0 ]; then
  echo "test:kind: all suites passed against kind ($HYDRA_KIND_REGIONS)."
else
  echo "test:kind: FAILED (exit $status)."
fi
exit "$status"
