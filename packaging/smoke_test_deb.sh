#!/usr/bin/env bash
# Smoke test of the .deb in a clean, minimal Debian root (run as root):
#
#   sudo packaging/smoke_test_deb.sh [path/to/routechat_X_ARCH.deb]
#   sudo packaging/smoke_test_deb.sh --prepare     # only build the cached base root
#   sudo SUITE=trixie packaging/smoke_test_deb.sh  # in Debian 13 (default: bookworm, Debian 12)
#
# 1. A minimal Debian root (debootstrap --variant=minbase, from the mirror this machine's apt uses),
#    cached as build/smoke/base-<suite>-<arch>.tar.gz so that reruns take seconds.
# 2. `apt-get install ./routechat_*.deb` inside it: the package's Depends are resolved from the
#    mirror, Recommends are left out (the smallest install a user can get).
# 3. Inside the root: `routechat --version` (timed), `routechat emulator` + `routechat ask --json`
#    against it, the window offscreen in demo mode for 5 s, and, when the host has Xvfb, the window
#    on a real X server through Qt's xcb plugin (timed until the window is mapped; screenshot).
# 4. `apt-get purge`, then checks it removed the program and the menu entry, and left /opt (the
#    system's folder, which the package must not own: its archive has no entry for it).
# 5. If the .deb's folder also has a tarball (packaging/build_tarball.sh), as an
#    ordinary user: in the fresh root, install.sh names the missing system libraries, the
#    window says what to `apt install` (no traceback) while `--version` and `tiers` work; after the
#    .deb brought the libraries, install.sh, `routechat --version`, `ask` against the emulator,
#    then uninstall.sh, which must keep the user's data unless given --remove-data.
# Prints a PASS/FAIL summary and exits non-zero on any failure.
# Builds the .deb first (packaging/build_deb.sh) when none is given and dist/ has none.
set -euo pipefail
ARG=${1:-}
[ -n "$ARG" ] && [ "$ARG" != --prepare ] && [ -e "$ARG" ] && ARG=$(readlink -f "$ARG")
cd "$(dirname "$0")/.."
REPO=$PWD
# shellcheck source=linux_common.sh
. packaging/linux_common.sh  # apt_get: waits while another program holds apt's lock

SUITE=${SUITE:-bookworm}
ARCH=$(dpkg --print-architecture)
SMOKE=$REPO/build/smoke
CACHE=$SMOKE/base-$SUITE-$ARCH.tar.gz
ROOT=$SMOKE/root
LOGS=$SMOKE/logs
GUI_SECONDS=${GUI_SECONDS:-5}

die() { echo "smoke: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"

# The mirror this machine's apt uses for Debian (deb822 .sources first, then sources.list).
detect_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # the URIs of the stanza that lists the suite itself
    uri=$(awk -v s="$SUITE" '
      /^[[:space:]]*$/ { if (u && hit) { print u; exit } u=""; hit=0; next }
      /^URIs:/ { u=$2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) hit=1 }
      END { if (u && hit) print u }' "$f" | head -n1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk -v s="$SUITE" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) == s) { print $i; exit } } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo "http://deb.debian.org/debian"
}
MIRROR=${MIRROR:-$(detect_mirror)}

