#!/usr/bin/env bash
# Regenerates test/golden/crush/ (maps, cases.json, expected outputs) by running Ceph's own crushtool.
# The vectors are only meaningful for the Ceph release tsceph follows, so any other crushtool is refused.
# Usage: bash scripts/gen-crush-golden.sh        (needs Debian's ceph-base 16.2.15 installed)
set -euo pipefail
cd "$(dirname "$0")/.."

want='16.2.15'
if ! command -v crushtool >/dev/null 2>&1; then
  echo "gen-crush-golden: crushtool not found; install Debian's ceph-base $want (apt-get install ceph-base)" >&2
  exit 2
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "gen-crush-golden: cannot tell crushtool's version without dpkg-query; refusing" >&2
  exit 2
fi
# crushtool has no --version flag, so ask the package that ships it.
pkg=$(dpkg-query -S "$(readlink -f "$(command -v crushtool)")" 2>/dev/null | cut -d: -f1 | head -n1 || true)
ver=$(dpkg-query -W -f='${Version}' "${pkg:-ceph-base}" 2>/dev/null || true)
case "$ver" in
  "$want"|"$want"[+-]*) ;;
  *)
    echo "gen-crush-golden: crushtool comes from ${pkg:-?} version '${ver:-unknown}', need Ceph $want; refusing" >&2
    exit 2 ;;
esac

export CRUSHTOOL="$(command -v crushtool)" CRUSHTOOL_VERSION="$ver"
exec node scripts/golden/gen.mjs "$@"
