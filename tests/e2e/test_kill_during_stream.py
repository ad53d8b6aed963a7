"""SIGKILL the real app while a reply streams, 20 times: nothing that had arrived is lost.

A recording proxy sits between the app and the emulator, so the test knows exactly which
bytes had reached the app's socket and when. After each kill the database must hold the
user's message and at least the reply text that had arrived one second before the kill; each
next start (the following iteration) recovers the cut reply and marks it interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
from desktop_app.store import HistoryStore
from tests.e2e.conftest import REPO, base_env
from tests.support.processes import child_process

KILLS = 20
SAVED_WITHIN_S = 1.0


@dataclass
class Connection:
    chunks: list[tuple[float, bytes]] = field(default_factory=list)


class RecordingProxy:
    """A loopback TCP proxy that timestamps every byte sent downstream."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.connections: list[Connection] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name="recording-proxy")

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def boot() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(boot())
        self._loop.run_forever()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        if pending:
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection()
        self.connections.append(conn)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, record: bool) -> None:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
                    if record:
                        conn.chunks.append((time.monotonic(), data))
            with contextlib.suppress(Exception):
                dst.close()

        await asyncio.gather(pump(reader, up_writer, False), pump(up_reader, writer, True))


def dechunk(raw: bytes) -> bytes:
    """The body of a chunked HTTP response, including an incomplete last chunk."""
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"chunked" not in head.lower():
        return body
    out, pos = bytearray(), 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(body[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            break
        start = end + 2
        out += body[start : start + size]
        pos = start + size + 2
    return bytes(out)


def text_arrived(conn: Connection, before: float) -> str:
    raw = b"".join(data for t, data in conn.chunks if t <= before)
    text = []
    for frame in re.findall(rb"data: (\{.*?\})\r?\n\r?\n", dechunk(raw)):
        chunk = json.loads(frame)
        for choice in chunk.get("choices") or []:
            text.append((choice.get("delta") or {}).get("content") or "")
    return "".join(text)


def stored(db: Path, prompt: str) -> tuple[bool, str, str]:
    uri = f"file:{db}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        row = conn.execute(
            "SELECT id, conversation_id FROM messages WHERE role = 'user' AND content = ?",
            (prompt,),
        ).fetchone()
        if row is None:
            return False, "", ""
        reply = conn.execute(
            "SELECT m.content, r.status FROM messages m JOIN replies r ON r.message_id = m.id "
            "WHERE m.parent_id = ? AND m.role = 'assistant'",
            (row[0],),
        ).fetchone()
    return True, (reply[0] if reply else ""), (reply[1] if reply else "")


@pytest.mark.slow
def test_sigkill_while_streaming_loses_nothing_that_arrived(tmp_path: Path) -> None:
    emulator = EmulatorThread(EmulatorConfig(routing_delay=0.05, token_delay=0.02, seed=3))
    emulator.start()
    proxy = RecordingProxy(int(emulator.base_url.rsplit(":", 1)[1].split("/")[0]))
    proxy.start()
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    # max_tokens >= 10000 makes the emulator stream that many chunks: always still streaming.
    (home / "config" / "settings.json").write_text(json.dumps({"max_tokens": 10000}))
    env = base_env(home)
    env["EDENAI_BASE_URL"] = f"http://127.0.0.1:{proxy.port}/v3"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    rng = random.Random(20261126)
    figures = []
    try:
        for i in range(KILLS):
            prompt = f"Run {i}: tell me a very long story about a lighthouse keeper"
            seen = len(proxy.connections)
            # Ended and reaped even when an assertion fails or the test times out.
            with child_process(
                [sys.executable, "-m", "desktop_app", "--prompt", prompt],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ) as proc:
                deadline = time.monotonic() + 60
                conn = None
                while time.monotonic() < deadline:
                    fresh = proxy.connections[seen:]
                    streaming = [c for c in fresh if text_arrived(c, time.monotonic())]
                    if streaming:
                        conn = streaming[0]
                        break
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    time.sleep(0.05)
                assert conn is not None, "the app never started streaming"
                time.sleep(rng.uniform(0.2, 3.0))
                killed_at = time.monotonic()
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
            must_have = text_arrived(conn, killed_at - SAVED_WITHIN_S)
            had = text_arrived(conn, killed_at)
            has_prompt, saved, status = stored(home / "data" / "routechat.sqlite3", prompt)
            assert has_prompt, f"kill {i}: the user's message was lost"
            assert saved.startswith(must_have), (
                f"kill {i}: saved {len(saved)} chars, but {len(must_have)} had arrived "
                f"{SAVED_WITHIN_S} s before the kill"
            )
            assert status == "streaming"  # not yet recovered: the next start does that
            figures.append((len(must_have), len(saved), len(had)))
        with HistoryStore.open(home / "data" / "routechat.sqlite3") as store:
            replies = [
                m for c in store.list_conversations() for m in store.load_messages(c.id)
                if m.role == "assistant"
            ]  # fmt: skip
            statuses = {m.reply.status.value for m in replies if m.reply}
        assert len(replies) == KILLS
        assert statuses == {"interrupted"}
    finally:
        proxy.stop()
        emulator.stop()
    lag = [had - saved for _, saved, had in figures]
    print(
        f"\n{KILLS} kills: every prompt kept; reply chars saved/arrived at kill: "
        + ", ".join(f"{s}/{h}" for _, s, h in figures)
        + f"; max unsaved tail {max(lag)} chars (≤ {SAVED_WITHIN_S} s of stream)"
    )
