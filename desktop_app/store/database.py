"""Opening the SQLite file: health check, moving a damaged file aside, backups, migrations.

Nothing here ever deletes a user's file. A file SQLite reports as corrupt or not a database
(or that fails `PRAGMA quick_check`) is renamed with its `-wal`/`-shm` companions to
`<name>.corrupt-<UTC time>` and a fresh database is created; a database about to be migrated is
first copied with SQLite's online backup API to `<name>.bak-v<old>-<UTC time>`. Both paths are
reported in `OpenReport` so the UI can tell the user.

When the full check (`PRAGMA quick_check`, which reads the whole file: about 150-300 ms for
200,000 messages here, more on a slow disk) runs with the "auto" policy, the default: during the
open only when SQLite reported damage while running (`<name>.check` marker), so the damaged file
is moved aside before anything is written to it. The other checks are deferred: after an unclean
shutdown (a `-wal` with frames is left behind) and when the last passed check is a week old or
unknown, `OpenReport.integrity_check_due` is set and the app runs an `IntegrityCheckJob` on a
worker thread after the first frame, so opening does not grow with the history. Otherwise an
O(1) header check (magic, page count against file size: random bytes, truncation) and reading
the schema stand in for it. Damage the deferred check finds is reported to the user and marks the
file for the check at the next open, which moves it aside.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from desktop_app.store.errors import MigrationError, StoreOpenError, StoreTooNewError
from desktop_app.store.models import InterruptedReply
from desktop_app.store.schema import MIGRATIONS, OWN_TABLES, SCHEMA_VERSION, Migration

log = logging.getLogger(__name__)

# SQLite primary result codes that mean "the bytes are damaged", as opposed to
# "cannot open / busy / read-only / I/O", which must never cause a file to be moved.
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
BUSY_TIMEOUT_MS = 5000

IntegrityCheck = Literal["auto", "always", "never"]
CHECK_INTERVAL_S = 7 * 86400  # "auto": a full quick_check at least once a week
CHECKED_AT_KEY = "integrity_checked_at"  # app_state: Unix time of the last passed check
CHECK_MARKER_SUFFIX = ".check"  # <db>.check: SQLite reported damage; check fully next open
IntegrityOutcome = Literal["ok", "damaged", "failed", "cancelled"]


@dataclass(slots=True)
class OpenReport:
    """What happened while opening; `notices()` gives sentences for the UI."""

    path: Path
    schema_version: int = SCHEMA_VERSION
    created: bool = False  # a new, empty database was created
    migrated_from: int | None = None  # schema version before this open's migrations
    backup_path: Path | None = None  # copy taken before migrating
    moved_aside: Path | None = None  # where a damaged file went
    moved_aside_reason: str | None = None
    wal_enabled: bool = True
    integrity_checked: bool = False  # the full PRAGMA quick_check ran (see IntegrityCheck)
    # A full check is due but was left out of the open: run `IntegrityCheckJob` off the GUI
    # thread (`HistoryStore.deferred_integrity_check`).
    integrity_check_due: bool = False
    interrupted: list[InterruptedReply] = field(default_factory=list)

    def notices(self) -> list[str]:
        out: list[str] = []
        if self.moved_aside is not None:
            out.append(
                f"The chat history file was damaged ({self.moved_aside_reason}). It was moved to "
                f"{self.moved_aside} and a new, empty history was started."
            )
        if self.migrated_from is not None and self.backup_path is not None:
            out.append(
                f"The chat history was upgraded from schema {self.migrated_from} to "
                f"{self.schema_version}; a copy of the old file is at {self.backup_path}."
            )
        if self.interrupted:
            n = len(self.interrupted)
            out.append(
                f"{n} repl{'y was' if n == 1 else 'ies were'} cut off when RouteChat last "
                "stopped; the text received so far was kept and marked as interrupted."
            )
        return out


class _DamagedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utc_stamp(now: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))


def _companions(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _free_name(directory: Path, base: str) -> Path:
    candidate = directory / base
    n = 1
    while any(p.exists() for p in _companions(candidate)):
        candidate = directory / f"{base}-{n}"
        n += 1
    return candidate


def move_aside(path: Path, label: str = "corrupt") -> Path:
    """Rename the database and its -wal/-shm to `<name>.<label>-<time>`; return the new path."""
    target = _free_name(path.parent, f"{path.name}.{label}-{utc_stamp()}")
    for src, dst in zip(_companions(path), _companions(target), strict=True):
        if src.exists():
            os.replace(src, dst)
    return target


def backup_database(conn: sqlite3.Connection, path: Path, old_version: int) -> Path:
    """Copy the open database with the online backup API to `<name>.bak-v<old>-<time>`."""
    target = _free_name(path.parent, f"{path.name}.bak-v{old_version}-{utc_stamp()}")
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def _errorcode(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return int(code) & 0xFF if isinstance(code, int) else -1


def _is_damage(exc: sqlite3.Error) -> bool:
    if _errorcode(exc) in _DAMAGED:
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _header_problem(path: Path) -> str | None:
    """An O(1) look at the file header: damage that needs no full check to see, or None.

    Catches random bytes (no SQLite magic) and truncation (the header's page count needs more
    bytes than the file has). Only meaningful while no -wal file holds newer pages.
    """
    try:
        with path.open("rb") as f:
            header = f.read(100)
        size = path.stat().st_size
    except OSError:
        return None  # let SQLite report it
    if size == 0:
        return None  # an empty file is an empty database
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return "file is not a database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    change_counter = header[24:28]
    pages = int.from_bytes(header[28:32], "big")
    if pages and change_counter == header[92:96] and size < pages * page_size:
        return f"file is truncated ({size} bytes of {pages * page_size})"
    return None


def _check_marker(path: Path) -> Path:
    return path.with_name(path.name + CHECK_MARKER_SUFFIX)


def request_check(path: Path) -> None:
    """Make the next open run the full integrity check (SQLite reported damage at runtime)."""
    with contextlib.suppress(OSError):
        _check_marker(path).touch()


def _wal_has_frames(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def _read_only_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def _companions_present(path: Path) -> tuple[bool, bool]:
    wal, shm = _companions(path)[1:]
    return wal.exists(), shm.exists()


def _tidy_after_read_only(path: Path, present: tuple[bool, bool]) -> None:
    """Remove the empty -wal and the -shm a read-only connection created (it cannot itself),
    when they were not there before it, so a check leaves no trace."""
    wal, shm = _companions(path)[1:]
    if not present[0] and wal.exists() and wal.stat().st_size == 0:
        with contextlib.suppress(OSError):
            wal.unlink()
            if not present[1]:
                shm.unlink()


def _inspect(path: Path, *, integrity_check: IntegrityCheck, supported: int) -> tuple[bool, bool]:
    """Prove an existing file is a healthy RouteChat database; raise _DamagedError if not.

    Returns (whether the full `PRAGMA quick_check` ran, whether one is due for later). With
    "auto" it runs here only when SQLite reported damage last session (the `.check` marker).
    After an unclean shutdown (a -wal file with frames is left behind) or when the last full
    check is older than CHECK_INTERVAL_S or unknown, it is due: the app runs it in the
    background. Otherwise the O(1) header check and the schema read stand in for it, keeping
    startup independent of the database size.
    Uses a read-only connection, so nothing (not even a -wal checkpoint) changes a file that
    may be about to be moved aside.
    """
    if not path.exists():
        return False, False
    marker = _check_marker(path).exists()
    unclean = _wal_has_frames(path)
    if not (unclean or marker):
        problem = _header_problem(path)
        if problem:
            raise _DamagedError(problem)
    present = _companions_present(path)
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StoreOpenError(path, str(exc)) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        tables = _table_names(conn)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > supported:
            raise StoreTooNewError(path, version, supported)
        if version == 0 and tables - OWN_TABLES:
            raise _DamagedError("not a RouteChat database")
        run = integrity_check == "always" or (integrity_check == "auto" and marker)
        due = False
        if integrity_check == "auto" and not run:
            last = None
            if "app_state" in tables:
                row = conn.execute(
                    "SELECT value FROM app_state WHERE key = ?", (CHECKED_AT_KEY,)
                ).fetchone()
                with contextlib.suppress(TypeError, ValueError):
                    last = float(row[0]) if row else None
            due = unclean or last is None or not 0 <= time.time() - last < CHECK_INTERVAL_S
        if run:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
            if rows != ["ok"]:
                raise _DamagedError("integrity check failed: " + "; ".join(rows[:3]))
        return run, due
    except sqlite3.Error as exc:
        if _is_damage(exc):
            raise _DamagedError(str(exc)) from exc
        raise StoreOpenError(path, str(exc)) from exc
    finally:
        conn.close()
        _tidy_after_read_only(path, present)


@dataclass(frozen=True, slots=True)
class IntegrityResult:
    """What a deferred full check found; `notices()` gives sentences for the user."""

    path: Path
    outcome: IntegrityOutcome  # "failed": the check could not run (busy, I/O); try next start
    detail: str = ""  # what the check reported (damaged) or why it could not run (failed)
    started_at: float = 0.0  # Unix time: the check read the database as it was then
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def notices(self) -> list[str]:
        if self.outcome != "damaged":
            return []
        return [
            f"The chat history file {self.path} is damaged ({self.detail}). Nothing was "
            "deleted. Restart RouteChat: the damaged file will be moved aside, kept in the same "
            f"folder as {self.path.name}.corrupt-<date>, and a new, empty history started. "
            "Until then, new messages are still saved to the damaged file."
        ]


class IntegrityCheckJob:
    """The full `PRAGMA quick_check` of a database file, away from the GUI thread.

    `run()` opens its own read-only connection on the calling thread and closes it before
    returning, so it can run on a worker thread while the store's connection stays on its own
    thread (a WAL reader sees a consistent snapshot while the app writes). Everything `run()`
    uses is imported with this module and its URI is built here: PySide6 replaces `__import__`,
    and importing on a worker thread can crash the app. It never writes to the database; found
    damage leaves the `.check` marker, so the next open checks again and moves the file aside.
    """

    PROGRESS_STEPS = 1000  # SQLite steps between two looks at `cancel()`

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._uri = _read_only_uri(self.path)
        # Plain strings for the worker: pathlib's methods import modules lazily on some
        # Python versions (3.13.5: ntpath), and nothing may be imported on that thread.
        self._wal, self._shm = (str(p) for p in _companions(self.path)[1:])
        self._marker = str(_check_marker(self.path))
        self._cancelled = False

    def cancel(self) -> None:
        """Stop a running check soon (any thread), e.g. when the app quits; `run()` then
        returns "cancelled" unless the check had already finished."""
        self._cancelled = True

    def _should_stop(self) -> bool:
        return self._cancelled

    def run(self) -> IntegrityResult:
        """Check the whole file (blocking: seconds on a large history and a slow disk)."""
        started = time.time()
        t0 = time.perf_counter()

        def result(outcome: IntegrityOutcome, detail: str = "") -> IntegrityResult:
            return IntegrityResult(self.path, outcome, detail, started, time.perf_counter() - t0)

        present = os.path.exists(self._wal), os.path.exists(self._shm)
        try:
            conn = sqlite3.connect(self._uri, uri=True)
        except sqlite3.Error as exc:
            return result("failed", str(exc))
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.set_progress_handler(self._should_stop, self.PROGRESS_STEPS)
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.Error as exc:
            if self._cancelled and _errorcode(exc) == sqlite3.SQLITE_INTERRUPT:
                return result("cancelled")
            if _is_damage(exc):
                self._mark_damaged()
                return result("damaged", str(exc))
            return result("failed", str(exc))
        finally:
            conn.close()
            self._tidy(present)
        if rows != ["ok"]:
            self._mark_damaged()
            return result("damaged", "integrity check failed: " + "; ".join(rows[:3]))
        return result("ok")

    def _mark_damaged(self) -> None:
        """`request_check` with plain strings (see `__init__`)."""
        with contextlib.suppress(OSError):
            os.close(os.open(self._marker, os.O_CREAT | os.O_WRONLY, 0o644))

    def _tidy(self, present: tuple[bool, bool]) -> None:
        """`_tidy_after_read_only` with plain strings (see `__init__`)."""
        with contextlib.suppress(OSError):
            if not present[0] and os.path.getsize(self._wal) == 0:
                os.unlink(self._wal)
                if not present[1]:
                    os.unlink(self._shm)


def _configure(conn: sqlite3.Connection, report: OpenReport) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":  # e.g. a file system without shared memory
        log.warning("SQLite WAL mode unavailable (journal_mode=%s)", mode)
        report.wal_enabled = False
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    # `PRAGMA optimize` (run at close) then samples instead of scanning whole tables: ~1 ms
    # instead of ~30 ms on 100,000 replies.
    conn.execute("PRAGMA analysis_limit = 400")
    if conn.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
        raise StoreOpenError(report.path, "this SQLite build cannot enforce foreign keys")


def _table_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    # FTS5 shadow tables (messages_fts_data, ...) belong to messages_fts.
    return {str(r[0]) for r in rows if not str(r[0]).startswith("messages_fts_")}


def migrate(
    conn: sqlite3.Connection,
    path: Path,
    report: OpenReport,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> None:
    """Bring the schema to the last migration; back up an existing database first."""
    target = migrations[-1].version if migrations else 0
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > target:
        raise StoreTooNewError(path, current, target)
    if current == target:
        return
    if current > 0:
        report.migrated_from = current
        report.backup_path = backup_database(conn, path, current)
        log.info("Backed up %s to %s before migrating", path, report.backup_path)
    else:
        report.created = True
    for migration in migrations:
        if migration.version <= current:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                migration.apply(conn)
                conn.execute(f"PRAGMA user_version = {int(migration.version)}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            if "no such module: fts5" in str(exc):
                reason = "this SQLite build has no FTS5 full-text search"
                raise StoreOpenError(path, reason) from exc
            raise MigrationError(migration.version, str(exc), report.backup_path) from exc
        log.info("Migrated %s to schema %d (%s)", path, migration.version, migration.description)
    report.schema_version = target


def open_connection(
    path: Path,
    *,
    integrity_check: IntegrityCheck = "auto",
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> tuple[sqlite3.Connection, OpenReport]:
    """A configured, migrated connection to `path`, and what had to be done to get it."""
    path = Path(path)
    report = OpenReport(path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreOpenError(path, exc.strerror or str(exc)) from exc

    supported = migrations[-1].version if migrations else 0

    def attempt() -> sqlite3.Connection:
        checked, due = _inspect(path, integrity_check=integrity_check, supported=supported)
        try:
            conn = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreOpenError(path, str(exc)) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _configure(conn, report)
            migrate(conn, path, report, migrations)
            report.integrity_checked = checked
            report.integrity_check_due = due and not report.created
            if checked or report.created:  # a new database is trivially intact
                remember_check(conn, time.time())
                with contextlib.suppress(OSError):
                    _check_marker(path).unlink(missing_ok=True)
        except sqlite3.Error as exc:
            conn.close()
            if _is_damage(exc):
                raise _DamagedError(str(exc)) from exc
            raise StoreOpenError(path, str(exc)) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    try:
        return attempt(), report
    except _DamagedError as damaged:
        report.moved_aside_reason = damaged.reason
        try:
            report.moved_aside = move_aside(path)
        except OSError as exc:
            reason = f"it is damaged ({damaged.reason}) and could not be moved aside ({exc})"
            raise StoreOpenError(path, reason) from exc
        log.warning("Moved damaged database %s to %s: %s", path, report.moved_aside, damaged)
        report.created = False
        report.migrated_from = None
        report.backup_path = None
    try:
        return attempt(), report
    except _DamagedError as damaged:  # pragma: no cover - a brand-new file cannot be damaged
        raise StoreOpenError(path, damaged.reason) from damaged


def remember_check(conn: sqlite3.Connection, checked_at: float) -> None:
    """Record in app_state when the database last passed the full check."""
    if "app_state" not in _table_names(conn):
        return  # a partial migration list (tests) may lack it
    conn.execute(
        "INSERT INTO app_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (CHECKED_AT_KEY, repr(checked_at)),
    )
