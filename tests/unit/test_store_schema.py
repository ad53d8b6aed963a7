"""Schema versions, migrations with backups, and damaged files moved aside."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from desktop_app.store import (
    SCHEMA_VERSION,
    HistoryStore,
    MigrationError,
    ReplyStatus,
    StoreOpenError,
    StoreTooNewError,
)
from desktop_app.store.database import OpenReport, open_connection
from desktop_app.store.schema import MIGRATIONS, Migration, check_migrations, split_statements
from tests.support.store_files import filled, scribble

# Schema v1 exactly as the first release created it, written out here on purpose (not imported):
# the test must keep proving that a file from that release still opens after any later change.
V1_SCHEMA = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL,
    updated_at REAL NOT NULL, tier_id TEXT,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)), deleted_at REAL
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT NOT NULL DEFAULT '', tool_calls TEXT, tool_call_id TEXT, created_at REAL NOT NULL
);
CREATE UNIQUE INDEX messages_position ON messages (conversation_id, position);
CREATE TABLE replies (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN
        ('streaming', 'complete', 'stopped', 'failed', 'interrupted')),
    requested_tier_id TEXT, routed_model TEXT, prompt_tokens INTEGER, completion_tokens INTEGER,
    total_tokens INTEGER, cost_usd REAL,
    cost_source TEXT NOT NULL DEFAULT 'unknown'
        CHECK (cost_source IN ('reported', 'estimated', 'unknown')),
    ttft_ms REAL, total_ms REAL, finish_reason TEXT, error_kind TEXT, error_message TEXT,
    error_status INTEGER, started_at REAL NOT NULL, finished_at REAL
);
CREATE INDEX replies_status ON replies (status);
CREATE TABLE app_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

V1_DATA = """
INSERT INTO conversations VALUES (1, 'Paris trip', 1000.0, 1010.0, 'budget', 1, 0, NULL);
INSERT INTO conversations VALUES (2, '', 2000.0, 2000.0, NULL, 0, 0, 1500.0);
INSERT INTO messages VALUES (1, 1, 0, 'system', 'Be brief.', NULL, NULL, 1000.0);
INSERT INTO messages VALUES (2, 1, 1, 'user', 'Best museums in Paris?', NULL, NULL, 1001.0);
INSERT INTO messages VALUES (3, 1, 2, 'assistant', 'The Louvre and the Orsay.', NULL, NULL, 1002.0);
INSERT INTO messages VALUES (4, 1, 3, 'user', 'And food?', NULL, NULL, 1003.0);
INSERT INTO messages VALUES (5, 1, 4, 'assistant', 'Croissants from a boulan', NULL, NULL, 1004.0);
INSERT INTO messages VALUES (6, 2, 0, 'user', 'deleted conversation text', NULL, NULL, 2000.0);
INSERT INTO replies VALUES (3, 1, 'complete', 'budget', 'openai/gpt-4o-mini', 10, 20, 30,
    0.0001, 'reported', 250.0, 900.0, 'stop', NULL, NULL, NULL, 1002.0, 1003.0);
INSERT INTO replies VALUES (5, 1, 'streaming', 'budget', 'openai/gpt-4o-mini', NULL, NULL, NULL,
    NULL, 'unknown', 300.0, NULL, NULL, NULL, NULL, NULL, 1004.0, NULL);
INSERT INTO app_state VALUES ('open_tabs',
    '{"tabs": [{"conversation_id": 1, "tier_id": "budget"}], "selected": 0}');
PRAGMA user_version = 1;
"""


def write_v1(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(V1_SCHEMA + V1_DATA)
        conn.commit()
    finally:
        conn.close()


def shape(path: Path) -> dict[str, Any]:
    """Tables with their columns, and indexes/triggers by name, of a database file."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, Any] = {}
        for kind, name in conn.execute("SELECT type, name FROM sqlite_master ORDER BY name"):
            if kind == "table":
                out[name] = sorted(
                    (c[1], c[2], c[3], c[4]) for c in conn.execute(f"PRAGMA table_info({name})")
                )
            else:
                out[name] = kind
        out["user_version"] = conn.execute("PRAGMA user_version").fetchone()[0]
        return out
    finally:
        conn.close()


def test_migrations_are_numbered_in_order() -> None:
    check_migrations()
    assert MIGRATIONS[-1].version == SCHEMA_VERSION == 4
    with pytest.raises(AssertionError):
        check_migrations((Migration(1, "a"), Migration(3, "b")))


def test_split_statements_keeps_trigger_bodies() -> None:
    script = "CREATE TABLE t (x);\nCREATE TRIGGER g AFTER INSERT ON t BEGIN\n  SELECT 1;\nEND;\n"
    assert len(list(split_statements(script))) == 2
    with pytest.raises(ValueError, match="incomplete"):
        list(split_statements("SELECT 1"))


