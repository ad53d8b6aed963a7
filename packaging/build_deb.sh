#!/usr/bin/env bash
# The Debian/Ubuntu package, from a clean checkout, in one command (on Debian 12 or newer):
#
#   packaging/build_deb.sh                 ->  dist/routechat_<version>_<arch>.deb
#   packaging/build_deb.sh --no-rebuild    reuse dist/routechat/ from an earlier PyInstaller build
#
# Installs to /opt/routechat (the PyInstaller one-folder build), with /usr/bin/routechat, the menu
# entry (/usr/share/applications/routechat.desktop), the icons (/usr/share/icons/hicolor) and the
# AppStream metadata (/usr/share/metainfo). Depends: is derived from the bundle: every library that
# its binaries load from the system is looked up with `dpkg -S`, plus a font; libc6 gets the
# newest GLIBC symbol version any binary asks for. The build fails if a library resolves nowhere.
# Recommends: fonts for Chinese, Japanese, Korean and emoji (else they show as empty boxes).
# /opt itself is not the package's: the archive has no entry for it, so removing the package
# never deletes the system's (empty) /opt; the preinst creates /opt on the rare system without it.
# Waits (APT_LOCK_TIMEOUT, 300 s) when another program holds apt's lock.
# Users' settings, history and keys live in their home folders and keyrings: removing or purging
# the package leaves them (docs/install.md says how to delete them).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# shellcheck source=linux_common.sh
. packaging/linux_common.sh

REBUILD=1
[ "${1:-}" = "--no-rebuild" ] && REBUILD=0

command -v dpkg-deb >/dev/null || { echo "build_deb: dpkg-deb is needed (Debian/Ubuntu)" >&2; exit 2; }
ensure_build_host_packages
if [ "$REBUILD" = 1 ] || [ ! -x dist/routechat/routechat ]; then
  packaging/build_pyinstaller.sh
fi
BUNDLE=$REPO/dist/routechat

PY_VERSION=$(bundle_version "$BUNDLE")
# PEP 440 pre- and dev-releases sort before the release in Debian only with a tilde.
DEB_VERSION=$(printf '%s' "$PY_VERSION" | sed -E 's/([0-9])\.?(a|b|rc|dev)([0-9]+)/\1~\2\3/g')
ARCH=$(dpkg --print-architecture)
STAGE=$REPO/build/deb/routechat
OUT=$REPO/dist/routechat_${DEB_VERSION}_${ARCH}.deb

