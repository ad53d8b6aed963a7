"""Entry point of the frozen app (PyInstaller): the same as `python -m desktop_app`.

On Linux the bundle takes the desktop libraries (X11/Wayland, OpenGL, GLib, fontconfig) from the
system. Where one is missing, importing Qt fails when the window starts: instead of a traceback,
this names what is missing and the one `apt install` line that adds it, fonts for Chinese,
Japanese, Korean and emoji included. The headless commands (ask, models, tiers, emulator) never
import Qt, so they keep working without those libraries.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from desktop_app.cli import main

# "SONAME PACKAGE" lines for every system library the bundle loads, written into _internal/ by
# packaging/build_tarball.sh and build_deb.sh (from `dpkg -S` on the build machine).
SYSTEM_LIBRARIES = "system-libraries.txt"
# A minimal desktop has DejaVu only: Chinese, Japanese, Korean and emoji are then empty boxes.
FONT_PACKAGES = ("fonts-dejavu-core", "fonts-noto-cjk", "fonts-noto-color-emoji")
EXIT_MISSING_LIBRARIES = 1
_CANNOT_OPEN = re.compile(r"([^\s:/]+\.so(?:\.[0-9.]+)?): cannot open shared object file")


def missing_library(error: ImportError) -> str | None:
    """The system library whose absence failed the import, or None for any other failure."""
    match = _CANNOT_OPEN.search(str(error))
    return match.group(1) if match else None


def read_system_libraries(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:  # a bundle built without dpkg has none: the libraries are still named
        return {}
    rows = (line.split() for line in text.splitlines())
    return {row[0]: row[1] for row in rows if len(row) == 2}


def is_loadable(soname: str, load: Callable[[str], object] | None = None) -> bool:
    if load is None:
        import ctypes

        load = ctypes.CDLL
    try:
        load(soname)
    except OSError as exc:
        # The loader's own words ("libX.so.1: cannot open shared object file") may be the cause of
        # the error raised (PyInstaller's ctypes hook words its own). A library that is there but
        # lacks one of its own dependencies names that one, which is checked by itself.
        error: BaseException | None = exc
        while error is not None:
            if str(error).startswith(f"{soname}:"):
                return False
            error = error.__cause__ or error.__context__
    return True


def missing_libraries(
    first: str, known: Iterable[str], loadable: Callable[[str], bool] = is_loadable
) -> list[str]:
    """All the missing ones, so that one command installs everything (not one per attempt)."""
    return sorted({first, *(soname for soname in known if not loadable(soname))})


def advice(missing: Sequence[str], packages: dict[str, str]) -> str:
    needed = sorted({packages[soname] for soname in missing if soname in packages})
    unknown = [soname for soname in missing if soname not in packages]
    lines = [
        "RouteChat cannot open its window: this computer lacks system libraries it needs:",
        *textwrap.wrap(
            ", ".join(missing),
            width=100,
            initial_indent="  ",
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        ),
        "On Debian or Ubuntu, this installs them, with fonts for Chinese, Japanese, Korean and"
        " emoji:",
        f"  sudo apt install {' '.join([*needed, *FONT_PACKAGES])}",
    ]
    if unknown:
        lines.append(f"  (and the packages providing {', '.join(unknown)}: apt-file search NAME)")
    lines += [
        "On other systems, install the packages that provide these libraries, and the Noto CJK"
        " and Noto Color Emoji fonts.",
        "The commands `routechat ask`, `models`, `tiers` and `emulator` work without them.",
    ]
    return "\n".join(lines)


def run(argv: Sequence[str] | None = None) -> int:
    try:
        return main(argv)
    except ImportError as exc:
        soname = missing_library(exc)
        if soname is None:
            raise
        here = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))
        packages = read_system_libraries(here / SYSTEM_LIBRARIES)
        print(advice(missing_libraries(soname, packages), packages), file=sys.stderr)
        return EXIT_MISSING_LIBRARIES


if __name__ == "__main__":
    # A windowed Windows executable has no console: give print() somewhere to go.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    sys.exit(run())
