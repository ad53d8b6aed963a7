"""HistoryStore: conversations, messages, streamed replies, alternatives, tabs, search, totals."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import CostSource, ToolCall, TurnResult, TurnStatus, Usage
from desktop_app.store import (
    HIT_END,
    HIT_START,
    SCHEMA_VERSION,
    HistoryStore,
    NotFoundError,
    OpenTab,
    ReplyStatus,
    StoreAccessError,
    StoreError,
    TabsState,
    TurnResultLike,
    make_title,
    split_snippet,
)
from desktop_app.store.text import fts_query

REPO_ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    """Each call is one second later: deterministic ordering of everything."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "routechat.sqlite3"


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[HistoryStore]:
    s = HistoryStore.open(db_path, clock=clock)
    yield s
    s.close()


def read_only(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """What another process would see: a separate connection to the file."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def fts_integrity(store: HistoryStore) -> None:
    conn = sqlite3.connect(store.path)
    try:
        # For an external-content table, rank=1 also compares the index with the content table.
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


def complete(text: str, **kw: object) -> TurnResult:
    result = TurnResult(
        text=text,
        model="openai/gpt-4o",
        usage=Usage(prompt_tokens=12, completion_tokens=34, total_tokens=46, cached_tokens=5),
        cost_usd=0.00042,
        cost_source=CostSource.REPORTED,
        finish_reason="stop",
        ttft_ms=312.5,
        total_ms=1840.0,
        status=TurnStatus.COMPLETE,
    )
    for k, v in kw.items():
        setattr(result, k, v)
    return result


# --- opening -----------------------------------------------------------------------------


def test_open_creates_schema_with_pragmas(store: HistoryStore, db_path: Path) -> None:
    assert db_path.exists()
    assert store.report.created
    assert store.report.moved_aside is None
    assert store.report.backup_path is None
    assert store.report.notices() == []
    assert store.schema_version == SCHEMA_VERSION
    conn = store._conn_or_raise()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"conversations", "messages", "replies", "app_state", "messages_fts"} <= tables


def test_no_column_can_hold_a_key(store: HistoryStore) -> None:
    conn = store._conn_or_raise()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        if table.startswith("messages_fts_"):  # FTS5's own shadow tables
            continue
        for col in conn.execute(f"PRAGMA table_info({table})"):
            name = str(col[1]).lower()
            if (table, name) == ("app_state", "key"):  # the key of a key/value table
                continue
            assert "key" not in name
            assert "secret" not in name
            assert "auth" not in name
            assert "token" not in name or name.endswith("_tokens")


def test_reopen_is_not_a_migration(db_path: Path, clock: FakeClock) -> None:
    with HistoryStore.open(db_path, clock=clock) as s:
        cid = s.create_conversation("kept")
    with HistoryStore.open(db_path, clock=clock) as s:
        assert not s.report.created
        assert s.report.migrated_from is None
        assert s.get_conversation(cid).title == "kept"
    assert not list(db_path.parent.glob("*.bak-*"))


def test_closed_store_raises_and_close_is_idempotent(db_path: Path) -> None:
    s = HistoryStore.open(db_path)
    s.close()
    s.close()
    assert s.closed
    with pytest.raises(StoreError):
        s.create_conversation()


# --- conversations -----------------------------------------------------------------------


def test_conversation_crud(store: HistoryStore) -> None:
    cid = store.create_conversation(tier_id="budget")
    c = store.get_conversation(cid)
    assert c.title == ""
    assert c.display_title == "New conversation"
    assert c.tier_id == "budget"
    assert not c.pinned
    assert not c.archived
    assert c.deleted_at is None
    store.rename_conversation(cid, "  Trip\n planning  ")
    assert store.get_conversation(cid).title == "Trip planning"
    store.set_pinned(cid, True)
    store.set_archived(cid, True)
    store.set_conversation_tier(cid, "premium")
    store.save_draft(cid, "half-typed question")
    c = store.get_conversation(cid)
    assert (c.pinned, c.archived, c.tier_id, c.draft) == (
        True,
        True,
        "premium",
        "half-typed question",
    )
    with pytest.raises(NotFoundError):
        store.get_conversation(9999)
    for call in (
        lambda: store.rename_conversation(9999, "x"),
        lambda: store.set_pinned(9999, True),
        lambda: store.delete_conversation(9999),
        lambda: store.purge_conversation(9999),
        lambda: store.add_user_message(9999, "x"),
    ):
        with pytest.raises(NotFoundError):
            call()


def test_title_from_first_prompt_only_when_untitled(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_user_message(cid, "Explain   the\nCAP theorem " + "in depth " * 20)
    title = store.get_conversation(cid).title
    assert title.startswith("Explain the CAP theorem in depth")
    assert len(title) <= 60
    assert title.endswith("…")
    store.add_user_message(cid, "second prompt")
    assert store.get_conversation(cid).title == title
    named = store.create_conversation("My title")
    store.add_user_message(named, "hello")
    assert store.get_conversation(named).title == "My title"


def test_make_title() -> None:
    assert make_title("  short\n\tprompt ") == "short prompt"
    assert make_title("") == ""
    long = "word " * 30
    t = make_title(long)
    assert len(t) <= 60
    assert t.endswith("word…")
    assert "  " not in t
    assert make_title("x" * 100) == "x" * 59 + "…"
    assert len(make_title("a" * 58 + " " + "b" * 10)) <= 60


def test_list_newest_first_pinned_first_and_day(store: HistoryStore) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    c = store.create_conversation("c")
    store.add_user_message(a, "bump a")  # a is now the most recent
    assert [x.id for x in store.list_conversations()] == [a, c, b]
    store.set_pinned(b, True)
    assert [x.id for x in store.list_conversations()] == [b, a, c]
    assert [x.id for x in store.list_conversations(pinned_first=False)] == [a, c, b]
    assert [x.id for x in store.list_conversations(limit=2, offset=1)] == [a, c]
    store.set_archived(c, True)
    assert c not in [x.id for x in store.list_conversations()]
    assert [x.id for x in store.list_conversations(archived_only=True)] == [c]
    assert c in [x.id for x in store.list_conversations(include_archived=True)]
    first = store.list_conversations()[0]
    assert first.day.year == 2023  # FakeClock starts in Nov 2023


def test_soft_delete_restore_purge(store: HistoryStore, db_path: Path) -> None:
    cid = store.create_conversation()
    uid = store.add_user_message(cid, "findable needle")
    rid = store.begin_reply(cid, parent_id=uid)
    store.finish_reply(rid, complete("needle answer"))
    other = store.create_conversation()
    store.delete_conversation(cid)
    assert [c.id for c in store.list_conversations()] == [other]
    assert [c.id for c in store.list_deleted()] == [cid]
    assert store.search("needle") == []
    store.restore_conversation(cid)
    assert {c.id for c in store.list_conversations()} == {cid, other}
    assert len(store.search("needle")) == 2
    store.delete_conversation(cid)
    store.purge_conversation(cid)
    assert store.list_deleted() == []
    assert read_only(db_path, "SELECT count(*) FROM messages") == [(0,)]
    assert read_only(db_path, "SELECT count(*) FROM replies") == [(0,)]
    assert store.search("needle") == []
    fts_integrity(store)


def test_purge_deleted_older_than(store: HistoryStore, clock: FakeClock) -> None:
    old = store.create_conversation()
    store.delete_conversation(old)
    cutoff = clock.now + 0.5
    new = store.create_conversation()
    store.delete_conversation(new)
    assert store.purge_deleted(older_than=cutoff) == 1
    assert [c.id for c in store.list_deleted()] == [new]
    assert store.purge_deleted() == 1
    assert store.list_deleted() == []


# --- messages and streamed replies -------------------------------------------------------


def test_prompt_is_committed_before_the_request(store: HistoryStore, db_path: Path) -> None:
    cid = store.create_conversation()
    mid = store.add_user_message(cid, "survives a crash")
    rows = read_only(db_path, "SELECT role, content FROM messages WHERE id = ?", (mid,))
    assert rows == [("user", "survives a crash")]


def test_streaming_reply_lifecycle(store: HistoryStore, db_path: Path) -> None:
    cid = store.create_conversation(tier_id="balanced")
    uid = store.add_user_message(cid, "What is the capital of France?")
    rid = store.begin_reply(
        cid,
        parent_id=uid,
        requested_tier_id="balanced",
        candidates=["openai/gpt-4o", "google/gemini-2.0-flash"],
        requested_model="@edenai",
    )
    reply = store.get_message(rid).reply
    assert reply is not None
    assert reply.status is ReplyStatus.STREAMING
    assert reply.candidates == ("openai/gpt-4o", "google/gemini-2.0-flash")
    store.update_reply_text(rid, "The capital", routed_model="openai/gpt-4o")
    assert read_only(db_path, "SELECT routed_model FROM replies WHERE message_id = ?", (rid,)) == [
        ("openai/gpt-4o",)
    ]
    # Another connection (the next process after a crash) sees the partial text.
    assert read_only(db_path, "SELECT content FROM messages WHERE id = ?", (rid,)) == [
        ("The capital",)
    ]
    calls = [ToolCall(0, "call_1", "lookup", '{"q": "France"}')]
    store.finish_reply(
        rid,
        complete("The capital of France is Paris.", tool_calls=calls),
        retry_count=1,
        fallback_used=True,
    )
    store.update_reply_text(rid, "late write must be ignored")
    msgs = store.load_messages(cid)
    assert [m.role for m in msgs] == ["user", "assistant"]
    m = msgs[1]
    assert m.content == "The capital of France is Paris."
    assert m.parent_id == uid
    assert m.is_chosen
    assert m.tool_calls == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": "France"}'},
        }
    ]
    r = m.reply
    assert r is not None
    assert r.status is ReplyStatus.COMPLETE
    assert (r.requested_tier_id, r.requested_model, r.routed_model) == (
        "balanced",
        "@edenai",
        "openai/gpt-4o",
    )
    assert (r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cached_tokens) == (
        12,
        34,
        46,
        5,
    )
    assert (r.cost_usd, r.cost_source) == (0.00042, "reported")
    assert (r.ttft_ms, r.total_ms, r.finish_reason) == (312.5, 1840.0, "stop")
    assert (r.retry_count, r.fallback_used) == (1, True)
    assert r.finished_at is not None
    assert r.finished_at > r.started_at
    assert r.error_kind is None
    assert m.to_api()["tool_calls"][0]["id"] == "call_1"
    assert store.get_conversation(cid).updated_at == r.finished_at


def test_failed_and_stopped_replies(store: HistoryStore) -> None:
    cid = store.create_conversation()
    uid = store.add_user_message(cid, "q")
    rid = store.begin_reply(cid, parent_id=uid)
    err = ApiError(ErrorKind.CREDITS, "Your Eden AI account has no credits left", status=402)
    failed = TurnResult(status=TurnStatus.FAILED, error=err, total_ms=120.0)
    store.finish_reply(rid, failed)
    r = store.get_message(rid).reply
    assert r is not None
    assert (r.status, r.error_kind, r.error_status) == (ReplyStatus.FAILED, "credits", 402)
    assert r.error_message == "Your Eden AI account has no credits left"
    assert r.cost_usd is None
    assert r.cost_source == "unknown"
    assert r.routed_model is None
    rid2 = store.begin_reply(cid, parent_id=uid)
    store.update_reply_text(rid2, "partial")
    store.finish_reply(rid2, TurnResult(text="partial", status=TurnStatus.STOPPED))
    r2 = store.get_message(rid2).reply
    assert r2 is not None
    assert r2.status is ReplyStatus.STOPPED
    with pytest.raises(ValueError, match="status"):
        store.finish_reply(rid2, TurnResult(status="streaming"))  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        store.finish_reply(uid, TurnResult())  # a prompt is not a reply
    with pytest.raises(NotFoundError):
        store.finish_reply(424242, TurnResult())


def test_non_finite_numbers_are_not_stored(store: HistoryStore) -> None:
    cid = store.create_conversation()
    rid = store.begin_reply(cid)
    store.finish_reply(rid, TurnResult(cost_usd=float("nan"), total_ms=float("inf")))
    r = store.get_message(rid).reply
    assert r is not None
    assert r.cost_usd is None
    assert r.total_ms is None


def test_turn_result_satisfies_the_protocol() -> None:
    result: TurnResultLike = TurnResult()  # mypy checks this structurally
    assert result.status == "complete"


def test_recover_interrupted_after_close_without_finish(db_path: Path) -> None:
    with HistoryStore.open(db_path) as s:
        cid = s.create_conversation()
        uid = s.add_user_message(cid, "long question")
        rid = s.begin_reply(cid, parent_id=uid, requested_tier_id="fast")
        s.set_routed_model(rid, "google/gemini-2.0-flash")
        s.update_reply_text(rid, "half of the ans")
    with HistoryStore.open(db_path) as s:
        assert [(i.message_id, i.conversation_id, i.text_length) for i in s.report.interrupted] == [
            (rid, cid, len("half of the ans"))
        ]
        assert any("cut off" in n for n in s.report.notices())
        m = s.get_message(rid)
        assert m.content == "half of the ans"
        assert m.reply is not None
        assert m.reply.status is ReplyStatus.INTERRUPTED
        assert m.reply.routed_model == "google/gemini-2.0-flash"
        assert m.reply.error_kind == "interrupted"
        assert m.reply.finished_at is not None
        assert s.recover_interrupted() == []


def test_recover_after_the_process_is_killed(db_path: Path) -> None:
    """SIGKILL mid-stream: the prompt and the text saved so far survive."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from desktop_app.store import HistoryStore
        s = HistoryStore.open({str(db_path)!r})
        cid = s.create_conversation()
        uid = s.add_user_message(cid, "prompt before the kill")
        rid = s.begin_reply(cid, parent_id=uid)
        text = ""
        for i in range(5):
            text += f"chunk{{i}} "
            s.update_reply_text(rid, text)
        print(rid, flush=True)
        time.sleep(60)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        rid = int(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert db_path.with_name(db_path.name + "-wal").stat().st_size > 0  # unclean shutdown
    with HistoryStore.open(db_path) as s:
        # "auto" leaves the full check after an unclean shutdown to the background job.
        assert not s.report.integrity_checked
        assert s.report.integrity_check_due
        assert [i.message_id for i in s.report.interrupted] == [rid]
        msgs = s.load_messages(s.list_conversations()[0].id)
        assert [m.content for m in msgs] == [
            "prompt before the kill",
            "chunk0 chunk1 chunk2 chunk3 chunk4 ",
        ]


def test_other_messages_and_edits(store: HistoryStore) -> None:
    cid = store.create_conversation()
    sys_id = store.add_message(cid, "system", "You are terse.")
    uid = store.add_user_message(cid, "weather?")
    rid = store.begin_reply(cid, parent_id=uid)
    store.finish_reply(
        rid,
        TurnResult(tool_calls=[ToolCall(0, "c1", "weather", "{}")], finish_reason="tool_calls"),
    )
    tid = store.add_message(cid, "tool", '{"temp": 21}', tool_call_id="c1", parent_id=rid)
    msgs = store.load_messages(cid)
    assert [m.id for m in msgs] == [sys_id, uid, rid, tid]
    assert [m.position for m in msgs] == [0, 1, 2, 3]
    assert msgs[3].to_api() == {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "c1"}
    with pytest.raises(ValueError, match="role"):
        store.add_message(cid, "wizard", "x")
    store.edit_message(uid, "weather today?")
    assert store.get_message(uid).content == "weather today?"
    store.delete_message(uid)  # its reply goes with it (and the tool result with the reply)
    assert [m.id for m in store.load_messages(cid)] == [sys_id]
    with pytest.raises(NotFoundError):
        store.edit_message(uid, "x")
    with pytest.raises(NotFoundError):
        store.delete_message(uid)
    with pytest.raises(NotFoundError):
        store.get_message(uid)
    with pytest.raises(NotFoundError):
        store.load_messages(9999)
    assert store.load_messages(store.create_conversation()) == []


def test_alternatives_and_choose(store: HistoryStore) -> None:
    cid = store.create_conversation()
    uid = store.add_user_message(cid, "compare this")
    a = store.begin_reply(cid, parent_id=uid, requested_tier_id="budget")
    b = store.begin_reply(cid, parent_id=uid, requested_tier_id="premium", chosen=False)
    c = store.begin_reply(cid, parent_id=uid, requested_model="openai/gpt-4o", chosen=False)
    for rid, text in ((a, "cheap"), (b, "fancy"), (c, "fixed")):
        store.finish_reply(rid, TurnResult(text=text))
    later = store.add_user_message(cid, "follow-up")
    assert [m.content for m in store.load_messages(cid)] == ["compare this", "cheap", "follow-up"]
    assert [m.id for m in store.alternatives(b)] == [a, b, c]
    store.choose_reply(b)
    assert [m.content for m in store.load_messages(cid)] == ["compare this", "fancy", "follow-up"]
    chosen = {m.id: m.is_chosen for m in store.alternatives(a)}
    assert chosen == {a: False, b: True, c: False}
    assert len(store.load_messages(cid, include_alternatives=True)) == 5
    lone = store.begin_reply(cid)
    assert [m.id for m in store.alternatives(lone)] == [lone]
    with pytest.raises(NotFoundError):
        store.choose_reply(later)
    assert store.totals(cid).turns == 3  # the lone reply is still streaming


# --- search ------------------------------------------------------------------------------


def test_search_finds_highlights_and_ranks(store: HistoryStore) -> None:
    c1 = store.create_conversation()
    store.add_user_message(c1, "How do I cook risotto with mushrooms?")
    r = store.begin_reply(c1)
    store.finish_reply(r, TurnResult(text="Risotto: toast the rice, add stock. Risotto risotto!"))
    c2 = store.create_conversation()
    store.add_user_message(c2, "Café culture in Vienna")
    hits = store.search("risotto")
    assert [h.message_id for h in hits] == [r, r - 1]  # more occurrences rank first
    assert hits[0].conversation_id == c1
    assert hits[0].conversation_title.startswith("How do I cook risotto")
    assert hits[0].role == "assistant"
    assert hits[0].rank <= hits[1].rank
    assert f"{HIT_START}Risotto{HIT_END}" in hits[0].snippet
    parts = split_snippet(hits[1].snippet)
    assert ("risotto", True) in parts
    assert "".join(t for t, _ in parts) == "How do I cook risotto with mushrooms?"
    assert [h.conversation_id for h in store.search("cafe")] == [c2]  # diacritics folded
    assert [h.conversation_id for h in store.search("vien")] == [c2]  # prefix of the last word
    assert store.search("risotto vienna") == []  # every word must occur
    assert [h.message_id for h in store.search('"toast the rice"')] == [r]
    assert store.search("risotto", conversation_id=c2) == []
    assert len(store.search("risotto", limit=1)) == 1


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ('"', False),  # nothing to search for
        ("AND", True),  # the word, not the operator
        ("OR risotto", False),  # both words must occur; "or" does not
        ("(", False),
        ("NEAR(a b)", False),  # words "near", "a", "b": not in the message
        ("*", False),
        ("risotto*", True),
        ("-x", False),  # the word "x", not "everything but x"
        ("col:val", True),  # the phrase "col val", not a column filter
        ("^", False),
        ("'", False),
        ("   ", False),
    ],
)
def test_search_takes_user_syntax_as_words(store: HistoryStore, query: str, found: bool) -> None:
    """FTS5 operators typed by the user are searched as words: never a syntax error, and
    never an operator that changes what is found."""
    cid = store.create_conversation()
    mid = store.add_user_message(cid, "risotto AND col val")
    hits = store.search(query)
    assert [h.message_id for h in hits] == ([mid] if found else [])


