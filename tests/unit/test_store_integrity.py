"""The full integrity check: when opening runs it, and the deferred check off the GUI thread."""

from __future__ import annotations

import builtins
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from desktop_app.store import HistoryStore, IntegrityCheckJob, IntegrityResult
from desktop_app.store.database import CHECK_INTERVAL_S, CHECKED_AT_KEY
from tests.support.store_files import filled, scribble, set_checked_at

WEEK_AGO = time.time() - CHECK_INTERVAL_S - 60


def marker(db: Path) -> Path:
    return db.with_name(db.name + ".check")


def run_on_a_thread(job: IntegrityCheckJob) -> IntegrityResult:
    """`job.run()` on a worker thread, as the app runs it, checking that it imports nothing
    there: PySide6 replaces `__import__`, and an import on a worker thread can crash the app."""
    real_import = builtins.__import__
    off_main: list[str] = []

    def watching_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            off_main.append(name)
        return real_import(name, *args, **kwargs)

    out: list[IntegrityResult] = []
    worker = threading.Thread(target=lambda: out.append(job.run()), name="integrity-test")
    builtins.__import__ = watching_import
    try:
        worker.start()
        worker.join(60)
    finally:
        builtins.__import__ = real_import
    assert not worker.is_alive()
    assert off_main == []
    return out[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "routechat.sqlite3"
    filled(path)
    return path


@pytest.mark.parametrize(
    ("checked_at", "due"),
    [
        (None, False),  # stays as written by the last open
        ("recent", False),
        (WEEK_AGO, True),
        ("never", True),
        (time.time() + 86400, True),  # a clock set back: do not trust the record
    ],
)
def test_opening_never_runs_the_periodic_check(db: Path, checked_at: Any, due: bool) -> None:
    if checked_at == "recent":
        set_checked_at(db, time.time() - 60)
    elif checked_at == "never":
        set_checked_at(db, None)
    elif checked_at is not None:
        set_checked_at(db, checked_at)
    with HistoryStore.open(db) as s:
        assert not s.report.integrity_checked  # no full scan on the start path
        assert s.report.integrity_check_due is due
        job = s.deferred_integrity_check()
        assert (job is not None) is due


def test_a_new_database_is_not_due(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "new.sqlite3") as s:
        assert s.report.created
        assert not s.report.integrity_check_due
        assert s.deferred_integrity_check() is None


def test_always_checks_during_open_and_never_skips_both(db: Path) -> None:
    set_checked_at(db, WEEK_AGO)
    with HistoryStore.open(db, integrity_check="never") as s:
        assert not s.report.integrity_checked
        assert s.deferred_integrity_check() is None
    with HistoryStore.open(db, integrity_check="always") as s:
        assert s.report.integrity_checked
        assert s.deferred_integrity_check() is None
    with HistoryStore.open(db) as s:  # "always" recorded its pass
        assert not s.report.integrity_check_due


def test_an_unclean_shutdown_defers_the_check(tmp_path: Path, db: Path) -> None:
    """A copy taken while the app runs is what a killed app leaves: a -wal with frames."""
    crashed = tmp_path / "crashed" / db.name
    crashed.parent.mkdir()
    with HistoryStore.open(db) as s:
        cid = s.create_conversation()
        s.add_user_message(cid, "written just before the crash")
        for suffix in ("", "-wal"):
            shutil.copyfile(db.with_name(db.name + suffix), crashed.with_name(db.name + suffix))
    assert crashed.with_name(db.name + "-wal").stat().st_size > 0
    with HistoryStore.open(crashed) as s:
        assert not s.report.integrity_checked
        assert s.report.integrity_check_due
        assert s.load_messages(cid)[0].content == "written just before the crash"
        job = s.deferred_integrity_check()
        assert job is not None
        result = run_on_a_thread(job)
        assert result.outcome == "ok"
        assert s.record_integrity_check(result) == []
    with HistoryStore.open(crashed) as s:  # closed cleanly, checked just now
        assert not s.report.integrity_check_due


def test_the_background_check_runs_while_the_store_writes(db: Path) -> None:
    set_checked_at(db, WEEK_AGO)
    with HistoryStore.open(db) as s:
        job = s.deferred_integrity_check()
        assert job is not None
        out: list[IntegrityResult] = []
        worker = threading.Thread(target=lambda: out.append(job.run()))
        worker.start()
        cid = s.create_conversation()
        for i in range(50):  # the store's own thread keeps writing meanwhile
            s.add_user_message(cid, f"typed during the check {i}")
        worker.join(60)
        assert not worker.is_alive()
        (result,) = out
        assert result.outcome == "ok"
        assert result.notices() == []
        assert s.record_integrity_check(result) == []
        assert s.get_state(CHECKED_AT_KEY) == result.started_at
        assert not s.report.integrity_check_due
        assert s.deferred_integrity_check() is None
    with HistoryStore.open(db) as s:
        assert not s.report.integrity_check_due
        assert len(s.load_messages(cid)) == 50


def test_damage_found_in_the_background_is_told_and_moved_aside_at_the_next_open(
    db: Path,
) -> None:
    set_checked_at(db, WEEK_AGO)
    scribble(db)  # the header is intact: only the full check can see it
    with HistoryStore.open(db) as s:
        assert s.report.moved_aside is None
        job = s.deferred_integrity_check()
        assert job is not None
        result = run_on_a_thread(job)
        assert result.outcome == "damaged"
        assert marker(db).exists()  # even if the app dies now, the next open checks
        notices = s.record_integrity_check(result)
        assert len(notices) == 1
        assert str(db) in notices[0]
        assert "Nothing was deleted" in notices[0]
        assert "Restart RouteChat" in notices[0]
        assert s.report.integrity_check_due  # not recorded as passed
    with HistoryStore.open(db) as s:  # the marker: the full check runs during the open
        assert s.report.moved_aside is not None
        assert s.report.moved_aside.exists()
        assert s.list_conversations() == []
    assert not marker(db).exists()


def test_the_damage_marker_still_checks_during_open(db: Path) -> None:
    scribble(db)
    marker(db).touch()
    with HistoryStore.open(db) as s:
        assert s.report.moved_aside is not None
        assert s.report.moved_aside_reason == "database disk image is malformed"
    with HistoryStore.open(db) as s:
        assert s.report.moved_aside is None
        assert not s.report.integrity_check_due  # the fresh file is trivially intact


def test_a_cancelled_check_stops_and_records_nothing(db: Path) -> None:
    set_checked_at(db, WEEK_AGO)
    with HistoryStore.open(db) as s:
        job = s.deferred_integrity_check()
        assert job is not None
        job.cancel()  # the app quits: the running check stops at SQLite's next progress call
        result = run_on_a_thread(job)
        assert result.outcome == "cancelled"
        assert s.record_integrity_check(result) == []
        assert s.report.integrity_check_due
    assert not marker(db).exists()


def test_a_check_that_cannot_run_is_not_damage(tmp_path: Path, db: Path) -> None:
    result = IntegrityCheckJob(tmp_path / "gone.sqlite3").run()
    assert result.outcome == "failed"
    assert result.notices() == []
    assert not marker(tmp_path / "gone.sqlite3").exists()
    assert not (tmp_path / "gone.sqlite3").exists()
    with HistoryStore.open(db) as s:
        assert s.record_integrity_check(result) == []


def test_the_check_changes_nothing_on_disk(tmp_path: Path, db: Path) -> None:
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = IntegrityCheckJob(db).run()
    assert result.outcome == "ok"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_recording_after_close_does_not_raise(db: Path) -> None:
    s = HistoryStore.open(db)
    result = IntegrityCheckJob(db).run()
    s.close()
    assert s.record_integrity_check(result) == []
