#!/usr/bin/env bash
# Fetches the official CRDs of the kinds the Helm chart can render but the test control
# plane does not install: cert-manager (Certificate, Issuer) and prometheus-operator
# (ServiceMonitor). They come from the Go module proxy (`go mod download`), which serves
# each project's tagged source, and are copied into a per-version cache outside the repo:
#
#   ${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}/crds/<project>-<version>/
#
# Idempotent: on a cache hit it only prints the directories.
#
# Usage:
#   scripts/fetch-crds.sh     fetch if missing; print one directory per line
set -euo pipefail

cert_manager_version=v1.21.2
prometheus_operator_version=v0.85.0

die() { echo "fetch-crds: $*" >&2; exit 1; }

cache_root="${MCP_REGISTRY_EXPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcp-registry-export}"

# fetch <cache name> <module> <version> <dir inside the module> <file>...
fetch() {
  local name="$1" module="$2" version="$3" subdir="$4"
  shift 4
  local dest="$cache_root/crds/$name-$version" file missing=0
  for file in "$@"; do [[ -s "$dest/$file" ]] || missing=1; done
  if ((missing)); then
    command -v go >/dev/null || die "go is needed to download $module@$version from the Go module proxy; it is not on PATH"
    local json dir
    # Outside any module: nothing here reads or writes a go.mod.
    json="$(cd / && GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "$module@$version")" ||
      die "go mod download $module@$version failed: $json"
    dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
    [[ -d "$dir/$subdir" ]] || die "$module@$version has no $subdir"
    mkdir -p "$dest"
    for file in "$@"; do
      [[ -s "$dir/$subdir/$file" ]] || die "$module@$version has no $subdir/$file"
      # Module cache files are read-only; write a fresh copy, renamed into place.
      cp "$dir/$subdir/$file" "$dest/.$file.tmp.$$"
      chmod 0644 "$dest/.$file.tmp.$$"
      mv -f "$dest/.$file.tmp.$$" "$dest/$file"
    done
  fi
  echo "$dest"
}

fetch cert-manager github.com/cert-manager/cert-manager "$cert_manager_version" deploy/crds \
  cert-manager.io_certificates.yaml cert-manager.io_issuers.yaml
fetch prometheus-operator github.com/prometheus-operator/prometheus-operator "$prometheus_operator_version" \
  example/prometheus-operator-crd monitoring.coreos.com_servicemonitors.yaml