def test_search_ranks_within_the_newest_matches(store: HistoryStore) -> None:
    cid = store.create_conversation()
    best = store.add_user_message(cid, "apple apple apple apple")
    newer = [store.add_user_message(cid, f"apple and {w} words here") for w in "xyz"]
    assert store.search("apple")[0].message_id == best  # all 4 ranked: bm25 prefers it
    window = store.search("apple", rank_window=2)
    assert {h.message_id for h in window} == set(newer[-2:])


def test_search_in_one_conversation(store: HistoryStore) -> None:
    a = store.create_conversation()
    store.add_user_message(a, "kiwi in a")
    b = store.create_conversation()
    hit = store.add_user_message(b, "kiwi kiwi in b")
    store.add_user_message(b, "kiwi once more in b")
    c = store.create_conversation()
    store.add_user_message(c, "kiwi in c")
    hits = store.search("kiwi", conversation_id=b)
    assert [h.conversation_id for h in hits] == [b, b]
    assert hits[0].message_id == hit
    assert store.search("kiwi", conversation_id=store.create_conversation()) == []
    assert len(store.search("kiwi")) == 4


def test_fts_query_builder() -> None:
    assert fts_query("  ") is None
    assert fts_query("!!! ???") is None
    assert fts_query("foo bar") == '"foo" "bar"*'
    assert fts_query('say "hi there" x"y') == '"say" "hi there" "x""y"*'
    assert fts_query("foo", prefix_last=False) == '"foo"'
    assert fts_query("foo th") == '"foo" "th"'  # too short to be a prefix