def test_migration_from_v1_preserves_data_and_keeps_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    write_v1(db)
    with HistoryStore.open(db) as s:
        report = s.report
        assert report.migrated_from == 1
        assert report.schema_version == SCHEMA_VERSION
        assert not report.created
        assert report.backup_path is not None
        assert report.backup_path.name.startswith("routechat.sqlite3.bak-v1-")
        assert any("upgraded from schema 1" in n for n in report.notices())
        assert s.schema_version == SCHEMA_VERSION

        convs = s.list_conversations()
        assert [(c.id, c.title, c.tier_id, c.pinned) for c in convs] == [
            (1, "Paris trip", "budget", True)
        ]
        assert [c.id for c in s.list_deleted()] == [2]
        msgs = s.load_messages(1)
        assert [m.content for m in msgs] == [
            "Be brief.",
            "Best museums in Paris?",
            "The Louvre and the Orsay.",
            "And food?",
            "Croissants from a boulan",
        ]
        # v2 backfilled the prompt each v1 reply answered and made every v1 message chosen.
        assert [m.parent_id for m in msgs] == [None, None, 2, None, 4]
        assert all(m.is_chosen for m in msgs)
        r = msgs[2].reply
        assert r is not None
        assert (r.status, r.routed_model, r.cost_usd, r.ttft_ms) == (
            ReplyStatus.COMPLETE,
            "openai/gpt-4o-mini",
            0.0001,
            250.0,
        )
        assert (r.candidates, r.cached_tokens, r.retry_count, r.fallback_used) == (
            None,
            None,
            0,
            False,
        )
        # The v1 reply that was streaming when that version died is recovered after migrating.
        assert [i.message_id for i in report.interrupted] == [5]
        assert s.get_message(5).reply.status is ReplyStatus.INTERRUPTED  # type: ignore[union-attr]
        # Full-text search indexed the migrated text.
        assert [h.message_id for h in s.search("louvre")] == [3]
        assert s.search("deleted conversation") == []  # in the trash
        assert s.load_open_tabs().tabs[0].conversation_id == 1
        assert s.totals().cost_usd == pytest.approx(0.0001)
        assert s.get_conversation(1).draft == ""

    # The backup is a complete, untouched v1 database.
    backup = shape(report.backup_path)
    assert backup["user_version"] == 1
    assert "messages_fts" not in backup
    conn = sqlite3.connect(report.backup_path)
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (6,)
        assert conn.execute("SELECT status FROM replies WHERE message_id = 5").fetchone() == (
            "streaming",
        )
    finally:
        conn.close()
    # A migrated database has exactly the shape of a fresh one.
    fresh = tmp_path / "fresh" / "routechat.sqlite3"
    HistoryStore.open(fresh).close()
    assert shape(db) == shape(fresh)
    # Opening again neither migrates nor backs up again.
    with HistoryStore.open(db) as s:
        assert s.report.migrated_from is None
        assert s.report.backup_path is None
    assert len(list(tmp_path.glob("routechat.sqlite3.bak-*"))) == 1


def write_version(path: Path, version: int, script: str) -> None:
    """A database as release `version` left it (its migrations, then `script`'s rows)."""
    conn, _report = open_connection(path, migrations=MIGRATIONS[:version])
    try:
        conn.executescript(script)
    finally:
        conn.close()


V2_DATA = """
INSERT INTO conversations (id, title, created_at, updated_at, tier_id, draft)
    VALUES (1, 'Tides', 1000.0, 1010.0, 'budget', 'unsent words');
INSERT INTO messages (id, conversation_id, position, role, content, created_at, parent_id)
    VALUES (1, 1, 0, 'user', 'How do tides work?', 1001.0, NULL);
INSERT INTO messages (id, conversation_id, position, role, content, created_at, parent_id)
    VALUES (2, 1, 1, 'assistant', 'The moon pulls the sea.', 1002.0, 1);
INSERT INTO messages (id, conversation_id, position, role, content, created_at, parent_id)
    VALUES (3, 1, 2, 'assistant', 'Gravity.', 1003.0, 1);
UPDATE messages SET is_chosen = 0 WHERE id = 2;
INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, candidates,
    requested_model, routed_model, prompt_tokens, completion_tokens, total_tokens, cost_usd,
    cost_source, ttft_ms, total_ms, finish_reason, started_at, finished_at, retry_count,
    fallback_used)
    VALUES (2, 1, 'complete', 'budget', '["openai/gpt-4o-mini", "google/gemini-2.0-flash"]',
    '@edenai', 'openai/gpt-4o-mini', 12, 30, 42, 0.0002, 'reported', 210.0, 800.0, 'stop',
    1002.0, 1003.0, 1, 0);
INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, routed_model,
    cost_source, error_kind, error_message, error_status, started_at, finished_at, fallback_used)
    VALUES (3, 1, 'failed', 'budget', NULL, 'unknown', 'server', 'Bad gateway', 502, 1003.0,
    1004.0, 1);
"""