MOUNTS=()
mount_root() {
  mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp/.X11-unix"
  mount -t proc proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc")
  mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys" && MOUNTS+=("$ROOT/sys")
  mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev" && MOUNTS+=("$ROOT/dev")
  if command -v Xvfb >/dev/null; then
    # Xvfb (started later) puts its socket here; the folder must exist before it is bound.
    [ -d /tmp/.X11-unix ] || { mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix; }
    mount --bind /tmp/.X11-unix "$ROOT/tmp/.X11-unix" && MOUNTS+=("$ROOT/tmp/.X11-unix")
  fi
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
}
unmount_root() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -R "${MOUNTS[i]}" 2>/dev/null || umount -lR "${MOUNTS[i]}" 2>/dev/null || true
  done
  MOUNTS=()
}
# Never delete through a bind mount of the host's /dev or /sys.
remove_root() {
  if grep -q " $ROOT/" /proc/mounts; then
    die "$ROOT still has mounts; not deleting it"
  fi
  rm -rf --one-file-system "$ROOT"
}
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  unmount_root
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ROOT_ENV=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
in_root() { chroot "$ROOT" /usr/bin/env -i "${ROOT_ENV[@]}" "$@"; }
# Starts a command in the root in the background; BG_PID is its pid (chroot and env exec it).
# Call it directly, not in $(...): the process must be this shell's child.
bg_in_root() {
  local out=$1 err=$2; shift 2
  chroot "$ROOT" /usr/bin/env -i "${ROOT_ENV[@]}" "$@" >"$out" 2>"$err" &
  BG_PID=$!
  PIDS+=("$BG_PID")
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

prepare_base() {
  [ -f "$CACHE" ] && return 0
  command -v debootstrap >/dev/null || {
    apt_get update -qq && apt_get install -y -qq debootstrap >/dev/null
  }
  echo "smoke: debootstrap $SUITE ($ARCH, minbase) from $MIRROR (once; cached in $CACHE)"
  remove_root
  mkdir -p "$SMOKE"
  debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$ROOT" "$MIRROR" >"$SMOKE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$SMOKE/debootstrap.log" >&2; die "debootstrap failed (log: $SMOKE/debootstrap.log)"; }
  # The mirror may be a dated snapshot: don't let apt refuse its Release file as expired.
  echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99smoke-no-valid-until"
  echo "deb $MIRROR $SUITE main" >"$ROOT/etc/apt/sources.list"
  rm -rf "$ROOT/var/cache/apt/archives/"*.deb
  tar -C "$ROOT" -czf "$CACHE.tmp" . && mv "$CACHE.tmp" "$CACHE"
  remove_root
}

if [ "$ARG" = "--prepare" ]; then
  prepare_base
  echo "smoke: base root ready: $CACHE ($(du -h "$CACHE" | cut -f1))"
  exit 0
fi

DEB=$ARG
if [ -z "$DEB" ]; then
  DEB=$(ls -t dist/routechat_*_"$ARCH".deb 2>/dev/null | head -n1 || true)
  if [ -z "$DEB" ]; then
    packaging/build_deb.sh
    DEB=$(ls -t dist/routechat_*_"$ARCH".deb | head -n1)
  fi
fi
[ -f "$DEB" ] || die "no such .deb: $DEB"
DEB=$(readlink -f "$DEB")
# The tarball beside it, if any (its version: the Python one, 0.2.0rc1 where the .deb has 0.2.0~rc1).
TARBALL=$(ls -t "$(dirname "$DEB")"/routechat-*-linux-*.tar.gz 2>/dev/null | head -n1 || true)

prepare_base
remove_root
rm -rf "$LOGS" && mkdir -p "$ROOT" "$LOGS"
tar -C "$ROOT" -xzf "$CACHE"
mount_root

RESULTS=()
FAILED=0
pass() { RESULTS+=("PASS  $*"); echo "smoke: PASS  $*"; }
fail() { RESULTS+=("FAIL  $*"); echo "smoke: FAIL  $*"; FAILED=1; }
now() { date +%s.%N; }
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# --- the tarball in the fresh root: install.sh must name what is missing ----------------------------
as_user() { chroot --userspec=tester:tester "$ROOT" /usr/bin/env -i HOME=/home/tester \
  PATH=/home/tester/.local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"; }
if [ -n "$TARBALL" ]; then
  in_root useradd -m -s /bin/sh tester
  cp "$TARBALL" "$ROOT/home/tester/"
  TB=$(basename "$TARBALL")
  as_user sh -c "cd ~ && tar xzf $TB" >"$LOGS/tarball-unpack.log" 2>&1 || true
  TB_DIR=/home/tester/${TB%.tar.gz}
  as_user "$TB_DIR/install.sh" >"$LOGS/tarball-install-bare.log" 2>&1 || true
  if grep -q "sudo apt install .*libxcb-cursor0.* fonts-noto-cjk" "$LOGS/tarball-install-bare.log"; then
    pass "tarball: install.sh on a bare system names the missing libraries, fonts and the apt command"
  else
    cat "$LOGS/tarball-install-bare.log" >&2; fail "tarball: install.sh did not report the missing libraries"
  fi
  # The window cannot start without Qt's libraries: it must say what to install, not crash.
  GUI_RC=0
  as_user env QT_QPA_PLATFORM=offscreen timeout 60 "$TB_DIR/app/routechat" --demo \
    >"$LOGS/tarball-gui-bare.out" 2>"$LOGS/tarball-gui-bare.err" || GUI_RC=$?
  if [ "$GUI_RC" -ne 0 ] && [ "$GUI_RC" -ne 124 ] &&
     grep -q "sudo apt install .*libxcb-cursor0.* fonts-noto-cjk fonts-noto-color-emoji" "$LOGS/tarball-gui-bare.err" &&
     ! grep -Eq 'Traceback|Failed to execute' "$LOGS/tarball-gui-bare.err"; then
    pass "tarball: the window on a bare system names the missing libraries, fonts and the apt command, no traceback (exit $GUI_RC)"
  else
    cat "$LOGS/tarball-gui-bare.err" >&2; fail "tarball: the window on a bare system (exit $GUI_RC; see $LOGS/tarball-gui-bare.err)"
  fi
  if as_user "$TB_DIR/app/routechat" --version >"$LOGS/tarball-bare-version.log" 2>&1 &&
     as_user "$TB_DIR/app/routechat" tiers >>"$LOGS/tarball-bare-version.log" 2>&1; then
    pass "tarball: routechat --version and tiers work without Qt's libraries"
  else
    cat "$LOGS/tarball-bare-version.log" >&2; fail "tarball: --version or tiers without Qt's libraries"
  fi
fi

# --- install ---------------------------------------------------------------------------------------
# /opt is the system's: the package's archive must have no entry for it (dpkg would own it).
DEB_PATHS=$(dpkg-deb --contents "$DEB" | awk '{ print $6 }')
if ! grep -qx './opt/' <<<"$DEB_PATHS" && grep -qx './opt/routechat/routechat' <<<"$DEB_PATHS"; then
  pass "the package holds /opt/routechat, not /opt itself"
else
  fail "the package's archive has an entry for ./opt/ (dpkg-deb --contents)"
fi
OPT_BEFORE=$(in_root test -d /opt && echo yes || echo no)
cp "$DEB" "$ROOT/tmp/"
DEB_IN=/tmp/$(basename "$DEB")
echo "smoke: installing $(basename "$DEB") with apt (Depends from $MIRROR, no Recommends)"
if in_root apt-get update -qq >"$LOGS/apt-update.log" 2>&1 &&
   in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$DEB_IN" \
     >"$LOGS/apt-install.log" 2>&1; then
  pass "apt-get install $(basename "$DEB") into a minimal $SUITE root"
else
  tail -n 30 "$LOGS/apt-install.log" "$LOGS/apt-update.log" >&2 || true
  fail "apt-get install (see $LOGS/apt-install.log)"
fi
APT_SIZES=$(grep -E "^(Need to get|After this operation)" "$LOGS/apt-install.log" | tr '\n' ' ' || true)
INSTALLED_KB=$(in_root dpkg-query -W -f='${Installed-Size}' routechat 2>/dev/null || echo "?")
OPT_SIZE=$(du -sh "$ROOT/opt/routechat" 2>/dev/null | cut -f1 || echo "?")

for f in /usr/bin/routechat /usr/share/applications/routechat.desktop \
         /usr/share/icons/hicolor/256x256/apps/routechat.png \
         /usr/share/icons/hicolor/scalable/apps/routechat.svg \
         /usr/share/metainfo/run.routechat.RouteChat.metainfo.xml; do
  if in_root test -e "$f"; then pass "installed $f"; else fail "missing $f"; fi
done

# Every shared library of the bundle resolves, with the path the bootloader sets (ldd in the root).
NOT_FOUND=$(in_root env LD_LIBRARY_PATH=/opt/routechat/_internal:/opt/routechat/_internal/PySide6/Qt/lib \
  sh -c 'find /opt/routechat -type f \( -name "*.so*" -o -name routechat \) -exec ldd {} + 2>/dev/null' |
  grep "not found" | sort -u || true)
if [ -z "$NOT_FOUND" ] && [ -d "$ROOT/opt/routechat" ]; then
  pass "every library of /opt/routechat resolves (ldd: plugins xcb, wayland, offscreen included)"
else
  echo "$NOT_FOUND" >&2; fail "unresolved libraries: $(echo "$NOT_FOUND" | awk '{print $1}' | tr '\n' ' ')"
fi

# --- the command line ------------------------------------------------------------------------------
t0=$(now)
if VERSION_OUT=$(in_root /usr/bin/routechat --version 2>"$LOGS/version.err"); then
  VERSION_COLD_MS=$(ms_since "$t0")
  t0=$(now); in_root /usr/bin/routechat --version >/dev/null 2>&1; VERSION_WARM_MS=$(ms_since "$t0")
  pass "routechat --version: '$VERSION_OUT' (first ${VERSION_COLD_MS} ms, again ${VERSION_WARM_MS} ms)"
else
  cat "$LOGS/version.err" >&2; fail "routechat --version"
fi

# Starts `routechat emulator` in the root (extra arguments: faults); sets EMU_PID and EMU_URL.
# EMU_BIN: which routechat runs it.
EMU_BIN=/usr/bin/routechat
start_emulator() {
  local name=$1; shift
  bg_in_root "$LOGS/emulator-$name.out" "$LOGS/emulator-$name.err" "$EMU_BIN" emulator --port 0 "$@"
  EMU_PID=$BG_PID
  EMU_URL=""
  for _ in $(seq 1 100); do
    EMU_URL=$(sed -n 's/^RouteChat emulator listening on \(http[^ ]*\).*/\1/p' "$LOGS/emulator-$name.out" | head -n1)
    [ -n "$EMU_URL" ] && return 0
    kill -0 "$EMU_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$LOGS/emulator-$name.err" >&2
  return 1
}

# `routechat ask --json` against the emulator; checks the JSON has a model, no error and the cost
# source $2. $1 names the log files, $3 describes the case.
check_ask() {
  local name=$1 want_source=$2 what=$3 t0 ms summary
  t0=$(now)
  if ! in_root env EDENAI_API_KEY=demo HOME=/tmp/home-cli /usr/bin/routechat ask --json \
       --base-url "$EMU_URL" "hello" >"$LOGS/ask-$name.json" 2>"$LOGS/ask-$name.err"; then
    cat "$LOGS/ask-$name.err" >&2; fail "routechat ask --json ($name) exited non-zero"; return
  fi
  ms=$(ms_since "$t0")
  if summary=$(python3 - "$LOGS/ask-$name.json" "$want_source" <<'PY'
import json
import sys

d = json.loads(open(sys.argv[1]).read())
problems = []
if not d.get("model"):
    problems.append("model is null")
if d.get("error") is not None:
    problems.append(f"error {d['error']}")
if d.get("cost_source") != sys.argv[2]:
    problems.append(f"cost_source {d.get('cost_source')!r}, expected {sys.argv[2]!r}")
if not d.get("text"):
    problems.append("no text")
print("; ".join(problems) or f"model {d['model']}, ${d['cost_usd']} ({d['cost_source']})")
sys.exit(1 if problems else 0)
PY
  ); then
    pass "routechat ask --json, $what: $summary (${ms} ms)"
  else
    fail "routechat ask --json, $what: $summary"
  fi
}

if start_emulator plain; then
  pass "routechat emulator listening on $EMU_URL"
  check_ask reported reported "the server reports the cost"
else
  fail "routechat emulator did not announce its URL"
fi
stop_pid "$EMU_PID"
# No cost from the server: the bundled price table (genai-prices) estimates it.
if start_emulator no-cost --fault no_cost; then
  check_ask estimated estimated "cost estimated from the bundled price table"
else
  fail "routechat emulator --fault no_cost did not start"
fi
stop_pid "$EMU_PID"
PIDS=()

# --- the window ------------------------------------------------------------------------------------
FATAL='Could not load the Qt platform plugin|Failed to execute|cannot open shared object|Traceback|Fatal|Segmentation|Aborted|No module named|qt.qpa.plugin'

# Milliseconds from $2 until process $1 listens on a TCP port (the demo server starts right after
# the window is shown), or nothing if it died or took more than 30 s. The root shares the host's
# network namespace, so /proc/net/tcp shows its sockets.
wait_listening() {
  local pid=$1 t0=$2 inode
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 1
    for inode in $(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p'); do
      if awk -v ino="$inode" '$4 == "0A" && $10 == ino { f = 1 } END { exit !f }' /proc/net/tcp /proc/net/tcp6; then
        ms_since "$t0"; return 0
      fi
    done
    sleep 0.05
  done
  return 1
}

# Offscreen: no display at all, as on a headless machine; no keyring, no D-Bus either.
t0=$(now)
bg_in_root "$LOGS/gui-offscreen.out" "$LOGS/gui-offscreen.err" \
  env HOME=/tmp/home-offscreen QT_QPA_PLATFORM=offscreen /usr/bin/routechat --demo
GUI_PID=$BG_PID
OFFSCREEN_MS=$(wait_listening "$GUI_PID" "$t0" || true)
sleep "$GUI_SECONDS"
if kill -0 "$GUI_PID" 2>/dev/null && ! grep -Eq "$FATAL" "$LOGS/gui-offscreen.err"; then
  pass "window offscreen (--demo) up after ${OFFSCREEN_MS:-?} ms, still running ${GUI_SECONDS} s later"
else
  sed -n 1,30p "$LOGS/gui-offscreen.err" >&2; fail "window offscreen (see $LOGS/gui-offscreen.err)"
fi
stop_pid "$GUI_PID"

# A real X server (the host's Xvfb, its socket bound into the root): Qt's xcb plugin and the
# libraries it needs, fonts, and typing a message in demo mode.
if command -v Xvfb >/dev/null; then
  DISPLAY_NUM=90
  while [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ] || [ -e "/tmp/.X$DISPLAY_NUM-lock" ]; do
    DISPLAY_NUM=$((DISPLAY_NUM + 1))
  done
  Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$LOGS/xvfb.log" 2>&1 &
  XVFB_PID=$!; PIDS+=("$XVFB_PID")
  for _ in $(seq 1 100); do
    if [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ]; then
      command -v xdpyinfo >/dev/null || break
      xdpyinfo -display ":$DISPLAY_NUM" >/dev/null 2>&1 && break
    fi
    sleep 0.1
  done
  t0=$(now)
  bg_in_root "$LOGS/gui-xcb.out" "$LOGS/gui-xcb.err" \
    env HOME=/tmp/home-xcb DISPLAY=":$DISPLAY_NUM" QT_QPA_PLATFORM=xcb /usr/bin/routechat --demo
  GUI_PID=$BG_PID
  MAPPED_MS=""
  TYPED="no message typed"
  if command -v xdotool >/dev/null; then
    for _ in $(seq 1 600); do
      kill -0 "$GUI_PID" 2>/dev/null || break
      if DISPLAY=":$DISPLAY_NUM" xdotool search --onlyvisible --name RouteChat >/dev/null 2>&1; then
        MAPPED_MS=$(ms_since "$t0"); break
      fi
      sleep 0.05
    done
    if [ -n "$MAPPED_MS" ]; then
      sleep 1
      WIN=$(DISPLAY=":$DISPLAY_NUM" xdotool search --onlyvisible --name RouteChat | head -n1)
      WM_CLASS=$(DISPLAY=":$DISPLAY_NUM" xprop -id "$WIN" WM_CLASS 2>/dev/null | sed 's/.*= //' || true)
      DISPLAY=":$DISPLAY_NUM" xdotool windowfocus --sync "$WIN" type --delay 30 "Hello from the smoke test" 2>/dev/null || true
      DISPLAY=":$DISPLAY_NUM" xdotool key Return 2>/dev/null || true
      TYPED="a message typed"
    fi
  else
    echo "smoke: no xdotool: the window's start time is not measured (apt-get install xdotool)"
    TYPED="no message typed (no xdotool)"
  fi
  sleep "$GUI_SECONDS"
  if command -v import >/dev/null && import -version 2>/dev/null | grep -q ImageMagick; then
    DISPLAY=":$DISPLAY_NUM" import -window root "$LOGS/gui-xcb.png" 2>/dev/null && SCREENSHOT=$LOGS/gui-xcb.png
  fi
  if kill -0 "$GUI_PID" 2>/dev/null && ! grep -Eq "$FATAL" "$LOGS/gui-xcb.err"; then
    pass "window on X (xcb, --demo) mapped after ${MAPPED_MS:-?} ms, WM_CLASS ${WM_CLASS:-?}, $TYPED, still running ${GUI_SECONDS} s later"
  else
    sed -n 1,30p "$LOGS/gui-xcb.err" >&2; fail "window on X (see $LOGS/gui-xcb.err)"
  fi
  stop_pid "$GUI_PID"
  stop_pid "$XVFB_PID"
else
  echo "smoke: skipped the X11 check (no Xvfb on this machine: apt-get install xvfb xdotool x11-utils)"
fi
PIDS=()

# --- uninstall -------------------------------------------------------------------------------------
if in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y routechat >"$LOGS/apt-purge.log" 2>&1 &&
   ! in_root test -e /opt/routechat && ! in_root test -L /usr/bin/routechat &&
   ! in_root test -e /usr/share/applications/routechat.desktop; then
  pass "apt-get purge routechat removes /opt/routechat, the command and the menu entry"
else
  fail "apt-get purge (see $LOGS/apt-purge.log)"
fi
if [ "$OPT_BEFORE" = no ] || in_root test -d /opt; then
  pass "apt-get purge routechat leaves the system's /opt (there before: $OPT_BEFORE)"
else
  fail "apt-get purge routechat deleted the system's /opt"
fi

# --- the tarball again, now that the .deb brought the libraries (apt-get purge leaves them) ------
if [ -n "$TARBALL" ]; then
  as_user "$TB_DIR/install.sh" >"$LOGS/tarball-install.log" 2>&1 || true
  if as_user test -x /home/tester/.local/opt/routechat/routechat &&
     as_user test -e /home/tester/.local/share/applications/routechat.desktop &&
     as_user test -e /home/tester/.local/share/icons/hicolor/48x48/apps/routechat.png &&
     ! grep -q "needs these system libraries" "$LOGS/tarball-install.log" &&
     TB_VERSION=$(as_user routechat --version 2>&1); then
    pass "tarball: install.sh installed ~/.local/opt/routechat, the menu entry and icons; routechat --version: $TB_VERSION"
  else
    cat "$LOGS/tarball-install.log" >&2; fail "tarball: install.sh (see $LOGS/tarball-install.log)"
  fi
  EMU_BIN=/home/tester/.local/opt/routechat/routechat
  if start_emulator tarball; then
    if as_user env EDENAI_API_KEY=demo routechat ask --json --base-url "$EMU_URL" hello \
         >"$LOGS/ask-tarball.json" 2>"$LOGS/ask-tarball.err" && grep -q '"error": null' "$LOGS/ask-tarball.json"; then
      pass "tarball: routechat ask --json against the emulator, as an ordinary user"
    else
      cat "$LOGS/ask-tarball.err" >&2; fail "tarball: routechat ask"
    fi
  else
    fail "tarball: emulator did not start"
  fi
  stop_pid "$EMU_PID"; PIDS=()
  as_user sh -c 'mkdir -p ~/.local/share/routechat ~/.config/routechat && echo x > ~/.local/share/routechat/keep-me'
  as_user /home/tester/.local/opt/routechat/uninstall.sh >"$LOGS/tarball-uninstall.log" 2>&1 || true
  if ! as_user test -e /home/tester/.local/opt/routechat && ! as_user test -L /home/tester/.local/bin/routechat &&
     ! as_user test -e /home/tester/.local/share/applications/routechat.desktop &&
     as_user test -e /home/tester/.local/share/routechat/keep-me; then
    pass "tarball: uninstall.sh removes the program and menu entry, keeps the user's data"
  else
    cat "$LOGS/tarball-uninstall.log" >&2; fail "tarball: uninstall.sh (see $LOGS/tarball-uninstall.log)"
  fi
  as_user "$TB_DIR/uninstall.sh" --remove-data >>"$LOGS/tarball-uninstall.log" 2>&1 || true
  if ! as_user test -e /home/tester/.local/share/routechat && ! as_user test -e /home/tester/.config/routechat; then
    pass "tarball: uninstall.sh --remove-data deletes the settings and conversations"
  else
    fail "tarball: uninstall.sh --remove-data left data (see $LOGS/tarball-uninstall.log)"
  fi
else
  echo "smoke: no routechat-*-linux-*.tar.gz beside the .deb: the tarball checks are skipped"
fi

unmount_root
echo
echo "== RouteChat .deb smoke test: $(basename "$DEB") on $SUITE/$ARCH =="
printf '%s\n' "${RESULTS[@]}"
echo "sizes: .deb $(du -h "$DEB" | cut -f1); Installed-Size ${INSTALLED_KB} KiB; /opt/routechat ${OPT_SIZE}${TARBALL:+; $(basename "$TARBALL") $(du -h "$TARBALL" | cut -f1)}"
echo "apt: ${APT_SIZES:-?}"
echo "start: --version ${VERSION_COLD_MS:-?} ms (first run) / ${VERSION_WARM_MS:-?} ms; window offscreen ${OFFSCREEN_MS:-?} ms; window mapped on X ${MAPPED_MS:-?} ms"
[ -n "${SCREENSHOT:-}" ] && echo "screenshot: $SCREENSHOT"
echo "logs: $LOGS"
if [ "$FAILED" = 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
exit "$FAILED"