def test_split_snippet_edges() -> None:
    assert split_snippet("") == []
    assert split_snippet("plain") == [("plain", False)]
    assert split_snippet(f"{HIT_START}a{HIT_END}b{HIT_START}c") == [
        ("a", True),
        ("b", False),
        ("c", True),
    ]


def test_search_stays_in_sync_with_edits_and_deletes(store: HistoryStore) -> None:
    cid = store.create_conversation()
    uid = store.add_user_message(cid, "original walrus")
    rid = store.begin_reply(cid, parent_id=uid)
    store.update_reply_text(rid, "streaming pelican")
    assert [h.message_id for h in store.search("pelican")] == [rid]
    store.update_reply_text(rid, "streaming pelican and flamingo")
    store.finish_reply(rid, TurnResult(text="final heron"))
    assert store.search("pelican") == []
    assert store.search("flamingo") == []
    assert [h.message_id for h in store.search("heron")] == [rid]
    store.edit_message(uid, "edited narwhal")
    assert store.search("walrus") == []
    assert [h.message_id for h in store.search("narwhal")] == [uid]
    store.delete_message(uid)
    assert store.search("narwhal") == []
    assert store.search("heron") == []
    fts_integrity(store)


# --- app state and totals ----------------------------------------------------------------


def test_open_tabs_roundtrip(store: HistoryStore) -> None:
    assert store.load_open_tabs() == TabsState()
    a = store.create_conversation()
    b = store.create_conversation()
    c = store.create_conversation()
    tabs = [OpenTab(a, "budget"), OpenTab(None, "premium"), OpenTab(b), OpenTab(c, "code")]
    store.save_open_tabs(tabs, selected=2)
    assert store.load_open_tabs() == TabsState(tuple(tabs), 2)
    store.delete_conversation(b)  # the selected tab's conversation goes to the trash
    state = store.load_open_tabs()
    assert state.tabs == (OpenTab(a, "budget"), OpenTab(None, "premium"), OpenTab(c, "code"))
    assert state.selected == 2
    store.save_open_tabs(tabs, selected=17)
    assert store.load_open_tabs().selected is None
    store.save_open_tabs([], selected=None)
    assert store.load_open_tabs() == TabsState()


