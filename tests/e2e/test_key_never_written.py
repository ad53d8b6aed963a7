"""After a real session with a known key, no file RouteChat wrote contains it."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
from desktop_app.store import HistoryStore
from tests.e2e.conftest import REPO, base_env
from tests.support.processes import child_process

KEY = "sk-live-0123456789abcdefSECRET"


def reply_done(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        # closing(): `with sqlite3.connect(...)` only commits; the connection stays open.
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT count(*) FROM replies WHERE status = 'complete'").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0] >= 1)


def test_the_key_is_in_no_file_log_export_or_database(tmp_path: Path) -> None:
    emulator = EmulatorThread(EmulatorConfig(api_key=KEY, routing_delay=0.02, token_delay=0.002))
    base_url = emulator.start()
    home = tmp_path / "home"
    env = base_env(home, KEY)
    env.update(
        EDENAI_BASE_URL=base_url,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text('{"log_level": "DEBUG"}')
    db = home / "data" / "routechat.sqlite3"
    try:
        # Ended and reaped even when an assertion fails or the test times out.
        with child_process(
            [sys.executable, "-m", "desktop_app", "--prompt", "Write a python hello world"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as proc:
            deadline = time.monotonic() + 60
            while not reply_done(db):
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "no reply within 60 s"
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)  # an orderly shutdown: logs flushed, tabs saved
            out, err = proc.communicate(timeout=30)
    finally:
        emulator.stop()
    assert proc.returncode == 0, err.decode()
    with HistoryStore.open(db) as store:
        conv = store.list_conversations()[0]
        exports = store.export_json_text(conv.id) + store.export_markdown(conv.id)
    assert "hello" in exports.lower()
    assert KEY not in exports
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" or ".log" in p.name for p in files), files
    leaks = [p for p in files if KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert KEY.encode() not in out + err
