#!/usr/bin/env bash
# Deletes the kind clusters create-clusters.sh made, and the files it wrote.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

command -v kind >/dev/null 2>&1 || { echo "delete-clusters: kind is not installed; nothing to delete"; exit 0; }
for region in $HYDRA_KIND_REGIONS; do
  kind delete cluster --name "$(kind_cluster_name "$region")"
done
rm -f "$KIND_KUBECONFIG" "$KIND_CLUSTERS_FILE"
