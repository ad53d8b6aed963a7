"""Rendered HTML of finished messages, kept between sessions in the cache folder.

Restoring a tab shows its last messages before the first frame. Rendering them means
importing markdown-it and compiling each language's Pygments lexer (together 40-80 ms at
start-up here); with the HTML of the previous session it means one SQLite lookup each.

It is only a cache: the history database stays the one source of truth. Entries are keyed by
a hash of the text, the appearance (code colours differ), the app version and
`RENDER_VERSION` (bump it when the HTML that markdown.py produces changes). A file that cannot
be read is deleted and started again; when the folder cannot be written, or the disk is full,
messages are simply rendered again. Qt-free.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from pathlib import Path

from desktop_app import __version__
from desktop_app.render.markdown import RenderedMarkdown

log = logging.getLogger(__name__)

RENDER_VERSION = 2  # 2: code colours that meet WCAG AA, long code lines wrap
MAX_ENTRIES = 3000  # the newest are kept: up to ~40 MB when every reply is mostly code

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rendered (
    key     BLOB PRIMARY KEY,
    html    TEXT NOT NULL,
    codes   TEXT NOT NULL,
    created REAL NOT NULL
) WITHOUT ROWID
"""


class RenderCache:
    """Never raises: every failure means "not cached"."""

    def __init__(
        self, conn: sqlite3.Connection | None, salt: str, path: Path | None = None
    ) -> None:
        self._conn = conn
        self._salt = salt.encode()
        self._path = path

    @classmethod
    def open(cls, path: Path, salt: str | None = None) -> RenderCache:
        salt = salt if salt is not None else f"{__version__}/{RENDER_VERSION}"
        for attempt in (1, 2):
            try:
                return cls(_connect(path), salt, path)
            except sqlite3.OperationalError as exc:  # busy (another RouteChat), read-only...
                log.warning("render cache %s unavailable this session: %s", path, exc)
                break
            except sqlite3.DatabaseError as exc:  # not a database, or damaged
                if attempt == 2 or not path.exists():
                    break
                log.warning("render cache %s unreadable (%s); starting it again", path, exc)
                _remove(path)
            except OSError as exc:
                log.warning("render cache %s unavailable: %s", path, exc)
                break
        return cls(None, salt)

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def _key(self, text: str, dark: bool) -> bytes:
        h = hashlib.blake2b(self._salt, digest_size=20)
        h.update(b"dark\0" if dark else b"light\0")
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.digest()

    def get(self, text: str, dark: bool) -> RenderedMarkdown | None:
        if self._conn is None:
            return None
        try:
            row = self._conn.execute(
                "SELECT html, codes FROM rendered WHERE key = ?", (self._key(text, dark),)
            ).fetchone()
        except sqlite3.Error as exc:
            self._fail("read", exc)
            return None
        if row is None:
            return None
        try:
            codes = json.loads(row[1])
        except ValueError:
            return None
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            return None
        return RenderedMarkdown(row[0], codes)

    def put(self, text: str, dark: bool, rendered: RenderedMarkdown) -> None:
        if self._conn is None:
            return
        try:
            with self._conn:
                self._conn.execute(
                    "INSERT OR REPLACE INTO rendered VALUES (?, ?, ?, ?)",
                    (
                        self._key(text, dark),
                        rendered.html,
                        json.dumps(rendered.code_blocks),
                        time.time(),
                    ),
                )
        except sqlite3.Error as exc:  # a full disk, a read-only folder, another app holding it
            self._fail("write", exc)
        except UnicodeEncodeError:  # a lone surrogate in the reply: such a message is not kept
            pass

    def prune(self, keep: int = MAX_ENTRIES) -> int:
        """Drop all but the `keep` newest entries (ties with the last one kept stay too);
        returns how many went."""
        if self._conn is None:
            return 0
        try:
            with self._conn:
                if keep <= 0:
                    cur = self._conn.execute("DELETE FROM rendered")
                else:
                    cur = self._conn.execute(
                        "DELETE FROM rendered WHERE created < (SELECT created FROM rendered "
                        "ORDER BY created DESC LIMIT 1 OFFSET ?)",
                        (keep - 1,),
                    )
            return max(cur.rowcount, 0)
        except sqlite3.Error as exc:
            self._fail("prune", exc)
            return 0

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _fail(self, what: str, exc: sqlite3.Error) -> None:
        log.warning("render cache %s failed (%s); messages are rendered instead", what, exc)
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            # Damaged past what opening checks: drop it, so that the next start begins anew.
            self.close()
            if self._path is not None:
                _remove(self._path)


def _remove(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout 0: a cache that is busy (another RouteChat writing) is skipped, never waited for.
    conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=True)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")  # losing the last entries on a crash is harmless
        conn.execute(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    conn.isolation_level = "DEFERRED"  # `with conn:` commits each put
    return conn
