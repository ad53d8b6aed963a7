"""The statistics' SQL: the per-day sums the triggers keep (always equal to summing every reply
again), percentiles, dropped candidates, win rates from votes, the read-only reader."""

from __future__ import annotations

import random
import sqlite3
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop_app.store import HistoryStore, StoreAccessError
from desktop_app.store.stats import StatsFilter, StatsReader, local_midnight
from tests.support.turns import Clock, add_turn

DAY = 86400.0
TODAY = date(2025, 6, 15)
NOON = local_midnight(TODAY) + 12 * 3600


def open_store(tmp_path: Path, clock: Clock) -> HistoryStore:
    return HistoryStore.open(tmp_path / "h.sqlite3", clock=clock)


RAW_GROUPS = """
SELECT date(started_at, 'unixepoch', 'localtime'), COALESCE(requested_tier_id, 'unknown'),
    COALESCE(routed_model, ''),
    CASE WHEN status IN ('failed', 'interrupted') THEN COALESCE(error_kind, 'unknown') ELSE '' END,
    column_index IS NOT NULL, COUNT(*),
    ROUND(TOTAL(CASE WHEN cost_source = 'reported' THEN cost_usd END), 9),
    ROUND(TOTAL(CASE WHEN cost_source = 'estimated' THEN cost_usd END), 9),
    SUM(cost_usd IS NULL OR cost_source = 'unknown'), TOTAL(prompt_tokens),
    TOTAL(completion_tokens), SUM(retry_count), SUM(fallback_used),
    SUM(selection IS 'ranked'), SUM(selection IS 'single'), SUM(selection IS 'default')
FROM replies WHERE demo = 0 AND status != 'streaming' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
"""
KEPT_GROUPS = """
SELECT day, tier, model, failure, compared, requests, ROUND(cost_reported, 9),
    ROUND(cost_estimated, 9), unknown_cost, prompt_tokens, completion_tokens, retries, fallbacks,
    ranked, single, defaulted
FROM reply_days ORDER BY 1, 2, 3, 4, 5
"""
RAW_DROPPED = """
SELECT date(r.started_at, 'unixepoch', 'localtime'), COALESCE(r.requested_tier_id, 'unknown'),
    d.value, r.column_index IS NOT NULL, COUNT(*)
FROM replies AS r, json_each(r.routing, '$.auto.dropped') AS d
WHERE r.demo = 0 AND r.status != 'streaming' AND d.type = 'text' GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
"""


def rows(store: HistoryStore, sql: str) -> list[tuple[Any, ...]]:
    conn = store._conn
    assert conn is not None
    return [tuple(float(v) if isinstance(v, float) else v for v in r) for r in conn.execute(sql)]


def assert_kept_in_step(store: HistoryStore) -> None:
    assert rows(store, KEPT_GROUPS) == rows(store, RAW_GROUPS)
    assert rows(store, "SELECT * FROM reply_dropped ORDER BY 1, 2, 3, 4") == rows(
        store, RAW_DROPPED
    )