def test_malformed_app_state_is_ignored(store: HistoryStore) -> None:
    store._conn_or_raise().execute("INSERT INTO app_state VALUES ('open_tabs', 'not json{')")
    assert store.load_open_tabs() == TabsState()
    store.set_state("open_tabs", {"tabs": [1, {"conversation_id": "x"}, {"tier_id": 3}]})
    assert store.load_open_tabs() == TabsState((OpenTab(None, None),), None)
    store.set_state("geometry", [1, 2, 3])
    assert store.get_state("geometry") == [1, 2, 3]
    assert store.get_state("missing", "dflt") == "dflt"


def test_totals(store: HistoryStore, clock: FakeClock) -> None:
    assert store.totals().turns == 0
    assert store.totals().cost_usd == 0.0
    c1 = store.create_conversation()
    r1 = store.begin_reply(c1)
    store.finish_reply(r1, complete("a"))  # 0.00042 reported, 12 + 34 tokens
    session_start = clock.now + 0.5
    r2 = store.begin_reply(c1)
    store.finish_reply(r2, complete("b", cost_usd=0.001, cost_source=CostSource.ESTIMATED))
    c2 = store.create_conversation()
    r3 = store.begin_reply(c2)
    store.finish_reply(r3, TurnResult(status=TurnStatus.FAILED))
    store.begin_reply(c2)  # still streaming: not counted
    t1 = store.totals(c1)
    assert (t1.turns, t1.priced_turns, t1.includes_estimates) == (2, 2, True)
    assert t1.cost_usd == pytest.approx(0.00142)
    assert (t1.prompt_tokens, t1.completion_tokens) == (24, 68)
    t2 = store.totals(c2)
    assert (t2.turns, t2.priced_turns, t2.cost_usd, t2.includes_estimates) == (1, 0, 0.0, False)
    everything = store.totals()
    assert everything.turns == 3
    assert everything.cost_usd == pytest.approx(0.00142)
    session = store.totals(since=session_start)
    assert session.turns == 2
    assert session.cost_usd == pytest.approx(0.001)
    store.delete_conversation(c1)  # money spent stays spent while in the trash
    assert store.totals().turns == 3


