#!/usr/bin/env bash
# Builds kube-apiserver, kubectl, etcd and helm from the Go module proxy into .cache/k8s/bin, at
# the versions pinned in test/k8s/go.mod. Skips in milliseconds when the binaries were built from
# the same go.mod/go.sum/flags (a stamp records the key); a cold build takes many minutes.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${QSHIELD_K8S_CACHE:-$root/.cache/k8s}"
bin="$cache/bin"
stamp="$bin/.stamp"
tools=(kube-apiserver kubectl etcd helm)

# One source of truth for the versions: the wrapper module's go.mod.
version_of() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit } $2 == m && $3 ~ /^v/ { print $3; exit }' "$here/go.mod"; }
k8s_version="$(version_of k8s.io/kubernetes)"
etcd_version="$(version_of go.etcd.io/etcd/server/v3)"
helm_version="$(version_of helm.sh/helm/v4)"
if [[ -z "$k8s_version" || -z "$etcd_version" || -z "$helm_version" ]]; then
  echo "k8s-build: cannot read the pinned versions from $here/go.mod" >&2
  exit 1
fi
k8s_minor="${k8s_version#v1.}"
k8s_minor="${k8s_minor%%.*}"

ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  ldflags+=" -X $pkg.gitTreeState=clean"
done
ldflags+=" -X helm.sh/helm/v4/internal/version.version=$helm_version"
ldflags+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

# Everything that decides the output goes into the key; the Go version too.
go_cmd="$(command -v go || true)"
if [[ -z "$go_cmd" && -x /usr/local/go/bin/go ]]; then go_cmd=/usr/local/go/bin/go; fi
key="$(
  {
    cat "$here/go.mod" "$here/go.sum" "$here/etcd/main.go"
    echo "$ldflags"
    if [[ -n "$go_cmd" ]]; then "$go_cmd" env GOVERSION GOOS GOARCH; fi
  } | sha256sum | cut -d' ' -f1
)"

up_to_date() {
  [[ -f "$stamp" && "$(cat "$stamp")" == "$key" ]] || return 1
  local t
  for t in "${tools[@]}"; do [[ -x "$bin/$t" ]] || return 1; done
}

summary="kubernetes $k8s_version (kube-apiserver, kubectl), etcd $etcd_version, helm $helm_version"
if up_to_date; then
  echo "k8s-build: up to date in $bin: $summary"
  exit 0
fi
if [[ -z "$go_cmd" ]]; then
  echo "k8s-build: Go is required to build $summary (go.mod wants $(awk '$1 == "go" { print $2 }' "$here/go.mod"))" >&2
  exit 1
fi

echo "k8s-build: building $summary with $("$go_cmd" env GOVERSION) into $bin"
echo "k8s-build: a cold build compiles several thousand packages and takes many minutes on 2 cores"
start=$(date +%s)

# No toolchain download, no C compiler, no VCS stamping: fewer moving parts and less work.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
cd "$here"

packages=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl helm.sh/helm/v4/cmd/helm ./etcd)
work="$cache/bin.partial"
rm -rf "$work"
mkdir -p "$work"

# Listing the dependency graph downloads exactly the modules the four commands need.
echo "k8s-build: [1/2] downloading modules and resolving packages"
"$go_cmd" list -deps -f '{{.ImportPath}}' "${packages[@]}" > "$work/packages"
total=$(wc -l < "$work/packages")
fetched=$(date +%s)
echo "k8s-build: [1/2] $total packages resolved in $((fetched - start))s"

# One go build for all four commands, so the packages they share (client-go, apimachinery, grpc,
# etcd's client, ...) compile once. -p defaults to the number of cores. -v names each package
# as it compiles, which is the progress shown.
echo "k8s-build: [2/2] compiling"
"$go_cmd" build -trimpath -ldflags="$ldflags" -o "$work/" -v "${packages[@]}" 2>&1 | awk -v total="$total" '
    BEGIN { start = systime() }
    /^# |^go: |\.go:[0-9]/ { print "k8s-build: " $0; fflush(); next }
    { n++; if (n % 250 == 0) { printf "k8s-build:   %d/%d packages, %ds\n", n, total, systime() - start; fflush() } }
    END { if (n == 0) print "k8s-build:   every package came from the Go build cache"; else printf "k8s-build:   %d packages compiled\n", n }' || true
for t in "${tools[@]}"; do
  if [[ ! -x "$work/$t" ]]; then
    echo "k8s-build: $t was not built (see the errors above)" >&2
    exit 1
  fi
done

mkdir -p "$bin"
for t in "${tools[@]}"; do mv -f "$work/$t" "$bin/$t"; done
rm -rf "$work"
echo "$key" > "$stamp"
end=$(date +%s)
echo "k8s-build: built $summary in $((end - start))s (download $((fetched - start))s, compile $((end - fetched))s)"
