#!/usr/bin/env bash
# Builds kube-apiserver and etcd for the e2e tests from Go modules (Go module
# proxy only), into a per-version cache outside the repository:
#
#   ${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}/k8s-testbin/<version>/
#
# The versions come from tools/k8s-testbin/go.mod (+ the committed go.sum).
# Idempotent: on a cache hit it prints nothing and exits 0 at once.
#
# Usage:
#   scripts/build-control-plane.sh               build if missing (quiet on a hit)
#   scripts/build-control-plane.sh --print-dir   print the binary directory (no build)
#   scripts/build-control-plane.sh --update-gomod v1.34.N
#        regenerate tools/k8s-testbin/go.mod for another k8s version: the
#        staging replaces are generated from k8s.io/kubernetes' own go.mod
#        (its `k8s.io/<x> v0.0.0` requires), then `go mod tidy`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wrapper="$repo_root/tools/k8s-testbin"
gomod="$wrapper/go.mod"

die() { echo "build-control-plane: $*" >&2; exit 1; }
# shellcheck source=go-build-common.sh
source "$repo_root/scripts/go-build-common.sh"

# The k8s version pinned in the wrapper module (read without invoking go: fast).
k8s_version() {
  awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit }
       $1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$gomod"
}

update_gomod() {
  local kv="$1"
  [[ "$kv" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "--update-gomod wants v1.MINOR.PATCH, got '$kv'"
  local sv="v0.${kv#v1.}"
  command -v go >/dev/null || die "go is not on PATH"
  cd "$wrapper"
  local kmod
  kmod="$(go mod download -json "k8s.io/kubernetes@$kv" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$kmod" ]] || die "could not download k8s.io/kubernetes@$kv"
  local godebug
  godebug="$(grep -m1 '^godebug' "$kmod" || true)"
  {
    echo "module mcp-registry-export.local/k8s-testbin"
    echo
    grep -m1 '^go ' "$kmod"
    [[ -n "$godebug" ]] && { echo; echo "$godebug"; }
  } >go.mod
  rm -f go.sum
  go mod edit "-require=k8s.io/kubernetes@$kv"
  local m
  for m in $(grep -E '^[[:space:]]+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$kmod" | awk '{print $1}'); do
    go mod edit "-replace=$m=$m@$sv"
  done
  go mod edit -tool=k8s.io/kubernetes/cmd/kube-apiserver -tool=go.etcd.io/etcd/server/v3
  GOFLAGS=-mod=mod go mod tidy
  echo "tools/k8s-testbin/go.mod now pins k8s.io/kubernetes $kv; etcd $(go list -m go.etcd.io/etcd/server/v3)"
}

mode=build
case "${1:-}" in
  "") ;;
  --print-dir) mode=print ;;
  --update-gomod) update_gomod "${2:-}"; exit 0 ;;
  -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac

[[ -f "$gomod" ]] || die "missing $gomod"
kv="$(k8s_version)"
[[ "$kv" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || die "cannot read the k8s.io/kubernetes version from $gomod"
minor="${BASH_REMATCH[1]}"

cache_root="${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}"
bin_dir="$cache_root/k8s-testbin/$kv"

if [[ "$mode" == print ]]; then
  echo "$bin_dir"
  exit 0
fi

have() { [[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/etcd" ]]; }
have && exit 0

command -v go >/dev/null || die "go (>= 1.24) is needed to build kube-apiserver/etcd $kv; it is not on PATH"
mkdir -p "$bin_dir"

lock_cache_dir "$bin_dir" have
go_build_env

tmp_files=()
cleanup() { local f; for f in "${tmp_files[@]:-}"; do [[ -n "$f" ]] && rm -f "$f"; done; }
trap cleanup EXIT

start=$SECONDS
echo "build-control-plane: building kube-apiserver + etcd for $kv into $bin_dir (first time: 10-25 min)" >&2

cd "$wrapper"

if [[ ! -x "$bin_dir/kube-apiserver" ]]; then
  tmp="$bin_dir/.kube-apiserver.tmp.$$"
  tmp_files+=("$tmp")
  vpkg=k8s.io/component-base/version
  go build -trimpath \
    -ldflags "-s -w -X $vpkg.gitVersion=$kv -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean" \
    -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver
  got="$("$tmp" --version)"
  [[ "$got" == "Kubernetes $kv" ]] || die "built kube-apiserver reports '$got', expected 'Kubernetes $kv'"
  mv -f "$tmp" "$bin_dir/kube-apiserver"
  echo "build-control-plane: kube-apiserver done ($((SECONDS - start))s)" >&2
fi

if [[ ! -x "$bin_dir/etcd" ]]; then
  tmp="$bin_dir/.etcd.tmp.$$"
  tmp_files+=("$tmp")
  go build -trimpath -ldflags "-s -w" -o "$tmp" go.etcd.io/etcd/server/v3
  "$tmp" --version >/dev/null || die "built etcd does not run"
  mv -f "$tmp" "$bin_dir/etcd"
fi

echo "build-control-plane: done in $((SECONDS - start))s: $("$bin_dir/kube-apiserver" --version), $("$bin_dir/etcd" --version | head -1)" >&2
