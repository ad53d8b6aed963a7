#!/usr/bin/env bash
# The portable Linux archive, from a clean checkout, in one command:
#
#   packaging/build_tarball.sh                ->  dist/routechat-<version>-linux-<arch>.tar.gz
#   packaging/build_tarball.sh --no-rebuild   reuse dist/routechat/ from an earlier build
#
# Inside: app/ (the PyInstaller one-folder build: runs in place as app/routechat), install.sh
# (for the current user, under ~/.local: the command, the menu entry, the icons), uninstall.sh,
# and README.txt. app/_internal/system-libraries.txt says which Debian package provides each system
# library the program loads: install.sh, and the program itself when it cannot open its window,
# use it to print the `apt install` line for what is missing (with the fonts for Chinese, Japanese,
# Korean and emoji).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# shellcheck source=linux_common.sh
. packaging/linux_common.sh

REBUILD=1
[ "${1:-}" = "--no-rebuild" ] && REBUILD=0

ensure_build_host_packages
if [ "$REBUILD" = 1 ] || [ ! -x dist/routechat/routechat ]; then
  packaging/build_pyinstaller.sh
fi
BUNDLE=$REPO/dist/routechat
VERSION=$(bundle_version "$BUNDLE")
ARCH=$(uname -m)
NAME=routechat-$VERSION-linux-$ARCH
STAGE=$REPO/build/tarball/$NAME
OUT=$REPO/dist/$NAME.tar.gz

echo "Packing $NAME.tar.gz"
rm -rf "$REPO/build/tarball"
mkdir -p "$STAGE/share/applications" "$STAGE/share/metainfo"
cp -a "$BUNDLE" "$STAGE/app"
install -m 0755 packaging/linux/install.sh packaging/linux/uninstall.sh "$STAGE/"
install -m 0644 resources/linux/routechat.desktop "$STAGE/share/applications/"
install -m 0644 resources/linux/run.routechat.RouteChat.metainfo.xml "$STAGE/share/metainfo/"
for png in resources/icons/hicolor/*/apps/routechat.png; do
  install -D -m 0644 "$png" "$STAGE/share/icons/${png#resources/icons/}"
done
install -D -m 0644 resources/icons/routechat.svg "$STAGE/share/icons/hicolor/scalable/apps/routechat.svg"

# soname -> Debian package, for the advice of install.sh and of the program (only where dpkg knows
# the file).
bundle_external_libs "$BUNDLE" | system_library_packages >"$STAGE/app/_internal/system-libraries.txt"

cat >"$STAGE/README.txt" <<EOF
RouteChat $VERSION for Linux ($ARCH)

Install for yourself (no root needed):   ./install.sh
  adds the "routechat" command (~/.local/bin), a menu entry and icons; the program goes to
  ~/.local/opt/routechat. Uninstall: ~/.local/opt/routechat/uninstall.sh
Or run it in place, without installing:   ./app/routechat
Try it without an account:                ./app/routechat --demo

Needs a desktop Linux with glibc 2.35 or newer (Debian 12, Ubuntu 22.04 or newer, Fedora 36 or
newer, ...), and the usual desktop libraries (X11 or Wayland, OpenGL, fontconfig); install.sh
and RouteChat itself tell you if one is missing, and the apt command that installs it. On Debian
and Ubuntu the .deb package installs them for you. For Chinese, Japanese and Korean text and for
emoji, install the Noto fonts (Debian/Ubuntu: sudo apt install fonts-noto-cjk fonts-noto-color-emoji).

Your settings and conversations: ~/.config/routechat and ~/.local/share/routechat.
Your API key: in the system keyring (GNOME Keyring, KWallet or KeePassXC via Secret Service).
More: docs/install.md in the source repository.
EOF

# Reproducible: fixed owner, order and times (the last commit's, when there is one).
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
mkdir -p dist
rm -f "$OUT"
tar -C "$REPO/build/tarball" --sort=name --owner=0 --group=0 --numeric-owner \
  --mtime="@$EPOCH" -cf - "$NAME" | gzip -n -9 >"$OUT"
echo "Built $OUT ($(du -h "$OUT" | cut -f1); unpacked $(du -sh "$STAGE" | cut -f1))"
