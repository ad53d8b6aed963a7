"""The installers' inputs: icons, desktop entry, AppStream metadata, build scripts.

Fast checks that need no build. The builds themselves are checked by
`packaging/smoke_test_deb.sh` (the .deb and tarball installed in a clean Debian root).
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

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


def run_spec_with_stubs(
    binaries: list[tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Execute packaging/routechat.spec as PyInstaller would, with PyInstaller's build steps
    replaced by recorders; returns what each step was given."""
    import types

    calls: dict[str, Any] = {}

    class Analysis:
        def __init__(self, scripts: list[str], **kwargs: Any) -> None:
            calls["analysis"] = (scripts, kwargs)
            self.binaries = list(binaries)
            self.datas: list[tuple[str, str, str]] = []
            self.pure: list[Any] = []
            self.scripts: list[Any] = []

    def recorder(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> tuple[str, Any, Any]:
            calls.setdefault(name, []).append((args, kwargs))
            return (name, args, kwargs)

        return record

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda package: []  # type: ignore[attr-defined]
    hooks.collect_submodules = lambda package: [package]  # type: ignore[attr-defined]
    hooks.copy_metadata = lambda package: []  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    spec = REPO / "packaging" / "routechat.spec"
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "SPECPATH": str(spec.parent),
        "Analysis": Analysis,
        **{n: recorder(n) for n in ("PYZ", "EXE", "COLLECT", "BUNDLE")},
    }
    exec(compile(spec.read_text(), str(spec), "exec"), namespace)
    calls["binaries"] = namespace["a"].binaries
    return calls


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux build's rules")
def test_pyinstaller_spec_builds_the_app_and_drops_what_it_must(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    qt = "PySide6/Qt/plugins"
    binaries = [
        (f"{qt}/platforms/libqxcb.so", "/venv/PySide6/Qt/plugins/platforms/libqxcb.so", "BINARY"),
        (
            f"{qt}/platformthemes/libqgtk3.so",
            "/venv/PySide6/Qt/plugins/platformthemes/libqgtk3.so",
            "BINARY",
        ),
        ("libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "BINARY"),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "BINARY"),
        ("libqt6pdf.so.6", "/venv/PySide6/Qt/lib/libqt6pdf.so.6", "BINARY"),
        ("PySide6/Qt/translations/qtbase_de.qm", "/venv/qtbase_de.qm", "DATA"),
    ]
    calls = run_spec_with_stubs(binaries, monkeypatch)
    scripts, options = calls["analysis"]
    assert scripts == [str(REPO / "packaging" / "routechat_main.py")]
    assert Path(scripts[0]).is_file()
    assert "desktop_app" in options["hiddenimports"]  # the CLI imports its commands lazily
    assert "tkinter" in options["excludes"]
    kept = [entry[0] for entry in calls["binaries"]]
    assert kept == [f"{qt}/platforms/libqxcb.so", "libpython3.11.so.1.0"]
    ((_exe_args, exe_options),) = calls["EXE"]
    assert exe_options["name"] == "routechat" and exe_options["console"] is True
    assert calls["COLLECT"][0][1]["name"] == "routechat"


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


# --- the scripts run with stand-ins for apt, dpkg-query, ldd and fc-list ------------------------


def fake_command(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def run_common(script: str, fakes: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`script` in bash after sourcing packaging/linux_common.sh, the fakes first on PATH."""
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail; . packaging/linux_common.sh; {script}"],
        cwd=REPO,
        env={**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
    )


LOCKED = (
    'echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 '
    '(apt-get)" >&2\nexit 100\n'
)


def test_build_host_packages_wait_while_apt_is_busy(tmp_path: Path) -> None:
    fakes, calls = tmp_path / "bin", tmp_path / "calls"
    fake_command(fakes, "id", "echo 0\n")
    fake_command(fakes, "dpkg-query", "exit 1\n")  # nothing installed
    # Busy for the first two calls (another package manager), then free.
    fake_command(
        fakes,
        "apt-get",
        f'n=$(cat "{tmp_path}/n" 2>/dev/null || echo 0); echo $((n + 1)) >"{tmp_path}/n"\n'
        f'if [ "$n" -lt 2 ]; then {LOCKED}fi\n'
        f'echo "$DEBIAN_FRONTEND $*" >>"{calls}"\n',
    )
    result = run_common(
        "ensure_build_host_packages", fakes, APT_LOCK_TIMEOUT="600", APT_LOCK_POLL="0"
    )
    assert result.returncode == 0, result.stderr
    assert "waiting up to 600 s" in result.stderr
    update, install = calls.read_text().splitlines()
    assert update == "noninteractive -o DPkg::Lock::Timeout=600 update -qq"
    assert install.startswith("noninteractive -o DPkg::Lock::Timeout=600 install -y -qq ")
    assert " libglib2.0-0 " in install and install.endswith(" xz-utils")


def test_apt_get_gives_up_on_a_lock_with_a_clear_message(tmp_path: Path) -> None:
    fakes = tmp_path / "bin"
    fake_command(fakes, "id", "echo 0\n")
    fake_command(fakes, "apt-get", LOCKED)
    result = run_common("apt_get update", fakes, APT_LOCK_TIMEOUT="0", APT_LOCK_POLL="0")
    assert result.returncode == 100
    assert "Could not get lock" in result.stderr
    assert "apt is still busy after 0 s" in result.stderr and "Run this again" in result.stderr


def test_apt_get_reports_other_failures_at_once(tmp_path: Path) -> None:
    fakes, calls = tmp_path / "bin", tmp_path / "calls"
    fake_command(fakes, "id", "echo 0\n")
    fake_command(
        fakes,
        "apt-get",
        f'echo x >>"{calls}"; echo "E: Unable to locate package nosuch" >&2; exit 100\n',
    )
    result = run_common("apt_get install nosuch", fakes, APT_LOCK_TIMEOUT="600")
    assert result.returncode == 100 and "Unable to locate package nosuch" in result.stderr
    assert calls.read_text() == "x\n" and "waiting" not in result.stderr


DEB_TOOLS = ("dpkg-deb", "dpkg", "dpkg-query", "objdump", "ar", "xz")


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in DEB_TOOLS),
    reason=f"needs {', '.join(DEB_TOOLS)} (Debian: dpkg, binutils, xz-utils)",
)
def test_deb_owns_opt_routechat_but_not_opt(tmp_path: Path) -> None:
    """`apt purge` deletes every empty folder the package lists: /opt must not be one of them."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "packaging", repo / "packaging", ignore=shutil.ignore_patterns("build"))
    for folder in ("linux", "icons"):
        shutil.copytree(REPO / "resources" / folder, repo / "resources" / folder)
    bundle = repo / "dist" / "routechat"
    (bundle / "_internal" / "routechat-0.3.0rc1.dist-info").mkdir(parents=True)
    (bundle / "_internal" / "routechat-0.3.0rc1.dist-info" / "METADATA").write_text(
        "Name: routechat\nVersion: 0.3.0rc1\n"
    )
    true = Path(shutil.which("true") or "/bin/true").resolve()
    shutil.copy(true, bundle / "routechat")  # an ELF that loads libc from the system
    fakes = tmp_path / "bin"
    # The build host has every package it needs (`dpkg -S` runs dpkg-query too: the real one).
    real = shutil.which("dpkg-query")
    fake_command(
        fakes,
        "dpkg-query",
        f'if [ "$1" = -W ]; then echo "install ok installed"; else exec {real} "$@"; fi\n',
    )
    result = subprocess.run(
        ["bash", str(repo / "packaging" / "build_deb.sh"), "--no-rebuild"],
        env={**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (deb,) = (repo / "dist").glob("routechat_0.3.0~rc1_*.deb")

    contents = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    paths = [line.split()[5] for line in contents.splitlines()]
    assert "./opt/" not in paths
    assert "./opt/routechat/" in paths and "./opt/routechat/routechat" in paths
    assert "./usr/bin/routechat" in paths

    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "--control", str(deb), str(control)], check=True)
    fields = dict(
        line.split(": ", 1)
        for line in (control / "control").read_text().splitlines()
        if ": " in line
    )
    assert {"fonts-noto-cjk", "fonts-noto-color-emoji"} <= set(fields["Recommends"].split(", "))
    assert fields["Depends"].startswith("libc6 (>= 2.")
    preinst = (control / "preinst").read_text()
    assert "[ -d /opt ] || mkdir -m 0755 /opt" in preinst
    for script in ("preinst", "postinst", "postrm"):
        text = (control / script).read_text()
        assert "rmdir" not in text and "rm -" not in text, script

    data = tmp_path / "data"
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(data)], check=True)
    table = (data / "opt" / "routechat" / "_internal" / "system-libraries.txt").read_text()
    assert "libc.so.6 libc6\n" in table


def make_unpacked_tarball(folder: Path, table: str) -> Path:
    here = folder / "routechat-0.3.0-linux-x86_64"
    fake_command(here / "app", "routechat", "exit 0\n")
    (here / "app" / "_internal").mkdir()
    (here / "app" / "_internal" / "system-libraries.txt").write_text(table)
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy(REPO / "packaging" / "linux" / script, here / script)
    (here / "share" / "applications").mkdir(parents=True)
    (here / "share" / "metainfo").mkdir()
    shutil.copy(LINUX / "routechat.desktop", here / "share" / "applications")
    shutil.copy(LINUX / "run.routechat.RouteChat.metainfo.xml", here / "share" / "metainfo")
    return here


def test_install_sh_names_missing_libraries_and_fonts_in_one_apt_line(tmp_path: Path) -> None:
    here = make_unpacked_tarball(
        tmp_path, "libglib-2.0.so.0 libglib2.0-0\nlibxcb-cursor.so.0 libxcb-cursor0\n"
    )
    fakes = tmp_path / "bin"
    fake_command(fakes, "ldd", 'for f; do printf "\\tlibglib-2.0.so.0 => not found\\n"; done\n')
    # Only DejaVu: no font for Japanese, none in colour (emoji).
    fake_command(
        fakes,
        "fc-list",
        'case "$*" in *lang=ja* | *color=true*) ;; *) echo "DejaVuSans.ttf: DejaVu Sans" ;; esac\n',
    )
    result = subprocess.run(
        ["sh", str(here / "install.sh"), "--prefix", str(tmp_path / "prefix")],
        env={**os.environ, "HOME": str(tmp_path), "PATH": f"{fakes}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "  libglib-2.0.so.0\n" in result.stdout
    lines = result.stdout.splitlines()
    apt = "On Debian or Ubuntu: sudo apt install libglib2.0-0 fonts-noto-cjk fonts-noto-color-emoji"
    assert apt in lines
    installed = tmp_path / "prefix" / "opt" / "routechat"
    assert (installed / "_internal" / "system-libraries.txt").is_file()


# --- the frozen entry point on a system without Qt's libraries ------------------------------------

NO_GLIB = "libglib-2.0.so.0: cannot open shared object file: No such file or directory"


def run_entry_point(
    tmp_path: Path, qt_import_error: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """packaging/routechat_main.py where importing PySide6 fails as it does without a library."""
    entry = tmp_path / "app"
    entry.mkdir()
    shutil.copy(REPO / "packaging" / "routechat_main.py", entry)
    (entry / "system-libraries.txt").write_text(
        "libc.so.6 libc6\n"
        "libglib-2.0.so.0 libglib2.0-0\n"
        "libroutechat-test-absent.so.7 routechat-test-absent\n"
    )
    fake_qt = tmp_path / "fake-qt" / "PySide6"
    fake_qt.mkdir(parents=True)
    (fake_qt / "__init__.py").write_text(f"raise ImportError({qt_import_error!r})\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDENAI_", "ROUTECHAT_"))}
    env.update(
        PYTHONPATH=str(fake_qt.parent),
        ROUTECHAT_HOME=str(tmp_path / "home"),
        QT_QPA_PLATFORM="offscreen",
    )
    return subprocess.run(
        [sys.executable, str(entry / "routechat_main.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_window_without_qt_libraries_says_what_to_install(tmp_path: Path) -> None:
    result = run_entry_point(tmp_path, NO_GLIB)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("RouteChat cannot open its window")
    # Every missing library is named (not only the first), the loadable ones are not.
    assert lines[1] == "  libglib-2.0.so.0, libroutechat-test-absent.so.7"
    assert (
        "  sudo apt install libglib2.0-0 routechat-test-absent"
        " fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji"
    ) in lines


def test_headless_commands_run_without_qt_libraries(tmp_path: Path) -> None:
    result = run_entry_point(tmp_path, NO_GLIB, "tiers")
    assert result.returncode == 0, result.stderr
    assert "balanced" in result.stdout


def test_other_import_errors_keep_their_traceback(tmp_path: Path) -> None:
    result = run_entry_point(tmp_path, "No module named 'PySide6.QtCore'")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "sudo apt install" not in result.stderr


def load_entry_point() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "routechat_main", REPO / "packaging" / "routechat_main.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_library_is_missing_when_the_loader_says_so_even_wrapped() -> None:
    entry = load_entry_point()

    def frozen_loader(soname: str) -> object:
        """Like PyInstaller's ctypes hook: its own error, the loader's as the cause."""
        try:
            raise OSError(f"{soname}: cannot open shared object file: No such file or directory")
        except OSError as cause:
            raise OSError(f"Failed to load dynlib/dll {soname!r}") from cause

    def lacks_a_dependency(soname: str) -> object:
        raise OSError("libxcb-render-util.so.0: cannot open shared object file")

    assert not entry.is_loadable("libxcb-cursor.so.0", frozen_loader)
    assert entry.is_loadable("libxcb-cursor.so.0", lacks_a_dependency)  # that one is checked alone
    assert entry.is_loadable("libc.so.6")
    assert not entry.is_loadable("libroutechat-test-absent.so.7")


def test_ci_runs_the_suite_on_every_push_and_pull_request_for_each_python() -> None:
    text = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    on = text.split("\non:\n", 1)[1].split("\n\n", 1)[0]
    assert "  push:" in on and "  pull_request:" in on
    assert 'python: ["3.11", "3.12", "3.13"]' in text
    assert "run: bash .ci/run" in text
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.14"  # the three the matrix runs
