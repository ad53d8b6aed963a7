"""`HistoryStore`: conversations, messages, streamed replies, tabs, search and totals.

One `sqlite3.Connection`, used from the thread that opened it (the app's asyncio loop thread).
Every write is one short explicit transaction (`BEGIN IMMEDIATE` ... `COMMIT`), so what a method
wrote is committed when it returns: the user's prompt before the request goes out, the reply's
text each time `update_reply_text` is called while it streams. In WAL mode with
`synchronous=NORMAL` a commit does not wait for the disk; a crash of the app loses nothing
committed, a power cut may lose the last moments.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from desktop_app.store.database import (
    IntegrityCheck,
    IntegrityCheckJob,
    IntegrityResult,
    OpenReport,
    open_connection,
    remember_check,
    request_check,
)
from desktop_app.store.errors import NotFoundError, StoreAccessError, StoreError
from desktop_app.store.models import (
    FINAL_STATUSES,
    ROLES,
    VOTE_CHOICES,
    Conversation,
    InterruptedReply,
    OpenTab,
    ReplyInfo,
    ReplyStatus,
    SearchHit,
    StoredMessage,
    TabsState,
    Totals,
    TurnResultLike,
    Vote,
    VoteColumn,
    routing_selection,
)
from desktop_app.store.text import ELLIPSIS, HIT_END, HIT_START, fts_query, make_title

Clock = Callable[[], float]
log = logging.getLogger(__name__)

_CONVERSATION_COLUMNS = (
    "c.id, c.title, c.created_at, c.updated_at, c.tier_id, c.pinned, c.archived, c.deleted_at, "
    "c.draft, c.kind, c.view"
)
_MESSAGE_COLUMNS = (
    "m.id, m.conversation_id, m.position, m.role, m.content, m.tool_calls, m.tool_call_id, "
    "m.created_at, m.parent_id, m.is_chosen, "
    "r.message_id, r.status, r.requested_tier_id, r.candidates, r.requested_model, "
    "r.routed_model, r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cached_tokens, "
    "r.cost_usd, r.cost_source, r.ttft_ms, r.total_ms, r.finish_reason, r.error_kind, "
    "r.error_message, r.error_status, r.retry_count, r.fallback_used, r.started_at, "
    "r.finished_at, r.column_index, r.demo, r.routing, r.quality_cost, r.requests, m.meta"
)
_MESSAGE_FROM = "FROM messages AS m LEFT JOIN replies AS r ON r.message_id = m.id"

# A new reply becomes the chosen one of its prompt and column. EXISTS looks up each sibling's
# reply by its key; `id IN (SELECT ... FROM replies ...)` listed every reply of the history
# (about 0.1 s a send at 200,000 replies).
CHOOSE_ONLY_NEW = (
    "UPDATE messages SET is_chosen = 0 WHERE parent_id = ? AND role = 'assistant' AND EXISTS "
    "(SELECT 1 FROM replies AS r WHERE r.message_id = messages.id AND r.column_index IS ?)"
)

TABS_KEY = "open_tabs"
SNIPPET_TOKENS = 12
RANK_WINDOW = 1000  # a query is ranked among at most this many of its newest matches


def _conversation(row: Sequence[Any]) -> Conversation:
    return Conversation(
        id=row[0],
        title=row[1],
        created_at=row[2],
        updated_at=row[3],
        tier_id=row[4],
        pinned=bool(row[5]),
        archived=bool(row[6]),
        deleted_at=row[7],
        draft=row[8],
        kind=row[9],
        view=_json_object(row[10]),
    )


def _json(text: str | None) -> Any:
    """A stored JSON column's value; None when empty or unreadable (never raises)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _json_object(text: str | None) -> dict[str, Any] | None:
    value = _json(text)
    return value if isinstance(value, dict) else None


def _json_list(text: str | None) -> list[Any] | None:
    value = _json(text)
    return value if isinstance(value, list) else None


def _message(row: Sequence[Any]) -> StoredMessage:
    reply = None
    if row[10] is not None:
        candidates = _json_list(row[13])
        reply = ReplyInfo(
            status=ReplyStatus(row[11]),
            requested_tier_id=row[12],
            candidates=tuple(str(c) for c in candidates) if candidates is not None else None,
            requested_model=row[14],
            routed_model=row[15],
            prompt_tokens=row[16],
            completion_tokens=row[17],
            total_tokens=row[18],
            cached_tokens=row[19],
            cost_usd=row[20],
            cost_source=row[21],
            ttft_ms=row[22],
            total_ms=row[23],
            finish_reason=row[24],
            error_kind=row[25],
            error_message=row[26],
            error_status=row[27],
            retry_count=row[28],
            fallback_used=bool(row[29]),
            started_at=row[30],
            finished_at=row[31],
            column=row[32],
            demo=bool(row[33]),
            routing=_json_object(row[34]),
            quality_cost=row[35],
            requests=row[36] or 1,
        )
    tool_calls = _json_list(row[5])
    return StoredMessage(
        id=row[0],
        conversation_id=row[1],
        position=row[2],
        role=row[3],
        content=row[4],
        tool_calls=[c for c in tool_calls if isinstance(c, dict)] if tool_calls else None,
        tool_call_id=row[6],
        created_at=row[7],
        parent_id=row[8],
        is_chosen=bool(row[9]),
        reply=reply,
        meta=_json_object(row[37]),
    )


