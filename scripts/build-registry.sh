#!/usr/bin/env bash
# Builds the upstream MCP registry server (github.com/modelcontextprotocol/registry,
# cmd/registry) for the end-to-end tests from the wrapper module tools/mcp-registry/
# (Go module proxy only), into a per-version cache outside the repository:
#
#   ${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}/mcp-registry/<version>/registry
#
# Idempotent: on a cache hit it prints nothing and exits 0 at once.
#
# Usage:
#   scripts/build-registry.sh              build if missing (quiet on a hit)
#   scripts/build-registry.sh --print-path print the binary's path (no build)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wrapper="$repo_root/tools/mcp-registry"
gomod="$wrapper/go.mod"

die() { echo "build-registry: $*" >&2; exit 1; }
# shellcheck source=go-build-common.sh
source "$repo_root/scripts/go-build-common.sh"

[[ -f "$gomod" ]] || die "missing $gomod"
version="$(awk '$1 == "require" && $2 == "github.com/modelcontextprotocol/registry" { print $3; exit }' "$gomod")"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the registry version from $gomod"

cache_root="${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}"
bin_dir="$cache_root/mcp-registry/$version"
bin="$bin_dir/registry"

case "${1:-}" in
  "") ;;
  --print-path) echo "$bin"; exit 0 ;;
  -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac

[[ -x "$bin" ]] && exit 0
command -v go >/dev/null || die "go (>= 1.26) is needed to build the MCP registry $version; it is not on PATH"
mkdir -p "$bin_dir"

lock_cache_dir "$bin_dir" test -x "$bin"
go_build_env
tmp="$bin_dir/.registry.tmp.$$"
trap 'rm -f "$tmp"' EXIT

start=$SECONDS
echo "build-registry: building the MCP registry $version into $bin_dir (first time: about a minute)" >&2
cd "$wrapper"
go build -trimpath \
  -ldflags "-s -w -X main.Version=$version" \
  -o "$tmp" github.com/modelcontextprotocol/registry/cmd/registry
mv -f "$tmp" "$bin"
echo "build-registry: done in $((SECONDS - start))s" >&2
