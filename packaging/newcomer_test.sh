#!/usr/bin/env bash
# A newcomer's first hour, honestly: the README's test command in a fresh, minimal Debian root
# (run as root). Debian 12 gives Python 3.11, Debian 13 Python 3.13.
#
#   sudo SUITE=bookworm packaging/newcomer_test.sh      # Debian 12
#   sudo SUITE=trixie packaging/newcomer_test.sh        # Debian 13
#
# 1. The cached minimal root of packaging/smoke_test_deb.sh (made with debootstrap, once).
# 2. What the README asks of a newcomer: git and Python (python3, python3-venv), nothing else.
# 3. A clone of this repository's HEAD inside the root, then `./dev test` there: it installs
#    the system packages Qt needs and a .venv, then runs the whole suite. Prints PASS/FAIL and
#    the time it took; the log is build/newcomer/<suite>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SUITE=${SUITE:-bookworm}
ARCH=$(dpkg --print-architecture)
CACHE=$REPO/build/smoke/base-$SUITE-$ARCH.tar.gz
WORK=$REPO/build/newcomer
ROOT=$WORK/root-$SUITE
LOG=$WORK/$SUITE.log

die() { echo "newcomer: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "run as root (chroot needs it)"
if [ ! -f "$CACHE" ]; then
  SUITE=$SUITE packaging/smoke_test_deb.sh --prepare
fi

MOUNTS=()
cleanup() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -R "${MOUNTS[i]}" 2>/dev/null || umount -lR "${MOUNTS[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
mkdir -p "$WORK"
if grep -q " $ROOT/" /proc/mounts; then die "$ROOT still has mounts"; fi
rm -rf --one-file-system "$ROOT"
mkdir -p "$ROOT"
tar -C "$ROOT" -xzf "$CACHE"
mount -t proc proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc")
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys" && MOUNTS+=("$ROOT/sys")
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev" && MOUNTS+=("$ROOT/dev")
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
# The host's network is the newcomer's: its pip configuration (a mirror, constraints) and the
# certificate authorities it trusts (a proxy's), added once ca-certificates is installed.
[ -d /etc/xdg/pip ] && mkdir -p "$ROOT/etc/xdg" && cp -r /etc/xdg/pip "$ROOT/etc/xdg/"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOT/etc/pip.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
fi
in_root() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

started=$(date +%s)
{
  echo "== $SUITE: git and Python, as the README asks"
  in_root apt-get update -qq
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    git ca-certificates python3 python3-venv >/dev/null
  in_root update-ca-certificates >/dev/null
  in_root python3 --version
  echo "== a clone of $(git -C "$REPO" rev-parse --short HEAD)"
  git clone -q "$REPO" "$ROOT/root/routechat"
  echo "== ./dev test"
  in_root sh -c 'cd /root/routechat && ./dev test -q -p no:randomly'
} >"$LOG" 2>&1 && rc=0 || rc=$?
took=$(( $(date +%s) - started ))
tail -n 5 "$LOG"
if [ "$rc" -eq 0 ]; then
  echo "newcomer: PASS on $SUITE ($(in_root python3 --version 2>&1)) in ${took} s; log $LOG"
else
  echo "newcomer: FAIL on $SUITE (exit $rc) after ${took} s; log $LOG" >&2
fi
cleanup
MOUNTS=()
rm -rf --one-file-system "$ROOT"
exit "$rc"
