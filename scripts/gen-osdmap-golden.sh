#!/usr/bin/env bash
# Regenerates test/golden/osdmap/ (maps, cases.json, expected outputs, object-hash.json) by running
# Ceph's own osdmaptool, crushtool, a short-lived loopback Ceph cluster (ceph-mon, ceph-osd, ceph)
# and the object-name hashes of libceph-common. The vectors are only meaningful for the Ceph release
# tsceph follows, so any other version is refused.
# Usage: bash scripts/gen-osdmap-golden.sh [--keep-cluster-maps] [--keep-tmp]
#   (needs Debian's ceph 16.2.15 packages, libfaketime and a C compiler)
set -euo pipefail
cd "$(dirname "$0")/.."

want='16.2.15'
for t in osdmaptool crushtool ceph-mon ceph-osd ceph ceph-kvstore-tool monmaptool ceph-authtool faketime cc; do
  if ! command -v "$t" >/dev/null 2>&1; then
    echo "gen-osdmap-golden: $t not found (needs ceph-base, ceph-mon, ceph-osd, ceph-common $want, faketime and a C compiler)" >&2
    exit 2
  fi
done
if [ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]; then
  echo "gen-osdmap-golden: /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 missing (apt-get install libfaketime)" >&2
  exit 2
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "gen-osdmap-golden: cannot tell Ceph's version without dpkg-query; refusing" >&2
  exit 2
fi
# osdmaptool has no --version flag, so ask the packages that ship each tool.
ver_of() {
  local pkg
  pkg=$(dpkg-query -S "$(readlink -f "$(command -v "$1")")" 2>/dev/null | cut -d: -f1 | head -n1 || true)
  dpkg-query -W -f='${Version}' "${pkg:-none}" 2>/dev/null || true
}
for t in osdmaptool crushtool ceph-mon ceph-osd ceph-kvstore-tool; do
  v=$(ver_of "$t")
  case "$v" in
    "$want"|"$want"[+-]*) ;;
    *)
      echo "gen-osdmap-golden: $t comes from a package of version '${v:-unknown}', need Ceph $want; refusing" >&2
      exit 2 ;;
  esac
done
case "$(ceph --version 2>/dev/null)" in
  "ceph version $want "*) ;;
  *) echo "gen-osdmap-golden: ceph CLI is '$(ceph --version 2>/dev/null)', need $want; refusing" >&2; exit 2 ;;
esac

export OSDMAPTOOL="$(command -v osdmaptool)" CRUSHTOOL="$(command -v crushtool)" OSDMAPTOOL_VERSION="$(ver_of osdmaptool)"
exec node scripts/golden-osdmap/gen.mjs "$@"
