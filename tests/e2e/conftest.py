"""End-to-end: real processes talking over real loopback sockets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class EmulatorProcess:
    proc: subprocess.Popen[str]
    base_url: str

    def queue_faults(self, *specs: str) -> None:
        root = self.base_url.removesuffix("/v3")
        body = json.dumps({"faults": list(specs)}).encode()
        req = urllib.request.Request(
            root + "/_emulator/faults", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200

    def last_request(self) -> dict[str, Any]:
        root = self.base_url.removesuffix("/v3")
        with urllib.request.urlopen(root + "/_emulator/requests", timeout=5) as resp:
            data = json.load(resp)
        rows = data["requests"] if isinstance(data, dict) else data
        last: dict[str, Any] = rows[-1]
        return last

    def stats(self) -> dict[str, Any]:
        root = self.base_url.removesuffix("/v3")
        with urllib.request.urlopen(root + "/_emulator/stats", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
            return data


def base_env(home: Path, key: str | None = "sk-e2e-test-key-0001") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDENAI_")}
    env["ROUTECHAT_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    if key is not None:
        env["EDENAI_API_KEY"] = key
    return env


@pytest.fixture
def emulator_proc(tmp_path: Path) -> Iterator[EmulatorProcess]:
    cmd = [sys.executable, "-m", "desktop_app", "emulator", "--port", "0"]
    cmd += ["--routing-delay", "0.02", "--token-delay", "0.002"]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=base_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on" in line, line + (proc.stderr.read() if proc.stderr else "")
        base_url = line.rsplit(" ", 1)[1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        yield EmulatorProcess(proc, base_url)
        proc.terminate()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:  # it did not start or did not stop: never leave it running
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == 0


def run_cli(
    args: list[str],
    home: Path,
    key: str | None = "sk-e2e-test-key-0001",
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`routechat ARGS` in its own process, with `home` as ROUTECHAT_HOME (`env`: more)."""
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        cwd=REPO,
        env={**base_env(home, key), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


_FIRST_FRAME_PROBE = r"""
import json, sys
import desktop_app.app as app_module
import desktop_app.cli as cli

{measure}

real_compose = app_module.compose

def compose(*args, **kwargs):
    parts = real_compose(*args, **kwargs)
    from PySide6 import QtCore

    class FirstPaint(QtCore.QObject):
        def eventFilter(self, watched, event):
            if event.type() == QtCore.QEvent.Type.Paint:
                watched.removeEventFilter(self)
                print("@@FIRST-FRAME " + json.dumps(measure(parts)), flush=True)
                QtCore.QTimer.singleShot(0, parts.window.quit_requested.emit)
            return False

    parts.window.installEventFilter(FirstPaint(parts.window))  # the window owns it
    return parts

app_module.compose = compose
sys.exit(cli.main([]))
"""


def at_first_frame(home: Path, measure: str, **env: str) -> dict[str, Any]:
    """Start the real app (`desktop_app.cli.main`, offscreen, no key) and return what
    `measure(parts)` found when the window first painted; `measure` is the source of that
    function, run inside the app's process. `env` adds environment variables."""
    run_env = base_env(home, key=None)
    run_env["QT_QPA_PLATFORM"] = "offscreen"
    run_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    run_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", _FIRST_FRAME_PROBE.format(measure=measure)],
        cwd=REPO,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("@@FIRST-FRAME ")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    found: dict[str, Any] = json.loads(lines[0].removeprefix("@@FIRST-FRAME "))
    return found
