#!/bin/sh
# Removes a RouteChat installed by install.sh (for this user):
#
#   ~/.local/opt/routechat/uninstall.sh                  the program, command, menu entry, icons
#   ~/.local/opt/routechat/uninstall.sh --remove-data    also your settings, conversations, logs
#   ... --prefix DIR                                     if it was installed with --prefix DIR
#
# Without --remove-data your settings and conversations stay, so a later install finds them.
# The API key is in your system keyring (entry "RouteChat"); remove it there (Passwords and Keys /
# Seahorse, KWalletManager, KeePassXC), or: secret-tool clear service RouteChat
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# Run from the installed copy (PREFIX/opt/routechat/uninstall.sh) or from the unpacked archive.
case "$HERE" in
  */opt/routechat) PREFIX=${HERE%/opt/routechat} ;;
  *) PREFIX=${HOME:?}/.local ;;
esac
REMOVE_DATA=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=${2:?--prefix needs a folder}; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --remove-data) REMOVE_DATA=1; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

APP_DIR=$PREFIX/opt/routechat
SHARE=$PREFIX/share
INSTALLED=1
if [ ! -x "$APP_DIR/routechat" ]; then
  INSTALLED=0
  if [ "$REMOVE_DATA" = 0 ]; then
    echo "uninstall.sh: no RouteChat installation in $APP_DIR" >&2
    exit 1
  fi
fi

remove_program() {
  echo "Removing RouteChat from $APP_DIR"
  # The command, only if it is ours.
  if [ -L "$PREFIX/bin/routechat" ] && [ "$(readlink "$PREFIX/bin/routechat")" = "$APP_DIR/routechat" ]; then
    rm -f "$PREFIX/bin/routechat"
  fi
  rm -f "$SHARE/applications/routechat.desktop" "$SHARE/metainfo/run.routechat.RouteChat.metainfo.xml"
  for icon in "$SHARE"/icons/hicolor/*/apps/routechat.png "$SHARE"/icons/hicolor/scalable/apps/routechat.svg; do
    [ -e "$icon" ] && rm -f "$icon"
  done
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
  fi
  rm -rf "$APP_DIR"
}
[ "$INSTALLED" = 1 ] && remove_program

# Where RouteChat keeps its files (platformdirs on Linux; ROUTECHAT_HOME moves them all).
CONFIG=${XDG_CONFIG_HOME:-$HOME/.config}/routechat
DATA=${XDG_DATA_HOME:-$HOME/.local/share}/routechat
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/routechat
STATE=${XDG_STATE_HOME:-$HOME/.local/state}/routechat
if [ "$REMOVE_DATA" = 1 ]; then
  for d in "$CONFIG" "$DATA" "$CACHE" "$STATE"; do
    [ -e "$d" ] && { rm -rf "$d"; echo "Deleted $d"; }
  done
  echo "RouteChat's settings and conversations are deleted."
  echo "The API key stays in your keyring until you remove it: secret-tool clear service RouteChat"
else
  echo "RouteChat is removed. Your settings and conversations are still here:"
  for d in "$CONFIG" "$DATA" "$CACHE" "$STATE"; do [ -e "$d" ] && echo "  $d"; done
  echo "To delete them too: rm -rf \"$CONFIG\" \"$DATA\" \"$CACHE\" \"$STATE\""
fi