def _tab_json(tab: OpenTab) -> dict[str, Any]:
    out: dict[str, Any] = {"conversation_id": tab.conversation_id, "tier_id": tab.tier_id}
    if tab.kind != "chat":
        out["kind"] = tab.kind
    if tab.view is not None:
        out["view"] = tab.view
    return out


_VOTE_COLUMNS = (
    "v.id, v.conversation_id, v.prompt_id, v.choice, v.winner_column, v.columns, v.created_at"
)


def _vote(row: Sequence[Any]) -> Vote:
    columns: list[VoteColumn] = []
    for item in _json_list(row[5]) or []:
        if not isinstance(item, dict) or type(item.get("column")) is not int:
            continue
        reply_id = item.get("reply_id")
        columns.append(
            VoteColumn(
                column=item["column"],
                label=str(item.get("label") or ""),
                tier_id=item.get("tier_id") if isinstance(item.get("tier_id"), str) else None,
                model=item.get("model") if isinstance(item.get("model"), str) else None,
                reply_id=reply_id if type(reply_id) is int else None,
            )
        )
    return Vote(row[0], row[1], row[2], row[3], row[4], tuple(columns), row[6])


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class HistoryStore:
    """The durable history. Create with `HistoryStore.open(path)`; always `close()` it."""

    def __init__(
        self, conn: sqlite3.Connection, report: OpenReport, *, clock: Clock = time.time
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._clock = clock
        self.report = report

    # --- lifecycle ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        clock: Clock = time.time,
        recover: bool = True,
        integrity_check: IntegrityCheck = "auto",
    ) -> Self:
        """Open (creating, repairing or migrating as needed) the database at `path`.

        See `report` for what happened: `report.moved_aside` (a damaged file's new name),
        `report.backup_path` (copy before a migration), `report.interrupted` (replies that were
        still streaming when the app last died, now marked interrupted) and `report.notices()`.
        `integrity_check`: "auto" runs `PRAGMA quick_check` here only after SQLite reported
        damage, and leaves the weekly check and the one after an unclean shutdown to
        `deferred_integrity_check()` (cheap header checks here); "always" runs it on every
        open, "never" skips it.
        """
        conn, report = open_connection(Path(path), integrity_check=integrity_check)
        store = cls(conn, report, clock=clock)
        if recover:
            try:
                report.interrupted = store.recover_interrupted()
            except BaseException:
                store.close()
                raise
        return store

    @property
    def path(self) -> Path:
        return self.report.path

    @property
    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version")[0])

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Checkpoint and close; safe to call twice."""
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("PRAGMA optimize")
        except sqlite3.Error:
            pass
        finally:
            conn.close()

    def deferred_integrity_check(self) -> IntegrityCheckJob | None:
        """The full integrity check `open` left for later, or None when none is due.

        Call `job.run()` on a worker thread once the window is up, then hand its result to
        `record_integrity_check` on this store's thread. `job.cancel()` before `close()`.
        """
        if self._conn is None or not self.report.integrity_check_due:
            return None
        return IntegrityCheckJob(self.path)

    def record_integrity_check(self, result: IntegrityResult) -> list[str]:
        """Remember a passed check (the next one is due in a week); return sentences for the
        user when it found damage (the file is then checked again and moved aside at the next
        open). Call on this store's thread; never raises: a check not recorded is run again
        at the next start."""
        if result.outcome == "ok":
            log.info("History integrity check passed in %.0f ms", result.duration_s * 1000)
            try:
                with self._tx() as conn:
                    remember_check(conn, result.started_at)
            except StoreError as exc:
                log.warning("Could not record the passed integrity check: %s", exc)
            else:
                self.report.integrity_check_due = False
        elif result.outcome == "damaged":
            log.warning("History integrity check found damage in %s: %s", self.path, result.detail)
        elif result.outcome == "failed":
            log.warning("History integrity check could not run: %s", result.detail)
        return result.notices()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; sqlite errors become `StoreAccessError`."""
        conn = self._conn_or_raise()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._access_error(exc) from exc

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn_or_raise().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._access_error(exc) from exc

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self._conn_or_raise().execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise self._access_error(exc) from exc

    def _access_error(self, exc: sqlite3.Error) -> StoreAccessError:
        error = StoreAccessError.from_sqlite(self.path, exc)
        if error.damaged:
            request_check(self.path)  # the next open runs the full integrity check
        return error

    def _conn_or_raise(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the history store is closed")
        return self._conn

    def _touch(self, conn: sqlite3.Connection, conversation_id: int, now: float) -> None:
        cur = conn.execute(
            "UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id)
        )
        if cur.rowcount == 0:
            raise NotFoundError("conversation", conversation_id)

    def _update_conversation(self, conversation_id: int, sql: str, params: tuple[Any, ...]) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                f"UPDATE conversations SET {sql} WHERE id = ?", (*params, conversation_id)
            )
            if cur.rowcount == 0:
                raise NotFoundError("conversation", conversation_id)

    # --- conversations --------------------------------------------------------------------

    def create_conversation(
        self,
        title: str = "",
        tier_id: str | None = None,
        *,
        kind: str = "chat",
        view: Mapping[str, Any] | None = None,
    ) -> int:
        """A new conversation; `kind` comparison or workload for those views (`view` holds
        their columns), cli for the command line's."""
        now = self._clock()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, tier_id, kind, view) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    " ".join(title.split()),
                    now,
                    now,
                    tier_id,
                    kind,
                    json.dumps(dict(view), ensure_ascii=False) if view is not None else None,
                ),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def get_conversation(self, conversation_id: int) -> Conversation:
        row = self._one(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations AS c WHERE c.id = ?",
            (conversation_id,),
        )
        if row is None:
            raise NotFoundError("conversation", conversation_id)
        return _conversation(row)

    def list_conversations(
        self,
        *,
        pinned_first: bool = True,
        include_archived: bool = False,
        archived_only: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Conversation]:
        """Conversations not in the trash, newest activity first (pinned ones on top).

        Group them by `Conversation.day` for "Today / Yesterday / ..." headings.
        """
        where = "c.deleted_at IS NULL"
        if archived_only:
            where += " AND c.archived = 1"
        elif not include_archived:
            where += " AND c.archived = 0"
        order = "c.updated_at DESC, c.id DESC"
        if pinned_first:
            order = "c.pinned DESC, " + order
        sql = (
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations AS c "
            f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        rows = self._all(sql, (-1 if limit is None else limit, offset))
        return [_conversation(r) for r in rows]

    def find_conversation(
        self, kind: str, *, created_from: float, created_before: float
    ) -> int | None:
        """The first conversation of `kind` created in [created_from, created_before) and not
        in the trash (the command line's conversation of a day), or None."""
        row = self._one(
            "SELECT id FROM conversations WHERE kind = ? AND deleted_at IS NULL "
            "AND created_at >= ? AND created_at < ? ORDER BY created_at, id LIMIT 1",
            (kind, created_from, created_before),
        )
        return None if row is None else int(row[0])

    def list_deleted(self) -> list[Conversation]:
        """The trash, most recently deleted first."""
        rows = self._all(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations AS c "
            "WHERE c.deleted_at IS NOT NULL ORDER BY c.deleted_at DESC, c.id DESC"
        )
        return [_conversation(r) for r in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title (collapsed to one line); an empty title lets the next prompt name it."""
        flat = " ".join(title.split())
        self._update_conversation(
            conversation_id, "title = ?, updated_at = ?", (flat, self._clock())
        )

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self._update_conversation(conversation_id, "pinned = ?", (int(pinned),))

    def set_archived(self, conversation_id: int, archived: bool) -> None:
        self._update_conversation(conversation_id, "archived = ?", (int(archived),))

    def set_conversation_tier(self, conversation_id: int, tier_id: str | None) -> None:
        self._update_conversation(conversation_id, "tier_id = ?", (tier_id,))

    def set_view(self, conversation_id: int, view: Mapping[str, Any]) -> None:
        """A comparison's columns and options (not a change of `updated_at`)."""
        self._update_conversation(
            conversation_id, "view = ?", (json.dumps(dict(view), ensure_ascii=False),)
        )

    def save_draft(self, conversation_id: int, text: str) -> None:
        """Keep what the user typed but did not send (not a change of `updated_at`)."""
        self._update_conversation(conversation_id, "draft = ?", (text,))

    def delete_conversation(self, conversation_id: int) -> None:
        """Move to the trash (undo with `restore_conversation`); search and lists skip it."""
        self._update_conversation(
            conversation_id, "deleted_at = COALESCE(deleted_at, ?)", (self._clock(),)
        )

    def restore_conversation(self, conversation_id: int) -> None:
        self._update_conversation(conversation_id, "deleted_at = NULL", ())

    def purge_conversation(self, conversation_id: int) -> None:
        """Delete for good, with its messages and replies (the trash's "delete forever")."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if cur.rowcount == 0:
                raise NotFoundError("conversation", conversation_id)

    def purge_deleted(self, *, older_than: float | None = None) -> int:
        """Empty the trash (only what was deleted before `older_than`, when given)."""
        with self._tx() as conn:
            if older_than is None:
                cur = conn.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL")
            else:
                cur = conn.execute(
                    "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?",
                    (older_than,),
                )
            return cur.rowcount

    # --- messages -------------------------------------------------------------------------

    def _insert_message(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        role: str,
        content: str,
        now: float,
        *,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        tool_call_id: str | None = None,
        parent_id: int | None = None,
        chosen: bool = True,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self._touch(conn, conversation_id, now)
        cur = conn.execute(
            "INSERT INTO messages (conversation_id, position, role, content, tool_calls, "
            "tool_call_id, created_at, parent_id, is_chosen, meta) VALUES (?, "
            "(SELECT COALESCE(MAX(position), -1) + 1 FROM messages WHERE conversation_id = ?), "
            "?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                conversation_id,
                role,
                content,
                json.dumps(list(tool_calls), ensure_ascii=False) if tool_calls else None,
                tool_call_id,
                now,
                parent_id,
                int(chosen),
                json.dumps(dict(meta), ensure_ascii=False) if meta is not None else None,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_user_message(self, conversation_id: int, content: str) -> int:
        """Save the prompt (committed on return: call before sending the request).

        A conversation without a title is named after its first prompt.
        """
        now = self._clock()
        with self._tx() as conn:
            message_id = self._insert_message(conn, conversation_id, "user", content, now)
            title = make_title(content)
            if title:
                conn.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title = ''",
                    (title, conversation_id),
                )
        return message_id

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        tool_call_id: str | None = None,
        parent_id: int | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        """Any other message: a system prompt, a tool result (`tool_call_id`, `meta`), ..."""
        now = self._clock()
        with self._tx() as conn:
            return self._insert_message(
                conn,
                conversation_id,
                role,
                content,
                now,
                tool_calls=tool_calls,
                tool_call_id=tool_call_id,
                parent_id=parent_id,
                meta=meta,
            )

    def add_tool_round(
        self,
        reply_id: int,
        text: str,
        tool_calls: Sequence[Mapping[str, Any]],
        results: Sequence[tuple[str, str, Mapping[str, Any] | None]],
    ) -> list[int]:
        """One round of a reply's tool loop, in one transaction: the assistant message that
        asked for the tools (`text`, `tool_calls`) and a `tool` message per result
        (`(tool_call_id, content, meta)`), all children of the reply (`parent_id`), so they
        go with it when it is deleted. They are stored after the reply; `history_from_store`
        puts a reply's rounds before its text."""
        now = self._clock()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ? AND role = 'assistant'",
                (reply_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError("reply", reply_id)
            conversation_id = int(row[0])
            ids = [
                self._insert_message(
                    conn, conversation_id, "assistant", text, now,
                    tool_calls=tool_calls, parent_id=reply_id,
                )
            ]  # fmt: skip
            for call_id, content, meta in results:
                ids.append(
                    self._insert_message(
                        conn, conversation_id, "tool", content, now,
                        tool_call_id=call_id, parent_id=reply_id, meta=meta,
                    )
                )  # fmt: skip
        return ids

    def edit_message(self, message_id: int, content: str) -> None:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE messages SET content = ? WHERE id = ?", (content, message_id)
            )
            if cur.rowcount == 0:
                raise NotFoundError("message", message_id)

    def delete_message(self, message_id: int) -> None:
        """Remove one message (and, for a prompt, the replies to it)."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            if cur.rowcount == 0:
                raise NotFoundError("message", message_id)

    def get_message(self, message_id: int) -> StoredMessage:
        row = self._one(f"SELECT {_MESSAGE_COLUMNS} {_MESSAGE_FROM} WHERE m.id = ?", (message_id,))
        if row is None:
            raise NotFoundError("message", message_id)
        return _message(row)

    def load_messages(
        self, conversation_id: int, *, include_alternatives: bool = False
    ) -> list[StoredMessage]:
        """The conversation in order, each reply with its turn data (one query)."""
        where = "m.conversation_id = ?"
        if not include_alternatives:
            where += " AND m.is_chosen = 1"
        rows = self._all(
            f"SELECT {_MESSAGE_COLUMNS} {_MESSAGE_FROM} WHERE {where} ORDER BY m.position",
            (conversation_id,),
        )
        if not rows:
            self.get_conversation(conversation_id)  # NotFoundError for an unknown id
        return [_message(r) for r in rows]

    def alternatives(self, reply_id: int) -> list[StoredMessage]:
        """All replies to the same prompt as `reply_id` (itself included), oldest first."""
        parent = self.get_message(reply_id).parent_id
        if parent is None:
            return [self.get_message(reply_id)]
        rows = self._all(
            f"SELECT {_MESSAGE_COLUMNS} {_MESSAGE_FROM} WHERE m.parent_id = ? "
            "AND m.role = 'assistant' ORDER BY m.position",
            (parent,),
        )
        return [_message(r) for r in rows]

    # --- streamed replies -----------------------------------------------------------------

    def begin_reply(
        self,
        conversation_id: int,
        *,
        parent_id: int | None = None,
        requested_tier_id: str | None = None,
        candidates: Sequence[str] | None = None,
        requested_model: str | None = None,
        chosen: bool = True,
        column: int | None = None,
        demo: bool = False,
        quality_cost: int | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int:
        """Insert an empty assistant reply with status 'streaming'; returns its id.

        `parent_id` is the prompt it answers. A comparison starts one reply per `column`, all
        chosen (each column is its own thread); a regenerated reply makes its siblings in the
        same column alternatives. `demo`: answered by the demo server (never counted as spend).
        `meta`: what the reply keeps from the start (the spending limit raised its knob).
        """
        now = self._clock()
        with self._tx() as conn:
            if chosen and parent_id is not None:  # one chosen reply per prompt and column
                conn.execute(CHOOSE_ONLY_NEW, (parent_id, column))
            reply_id = self._insert_message(
                conn,
                conversation_id,
                "assistant",
                "",
                now,
                parent_id=parent_id,
                chosen=chosen,
                meta=meta,
            )
            conn.execute(
                "INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, "
                "candidates, requested_model, started_at, column_index, demo, quality_cost) "
                "VALUES (?, ?, 'streaming', ?, ?, ?, ?, ?, ?, ?)",
                (
                    reply_id,
                    conversation_id,
                    requested_tier_id,
                    json.dumps(list(candidates)) if candidates is not None else None,
                    requested_model,
                    now,
                    column,
                    int(demo),
                    quality_cost,
                ),
            )
        return reply_id

    def set_routed_model(self, reply_id: int, model: str) -> None:
        """Record the routed model as soon as the stream names it (survives a crash)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE replies SET routed_model = ? WHERE message_id = ?", (model, reply_id)
            )

    def update_reply_text(self, reply_id: int, text: str, routed_model: str | None = None) -> None:
        """Save the text streamed so far (one UPDATE; call it about once a second).

        `routed_model`, when given, is recorded in the same transaction (the stream names it
        early; a reply cut off by a crash keeps it). Ignored once the reply has finished, so a
        late call cannot overwrite the final text.
        """
        with self._tx() as conn:
            conn.execute(
                "UPDATE messages SET content = ? WHERE id = ? AND EXISTS (SELECT 1 FROM replies "
                "WHERE message_id = ? AND status = 'streaming')",
                (text, reply_id, reply_id),
            )
            if routed_model is not None:
                conn.execute(
                    "UPDATE replies SET routed_model = ? WHERE message_id = ? "
                    "AND status = 'streaming' AND routed_model IS NOT ?",
                    (routed_model, reply_id, routed_model),
                )

    def finish_reply(
        self,
        reply_id: int,
        result: TurnResultLike,
        *,
        retry_count: int = 0,
        fallback_used: bool = False,
        routing: Mapping[str, Any] | None = None,
        requests: int = 1,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """Save the final text and everything known about the turn (`api.events.TurnResult`);
        `routing` is the server's routing decision (its `selection` is kept apart for
        statistics), `requests` how many requests the turn made, `meta` what else the reply
        keeps (which prices an estimated cost used)."""
        status = str(result.status)
        if status not in FINAL_STATUSES:
            raise ValueError(f"a finished reply's status must be one of {sorted(FINAL_STATUSES)}")
        cost_source = str(result.cost_source)
        if cost_source not in ("reported", "estimated", "unknown"):
            cost_source = "unknown"
        usage = result.usage
        error = result.error
        tool_calls = [c.to_json() for c in result.tool_calls] or None
        now = self._clock()
        with self._tx() as conn:
            meta_text = json.dumps(dict(meta), ensure_ascii=False) if meta else None
            cur = conn.execute(  # `meta` joins what the reply kept from its start
                "UPDATE messages SET content = ?, tool_calls = ?, meta = CASE "
                "WHEN ? IS NULL THEN meta WHEN meta IS NULL OR NOT json_valid(meta) THEN ? "
                "ELSE json_patch(meta, ?) END WHERE id = ? AND role = 'assistant'",
                (
                    result.text,
                    json.dumps(tool_calls, ensure_ascii=False) if tool_calls else None,
                    meta_text,
                    meta_text,
                    meta_text,
                    reply_id,
                ),
            )
            if cur.rowcount == 0:
                raise NotFoundError("reply", reply_id)
            cur = conn.execute(
                "UPDATE replies SET status = ?, routed_model = COALESCE(?, routed_model), "
                "prompt_tokens = ?, completion_tokens = ?, total_tokens = ?, cached_tokens = ?, "
                "cost_usd = ?, cost_source = ?, ttft_ms = ?, total_ms = ?, finish_reason = ?, "
                "error_kind = ?, error_message = ?, error_status = ?, retry_count = ?, "
                "fallback_used = ?, finished_at = ?, routing = ?, selection = ?, requests = ? "
                "WHERE message_id = ? RETURNING conversation_id",
                (
                    status,
                    result.model,
                    usage.prompt_tokens if usage else None,
                    usage.completion_tokens if usage else None,
                    usage.total_tokens if usage else None,
                    usage.cached_tokens if usage else None,
                    _finite(result.cost_usd),
                    cost_source,
                    _finite(result.ttft_ms),
                    _finite(result.total_ms),
                    result.finish_reason,
                    str(error.kind) if error else None,
                    error.message if error else None,
                    error.status if error else None,
                    int(retry_count),
                    int(fallback_used),
                    now,
                    json.dumps(dict(routing), ensure_ascii=False) if routing else None,
                    routing_selection(routing),
                    max(1, int(requests)),
                    reply_id,
                ),
            )
            row = cur.fetchone()
            if row is None:
                raise NotFoundError("reply", reply_id)
            self._touch(conn, int(row[0]), now)

    def recover_interrupted(self) -> list[InterruptedReply]:
        """Mark replies left 'streaming' (the app died mid-stream) as 'interrupted'.

        Their partial text is kept. Called by `open()`; calling it again finds nothing.
        Only one RouteChat process may use a database, or this would cut off its streams.
        """
        now = self._clock()
        with self._tx() as conn:
            rows = conn.execute(
                "UPDATE replies SET status = 'interrupted', "
                "error_kind = COALESCE(error_kind, 'interrupted'), "
                "error_message = COALESCE(error_message, 'RouteChat stopped while this reply "
                "was streaming'), finished_at = COALESCE(finished_at, ?) "
                "WHERE status = 'streaming' RETURNING message_id, conversation_id",
                (now,),
            ).fetchall()
            out = []
            for message_id, conversation_id in rows:
                (length,) = conn.execute(
                    "SELECT length(content) FROM messages WHERE id = ?", (message_id,)
                ).fetchone()
                out.append(InterruptedReply(message_id, conversation_id, int(length or 0)))
        return sorted(out, key=lambda r: r.message_id)

    def choose_reply(self, reply_id: int) -> None:
        """Make this reply the turn's answer; its siblings become alternatives."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT parent_id FROM messages WHERE id = ? AND role = 'assistant'", (reply_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError("reply", reply_id)
            if row[0] is not None:
                conn.execute(
                    "UPDATE messages SET is_chosen = 0 WHERE parent_id = ? AND role = 'assistant'",
                    (row[0],),
                )
            conn.execute("UPDATE messages SET is_chosen = 1 WHERE id = ?", (reply_id,))

    # --- comparisons ----------------------------------------------------------------------

    def add_vote(
        self,
        conversation_id: int,
        prompt_id: int,
        choice: str,
        columns: Sequence[VoteColumn],
    ) -> Vote:
        """Record a blind comparison's verdict on one prompt (a second vote replaces the first).

        `choice` is one of `VOTE_CHOICES` ("a": the answer labelled A was better; "tie";
        "bad": all bad); `columns` are the answers as they were labelled. The winner's column
        is taken from the label chosen, so win rates per tier need no other table.
        """
        if choice not in VOTE_CHOICES:
            raise ValueError(f"a vote is one of {', '.join(VOTE_CHOICES)}, not {choice!r}")
        winner: int | None = None
        if choice not in ("tie", "bad"):
            found = [c for c in columns if c.label.lower() == choice]
            if len(found) != 1:
                raise ValueError(f"no single answer is labelled {choice.upper()}")
            winner = found[0].column
        payload = json.dumps([c.to_json() for c in columns], ensure_ascii=False)
        now = self._clock()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ? AND role = 'user'",
                (prompt_id, conversation_id),
            ).fetchone()
            if row is None:
                raise NotFoundError("prompt", prompt_id)
            (vote_id,) = conn.execute(
                "INSERT INTO votes (conversation_id, prompt_id, choice, winner_column, columns, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (prompt_id) DO UPDATE SET "
                "choice = excluded.choice, winner_column = excluded.winner_column, "
                "columns = excluded.columns, created_at = excluded.created_at RETURNING id",
                (conversation_id, prompt_id, choice, winner, payload, now),
            ).fetchone()
        return Vote(vote_id, conversation_id, prompt_id, choice, winner, tuple(columns), now)

    def votes(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        conversation_id: int | None = None,
    ) -> list[Vote]:
        """Votes cast in `[since, until)` (Unix seconds), oldest first; with `conversation_id`,
        that comparison's only. Votes of comparisons in the trash still count."""
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("v.created_at >= ?")
            params.append(since)
        if until is not None:
            where.append("v.created_at < ?")
            params.append(until)
        if conversation_id is not None:
            where.append("v.conversation_id = ?")
            params.append(conversation_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._all(
            f"SELECT {_VOTE_COLUMNS} FROM votes AS v {clause} ORDER BY v.created_at, v.id", params
        )
        return [_vote(r) for r in rows]

    def vote_for(self, prompt_id: int) -> Vote | None:
        """The vote on one prompt, if the user voted."""
        row = self._one(
            f"SELECT {_VOTE_COLUMNS} FROM votes AS v WHERE v.prompt_id = ?", (prompt_id,)
        )
        return _vote(row) if row is not None else None

    def continue_column(
        self, conversation_id: int, column: int, *, title: str = "", tier_id: str | None = None
    ) -> int:
        """A new conversation holding one comparison column's thread ("Continue with this").

        Copies that column's prompts (from the first it answered) and its answers, with their
        turn data, in one transaction; the comparison keeps every column. Returns the new id.
        """
        messages = self.load_messages(conversation_id)
        replies = [m for m in messages if m.reply is not None and m.reply.column == column]
        if not replies:
            raise NotFoundError("comparison column", column)
        first = next((m.position for m in messages if m.id == replies[0].parent_id), 0)
        thread = [
            m
            for m in messages
            if m.position >= first and (m.role == "user" or (m.reply and m.reply.column == column))
        ]
        now = self._clock()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, tier_id, kind) "
                "VALUES (?, ?, ?, ?, 'chat')",
                (" ".join(title.split()), now, now, tier_id),
            )
            new_id = cur.lastrowid
            assert new_id is not None
            ids: dict[int, int] = {}
            for position, m in enumerate(thread):
                cur = conn.execute(
                    "INSERT INTO messages (conversation_id, position, role, content, tool_calls, "
                    "tool_call_id, created_at, parent_id, is_chosen, meta) "
                    "SELECT ?, ?, role, content, tool_calls, tool_call_id, created_at, ?, 1, meta "
                    "FROM messages WHERE id = ?",
                    (new_id, position, ids.get(m.parent_id or -1), m.id),
                )
                assert cur.lastrowid is not None
                ids[m.id] = cur.lastrowid
                if m.reply is not None:
                    conn.execute(
                        "INSERT INTO replies (message_id, conversation_id, status, "
                        "requested_tier_id, routed_model, prompt_tokens, completion_tokens, "
                        "total_tokens, cost_usd, cost_source, ttft_ms, total_ms, finish_reason, "
                        "error_kind, error_message, error_status, started_at, finished_at, "
                        "candidates, requested_model, cached_tokens, retry_count, fallback_used, "
                        "column_index, demo, routing, selection, quality_cost, requests) "
                        "SELECT ?, ?, CASE status WHEN 'streaming' THEN 'interrupted' "
                        "ELSE status END, requested_tier_id, routed_model, prompt_tokens, "
                        "completion_tokens, total_tokens, cost_usd, cost_source, ttft_ms, "
                        "total_ms, finish_reason, error_kind, error_message, error_status, "
                        "started_at, finished_at, candidates, requested_model, cached_tokens, "
                        "retry_count, fallback_used, NULL, demo, routing, selection, "
                        "quality_cost, requests FROM replies WHERE message_id = ?",
                        (cur.lastrowid, new_id, m.id),
                    )
        return new_id

    # --- search ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 50,
        conversation_id: int | None = None,
        rank_window: int = RANK_WINDOW,
    ) -> list[SearchHit]:
        """Full-text search over every message of conversations not in the trash.

        Words must all occur (the last one also as a prefix); "quoted text" is a phrase.
        `snippet` marks hits with `text.HIT_START`/`HIT_END`. Results are ranked by bm25
        (best first). A query matching more than `rank_window` messages is ranked among its
        `rank_window` newest matches only: scoring every message that contains "the" would
        cost hundreds of milliseconds on a large history, and recent hits are the useful ones.
        With `conversation_id`, only that conversation is searched (all its matches ranked).
        """
        match = fts_query(query)
        if match is None:
            return []
        columns = (
            "m.conversation_id, m.id, c.title, m.role, m.created_at, "
            "snippet(messages_fts, 0, ?, ?, ?, ?), bm25(messages_fts)"
        )
        joins = (
            "FROM messages_fts JOIN messages AS m ON m.id = messages_fts.rowid "
            "JOIN conversations AS c ON c.id = m.conversation_id"
        )
        marks = (HIT_START, HIT_END, ELLIPSIS, SNIPPET_TOKENS)
        if conversation_id is not None:
            bounds = self._one(
                "SELECT MIN(id), MAX(id) FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            )
            if bounds[0] is None:
                return []
            # The rowid range lets FTS5 skip the rest of a long doclist.
            sql = (
                f"SELECT {columns} {joins} "
                "WHERE messages_fts MATCH ? AND messages_fts.rowid BETWEEN ? AND ? "
                "AND m.conversation_id = ? AND c.deleted_at IS NULL "
                "ORDER BY bm25(messages_fts) LIMIT ?"
            )
            params: tuple[Any, ...] = (*marks, match, *bounds, conversation_id, limit)
        else:
            # The rowid of the rank_window-th newest match (FTS5 walks rowids cheaply, no
            # scoring); None when there are fewer matches, and then all of them are ranked.
            cutoff = self._one(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
                "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                (match, max(rank_window, 1) - 1),
            )
            # ORDER BY the hidden `rank` column lets FTS5 sort internally and stop at LIMIT,
            # so snippets are only made for the rows returned.
            sql = (
                f"SELECT {columns} {joins} WHERE messages_fts MATCH ? "
                "AND messages_fts.rowid >= ? AND c.deleted_at IS NULL "
                "ORDER BY messages_fts.rank LIMIT ?"
            )
            params = (*marks, match, cutoff[0] if cutoff else 0, limit)
        rows = self._all(sql, params)
        return [SearchHit(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    # --- app state ------------------------------------------------------------------------

    def set_state(self, key: str, value: Any) -> None:
        """Store a small JSON value under `key` (window geometry, last search, ...)."""
        text = json.dumps(value, ensure_ascii=False)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO app_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, text),
            )

    def get_state(self, key: str, default: Any = None) -> Any:
        row = self._one("SELECT value FROM app_state WHERE key = ?", (key,))
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    def save_open_tabs(self, tabs: Sequence[OpenTab], selected: int | None) -> None:
        if selected is not None and not 0 <= selected < len(tabs):
            selected = None
        self.set_state(TABS_KEY, {"tabs": [_tab_json(t) for t in tabs], "selected": selected})

    def load_open_tabs(self) -> TabsState:
        """The tabs saved last, minus those whose conversation was deleted since."""
        data = self.get_state(TABS_KEY)
        if not isinstance(data, dict) or not isinstance(data.get("tabs"), list):
            return TabsState()
        wanted = [
            t["conversation_id"]
            for t in data["tabs"]
            if isinstance(t, dict) and type(t.get("conversation_id")) is int
        ]
        live = set()
        if wanted:
            marks = ", ".join("?" for _ in wanted)
            live = {
                int(r[0])
                for r in self._all(
                    f"SELECT id FROM conversations WHERE deleted_at IS NULL AND id IN ({marks})",
                    wanted,
                )
            }
        selected = data.get("selected")
        tabs: list[OpenTab] = []
        new_selected: int | None = None
        for index, item in enumerate(data["tabs"]):
            if not isinstance(item, dict):
                continue
            cid = item.get("conversation_id")
            tier = item.get("tier_id")
            if cid is not None and (type(cid) is not int or cid not in live):
                continue
            if index == selected:
                new_selected = len(tabs)
            kind = item.get("kind")
            view = item.get("view")
            tabs.append(
                OpenTab(
                    cid,
                    tier if isinstance(tier, str) else None,
                    kind if kind in ("chat", "comparison") else "chat",
                    view if isinstance(view, dict) else None,
                )
            )
        if new_selected is None and tabs and isinstance(selected, int):
            new_selected = min(max(selected, 0), len(tabs) - 1)
        return TabsState(tuple(tabs), new_selected)

    # --- totals ---------------------------------------------------------------------------

    def totals(
        self,
        conversation_id: int | None = None,
        *,
        since: float | None = None,
        until: float | None = None,
        demo: bool | None = None,
    ) -> Totals:
        """Spend and finished turns of one conversation, or of everything stored.

        `since`/`until` (Unix seconds) limit it to replies started in that span (today, this
        month); `demo` to demo replies (True) or billed ones (False). Replies of conversations
        in the trash still count: they were paid for. Purged ones are gone.
        """
        where = ["status != 'streaming'"]
        params: list[Any] = []
        if demo is not None:
            where.append("demo = ?")
            params.append(int(demo))
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        if since is not None:
            where.append("started_at >= ?")
            params.append(since)
        if until is not None:
            where.append("started_at < ?")
            params.append(until)
        row = self._one(
            "SELECT COUNT(*), COALESCE(SUM(cost_usd), 0), COUNT(cost_usd), "
            "COALESCE(MAX(cost_source = 'estimated' AND cost_usd IS NOT NULL), 0), "
            "COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
            f"FROM replies WHERE {' AND '.join(where)}",
            params,
        )
        return Totals(
            turns=row[0],
            cost_usd=float(row[1]),
            priced_turns=row[2],
            includes_estimates=bool(row[3]),
            prompt_tokens=row[4],
            completion_tokens=row[5],
        )

    # --- export / import ------------------------------------------------------------------

    def export_json(self, conversation_id: int) -> dict[str, Any]:
        """The conversation with every message and turn (see `store.export`)."""
        conversation = self.get_conversation(conversation_id)
        messages = self.load_messages(conversation_id, include_alternatives=True)
        from desktop_app.store import export as _export  # at first use: not at start-up

        return _export.to_json(
            conversation,
            messages,
            self.totals(conversation_id),
            self.schema_version,
            self.votes(conversation_id=conversation_id),
        )

    def export_json_text(self, conversation_id: int) -> str:
        return json.dumps(self.export_json(conversation_id), ensure_ascii=False, indent=2) + "\n"

    def export_markdown(self, conversation_id: int) -> str:
        conversation = self.get_conversation(conversation_id)
        messages = self.load_messages(conversation_id, include_alternatives=True)
        from desktop_app.store import export as _export

        return _export.to_markdown(
            conversation,
            messages,
            self.totals(conversation_id),
            self.votes(conversation_id=conversation_id),
        )

    def import_json(self, data: str | bytes | Mapping[str, Any]) -> int:
        """Create a new conversation from an export; `ImportFormatError` says what is wrong."""
        from desktop_app.store import export as _export

        parsed = _export.parse_import(data)
        now = self._clock()
        with self._tx() as conn:
            return _export.insert_import(conn, parsed, now)
