"""Database files for the store tests: filled, scribbled on, aged."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from desktop_app.store import HistoryStore
from desktop_app.store.database import CHECKED_AT_KEY


def filled(db: Path) -> None:
    """40 conversations with long prompts: a file of about 300 kB."""
    with HistoryStore.open(db) as s:
        for i in range(40):
            cid = s.create_conversation()
            s.add_user_message(cid, f"message {i} " + "lorem ipsum dolor " * 200)


def scribble(db: Path) -> None:
    """Overwrite the middle of the file (same size): only a full check can see it."""
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 2 - (size // 2) % 4096)
        f.write(random.Random(3).randbytes(4096))


def set_checked_at(db: Path, value: float | None) -> None:
    """Pretend the last passed full check was at `value` (None: never)."""
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute("DELETE FROM app_state WHERE key = ?", (CHECKED_AT_KEY,))
            if value is not None:
                conn.execute(
                    "INSERT INTO app_state (key, value) VALUES (?, ?)", (CHECKED_AT_KEY, value)
                )
    finally:
        conn.close()
