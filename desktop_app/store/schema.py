"""The database schema as an ordered list of migrations.

`PRAGMA user_version` holds the number of the last migration applied. A new database replays
every migration from 1, so the path an upgraded database takes is the path every fresh one
takes, and each release's tests exercise it. Each migration runs in one transaction together
with the `user_version` bump: it applies entirely or not at all.

Rules for adding one: append `Migration(n + 1, ...)`, never edit a released one, keep it
idempotent within its transaction (no external side effects), and add a test that opens a
hand-written database of the previous version.

History:
- v1: conversations, messages, replies (turn metadata), app_state.
- v2: alternatives of one turn (`messages.parent_id`, `messages.is_chosen`), the composer
  draft, richer turn data (candidates, requested model, cached tokens, retries, fallback),
  full-text search (FTS5 external-content table kept in sync by triggers) and the indexes that
  statistics over all turns need.
- v3: what comparisons, statistics, budgets and tool turns need: a conversation's `kind`
  (chat, comparison, workload, the command line's) and its view state (`view`, JSON: a
  comparison's columns); per reply the comparison `column`, `demo` (never billed, never
  counted in spend), the routing decision the server reported (`routing`, JSON, and its
  `selection` for statistics), the `quality_cost` the request carried, and how many
  `requests` a tool loop made; per message `meta` (JSON: a tool call's duration, approval,
  server); blind-comparison `votes`.
- v4: statistics that do not grow with the history: `reply_days`, the billed replies summed
  per local day, tier, model, failure kind and whether they answered a comparison column, and
  `reply_dropped`, the candidates the router could not rank per day and tier, both kept exact
  by triggers on `replies` (insert, update, delete, and the deletes a purge cascades); indexes
  that give latency percentiles and the longest replies of the whole history without sorting
  it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema; applied in order, each in its own transaction."""

    version: int
    description: str
    script: str = ""  # SQL statements, run one by one inside the migration's transaction
    python: Callable[[sqlite3.Connection], None] | None = None  # runs after the script

    def apply(self, conn: sqlite3.Connection) -> None:
        for statement in split_statements(self.script):
            conn.execute(statement)
        if self.python is not None:
            self.python(conn)


def split_statements(script: str) -> Iterator[str]:
    """Complete SQL statements of a script (trigger bodies stay whole)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip().strip(";").strip():
                yield buf.strip()
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buf.strip()!r}")


V1 = """
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL DEFAULT '',
    created_at  REAL    NOT NULL,
    updated_at  REAL    NOT NULL,
    tier_id     TEXT,
    pinned      INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    deleted_at  REAL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content         TEXT    NOT NULL DEFAULT '',
    tool_calls      TEXT,
    tool_call_id    TEXT,
    created_at      REAL    NOT NULL
);
CREATE UNIQUE INDEX messages_position ON messages (conversation_id, position);

CREATE TABLE replies (
    message_id        INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id   INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    status            TEXT    NOT NULL CHECK (status IN
                          ('streaming', 'complete', 'stopped', 'failed', 'interrupted')),
    requested_tier_id TEXT,
    routed_model      TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    total_tokens      INTEGER,
    cost_usd          REAL,
    cost_source       TEXT    NOT NULL DEFAULT 'unknown'
                          CHECK (cost_source IN ('reported', 'estimated', 'unknown')),
    ttft_ms           REAL,
    total_ms          REAL,
    finish_reason     TEXT,
    error_kind        TEXT,
    error_message     TEXT,
    error_status      INTEGER,
    started_at        REAL    NOT NULL,
    finished_at       REAL
);
CREATE INDEX replies_status ON replies (status);

CREATE TABLE app_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

V2 = """
ALTER TABLE conversations ADD COLUMN draft TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_recent ON conversations (pinned, updated_at, id);

ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE;
ALTER TABLE messages ADD COLUMN is_chosen INTEGER NOT NULL DEFAULT 1 CHECK (is_chosen IN (0, 1));
CREATE INDEX messages_parent ON messages (parent_id) WHERE parent_id IS NOT NULL;

-- v1 had one reply per prompt: its parent is the closest user message before it.
UPDATE messages SET parent_id = (
    SELECT u.id FROM messages AS u
    WHERE u.conversation_id = messages.conversation_id
      AND u.role = 'user' AND u.position < messages.position
    ORDER BY u.position DESC LIMIT 1
) WHERE role = 'assistant';

ALTER TABLE replies ADD COLUMN candidates TEXT;
ALTER TABLE replies ADD COLUMN requested_model TEXT;
ALTER TABLE replies ADD COLUMN cached_tokens INTEGER;
ALTER TABLE replies ADD COLUMN retry_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replies ADD COLUMN fallback_used INTEGER NOT NULL DEFAULT 0
    CHECK (fallback_used IN (0, 1));

-- Startup looks for 'streaming' rows only: a partial index keeps that O(streaming).
DROP INDEX replies_status;
CREATE INDEX replies_streaming ON replies (status) WHERE status = 'streaming';
-- Statistics over all turns: per day, per conversation, per routed model, per tier.
CREATE INDEX replies_started ON replies (started_at);
CREATE INDEX replies_conversation ON replies (conversation_id, started_at);
CREATE INDEX replies_model ON replies (routed_model, started_at);
CREATE INDEX replies_tier ON replies (requested_tier_id, started_at);

-- External content: the text lives once, in messages; triggers keep the index in step.
-- prefix '3': a 3-letter prefix query ("the*") reads one doclist, not thousands of words'.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
"""