# --- failures while running ----------------------------------------------------------------


def test_disk_full_is_a_typed_error_and_rolls_back(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_user_message(cid, "fits")
    before = store.get_conversation(cid)
    conn = store._conn_or_raise()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the "disk" is now full
    with pytest.raises(StoreAccessError, match="the disk is full") as info:
        store.add_user_message(cid, "does not fit " * 10_000)
    assert not info.value.damaged
    assert isinstance(info.value, StoreError)
    assert not conn.in_transaction
    assert [m.content for m in store.load_messages(cid)] == ["fits"]
    assert store.get_conversation(cid) == before  # updated_at was rolled back too
    conn.execute("PRAGMA max_page_count = 1073741823")
    store.add_user_message(cid, "fits again")


def test_damage_seen_at_runtime_forces_a_full_check_next_time(db_path: Path) -> None:
    with HistoryStore.open(db_path) as s:
        error = s._access_error(sqlite3.DatabaseError("database disk image is malformed"))
        assert error.damaged
        assert "check and repair" in str(error)
    marker = db_path.with_name(db_path.name + ".check")
    assert marker.exists()
    with HistoryStore.open(db_path) as s:
        assert s.report.integrity_checked
    assert not marker.exists()
    with HistoryStore.open(db_path) as s:
        assert not s.report.integrity_checked


def test_a_regenerated_reply_becomes_the_answer_and_the_old_one_an_alternative(
    tmp_path: Path,
) -> None:
    with HistoryStore.open(tmp_path / "regen.sqlite3") as store:
        cid = store.create_conversation()
        uid = store.add_user_message(cid, "hi")
        first = store.begin_reply(cid, parent_id=uid)
        second = store.begin_reply(cid, parent_id=uid)
        assert [m.id for m in store.load_messages(cid)] == [uid, second]
        assert [m.id for m in store.alternatives(second)] == [first, second]
