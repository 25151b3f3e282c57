#!/usr/bin/env bash
# Builds ToolHive's Kubernetes operator (github.com/stacklok/toolhive, cmd/thv-operator)
# for the end-to-end tests from the wrapper module tools/toolhive-operator/ (Go module
# proxy only), into a per-version cache outside the repository:
#
#   ${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}/toolhive-operator/<version>/thv-operator
#
# Idempotent: on a cache hit it prints nothing and exits 0 at once.
#
# Usage:
#   scripts/build-toolhive-operator.sh              build if missing (quiet on a hit)
#   scripts/build-toolhive-operator.sh --print-path print the binary's path (no build)
#   scripts/build-toolhive-operator.sh --crd-dir    print the directory of the operator's CRDs
#        (deploy/charts/operator-crds/files/crds/ of the same module version in the Go
#        module cache; downloads the module first when it is not there)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wrapper="$repo_root/tools/toolhive-operator"
gomod="$wrapper/go.mod"
module=github.com/stacklok/toolhive

die() { echo "build-toolhive-operator: $*" >&2; exit 1; }
# shellcheck source=go-build-common.sh
source "$repo_root/scripts/go-build-common.sh"

[[ -f "$gomod" ]] || die "missing $gomod"
version="$(awk -v m="$module" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 ~ /^v/ { print $2; exit }' "$gomod")"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the ToolHive version from $gomod"

cache_root="${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}"
bin_dir="$cache_root/toolhive-operator/$version"
bin="$bin_dir/thv-operator"

need_go() {
  command -v go >/dev/null || die "go (>= 1.26) is needed to $1 ToolHive $version; it is not on PATH"
}

# One line saying why a go command failed: the `"Error"` of `go mod download -json`, else
# the first line of its output that names a cause.
why() {
  local error
  error="$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$1" | head -n1 | sed 's/\\"/"/g')"
  [[ -n "$error" ]] && { echo "$error"; return; }
  grep -m1 -iE 'dial tcp|no such host|connection refused|i/o timeout|proxy|40[34]|410|not found|unknown revision|checksum|error' <<<"$1" \
    || head -n1 <<<"$1"
}

proxy_hint() { echo "GOPROXY=$(go env GOPROXY); the Go module proxy must be reachable"; }

# Prints the module's CRD directory, downloading the module into the module cache if needed.
crd_dir() {
  need_go "find the CRDs of"
  local out dir
  if ! out="$(cd "$wrapper" && GOFLAGS=-mod=readonly go mod download -json "$module@$version" 2>&1)"; then
    die "cannot download $module@$version ($(proxy_hint)): $(why "$out")"
  fi
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | head -n1)"
  [[ -n "$dir" ]] || die "cannot download $module@$version: $(why "$out")"
  dir="$dir/deploy/charts/operator-crds/files/crds"
  compgen -G "$dir/toolhive.stacklok.dev_*.yaml" >/dev/null || die "no CRDs in $dir"
  echo "$dir"
}

case "${1:-}" in
  "") ;;
  --print-path) echo "$bin"; exit 0 ;;
  --crd-dir) crd_dir; exit 0 ;;
  -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac

[[ -x "$bin" ]] && exit 0
need_go build
mkdir -p "$bin_dir"

lock_cache_dir "$bin_dir" test -x "$bin"
go_build_env
tmp="$bin_dir/.thv-operator.tmp.$$"
trap 'rm -f "$tmp"' EXIT

cd "$wrapper"
start=$SECONDS
# Resolve (download) everything the build needs first, so that an unreachable proxy is one
# clear line instead of a wall of per-module errors. Quick when the module cache is warm.
if ! out="$(go list -deps "$module/cmd/thv-operator" 2>&1 >/dev/null)"; then
  die "cannot resolve the Go modules of ToolHive $version ($(proxy_hint)): $(why "$out")"
fi
echo "build-toolhive-operator: building the ToolHive operator $version into $bin_dir (first time: about 3 minutes on 2 cores, more on a busy machine)" >&2
go build -trimpath \
  -ldflags "-s -w -X $module/pkg/versions.Version=$version" \
  -o "$tmp" "$module/cmd/thv-operator"
mv -f "$tmp" "$bin"
echo "build-toolhive-operator: done in $((SECONDS - start))s" >&2
