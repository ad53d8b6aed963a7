"""Typed errors of the history store: the UI maps each to a sentence, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class StoreOpenError(StoreError):
    """The database could not be opened at all (permissions, locked, disk I/O, no FTS5)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Could not open the chat history at {path}: {reason}")
        self.path = path
        self.reason = reason


class StoreTooNewError(StoreError):
    """The file was written by a newer RouteChat; it is left untouched."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"The chat history at {path} was written by a newer version of RouteChat "
            f"(schema {found}; this version understands up to {supported}). "
            "Update RouteChat to open it; the file was not changed."
        )
        self.path = path
        self.found = found
        self.supported = supported


class MigrationError(StoreError):
    """A schema migration failed; it was rolled back and the pre-migration backup is kept."""

    def __init__(self, version: int, reason: str, backup: Path | None) -> None:
        where = f" A backup taken before the upgrade is at {backup}." if backup else ""
        super().__init__(f"Upgrading the chat history to schema {version} failed: {reason}.{where}")
        self.version = version
        self.reason = reason
        self.backup = backup


_ACCESS_REASONS = {
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_READONLY: "the history file cannot be written (read-only)",
    sqlite3.SQLITE_BUSY: "another program is holding the history file",
    sqlite3.SQLITE_LOCKED: "another program is holding the history file",
    sqlite3.SQLITE_IOERR: "the disk reported an input/output error",
    sqlite3.SQLITE_CORRUPT: "the history file is damaged",
    sqlite3.SQLITE_NOTADB: "the history file is damaged",
    sqlite3.SQLITE_CANTOPEN: "the history file cannot be opened",
    sqlite3.SQLITE_PERM: "permission denied",
}


class StoreAccessError(StoreError):
    """Reading or writing failed (disk full, read-only, locked, I/O error, damage).

    A failed write was rolled back: nothing half-written stays behind. `damaged` is True when
    SQLite found the file damaged; the next open then checks it and moves it aside if needed.
    """

    def __init__(self, path: Path, reason: str, *, damaged: bool = False) -> None:
        hint = " RouteChat will check and repair it at the next start." if damaged else ""
        super().__init__(f"Could not use the chat history at {path}: {reason}.{hint}")
        self.path = path
        self.reason = reason
        self.damaged = damaged

    @classmethod
    def from_sqlite(cls, path: Path, exc: sqlite3.Error) -> StoreAccessError:
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else -1
        damaged = primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
            "malformed" in str(exc)
        )
        return cls(path, _ACCESS_REASONS.get(primary) or str(exc), damaged=damaged)


class NotFoundError(StoreError, KeyError):
    """No conversation or message with that id."""

    def __init__(self, what: str, ident: int) -> None:
        super().__init__(f"No {what} with id {ident}")
        self.what = what
        self.ident = ident

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ImportFormatError(StoreError, ValueError):
    """An import file is not a RouteChat conversation export; the message says where and why."""