def test_migration_from_v2_keeps_the_data_and_fills_the_new_columns(tmp_path: Path) -> None:
    """v3's columns take their defaults and v4's daily sums are filled from the replies."""
    db = tmp_path / "routechat.sqlite3"
    write_version(db, 2, V2_DATA)
    with HistoryStore.open(db) as s:
        assert s.report.migrated_from == 2
        assert s.report.backup_path is not None
        assert s.report.backup_path.name.startswith("routechat.sqlite3.bak-v2-")
        conv = s.get_conversation(1)
        assert (conv.title, conv.tier_id, conv.draft, conv.kind, conv.view) == (
            "Tides", "budget", "unsent words", "chat", None,
        )  # fmt: skip
        messages = s.load_messages(1, include_alternatives=True)
        assert [(m.id, m.is_chosen, m.parent_id, m.meta) for m in messages] == [
            (1, True, None, None),
            (2, False, 1, None),
            (3, True, 1, None),
        ]
        kept = messages[1].reply
        assert kept is not None
        assert (kept.candidates, kept.cost_usd, kept.retry_count, kept.ttft_ms) == (
            ("openai/gpt-4o-mini", "google/gemini-2.0-flash"), 0.0002, 1, 210.0,
        )  # fmt: skip
        assert (kept.column, kept.demo, kept.routing, kept.quality_cost, kept.requests) == (
            None, False, None, None, 1,
        )  # fmt: skip
        failed = messages[2].reply
        assert failed is not None and failed.fallback_used and failed.error_status == 502
        conn = s._conn
        assert conn is not None
        assert conn.execute("SELECT COUNT(*) FROM votes").fetchone() == (0,)
        assert conn.execute("SELECT selection FROM replies").fetchall() == [(None,), (None,)]
        assert conn.execute(
            "SELECT tier, model, failure, requests, cost_reported, retries, fallbacks "
            "FROM reply_days ORDER BY failure"
        ).fetchall() == [
            ("budget", "openai/gpt-4o-mini", "", 1, 0.0002, 1, 0),
            ("budget", "", "server", 1, 0.0, 0, 1),
        ]
        assert s.totals().turns == 2
    fresh = tmp_path / "fresh" / "routechat.sqlite3"
    HistoryStore.open(fresh).close()
    assert shape(db) == shape(fresh)


V3_DATA = """
INSERT INTO conversations (id, title, created_at, updated_at, kind)
    VALUES (1, 'Compare', 1000.0, 1010.0, 'comparison');
INSERT INTO messages (id, conversation_id, position, role, content, created_at, parent_id)
    VALUES (1, 1, 0, 'user', 'Hello', 1001.0, NULL);
INSERT INTO messages (id, conversation_id, position, role, content, created_at, parent_id)
    VALUES (2, 1, 1, 'assistant', 'Hi', 1002.0, 1);
INSERT INTO messages (id, conversation_id, position, role, content, created_at, parent_id)
    VALUES (3, 1, 2, 'assistant', 'Hey', 1002.0, 1);
INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, routed_model,
    cost_usd, cost_source, started_at, column_index, demo, routing, selection, quality_cost)
    VALUES (2, 1, 'complete', 'code', 'openai/gpt-4o', 0.01, 'reported', 1002.0, 0, 0,
    '{"auto": {"selection": "default", "chosen": "openai/gpt-4o", "dropped": ["acme/x"]}}',
    'default', 8);
INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, routed_model,
    cost_usd, cost_source, started_at, column_index, demo)
    VALUES (3, 1, 'complete', 'code', 'openai/gpt-4o', 0.02, 'reported', 1002.0, 1, 1);
INSERT INTO votes (conversation_id, prompt_id, choice, winner_column, columns, created_at)
    VALUES (1, 1, 'column', 0, '[]', 1005.0);
"""


