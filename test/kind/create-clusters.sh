#!/usr/bin/env bash
# Creates one kind cluster per region (idempotent), applies Cilium's CiliumNetworkPolicy CRD to
# each, preloads the test images, and writes the HYDRA_CLUSTERS file
# ($HYDRA_KIND_DIR/clusters.json) with a kubeconfig holding one context per region.
#
#   test/kind/create-clusters.sh            # regions us-east and eu-west
#   HYDRA_KIND_REGIONS="a b c" test/kind/create-clusters.sh
#
# Needs docker (a running engine), kind and kubectl on PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "create-clusters: $tool is not installed" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "create-clusters: the Docker engine is not reachable (docker info failed)" >&2; exit 1; }

mkdir -p "$HYDRA_KIND_DIR"
existing="$(kind get clusters 2>/dev/null || true)"

for region in $HYDRA_KIND_REGIONS; do
  name="$(kind_cluster_name "$region")"
  if grep -qx "$name" <<<"$existing"; then
    echo "kind cluster $name exists; reusing it"
    kind export kubeconfig --name "$name" --kubeconfig "$KIND_KUBECONFIG" >/dev/null
  else
    echo "creating kind cluster $name (region $region)"
    kind create cluster --name "$name" --kubeconfig "$KIND_KUBECONFIG" --wait 180s ${HYDRA_KIND_NODE_IMAGE:+--image "$HYDRA_KIND_NODE_IMAGE"}
  fi
  context="$(kind_context "$region")"
  echo "applying the CiliumNetworkPolicy CRD to $context"
  kubectl --kubeconfig "$KIND_KUBECONFIG" --context "$context" apply --server-side --field-manager hydra-kind -f "$CILIUM_CRD" >/dev/null
  kubectl --kubeconfig "$KIND_KUBECONFIG" --context "$context" wait --for condition=established --timeout 60s crd/ciliumnetworkpolicies.cilium.io >/dev/null
  for image in $HYDRA_KIND_IMAGES; do
    # Best effort: without it the nodes pull the image themselves.
    if docker image inspect "$image" >/dev/null 2>&1 || docker pull -q "$image" >/dev/null 2>&1; then
      kind load docker-image "$image" --name "$name" >/dev/null 2>&1 || echo "note: could not load $image into $name; its nodes will pull it"
    fi
  done
done

# HYDRA_CLUSTERS: region → { kubeconfig, context }, as deploy-svc reads it.
{
  echo "{"
  first=1
  for region in $HYDRA_KIND_REGIONS; do
    [ "$first" = 1 ] || echo ","
    first=0
    printf '  "%s": { "kubeconfig": "%s", "context": "%s" }' "$region" "$KIND_KUBECONFIG" "$(kind_context "$region")"
  done
  echo ""
  echo "}"
} >"$KIND_CLUSTERS_FILE"

echo "kubeconfig:     $KIND_KUBECONFIG"
echo "HYDRA_CLUSTERS: $KIND_CLUSTERS_FILE"