def test_the_daily_sums_stay_equal_to_summing_every_reply(tmp_path: Path) -> None:
    """Every way a reply comes, changes and goes: finished, recovered after a crash, imported,
    deleted, purged with its conversation, demo ones never."""
    rng = random.Random(5)
    clock = Clock(NOON)
    store = open_store(tmp_path, clock)
    conversations = [store.create_conversation() for _ in range(4)]
    tiers = ["balanced", "budget", None, "model:openai/gpt-4o", "custom"]
    models = ["openai/gpt-4o", "google/gemini-2.0-flash", None]
    replies: list[int] = []
    for _ in range(120):
        clock.now = NOON - rng.randint(0, 40) * DAY + rng.randint(-40000, 40000)
        action = rng.random()
        if action < 0.6 or not replies:
            failed = rng.random() < 0.2
            replies.append(
                add_turn(
                    store,
                    rng.choice(conversations),
                    tier=rng.choice(tiers),
                    model=rng.choice(models),
                    cost=rng.choice([None, 0.0, rng.random() / 100]),
                    source=rng.choice(["reported", "estimated", "unknown"]),
                    status=rng.choice(["failed", "interrupted"]) if failed else "complete",
                    error=rng.choice(["server", "timeout"]) if failed else None,
                    selection=rng.choice(["ranked", "single", "default", None]),
                    dropped=rng.choice([(), ("acme/x",), ("acme/x", "acme/y")]),
                    demo=rng.random() < 0.2,
                    retries=rng.randint(0, 2),
                    fallback=rng.random() < 0.2,
                    column=rng.choice([None, None, 0, 1]),
                )
            )
        elif action < 0.7:
            store.delete_message(replies.pop(rng.randrange(len(replies))))
        elif action < 0.8:  # a reply left streaming by a crash, recovered at the next open
            cid = rng.choice(conversations)
            uid = store.add_user_message(cid, "q")
            store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
            assert store.recover_interrupted()
        elif action < 0.9:
            export = store.export_json(rng.choice(conversations))
            conversations.append(store.import_json(export))
        elif len(conversations) > 2:
            store.purge_conversation(conversations.pop(rng.randrange(len(conversations))))
            live = {r[0] for r in rows(store, "SELECT message_id FROM replies")}
            replies = [r for r in replies if r in live]
        assert_kept_in_step(store)
    assert rows(store, "SELECT COUNT(*) FROM reply_days")[0][0] > 10
    store.close()


def test_a_streaming_reply_counts_once_it_ends(tmp_path: Path) -> None:
    store = open_store(tmp_path, Clock(NOON))
    cid = store.create_conversation()
    uid = store.add_user_message(cid, "q")
    rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="budget")
    store.update_reply_text(rid, "partial", routed_model="openai/gpt-4o-mini")
    assert rows(store, "SELECT COUNT(*) FROM reply_days") == [(0,)]
    add_turn(store, cid, parent_id=uid, tier="budget")
    assert rows(store, "SELECT SUM(requests) FROM reply_days") == [(1,)]
    assert_kept_in_step(store)
    store.close()


def seeded(tmp_path: Path) -> Path:
    """A small history: today, yesterday and 40 days ago, a comparison, a demo reply."""
    clock = Clock(NOON)
    store = open_store(tmp_path, clock)
    chat = store.create_conversation()
    for i in range(10):
        add_turn(store, chat, ttft=float(100 * (i + 1)), total=float(1000 * (i + 1)))
    add_turn(store, chat, tier="budget", model="openai/gpt-4o-mini", cost=None, source="unknown")
    add_turn(store, chat, tier="budget", model=None, status="failed", error="rate_limited",
             cost=None, source="unknown", ttft=None)  # fmt: skip
    add_turn(store, chat, demo=True, cost=5.0)
    clock.now = NOON - DAY
    add_turn(store, chat, tier="code", cost=0.5, source="estimated", dropped=["acme/x"])
    clock.now = NOON - 40 * DAY
    add_turn(store, chat, tier="code", cost=1.0)
    clock.now = NOON
    comparison = store.create_conversation(kind="comparison")
    prompt = store.add_user_message(comparison, "which is better?")
    for column, tier in enumerate(("balanced", "budget")):
        add_turn(store, comparison, tier=tier, column=column, parent_id=prompt)
    conn = store._conn
    assert conn is not None
    conn.execute(
        "INSERT INTO votes (conversation_id, prompt_id, choice, winner_column, columns, "
        "created_at) VALUES (?, ?, 'column', 1, '[]', ?)",
        (comparison, prompt, NOON),
    )
    store.close()
    return tmp_path / "h.sqlite3"


