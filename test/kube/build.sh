#!/usr/bin/env bash
# Builds the real control plane `pnpm test:kube` runs, once per machine: kube-apiserver,
# kube-controller-manager, kube-scheduler (from test/kube/k8s), etcd and kwok (test/kube/etcd, test/kube/kwok), into
#   ${HYDRA_KUBE_CACHE:-~/.cache/hydra-kube}/<k8s-version>/bin
# A stamp of the wrapper modules' go.mod/go.sum marks a finished build, so a warm run returns at once.
# Cold: ~30-60 min on 2 shared cores (Go's build cache, ~/.cache/go-build, also speeds a rebuild).
# Prints the bin directory on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly

bin="${HYDRA_KUBE_CACHE:-$HOME/.cache/hydra-kube}/$K8S_VERSION-etcd-$ETCD_VERSION/bin"
stamp_of() { cat "$here/$1/go.mod" "$here/$1/go.sum" | sha256sum | cut -d' ' -f1; }
built() { [ -f "$bin/.stamp-$1" ] && [ "$(cat "$bin/.stamp-$1")" = "$(stamp_of "$1")" ]; }
mkdir -p "$bin"

if ! command -v go >/dev/null; then echo "build: go is not installed" >&2; exit 3; fi

if ! built k8s; then
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  version_flags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    version_flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    version_flags+=" -X $pkg.gitTreeState=clean"
  done
  start=$SECONDS
  echo "build: kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION -> $bin (cold: tens of minutes)" >&2
  (cd "$here/k8s" && go build -trimpath -ldflags "-s -w$version_flags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler)
  stamp_of k8s > "$bin/.stamp-k8s"
  echo "build: kubernetes binaries built in $((SECONDS - start))s" >&2
fi

# etcd and the kubelet stand-in (kwok): one binary each, from their own wrapper modules.
build_tool() { # <module dir> <package> <binary name>
  built "$1" && return 0
  local start=$SECONDS
  echo "build: $3 ($2) -> $bin" >&2
  (cd "$here/$1" && go build -trimpath -ldflags "-s -w" -o "$bin/$3" "$2")
  stamp_of "$1" > "$bin/.stamp-$1"
  echo "build: $3 built in $((SECONDS - start))s" >&2
}
build_tool etcd go.etcd.io/etcd/server/v3 etcd
build_tool kwok sigs.k8s.io/kwok/cmd/kwok kwok

echo "$bin"
