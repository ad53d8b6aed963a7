"""Benchmark of the history store on a large database. Not collected by pytest.

    python tests/benchmarks/bench_store.py [--conversations 10000] [--messages 200000]
                                           [--dir DIR] [--keep] [--startup-only]

Builds a database of 10,000 conversations and 200,000 messages (one conversation has 1,000
messages; every assistant message has its turn data), then measures, in the same run:
- full-text search latency over several kinds of query (median / p95; target <= 50 ms);
- opening a 1,000-message conversation: all messages with their replies (target <= 300 ms);
- opening the store (open + close) in each start-up case: clean shutdown with a recent full
  check, clean shutdown with the weekly check due, unclean shutdown (a -wal with frames left),
  damage reported last session (the .check marker); then start-up as the app does it (open +
  list conversations + load tabs) on the big database versus an empty one (target: at most
  200 ms slower); the full integrity check alone, and as the app runs it after the first
  frame on a worker thread (`IntegrityCheckJob.run`, with the store open);
- the per-call cost of the crash-safety writes (add_user_message, update_reply_text).
Figures are printed with their ratio to the target. The page cache is warm (the file was just
written): a cold start from a spinning disk will be slower.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from desktop_app.store import HistoryStore, IntegrityCheckJob, OpenTab
from desktop_app.store.database import CHECKED_AT_KEY, request_check

SEARCH_TARGET_MS = 50.0
LOAD_TARGET_MS = 300.0
STARTUP_EXTRA_TARGET_MS = 200.0
BIG_CONVERSATION = 1_000

MODELS = [
    "openai/gpt-4o",
    "openai/gpt-4o-mini",
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-haiku-4-5",
    "google/gemini-2.0-flash",
    "google/gemini-2.5-pro",
]
TIERS = ["balanced", "budget", "premium", "auto", "code", "fast"]
REAL_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "for",
    "was",
    "on",
    "are",
    "with",
    "as",
    "this",
    "be",
    "at",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
    "python",
    "function",
    "database",
    "query",
    "router",
    "model",
    "latency",
    "token",
    "cost",
    "stream",
    "error",
    "retry",
    "paris",
    "france",
    "capital",
    "weather",
    "recipe",
    "risotto",
    "mushroom",
    "kubernetes",
    "cluster",
    "deployment",
    "invoice",
    "budget",
    "premium",
    "translation",
    "summary",
    "quantum",
    "entanglement",
    "photosynthesis",
    "mitochondria",
    "sonnet",
    "haiku",
    "limerick",
    "refactor",
]


def make_vocabulary(rng: random.Random, size: int = 30_000) -> tuple[list[str], list[float]]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
    words = list(REAL_WORDS)
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    # Zipf's law: the n-th word is used about 1/n as often as the first.
    cum = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(words))))
    return words, cum


def texts(rng: random.Random, words: list[str], cum: list[float], lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    return " ".join(rng.choices(words, cum_weights=cum, k=n)).capitalize() + "."


def build(path: Path, n_conversations: int, n_messages: int, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    words, cum = make_vocabulary(rng)
    HistoryStore.open(path).close()  # schema through the real migrations
    t0 = time.perf_counter()
    now = time.time()
    start = now - 365 * 86400
    # Message counts per conversation: one of BIG_CONVERSATION, the rest spread around the mean.
    rest = n_messages - BIG_CONVERSATION
    counts = [BIG_CONVERSATION] + [2] * (n_conversations - 1)
    remaining = rest - 2 * (n_conversations - 1)
    while remaining > 0:
        i = rng.randrange(1, n_conversations)
        add = min(remaining, 2 * rng.randint(1, 8))
        counts[i] += add
        remaining -= add
    conv_rows: list[tuple[Any, ...]] = []
    msg_rows: list[tuple[Any, ...]] = []
    reply_rows: list[tuple[Any, ...]] = []
    mid = 0
    big_id = 1
    for cid, count in enumerate(counts, start=1):
        created = start + rng.random() * 360 * 86400
        t = created
        user_id = None
        first_prompt = ""
        for pos in range(count):
            mid += 1
            t += rng.random() * 120
            if pos % 2 == 0:
                text = texts(rng, words, cum, 5, 40)
                first_prompt = first_prompt or text
                msg_rows.append((mid, cid, pos, "user", text, None, None, t, None, 1))
                user_id = mid
            else:
                text = texts(rng, words, cum, 30, 160)
                msg_rows.append((mid, cid, pos, "assistant", text, None, None, t, user_id, 1))
                model = rng.choice(MODELS)
                prompt_tokens = rng.randint(10, 3000)
                completion_tokens = rng.randint(20, 800)
                reply_rows.append(
                    (
                        mid,
                        cid,
                        "complete",
                        rng.choice(TIERS),
                        json.dumps(rng.sample(MODELS, 3)),
                        "@edenai",
                        model,
                        prompt_tokens,
                        completion_tokens,
                        prompt_tokens + completion_tokens,
                        rng.randint(0, 500),
                        round(rng.random() * 0.01, 6),
                        rng.choice(["reported", "reported", "estimated"]),
                        rng.uniform(150, 2500),
                        rng.uniform(500, 30000),
                        "stop",
                        t - 5,
                        t,
                    )
                )
        conv_rows.append((cid, first_prompt[:60], created, t, rng.choice(TIERS), 0, 0, None, ""))
    gen_s = time.perf_counter() - t0
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")  # bulk load only
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO conversations (id, title, created_at, updated_at, tier_id, pinned, "
            "archived, deleted_at, draft) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            conv_rows,
        )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, position, role, content, tool_calls, "
            "tool_call_id, created_at, parent_id, is_chosen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            msg_rows,
        )
        conn.executemany(
            "INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, "
            "candidates, requested_model, routed_model, prompt_tokens, completion_tokens, "
            "total_tokens, cached_tokens, cost_usd, cost_source, ttft_ms, total_ms, "
            "finish_reason, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reply_rows,
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA optimize")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    total_s = time.perf_counter() - t0
    return {
        "generate_s": gen_s,
        "insert_s": total_s - gen_s,
        "messages": float(len(msg_rows)),
        "replies": float(len(reply_rows)),
        "big_conversation_id": float(big_id),
    }


def timed(
    fn: Callable[[], object], repeat: int, before_each: Callable[[], object] | None = None
) -> list[float]:
    out = []
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(label: str, values: list[float], target: float | None = None) -> str:
    med = statistics.median(values)
    text = f"  {label:<44} median {med:8.2f} ms   p95 {p95(values):8.2f} ms"
    if target:
        text += f"   ({med / target:5.2f}x of {target:g} ms target)"
    return text


def startup(path: Path) -> None:
    with HistoryStore.open(path) as s:
        s.list_conversations()
        s.load_open_tabs()


def open_close(path: Path) -> None:
    HistoryStore.open(path).close()


def set_checked_at(path: Path, value: float) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("UPDATE app_state SET value = ? WHERE key = ?", (value, CHECKED_AT_KEY))
    finally:
        conn.close()


@contextlib.contextmanager
def nothing_to_do() -> Iterator[Callable[[], object] | None]:
    yield None


@contextlib.contextmanager
def check_due(path: Path) -> Iterator[Callable[[], object] | None]:
    """The last passed full check is older than a week (or never ran)."""
    yield partial(set_checked_at, path, 1.0)
    set_checked_at(path, time.time())


@contextlib.contextmanager
def unclean(path: Path) -> Iterator[Callable[[], object] | None]:
    """A -wal file with committed frames, as a killed app leaves it.

    A second connection commits a write and stays open (so closing the store cannot
    checkpoint the -wal away) for the whole measurement.
    """
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA wal_autocheckpoint = 0")

        def write() -> None:
            holder.execute(
                "INSERT INTO app_state (key, value) VALUES ('bench', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (repr(time.time()),),
            )

        yield write
    finally:
        holder.close()


@contextlib.contextmanager
def damage_reported(path: Path) -> Iterator[Callable[[], object] | None]:
    """SQLite reported damage while the last session ran: the `.check` marker is there."""
    yield partial(request_check, path)


def start_cases(path: Path) -> list[tuple[str, Callable[[], Any]]]:
    return [
        ("clean shutdown, full check recent", nothing_to_do),
        ("clean shutdown, weekly full check due", partial(check_due, path)),
        ("unclean shutdown (-wal with frames left)", partial(unclean, path)),
        ("damage reported last session (.check)", partial(damage_reported, path)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--dir", help="where to build the databases (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--startup-only", action="store_true", help="measure opening and start-up only"
    )
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="routechat-bench-", dir=args.dir))
    try:
        return run(root, args.conversations, args.messages, args.repeat, args.startup_only)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def run(
    root: Path, n_conversations: int, n_messages: int, repeat: int, startup_only: bool = False
) -> int:
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}")
    big = root / "big" / "routechat.sqlite3"
    empty = root / "empty" / "routechat.sqlite3"
    info = build(big, n_conversations, n_messages)
    HistoryStore.open(empty).close()
    size_mb = sum(p.stat().st_size for p in big.parent.iterdir()) / 1e6
    print(
        f"built {n_conversations:,} conversations, {int(info['messages']):,} messages, "
        f"{int(info['replies']):,} replies in {info['generate_s'] + info['insert_s']:.1f} s "
        f"(generate {info['generate_s']:.1f} s, insert with FTS triggers "
        f"{info['insert_s']:.1f} s); file {size_mb:.0f} MB"
    )
    failures: list[str] = []

    rounds = max(5, repeat // 2)
    print("opening the store (open + check + migrations check + recover + close)")
    for label, prepare in start_cases(big):
        with prepare() as before_each:
            runs = timed(partial(open_close, big), rounds, before_each)
        print(line(label, runs))

    # Startup on both, interleaved so both see the same machine state.
    print("startup: open + recover + list all conversations + load tabs + close")
    big_runs: list[float] = []
    empty_runs: list[float] = []
    for _ in range(rounds):
        big_runs += timed(partial(startup, big), 1)
        empty_runs += timed(partial(startup, empty), 1)
    extra = statistics.median(big_runs) - statistics.median(empty_runs)
    print(line("empty database", empty_runs))
    print(line(f"{n_conversations:,} conversations / {n_messages:,} messages", big_runs))
    print(
        f"    big minus empty: {extra:.1f} ms "
        f"({extra / STARTUP_EXTRA_TARGET_MS:.2f}x of {STARTUP_EXTRA_TARGET_MS:g} ms target)"
    )
    if extra > STARTUP_EXTRA_TARGET_MS:
        failures.append("startup")
    quick = []
    for _ in range(rounds):
        conn = sqlite3.connect(big.resolve().as_uri() + "?mode=ro", uri=True)  # as the store does
        try:
            t0 = time.perf_counter()
            conn.execute("PRAGMA quick_check").fetchall()
            quick.append((time.perf_counter() - t0) * 1000)
        finally:
            conn.close()
    print(line("PRAGMA quick_check alone", quick))
    with HistoryStore.open(big) as store:  # as the app runs it: while its store is open
        job = IntegrityCheckJob(big)
        runs = timed(job.run, rounds)
        if job.run().outcome != "ok":
            failures.append("integrity check")
    print(line("IntegrityCheckJob.run (worker thread)", runs))
    if startup_only:
        print("result:", "all targets met" if not failures else "MISSED " + ", ".join(failures))
        return 1 if failures else 0

    with HistoryStore.open(big) as store:
        queries = {
            "rare word": "entanglement",
            "common word": "time",
            "most common word": "the",
            "two words": "python database",
            "prefix (as you type)": "kuber",
            "phrase": '"python function"',
            "phrase of two stop words (worst)": '"the of"',
            "no hit": "zzzzqqqq",
        }
        print("full-text search (limit 50, ranked by bm25, with snippets)")
        all_runs: list[float] = []
        for label, q in queries.items():
            runs = timed(partial(store.search, q), repeat)
            hits = len(store.search(q))
            all_runs += runs
            print(line(f"{label} {q!r} ({hits} hits)", runs, SEARCH_TARGET_MS))
        print(line("all queries", all_runs, SEARCH_TARGET_MS))
        big_id = int(info["big_conversation_id"])
        for q in ("the", "entanglement"):
            runs = timed(partial(store.search, q, conversation_id=big_id), repeat)
            print(line(f"in the 1,000-message conversation {q!r}", runs, SEARCH_TARGET_MS))
        if statistics.median(all_runs) > SEARCH_TARGET_MS:
            failures.append("search")
        matches = (
            store._conn_or_raise()
            .execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'time'")
            .fetchone()[0]
        )
        print(f"  ('time' occurs in {matches:,} messages)")

        print(f"opening a {BIG_CONVERSATION:,}-message conversation (messages + replies)")
        runs = timed(lambda: store.load_messages(big_id), repeat)
        print(line("load_messages", runs, LOAD_TARGET_MS))
        if statistics.median(runs) > LOAD_TARGET_MS:
            failures.append("load")

        print("other reads")
        runs = timed(store.list_conversations, repeat)
        print(line(f"list_conversations (all {n_conversations:,})", runs))
        print(
            line(
                "list_conversations(limit=200)",
                timed(lambda: store.list_conversations(limit=200), repeat),
            )
        )
        print(line("totals() over every turn", timed(store.totals, repeat)))
        print(line("totals(conversation)", timed(lambda: store.totals(big_id), repeat)))

        print("crash-safety writes (each one committed)")
        cid = store.create_conversation()
        print(line("add_user_message", timed(lambda: store.add_user_message(cid, "hi"), repeat)))
        uid = store.add_user_message(cid, "write me a long story")
        rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
        story = texts(random.Random(1), *make_vocabulary(random.Random(1)), 8000, 8000)
        for size in (1_000, 10_000, 50_000):
            text = story[:size]
            runs = timed(partial(store.update_reply_text, rid, text), repeat)
            print(line(f"update_reply_text ({size:,} chars)", runs))
        store.save_open_tabs([OpenTab(big_id, "balanced"), OpenTab(cid)], 0)
    print("result:", "all targets met" if not failures else "MISSED " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
