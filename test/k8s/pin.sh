#!/usr/bin/env bash
# Re-pins the wrapper module to new releases: writes test/k8s/go.mod with a replace line for every
# staging module the Kubernetes release requires at v0.0.0, then go mod tidy fills in go.sum.
# Usage: test/k8s/pin.sh <kubernetes v1.Y.Z> <etcd v3.A.B> <helm v4.C.D>
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 <kubernetes v1.Y.Z> <etcd v3.A.B> <helm v4.C.D>" >&2
  exit 2
fi
k8s="$1" etcd="$2" helm="$3"
here="$(cd "$(dirname "$0")" && pwd)"
staging_version="v0.${k8s#v1.}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
# The checksum database is not reachable here; the proxy is trusted over HTTPS and go.sum is
# committed, so builds verify against it.
export GOSUMDB=off

modfile="$(cd /tmp && go mod download -json "k8s.io/kubernetes@$k8s" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
staging="$(awk '/^\tk8s\.io\/[a-z0-9-]+ v0\.0\.0$/ { print $1 }' "$modfile")"
go_version="$(awk '$1 == "go" { print $2; exit }' "$modfile")"

{
  echo '// Builds the Kubernetes tools the integration tests run (kube-apiserver, kubectl, etcd, helm)'
  echo '// from the Go module proxy; see build.sh. k8s.io/kubernetes is not meant to be imported: its'
  echo '// go.mod points its staging modules at ./staging, so every one is pinned to its release here.'
  echo '// Written by pin.sh.'
  echo 'module qshield.dev/test/k8s'
  echo
  echo "go $go_version"
  echo
  echo 'require ('
  echo "	go.etcd.io/etcd/server/v3 $etcd"
  echo "	helm.sh/helm/v4 $helm"
  echo "	k8s.io/kubernetes $k8s"
  echo ')'
  echo
  echo 'replace ('
  for module in $staging; do echo "	$module => $module $staging_version"; done
  echo ')'
  echo
  echo 'tool ('
  echo '	helm.sh/helm/v4/cmd/helm'
  echo '	k8s.io/kubernetes/cmd/kube-apiserver'
  echo '	k8s.io/kubernetes/cmd/kubectl'
  echo ')'
} > "$here/go.mod"
rm -f "$here/go.sum"
(cd "$here" && go mod tidy)
echo "pin: kubernetes $k8s (staging $staging_version), etcd $etcd, helm $helm; now run npm run k8s:build"