def test_migration_from_v3_sums_billed_replies_and_their_dropped_candidates(
    tmp_path: Path,
) -> None:
    db = tmp_path / "routechat.sqlite3"
    write_version(db, 3, V3_DATA)
    with HistoryStore.open(db) as s:
        assert s.report.migrated_from == 3
        reply = s.get_message(2).reply
        assert reply is not None
        assert (reply.column, reply.quality_cost, reply.routing) == (
            0, 8, {"auto": {"selection": "default", "chosen": "openai/gpt-4o",
                            "dropped": ["acme/x"]}},
        )  # fmt: skip
        conn = s._conn
        assert conn is not None
        # The demo reply (column 1) is not billed: only column 0 is summed.
        assert conn.execute(
            "SELECT tier, compared, requests, defaulted, cost_reported FROM reply_days"
        ).fetchall() == [("code", 1, 1, 1, 0.01)]
        assert conn.execute(
            "SELECT tier, candidate, compared, requests FROM reply_dropped"
        ).fetchall() == [("code", "acme/x", 1, 1)]
        assert conn.execute("SELECT COUNT(*) FROM votes").fetchone() == (1,)


def test_failed_migration_rolls_back_and_keeps_the_backup(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    write_v1(db)
    broken = (
        MIGRATIONS[0],
        Migration(2, "half works", "ALTER TABLE conversations ADD COLUMN x INTEGER;\nNOT SQL;"),
    )
    with pytest.raises(MigrationError) as info:
        open_connection(db, migrations=broken)
    assert info.value.backup is not None
    assert info.value.backup.exists()
    assert "backup" in str(info.value)
    after = shape(db)
    assert after["user_version"] == 1
    assert "x" not in [c[0] for c in after["conversations"]]
    with HistoryStore.open(db) as s:  # the real migrations still work afterwards
        assert s.schema_version == SCHEMA_VERSION
        assert len(s.load_messages(1)) == 5


def test_newer_database_is_refused_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    HistoryStore.open(db).close()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = db.read_bytes()
    with pytest.raises(StoreTooNewError, match="newer version"):
        HistoryStore.open(db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["routechat.sqlite3"]


def _assert_fresh_store_works(db: Path, report: OpenReport) -> None:
    assert report.moved_aside is not None
    assert report.moved_aside.exists()
    assert report.moved_aside.name.startswith("routechat.sqlite3.corrupt-")
    assert any("damaged" in n for n in report.notices())
    with HistoryStore.open(db) as s:
        assert s.report.moved_aside is None
        cid = s.create_conversation()
        s.add_user_message(cid, "fresh start")
        assert [h.conversation_id for h in s.search("fresh")] == [cid]


def test_random_bytes_are_moved_aside_with_companions(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    junk = random.Random(1).randbytes(16384)
    db.write_bytes(junk)
    wal = tmp_path / "routechat.sqlite3-wal"
    wal.write_bytes(b"old wal")
    with HistoryStore.open(db) as s:
        report = s.report
        assert report.created
        assert "not a database" in (report.moved_aside_reason or "")
    assert report.moved_aside is not None
    assert report.moved_aside.read_bytes() == junk
    assert (tmp_path / (report.moved_aside.name + "-wal")).read_bytes() == b"old wal"
    _assert_fresh_store_works(db, report)


def test_truncated_database_is_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    filled(db)
    size = db.stat().st_size
    assert size > 100_000
    with db.open("r+b") as f:
        f.truncate(size // 2)
    truncated = db.read_bytes()
    with HistoryStore.open(db) as s:  # found by the O(1) header check, no full scan needed
        report = s.report
        assert "truncated" in (report.moved_aside_reason or "")
        assert s.list_conversations() == []
    assert report.moved_aside is not None
    assert report.moved_aside.read_bytes() == truncated
    _assert_fresh_store_works(db, report)


def test_foreign_sqlite_file_is_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:  # closed, after a commit
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    with HistoryStore.open(db) as s:
        assert s.report.moved_aside_reason == "not a RouteChat database"
        assert s.report.moved_aside is not None
    assert "photos" in shape(s.report.moved_aside)


def test_empty_file_is_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    db.touch()
    with HistoryStore.open(db) as s:
        assert s.report.created
        assert s.report.moved_aside is None


def test_unopenable_path_raises_without_moving_anything(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    db.mkdir()  # a directory where the file should be
    with pytest.raises(StoreOpenError, match="Could not open the chat history"):
        HistoryStore.open(db)
    assert db.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["routechat.sqlite3"]


def test_database_in_a_new_folder(tmp_path: Path) -> None:
    db = tmp_path / "a" / "b" / "routechat.sqlite3"
    with HistoryStore.open(db) as s:
        assert s.path == db
    assert db.exists()


def test_scribbled_page_found_by_the_full_check(tmp_path: Path) -> None:
    db = tmp_path / "routechat.sqlite3"
    filled(db)
    scribble(db)
    with HistoryStore.open(db, integrity_check="always") as s:
        assert s.report.moved_aside is not None
        assert "integrity check failed" in (s.report.moved_aside_reason or "") or (
            "malformed" in (s.report.moved_aside_reason or "")
        )
        assert s.list_conversations() == []
