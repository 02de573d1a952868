#!/usr/bin/env bash
# pnpm test:kube — hydra against a real Kubernetes control plane (see README "Testing against real
# Kubernetes"): builds the binaries once per machine (build.sh), starts one cluster per region
# (cluster.ts), runs the suites with HYDRA_CLUSTERS pointing at it, and stops it.
#
# Without Go it prints that it SKIPPED and exits 0: a skip is not a pass.
# Jest arguments are passed through (e.g. `pnpm test:kube --json --outputFile=r.json`).
# HYDRA_KUBE_KEEP=1 leaves the clusters running afterwards (stop: pnpm exec tsx test/kube/cluster.ts stop).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v go >/dev/null 2>&1; then
  echo "test:kube SKIPPED: go is not installed, so no Kubernetes control plane can be built here."
  echo "test:kube did not run any test against a real cluster; this is not a pass."
  exit 0
fi

SUITES="${HYDRA_KUBE_SUITES:-test/cluster-contract/contract.test.ts test/kube}"
build_start=$SECONDS
HYDRA_KUBE_BIN="$(bash test/kube/build.sh | tail -n 1)"
export HYDRA_KUBE_BIN
echo "test:kube: binaries ready in $((SECONDS - build_start))s ($HYDRA_KUBE_BIN)"

export HYDRA_KUBE_DIR="${HYDRA_KUBE_DIR:-$PWD/.tmp/kube}"
stop() {
  if [ "${HYDRA_KUBE_KEEP:-0}" = 1 ]; then
    echo "test:kube: keeping the clusters (HYDRA_KUBE_KEEP=1); HYDRA_CLUSTERS=$HYDRA_KUBE_DIR/clusters.json"
  else
    pnpm exec tsx test/kube/cluster.ts stop || true
  fi
}
trap stop EXIT
pnpm exec tsx test/kube/cluster.ts start

export HYDRA_CLUSTERS="$HYDRA_KUBE_DIR/clusters.json" HYDRA_CLUSTER_DRIVER=kubernetes HYDRA_CONTRACT_TARGETS=real
# The contract suite reads objects back (and deletes its namespaces) as the admin, hydra's role can't.
export HYDRA_CONTRACT_ADMIN_CLUSTERS="$HYDRA_KUBE_DIR/admin-clusters.json"
suite_start=$SECONDS
status=0
# shellcheck disable=SC2086 # SUITES is a list of paths
pnpm exec jest $SUITES --ci --runInBand --testPathIgnorePatterns /node_modules/ "$@" || status=$?
echo "test:kube: suites ran for $((SECONDS - suite_start))s (exit $status)"
exit "$status"