V3 = """
ALTER TABLE conversations ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat'
    CHECK (kind IN ('chat', 'comparison', 'workload', 'cli'));
ALTER TABLE conversations ADD COLUMN view TEXT;

ALTER TABLE messages ADD COLUMN meta TEXT;

ALTER TABLE replies ADD COLUMN column_index INTEGER;
ALTER TABLE replies ADD COLUMN demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1));
ALTER TABLE replies ADD COLUMN routing TEXT;
ALTER TABLE replies ADD COLUMN selection TEXT;
ALTER TABLE replies ADD COLUMN quality_cost INTEGER;
ALTER TABLE replies ADD COLUMN requests INTEGER NOT NULL DEFAULT 1;

-- Spend and statistics read billed replies by time: one index serves both.
CREATE INDEX replies_billed ON replies (demo, started_at);

CREATE TABLE votes (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    prompt_id       INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    choice          TEXT    NOT NULL,
    winner_column   INTEGER,
    columns         TEXT    NOT NULL,
    created_at      REAL    NOT NULL,
    UNIQUE (prompt_id)
);
CREATE INDEX votes_created ON votes (created_at);
"""


def _reply_day_script() -> str:
    """v4's table, backfill and triggers. The key and the sums are written once here and used
    for the backfill, the insert trigger and both halves of the update trigger."""
    key = {
        "day": "date({r}.started_at, 'unixepoch', 'localtime')",
        "tier": "COALESCE({r}.requested_tier_id, 'unknown')",
        "model": "COALESCE({r}.routed_model, '')",
        "failure": "CASE WHEN {r}.status IN ('failed', 'interrupted') "
        "THEN COALESCE({r}.error_kind, 'unknown') ELSE '' END",
        "compared": "({r}.column_index IS NOT NULL)",
    }
    sums = {
        "requests": "1",
        "cost_reported": "CASE WHEN {r}.cost_source = 'reported' THEN COALESCE({r}.cost_usd, 0) "
        "ELSE 0 END",
        "cost_estimated": "CASE WHEN {r}.cost_source = 'estimated' "
        "THEN COALESCE({r}.cost_usd, 0) ELSE 0 END",
        "unknown_cost": "({r}.cost_usd IS NULL OR {r}.cost_source = 'unknown')",
        "prompt_tokens": "COALESCE({r}.prompt_tokens, 0)",
        "completion_tokens": "COALESCE({r}.completion_tokens, 0)",
        "retries": "{r}.retry_count",
        "fallbacks": "{r}.fallback_used",
        "ranked": "({r}.selection IS 'ranked')",
        "single": "({r}.selection IS 'single')",
        "defaulted": "({r}.selection IS 'default')",
    }
    counted = "{r}.demo = 0 AND {r}.status != 'streaming'"

    def of(template: str, row: str) -> str:
        return template.format(r=row)

    keys, values = ", ".join(key), ", ".join(sums)
    add_all = ", ".join(f"{c} = {c} + excluded.{c}" for c in sums)

    def add(row: str) -> str:
        exprs = ", ".join(of(e, row) for e in (*key.values(), *sums.values()))
        return (
            f"INSERT INTO reply_days ({keys}, {values}) SELECT {exprs} "
            f"WHERE {of(counted, row)} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {add_all};"
        )

    def subtract(row: str) -> str:
        match = " AND ".join(f"{c} = {of(e, row)}" for c, e in key.items())
        minus = ", ".join(f"{c} = {c} - {of(e, row)}" for c, e in sums.items())
        return (
            f"UPDATE reply_days SET {minus} WHERE {of(counted, row)} AND {match};\n"
            f"    DELETE FROM reply_days WHERE requests <= 0 AND {match};"
        )

    backfill = ", ".join(
        [*(of(e, "r") for e in key.values())]
        + [f"{'TOTAL' if c.startswith('cost_') else 'SUM'}({of(e, 'r')})" for c, e in sums.items()]
    )
    columns = ",\n".join(
        [f"    {c} {'INTEGER' if c == 'compared' else 'TEXT'} NOT NULL" for c in key]
        + [
            f"    {c} {'REAL' if c.startswith('cost_') else 'INTEGER'} NOT NULL DEFAULT 0"
            for c in sums
        ]
    )
    dropped = (
        "SELECT date({r}.started_at, 'unixepoch', 'localtime'), "
        "COALESCE({r}.requested_tier_id, 'unknown'), d.value, ({r}.column_index IS NOT NULL), 1 "
        "FROM json_each(CASE WHEN json_valid({r}.routing) THEN {r}.routing END, "
        "'$.auto.dropped') AS d WHERE {counted} AND d.type = 'text'"
    )

    def add_dropped(row: str) -> str:
        select = dropped.format(r=row, counted=of(counted, row))
        return (
            f"INSERT INTO reply_dropped (day, tier, candidate, compared, requests) {select} "
            "ON CONFLICT (day, tier, candidate, compared) DO UPDATE SET requests = requests + 1;"
        )

    def subtract_dropped(row: str) -> str:
        scope = (
            f"day = date({row}.started_at, 'unixepoch', 'localtime') "
            f"AND tier = COALESCE({row}.requested_tier_id, 'unknown') "
            f"AND compared = ({row}.column_index IS NOT NULL)"
        )
        return (
            "UPDATE reply_dropped SET requests = requests - (SELECT COUNT(*) FROM json_each("
            f"CASE WHEN json_valid({row}.routing) THEN {row}.routing END, '$.auto.dropped') "
            "AS d WHERE d.type = 'text' AND d.value = reply_dropped.candidate) "
            f"WHERE {of(counted, row)} AND {scope};\n"
            f"    DELETE FROM reply_dropped WHERE requests <= 0 AND {scope};"
        )

    return f"""
CREATE TABLE reply_dropped (
    day       TEXT    NOT NULL,
    tier      TEXT    NOT NULL,
    candidate TEXT    NOT NULL,
    compared  INTEGER NOT NULL,
    requests  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, tier, candidate, compared)
) WITHOUT ROWID;
INSERT INTO reply_dropped (day, tier, candidate, compared, requests)
    SELECT date(r.started_at, 'unixepoch', 'localtime'), COALESCE(r.requested_tier_id, 'unknown'),
        d.value, (r.column_index IS NOT NULL), COUNT(*)
    FROM replies AS r, json_each(CASE WHEN json_valid(r.routing) THEN r.routing END,
        '$.auto.dropped') AS d
    WHERE {of(counted, "r")} AND d.type = 'text' GROUP BY 1, 2, 3, 4;
-- Latency percentiles over the whole history walk these instead of sorting every reply.
CREATE INDEX replies_ttft ON replies (demo, requested_tier_id, ttft_ms) WHERE ttft_ms IS NOT NULL;
CREATE INDEX replies_total ON replies (demo, requested_tier_id, total_ms)
    WHERE total_ms IS NOT NULL;
-- The longest replies of the whole history, for "unexpected costs", from the top down.
CREATE INDEX replies_longest ON replies (demo, completion_tokens)
    WHERE completion_tokens IS NOT NULL;
CREATE TABLE reply_days (
{columns},
    PRIMARY KEY ({keys})
) WITHOUT ROWID;
INSERT INTO reply_days ({keys}, {values})
    SELECT {backfill} FROM replies AS r WHERE {of(counted, "r")} GROUP BY 1, 2, 3, 4, 5;
CREATE TRIGGER reply_days_insert AFTER INSERT ON replies
WHEN {of(counted, "new")} BEGIN
    {add("new")}
    {add_dropped("new")}
END;
CREATE TRIGGER reply_days_delete AFTER DELETE ON replies
WHEN {of(counted, "old")} BEGIN
    {subtract("old")}
    {subtract_dropped("old")}
END;
CREATE TRIGGER reply_days_update AFTER UPDATE ON replies
WHEN ({of(counted, "old")}) OR ({of(counted, "new")}) BEGIN
    {subtract("old")}
    {subtract_dropped("old")}
    {add("new")}
    {add_dropped("new")}
END;
"""


V4 = _reply_day_script()

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "conversations, messages, replies, app state", V1),
    Migration(2, "alternatives, drafts, richer turn data, full-text search, statistics", V2),
    Migration(3, "comparisons, routing decisions, demo turns, tool loops, votes", V3),
    Migration(4, "billed replies summed per day for statistics", V4),
)

SCHEMA_VERSION = MIGRATIONS[-1].version

# Tables this application creates; a version-0 file holding anything else is not ours.
OWN_TABLES = frozenset(
    {
        "conversations",
        "messages",
        "replies",
        "app_state",
        "messages_fts",
        "votes",
        "reply_days",
        "reply_dropped",
    }
)


def check_migrations(migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
    """Versions must be 1, 2, 3, ... in order (a test calls this)."""
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise AssertionError(f"migration {migration.version} found where {expected} belongs")
