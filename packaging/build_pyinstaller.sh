#!/usr/bin/env bash
# The PyInstaller one-folder build, from a clean checkout:
#
#   packaging/build_pyinstaller.sh        ->  dist/routechat/  (Linux, Windows under Git Bash)
#                                         ->  dist/RouteChat.app + dist/routechat/  (macOS)
#
# Makes its own virtual environment under build/ (never the developer's .venv), installs the
# project with its `package` extra (PyInstaller) into it, regenerates nothing it doesn't have to,
# and runs packaging/routechat.spec. Set PYTHON to choose the interpreter (3.11-3.13).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=build/pyinstaller-venv
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) BIN=$VENV/Scripts ;;
  *) BIN=$VENV/bin ;;
esac

if [ ! -x "$BIN/python" ] && [ ! -x "$BIN/python.exe" ]; then
  "$PY" -m venv "$VENV"
fi
VPY=$BIN/python
"$VPY" -m pip install -q --upgrade pip
# Not editable: PyInstaller then reads the package and its metadata from site-packages.
"$VPY" -m pip install -q ".[package]"

VERSION=$(PYTHONSAFEPATH=1 "$VPY" -c 'from importlib.metadata import version; print(version("routechat"))')
echo "Building RouteChat $VERSION with PyInstaller $("$VPY" -m PyInstaller --version)"
rm -rf dist/routechat dist/RouteChat.app
start=$(date +%s)
PYTHONSAFEPATH=1 "$VPY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath build/pyinstaller --distpath dist packaging/routechat.spec
echo "Built dist/routechat ($(du -sh dist/routechat | cut -f1)) in $(( $(date +%s) - start )) s"
