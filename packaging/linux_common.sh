# Shared by build_deb.sh and build_tarball.sh (sourced, not run).
# shellcheck shell=bash

# Debian packages that provide what the bundle links against but does not carry (the desktop
# stack: X11/xcb, Wayland, xkbcommon, OpenGL/EGL, fontconfig/freetype, GLib, D-Bus) on the build
# machine, so that ldd can resolve every library and the .deb's Depends can be derived from them.
BUILD_HOST_PACKAGES=(
  binutils
  libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
  libglib2.0-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-shm0
  libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxcb-glx0 libwayland-client0 libwayland-cursor0
  libstdc++6
  xz-utils  # build_deb.sh recompresses the package's members
)

# apt and dpkg allow one package manager at a time; another one (an update, the Software Center,
# unattended-upgrades) makes apt-get fail at once with "Could not get lock ...". apt_get waits for
# it, up to APT_LOCK_TIMEOUT seconds (default 300), then says so clearly.
APT_LOCK_TIMEOUT=${APT_LOCK_TIMEOUT:-300}
APT_LOCK_POLL=${APT_LOCK_POLL:-5}

# apt-get "$@" (as root: through sudo when not root), non-interactive, waiting for apt's locks.
# DPkg::Lock::Timeout makes apt wait for dpkg's lock; `apt-get update` does not apply it to the
# package lists' lock, hence the retries.
apt_get() {
  local sudo="" err rc waited_since=$SECONDS said=0
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  err=$(mktemp)
  while :; do
    rc=0
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" \
      "$@" 2>"$err" || rc=$?
    if [ "$rc" -ne 0 ] && grep -Eq 'Could not get lock|Unable to (acquire|lock)' "$err"; then
      if [ $((SECONDS - waited_since)) -lt "$APT_LOCK_TIMEOUT" ]; then
        if [ "$said" = 0 ]; then
          echo "Another program is installing or updating packages (apt holds a lock):" \
            "waiting up to $APT_LOCK_TIMEOUT s for it to finish..." >&2
          said=1
        fi
        sleep "$APT_LOCK_POLL"
        continue
      fi
      cat "$err" >&2
      rm -f "$err"
      echo "apt is still busy after $APT_LOCK_TIMEOUT s: another program is installing or updating" \
        "packages. Run this again once it has finished (or wait longer: APT_LOCK_TIMEOUT=600)." >&2
      return "$rc"
    fi
    cat "$err" >&2
    rm -f "$err"
    return "$rc"
  done
}

ensure_build_host_packages() {
  command -v dpkg-query >/dev/null || return 0  # not Debian/Ubuntu: ldd will say what is missing
  local missing=() p
  for p in "${BUILD_HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing build-host packages: ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The version of the bundled routechat, read from its metadata (nothing is executed).
bundle_version() {
  local meta
  meta=$(ls -d "$1"/_internal/routechat-*.dist-info 2>/dev/null | head -n1)
  [ -n "$meta" ] || { echo "no routechat metadata in $1/_internal" >&2; return 1; }
  sed -n 's/^Version: //p' "$meta/METADATA" | head -n1
}

# Every ELF file of the bundle.
bundle_elves() {
  find "$1" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' f; do
      [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && printf '%s\n' "$f"
    done
}

# ldd of every ELF with the library path the PyInstaller bootloader sets (the bundle first).
# Prints "SONAME PATH" for each library found outside the bundle, "SONAME not-found" for each
# library not found at all.
bundle_external_libs() {
  local dir=$1 f
  local lp="$dir/_internal:$dir/_internal/PySide6/Qt/lib"
  bundle_elves "$dir" | while IFS= read -r f; do
    LD_LIBRARY_PATH="$lp" ldd "$f" 2>/dev/null || true
  done | awk -v dir="$dir" '
    $2 == "=>" && $3 == "not" { print $1, "not-found"; next }
    $2 == "=>" && index($3, dir) != 1 && $3 ~ /^\// { print $1, $3 }
  ' | sort -u
}

# The sonames that the bundle's own binaries name directly (DT_NEEDED), one per line.
bundle_needed() {
  bundle_elves "$1" | xargs -r objdump -p 2>/dev/null | awk '$1 == "NEEDED" { print $2 }' | sort -u
}

# The Debian package that installed a file. dpkg knows a file under the path its package installed
# it to; with merged /usr, ldd may name the other spelling (/lib/... versus /usr/lib/...).
package_of() {
  local path=$1 candidate pkg
  for candidate in "$path" "$(readlink -f "$path")" "/usr${path}" "${path#/usr}"; do
    pkg=$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1) || true
    [ -n "$pkg" ] && { echo "$pkg"; return 0; }
  done
  return 1
}

# "SONAME PACKAGE" for every library the bundle loads from the system and dpkg knows, from the
# output of bundle_external_libs on standard input. The bundle carries it as
# _internal/system-libraries.txt: install.sh and the program itself (packaging/routechat_main.py)
# read it to name the `apt install` line for what a system lacks.
system_library_packages() {
  local soname path pkg
  command -v dpkg >/dev/null || return 0
  while read -r soname path; do
    [ -n "$soname" ] && [ "$path" != not-found ] || continue
    if pkg=$(package_of "$path"); then printf '%s %s\n' "$soname" "$pkg"; fi
  done | sort -u
}
