# Shared settings of the kind scripts (sourced, not run).
# Regions become kind clusters named hydra-<region>, contexts kind-hydra-<region>.
HYDRA_KIND_REGIONS="${HYDRA_KIND_REGIONS:-us-east eu-west}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HYDRA_KIND_DIR="${HYDRA_KIND_DIR:-$REPO_ROOT/.tmp/kind}"
KIND_KUBECONFIG="$HYDRA_KIND_DIR/kubeconfig"
KIND_CLUSTERS_FILE="$HYDRA_KIND_DIR/clusters.json"
CILIUM_CRD="$REPO_ROOT/test/kube/crds/ciliumnetworkpolicies.cilium.io.yaml"
# Images the suites run; loaded into the nodes so pods do not depend on a registry at test time.
HYDRA_KIND_IMAGES="${HYDRA_KIND_IMAGES:-registry.k8s.io/e2e-test-images/agnhost:2.53}"

kind_cluster_name() { echo "hydra-$1"; }
kind_context() { echo "kind-hydra-$1"; }