def test_groups_honour_the_filter(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    with StatsReader(db) as reader:
        everything = reader.groups(StatsFilter())
        assert sum(g.requests for g in everything) == 16  # the demo reply never counts
        today = reader.groups(StatsFilter(TODAY, TODAY + timedelta(days=1)))
        assert sum(g.requests for g in today) == 14
        days = reader.days(StatsFilter(TODAY - timedelta(days=1)))
        assert [(d, n) for d, _cost, n in days] == [
            ((TODAY - timedelta(days=1)).isoformat(), 1),
            (TODAY.isoformat(), 14),
        ]
        assert days[0][1] == pytest.approx(0.5)
        budget = reader.groups(StatsFilter(tier="budget"))
        assert sum(g.requests for g in budget) == 3
        failed = [g for g in budget if g.failure]
        assert [(g.failure, g.requests, g.model) for g in failed] == [("rate_limited", 1, None)]
        assert sum(g.unknown_cost for g in budget) == 2  # unknown, never $0
        compared = reader.groups(StatsFilter(kind="comparisons"))
        assert sum(g.requests for g in compared) == 2
        chats = reader.groups(StatsFilter(kind="conversations"))
        assert sum(g.requests for g in chats) == 14
        code = reader.groups(StatsFilter(tier="code"))
        assert sum(g.cost_estimated for g in code) == pytest.approx(0.5)
        assert sum(g.cost_reported for g in code) == pytest.approx(1.0)


def test_nearest_rank_percentiles(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    f = StatsFilter(TODAY, TODAY + timedelta(days=1), tier="balanced", kind="conversations")
    with StatsReader(db) as reader:
        found = reader.percentiles(f)
        # ttft 100..1000 ms: p50 is the 5th value, p95 the 10th (nearest rank).
        assert found["ttft_ms"]["balanced"] == {50: 500.0, 95: 1000.0}
        assert found["total_ms"]["balanced"] == {50: 5000.0, 95: 10000.0}
        # Over the whole history the indexes give the same answer as sorting.
        whole = StatsFilter(tier="balanced")
        by_index = reader.percentiles(whole, {"balanced": 11})
        by_sort = reader.percentiles(whole)
        assert by_index == by_sort
        assert by_index["ttft_ms"]["balanced"][50] == 500.0  # 11 values: the 6th (300 twice)
        none = reader.percentiles(StatsFilter(tier="nothing"))
        assert none == {"ttft_ms": {}, "total_ms": {}}


def test_percentiles_of_a_large_tier_come_from_a_sample(tmp_path: Path) -> None:
    clock = Clock(NOON)
    store = open_store(tmp_path, clock)
    cid = store.create_conversation()
    for i in range(1, 401):
        add_turn(store, cid, ttft=float(i), total=float(i))
    store.close()
    f = StatsFilter(TODAY, TODAY + timedelta(days=1))  # a period: not the whole history
    with StatsReader(tmp_path / "h.sqlite3") as reader:
        exact = reader.percentiles(f)["ttft_ms"]["balanced"]
        sampled = reader.percentiles(f, {"balanced": 400}, sample=40)["ttft_ms"]["balanced"]
    assert exact == {50: 200.0, 95: 380.0}
    assert sampled != exact  # read off about 40 of the 400
    assert abs(sampled[50] - 200) <= 40 and abs(sampled[95] - 380) <= 30


def test_dropped_candidates_and_votes(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    with StatsReader(db) as reader:
        assert reader.dropped(StatsFilter()) == [("code", "acme/x", 1)]
        assert reader.dropped(StatsFilter(TODAY)) == []
        votes = reader.votes(StatsFilter())
        assert [(v.tier, v.votes, v.wins, v.ties) for v in votes] == [
            ("balanced", 1, 0, 0),
            ("budget", 1, 1, 0),
        ]
        assert reader.votes(StatsFilter(TODAY + timedelta(days=1))) == []  # cast before that
        assert reader.tiers() == ["balanced", "budget", "code"]
        longest = reader.longest(StatsFilter(), 2)
        assert len(longest) == 2 and longest[0].completion_tokens == 20


def test_votes_without_any_vote(tmp_path: Path) -> None:
    store = open_store(tmp_path, Clock(NOON))
    add_turn(store, store.create_conversation())
    store.close()
    with StatsReader(tmp_path / "h.sqlite3") as reader:
        assert reader.votes(StatsFilter()) == []


def test_turn_rows_behind_the_figures(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    with StatsReader(db) as reader:
        turns = list(reader.turns(StatsFilter(tier="code")))
    assert len(turns) == 2
    assert [t[3] for t in turns] == ["code", "code"]
    assert turns[0][0] < turns[1][0]  # oldest first
    assert turns[1][8] == '["acme/x"]'  # dropped candidates, as JSON


def test_the_reader_runs_on_another_thread_and_leaves_no_trace(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    reader = StatsReader(db)  # the URI is built here, on the calling thread
    found: list[int] = []

    def work() -> None:
        with reader.open():
            found.append(sum(g.requests for g in reader.groups(StatsFilter())))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert found == [16]
    assert not (tmp_path / "h.sqlite3-wal").exists()
    with pytest.raises(RuntimeError):
        reader.groups(StatsFilter())  # closed


def test_an_interrupted_query_is_a_store_error(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    reader = StatsReader(db).open()
    try:
        conn = reader._conn
        assert conn is not None
        conn.set_progress_handler(lambda: 1, 1)  # as if interrupted at once
        with pytest.raises(StoreAccessError):
            reader.groups(StatsFilter())
    finally:
        reader.close()


def test_a_missing_history_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(StoreAccessError):
        StatsReader(tmp_path / "none.sqlite3").open()


def test_the_filter_checks_its_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        StatsFilter(kind="workloads")
    f = StatsFilter(date(2025, 6, 1), date(2025, 6, 2))
    since, until = f.bounds()
    assert datetime.fromtimestamp(since).date() == date(2025, 6, 1)
    assert until - since in (DAY, DAY - 3600, DAY + 3600)  # a day (DST: 23 or 25 hours)
    assert sqlite3.sqlite_version_info >= (3, 24)  # UPSERT in the triggers


def test_starting_a_reply_does_not_read_every_reply(tmp_path: Path) -> None:
    """Making a new reply the chosen one looks up its siblings' replies by key: listing every
    reply of the history cost about 0.1 s a send at 200,000 replies."""
    from desktop_app.store.history import CHOOSE_ONLY_NEW

    store = open_store(tmp_path, Clock(NOON))
    conn = store._conn
    assert conn is not None
    plan = " | ".join(
        r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + CHOOSE_ONLY_NEW, (1, None))
    )
    assert "SCAN replies" not in plan and "LIST SUBQUERY" not in plan
    cid = store.create_conversation()
    first = add_turn(store, cid)
    parent = store.get_message(first).parent_id
    second = add_turn(store, cid, parent_id=parent)
    third = add_turn(store, cid, parent_id=parent, column=0)  # another column: both chosen
    chosen = {m.id: m.is_chosen for m in store.load_messages(cid, include_alternatives=True)}
    assert (chosen[first], chosen[second], chosen[third]) == (False, True, True)
    store.close()


def test_a_span_before_the_first_reply_reads_the_whole_history_by_index(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    with StatsReader(db) as reader:
        counts = {"balanced": 11, "budget": 3, "code": 2}
        early = StatsFilter(date(2000, 1, 1))
        assert reader._whole_history(early) and reader._whole_history(StatsFilter())
        assert not reader._whole_history(StatsFilter(TODAY))
        assert not reader._whole_history(StatsFilter(date(2000, 1, 1), TODAY))
        assert reader.percentiles(early, counts) == reader.percentiles(early)
        assert reader.longest(early, 3) == reader.longest(StatsFilter(TODAY - timedelta(90)), 3)
