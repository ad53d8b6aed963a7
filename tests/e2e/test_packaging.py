"""The installers' inputs: icons, desktop entry, AppStream metadata, build scripts.

Fast checks that need no build. The builds themselves are checked by
`packaging/smoke_test_deb.sh` (the .deb and tarball installed in a clean Debian root).
"""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ICONS = REPO / "resources" / "icons"
LINUX = REPO / "resources" / "linux"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])  # IHDR follows the signature
    return width, height


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512])
def test_hicolor_png_has_its_size(size: int) -> None:
    data = (ICONS / "hicolor" / f"{size}x{size}" / "apps" / "routechat.png").read_bytes()
    assert png_size(data) == (size, size)


def test_svg_source_is_square_svg() -> None:
    root = ET.parse(ICONS / "routechat.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"


def test_ico_holds_every_windows_size() -> None:
    data = (ICONS / "routechat.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        w, _h, _c, _r, _planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i : 22 + 16 * i]
        )
        payload = data[offset : offset + length]
        assert len(payload) == length and bits == 32
        if payload[:8] == PNG_MAGIC:
            actual = png_size(payload)[0]
        else:  # BITMAPINFOHEADER: width, then twice the height (image + mask)
            header_size, actual, double_height = struct.unpack("<Iii", payload[:12])
            assert header_size == 40 and double_height == 2 * actual
        assert actual == (w or 256)
        sizes.append(actual)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_png_images_up_to_1024() -> None:
    data = (ICONS / "routechat.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    found = {}
    pos = 8
    while pos < len(data):
        kind, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        found[kind] = png_size(data[pos + 8 : pos + length])[0]
        pos += length
    assert found[b"ic07"] == 128 and found[b"ic08"] == 256
    assert found[b"ic09"] == 512 and found[b"ic10"] == 1024


def test_desktop_entry_runs_the_command_with_real_options() -> None:
    from desktop_app.cli import build_parser

    entry = configparser.ConfigParser(interpolation=None)
    entry.read(LINUX / "routechat.desktop", encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Icon"] == "routechat"
    assert main["Exec"] == "routechat"
    demo = entry["Desktop Action demo"]["Exec"].split()
    assert demo[0] == "routechat"
    assert build_parser().parse_args(demo[1:]).demo is True


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"),
    reason="desktop-file-validate missing: `./dev system-deps` installs desktop-file-utils",
)
def test_desktop_entry_validates() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(LINUX / "routechat.desktop")], capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_metainfo_launches_the_desktop_entry() -> None:
    root = ET.parse(LINUX / "run.routechat.RouteChat.metainfo.xml").getroot()
    assert root.findtext("id") == "run.routechat.RouteChat"
    launchable = root.findtext("launchable")
    assert launchable is not None and (LINUX / launchable).is_file()


def test_inno_setup_script_points_at_existing_files() -> None:
    iss = REPO / "packaging" / "windows" / "routechat.iss"
    icon = next(line for line in iss.read_text().splitlines() if line.startswith("SetupIconFile="))
    path = (iss.parent / icon.split("=", 1)[1].replace("\\", "/")).resolve()
    assert path == ICONS / "routechat.ico"


def test_pyinstaller_spec_compiles() -> None:
    spec = REPO / "packaging" / "routechat.spec"
    compile(spec.read_text(), str(spec), "exec")


@pytest.mark.parametrize(
    ("shell", "script"),
    [("bash", p) for p in sorted((REPO / "packaging").glob("*.sh"))]
    + [("sh", p) for p in sorted((REPO / "packaging" / "linux").glob("*.sh"))],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_shell_script_parses(shell: str, script: Path) -> None:
    result = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_release_workflow_builds_every_platform() -> None:
    text = (REPO / ".github" / "workflows" / "release.yml").read_text()
    jobs = text.split("\njobs:\n", 1)[1]
    names = {line[2:-1] for line in jobs.splitlines() if line[:2] == "  " and line[2:3].isalpha()}
    assert {"linux", "linux-smoke", "windows", "macos", "release"} <= names
    for script in ("build_deb.sh", "build_tarball.sh", "build_pyinstaller.sh", "routechat.iss"):
        assert script in text
