#!/usr/bin/env bash
# Kubernetes for the integration tests: kube-apiserver, kubectl, etcd and helm, built from the Go
# module proxy at the versions pinned in test/k8s/go.mod (skipped at once when already built).
set -euo pipefail
exec bash "$(dirname "$0")/../k8s/build.sh"
