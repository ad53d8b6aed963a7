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
)

ensure_build_host_packages() {
  command -v dpkg-query >/dev/null || return 0  # not Debian/Ubuntu: ldd will say what is missing
  local missing=() p
  for p in "${BUILD_HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing build-host packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
