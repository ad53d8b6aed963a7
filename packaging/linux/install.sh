#!/bin/sh
# Installs RouteChat for the current user, from this unpacked folder, without root:
#
#   ./install.sh                 into ~/.local (program in ~/.local/opt/routechat)
#   ./install.sh --prefix DIR    into DIR instead (DIR/opt/routechat, DIR/bin, DIR/share)
#
# Adds the `routechat` command (~/.local/bin), the menu entry and the icons. Running it again
# updates an earlier installation. Undo with ~/.local/opt/routechat/uninstall.sh.
# Your settings, conversations and API key are not in the program folder: updating or
# uninstalling leaves them.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${HOME:?}/.local
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=${2:?--prefix needs a folder}; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$PREFIX" in /*) ;; *) PREFIX=$(pwd)/$PREFIX ;; esac

APP_DIR=$PREFIX/opt/routechat
BIN_DIR=$PREFIX/bin
SHARE=$PREFIX/share
[ -x "$HERE/app/routechat" ] || { echo "install.sh: $HERE/app/routechat is missing; unpack the whole archive" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ] && [ "$PREFIX" = "${HOME}/.local" ]; then
  echo "install.sh: note: running as root installs for root only; for everyone use the .deb package"
fi

echo "Installing RouteChat into $APP_DIR"
mkdir -p "$PREFIX/opt" "$BIN_DIR" "$SHARE/applications" "$SHARE/metainfo"
# Replace the program folder as a whole: no files of an older version stay behind.
rm -rf "$APP_DIR.new"
cp -R "$HERE/app" "$APP_DIR.new"
cp "$HERE/uninstall.sh" "$APP_DIR.new/uninstall.sh"
chmod 0755 "$APP_DIR.new/uninstall.sh"
rm -rf "$APP_DIR"
mv "$APP_DIR.new" "$APP_DIR"

ln -sf "$APP_DIR/routechat" "$BIN_DIR/routechat"

# The menu entry names the program by its full path: ~/.local/bin is not always on a desktop
# session's PATH.
sed -e "s|^Exec=routechat|Exec=$APP_DIR/routechat|" -e "s|^TryExec=routechat|TryExec=$APP_DIR/routechat|" \
  "$HERE/share/applications/routechat.desktop" >"$SHARE/applications/routechat.desktop"
chmod 0644 "$SHARE/applications/routechat.desktop"
cp "$HERE/share/metainfo/run.routechat.RouteChat.metainfo.xml" "$SHARE/metainfo/"
(cd "$HERE/share" && find icons -type f) | while read -r icon; do
  mkdir -p "$(dirname "$SHARE/$icon")"
  cp "$HERE/share/$icon" "$SHARE/$icon"
done
# Menus and docks notice new entries by themselves; these make it immediate where available.
touch "$SHARE/icons/hicolor" 2>/dev/null || true
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$SHARE/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
fi

# The program carries Python and Qt; the desktop libraries (X11/Wayland, OpenGL, fonts, D-Bus)
# come from the system. Say which are missing, and how to get them on Debian/Ubuntu, in one
# `apt install` line with the fonts the system lacks: without a CJK and an emoji font, Chinese,
# Japanese and Korean text and emoji are empty boxes.
missing=$(
  LD_LIBRARY_PATH="$APP_DIR/_internal:$APP_DIR/_internal/PySide6/Qt/lib" \
    find "$APP_DIR" -type f \( -name '*.so*' -o -name routechat \) -exec ldd {} + 2>/dev/null |
    awk '$2 == "=>" && $3 == "not" { print $1 }' | sort -u
)
pkgs=""
add_pkg() { case " $pkgs " in *" $1 "*) ;; *) pkgs="$pkgs $1" ;; esac; }
if [ -n "$missing" ]; then
  echo
  echo "RouteChat needs these system libraries, which this computer lacks:"
  for lib in $missing; do echo "  $lib"; done
  for lib in $missing; do
    pkg=$(awk -v lib="$lib" '$1 == lib { print $2 }' "$APP_DIR/_internal/system-libraries.txt" 2>/dev/null)
    [ -n "$pkg" ] && add_pkg "$pkg"
  done
fi
# Fonts: fc-list (fontconfig) says what is installed; without it, this is a bare system.
fonts=""
if command -v fc-list >/dev/null 2>&1; then
  fc-list 2>/dev/null | grep -q . || fonts=" fonts-dejavu-core"
  fc-list :lang=ja family 2>/dev/null | grep -q . || fonts="$fonts fonts-noto-cjk"
  fc-list :color=true family 2>/dev/null | grep -q . || fonts="$fonts fonts-noto-color-emoji"
else
  fonts=" fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji"
fi
if [ -n "$fonts" ]; then
  [ -n "$missing" ] || echo
  echo "Fonts to install (without them, text, or Chinese, Japanese, Korean and emoji, shows as"
  echo "empty boxes):$fonts"
  for pkg in $fonts; do add_pkg "$pkg"; done
fi
[ -n "$pkgs" ] && echo "On Debian or Ubuntu: sudo apt install$pkgs"
if [ -n "$missing" ]; then
  echo "(On other systems, install the packages that provide them, then start RouteChat.)"
fi

echo
if [ -n "$missing" ]; then
  echo "Installed. RouteChat will start once the libraries above are installed."
fi
echo "Start RouteChat from your applications menu, or run: $BIN_DIR/routechat"
case ":${PATH:-}:" in
  *":$BIN_DIR:"*) ;;
  *) echo "($BIN_DIR is not on your PATH: open a new terminal or log in again, or use the full path.)" ;;
esac
echo "Uninstall with: $APP_DIR/uninstall.sh"
