# Sourced by the build-*.sh scripts: what every cached Go build here does before it starts.

# One builder per cache directory (e.g. two test runs starting together): wait for the
# other one, then stop if it already made what this one would ("$@" is that check).
lock_cache_dir() {
  local dir=$1
  shift
  command -v flock >/dev/null || return 0
  exec 9>"$dir/.lock"
  flock 9
  if "$@"; then exit 0; fi
}

# Static binaries, with the machine's Go (no toolchain download) and the committed go.sum
# only (no go.mod/go.sum rewrites); an interrupted build exits with the signal's status.
go_build_env() {
  export CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