echo "Packaging RouteChat $PY_VERSION as routechat_${DEB_VERSION}_${ARCH}.deb"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/metainfo" "$STAGE/usr/share/doc/routechat"
cp -a "$BUNDLE" "$STAGE/opt/routechat"
ln -s /opt/routechat/routechat "$STAGE/usr/bin/routechat"
install -m 0644 resources/linux/routechat.desktop "$STAGE/usr/share/applications/"
install -m 0644 resources/linux/run.routechat.RouteChat.metainfo.xml "$STAGE/usr/share/metainfo/"
for png in resources/icons/hicolor/*/apps/routechat.png; do
  install -D -m 0644 "$png" "$STAGE/usr/share/icons/${png#resources/icons/}"
done
install -D -m 0644 resources/icons/routechat.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/routechat.svg"
cat >"$STAGE/usr/share/doc/routechat/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: RouteChat

Files: *
Copyright: RouteChat developers
License: MIT

Files: opt/routechat/_internal/*
Comment: The bundled Python runtime and libraries keep their own licences: Python (PSF-2.0),
 Qt 6 and PySide6 (LGPL-3.0), and the Python packages whose *.dist-info folders hold their
 licence files.

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 and associated documentation files (the "Software"), to deal in the Software without
 restriction, including without limitation the rights to use, copy, modify, merge, publish,
 distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
 BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF

# --- Depends, from what the binaries load ------------------------------------------------------------
EXTERNAL=$(bundle_external_libs "$STAGE/opt/routechat")
MISSING=$(awk '$2 == "not-found" { print $1 }' <<<"$EXTERNAL")
if [ -n "$MISSING" ]; then
  echo "build_deb: these libraries resolve neither in the bundle nor on this machine:" >&2
  echo "$MISSING" | sed 's/^/  /' >&2
  echo "Install the packages that provide them (apt-file search NAME), or drop what needs them" >&2
  echo "in packaging/routechat.spec." >&2
  exit 1
fi
# For the program's own message when a library is missing (a `dpkg -i` without its Depends).
system_library_packages <<<"$EXTERNAL" >"$STAGE/opt/routechat/_internal/system-libraries.txt"
# Only the libraries the bundle names itself: their packages bring what those need in turn.
NEEDED=$(bundle_needed "$STAGE/opt/routechat")
declare -A PACKAGES=()
UNOWNED=()
while read -r soname path; do
  [ -n "$soname" ] || continue
  grep -qxF "$soname" <<<"$NEEDED" || continue
  if pkg=$(package_of "$path"); then
    PACKAGES[$pkg]=1
  else
    UNOWNED+=("$soname ($path)")
  fi
done <<<"$EXTERNAL"
if [ ${#UNOWNED[@]} -gt 0 ]; then
  echo "build_deb: libraries from outside any Debian package (build on a clean Debian):" >&2
  printf '  %s\n' "${UNOWNED[@]}" >&2
  exit 1
fi
# libc6: at least the newest GLIBC_x.y symbol version that any binary of the bundle references.
GLIBC_MIN=$(bundle_elves "$STAGE/opt/routechat" | xargs -r objdump -T 2>/dev/null |
  grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
DEPENDS=()
for pkg in $(printf '%s\n' "${!PACKAGES[@]}" | sort); do
  if [ "$pkg" = libc6 ] && [ -n "$GLIBC_MIN" ]; then
    DEPENDS+=("libc6 (>= $GLIBC_MIN)")
  else
    DEPENDS+=("$pkg")
  fi
done
# Qt finds fonts through fontconfig but needs at least one installed, or text is empty boxes.
DEPENDS+=("fonts-dejavu-core | fonts-freefont-ttf | fonts-liberation2")
DEPENDS_LINE=$(printf '%s, ' "${DEPENDS[@]}")
DEPENDS_LINE=${DEPENDS_LINE%, }

# --- the .deb, without an entry for /opt ----------------------------------------------------------
# dpkg-deb archives every folder of the staging tree, /opt included, and dpkg then counts /opt as
# the package's: `apt purge` deletes it when it is left empty, though the system made it. So the
# package is built uncompressed, the ./opt/ entry (that folder only) is taken out of data.tar, and
# both members are compressed with xz, in the order and ar format dpkg reads.
deb_without_opt() {
  local stage=$1 out=$2 work
  work=$(mktemp -d)
  dpkg-deb --build --root-owner-group -Znone "$stage" "$work/plain.deb" >/dev/null
  (
    cd "$work"
    ar x plain.deb
    tar --delete --no-recursion -f data.tar ./opt/
    xz -z -6 -T0 control.tar data.tar
    ar qcD "$out" debian-binary control.tar.xz data.tar.xz
  )
  rm -rf "$work"
}

INSTALLED_KB=$(du -sk --apparent-size "$STAGE" --exclude=DEBIAN | cut -f1)
cat >"$STAGE/DEBIAN/control" <<EOF
Package: routechat
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: ${MAINTAINER:-RouteChat developers <maintainers@routechat.invalid>}
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS_LINE
Recommends: gnome-keyring, fonts-noto-cjk, fonts-noto-color-emoji
Suggests: keepassxc
Section: net
Priority: optional
Description: desktop chat client for Eden AI's smart routing
 RouteChat sends your messages through Eden AI's smart router, which picks the
 model for each message from a tier (budget, balanced, premium, or a pool for
 code, creative writing, quick answers or function calling). Every reply shows
 which model answered, what it cost, the tokens used, the time to the first
 token and the total time.
 .
 The API key is kept in the system keyring (Secret Service: GNOME Keyring, or
 KeePassXC with its Secret Service integration). A demo mode answers locally,
 without a key and at no cost. Conversations stay on this computer.
EOF

cat >"$STAGE/DEBIAN/preinst" <<'EOF'
#!/bin/sh
# /opt is the system's, not this package's (the package lists only /opt/routechat): make sure it
# exists before dpkg unpacks into it, without taking it over.
set -e
[ -d /opt ] || mkdir -m 0755 /opt
exit 0
EOF
cat >"$STAGE/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q /usr/share/applications || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f /usr/share/icons/hicolor/index.theme ]; then
    gtk-update-icon-cache -q -f -t /usr/share/icons/hicolor || true
  fi
fi
exit 0
EOF
cat >"$STAGE/DEBIAN/postrm" <<'EOF'
#!/bin/sh
# Settings, conversations and the API key are in each user's home folder and keyring: they stay
# (see /usr/share/doc/routechat or docs/install.md to delete them).
set -e
case "$1" in
  remove|purge)
    if command -v update-desktop-database >/dev/null 2>&1; then
      update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f /usr/share/icons/hicolor/index.theme ]; then
      gtk-update-icon-cache -q -f -t /usr/share/icons/hicolor || true
    fi
    ;;
esac
exit 0
EOF
chmod 0755 "$STAGE/DEBIAN/preinst" "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/postrm"
# Nothing group- or world-writable; dpkg-deb --root-owner-group makes every file root's.
chmod -R u+rwX,go+rX,go-w "$STAGE"

mkdir -p dist
rm -f "$OUT"
deb_without_opt "$STAGE" "$OUT"
echo "Depends: $DEPENDS_LINE"
echo "Built $OUT ($(du -h "$OUT" | cut -f1); installed $(( INSTALLED_KB / 1024 )) MiB)"
