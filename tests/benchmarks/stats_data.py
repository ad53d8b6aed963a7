"""A large, realistic history for the statistics benchmark and the README screenshot.

Rows go in with `executemany` inside one transaction (the store's own API commits each write:
200,000 turns would take minutes), into a database the store created, so the schema and its
triggers (the daily sums) are the real ones.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path

from desktop_app.store import HistoryStore

MODELS = {  # model: (USD per input token, per output token)
    "openai/gpt-4o": (2.5e-6, 1e-5),
    "openai/gpt-4o-mini": (1.5e-7, 6e-7),
    "anthropic/claude-sonnet-4-5": (3e-6, 1.5e-5),
    "anthropic/claude-haiku-4-5": (1e-6, 5e-6),
    "anthropic/claude-opus-4-5": (5e-6, 2.5e-5),
    "google/gemini-2.0-flash": (1e-7, 4e-7),
    "google/gemini-2.5-pro": (1.25e-6, 1e-5),
}
POOLS = {
    "balanced": ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"),
    "budget": ("openai/gpt-4o-mini", "google/gemini-2.0-flash", "anthropic/claude-haiku-4-5"),
    "premium": ("anthropic/claude-opus-4-5", "openai/gpt-4o", "google/gemini-2.5-pro"),
    "code": ("openai/gpt-4o", "anthropic/claude-sonnet-4-5"),
    "fast": ("openai/gpt-4o-mini", "google/gemini-2.0-flash", "anthropic/claude-haiku-4-5"),
    "model:openai/gpt-4o": ("openai/gpt-4o",),
}
TIER_WEIGHTS = {"balanced": 40, "budget": 20, "premium": 8, "code": 15, "fast": 12}
TIER_WEIGHTS["model:openai/gpt-4o"] = 5
ERRORS = ("rate_limited", "server", "timeout", "interrupted")


def build(
    path: Path, turns: int, *, days: int = 365, seed: int = 11, now: float | None = None
) -> None:
    """`turns` replies (each with its prompt) over the last `days` days, in conversations of
    about 20 turns; some demo replies, some comparisons, a few failures, votes."""
    HistoryStore.open(path).close()  # the real schema
    rng = random.Random(seed)
    end = time.time() if now is None else now
    start = end - days * 86400
    tiers = list(TIER_WEIGHTS)
    weights = [TIER_WEIGHTS[t] for t in tiers]
    conversations: list[tuple[object, ...]] = []
    messages: list[tuple[object, ...]] = []
    replies: list[tuple[object, ...]] = []
    votes: list[tuple[object, ...]] = []
    message_id = 0
    conversation_id = 0
    made = 0
    while made < turns:
        conversation_id += 1
        size = min(turns - made, rng.randint(5, 35))
        comparison = rng.random() < 0.05
        kind = "comparison" if comparison else ("cli" if rng.random() < 0.05 else "chat")
        t = start + (end - start) * (made / turns) + rng.random() * 600
        tier = rng.choices(tiers, weights)[0]
        demo = rng.random() < 0.04
        conversations.append((conversation_id, f"Conversation {conversation_id}", t, t, tier, kind))
        position = 0
        for _ in range(size if not comparison else max(1, size // 2)):
            message_id += 1
            prompt_id = message_id
            messages.append((prompt_id, conversation_id, position, "user", "a question", t, None))
            position += 1
            columns = [tier, rng.choice(tiers)] if comparison else [tier]
            for column, column_tier in enumerate(columns):
                message_id += 1
                messages.append(
                    (message_id, conversation_id, position, "assistant", "an answer", t, prompt_id)
                )
                position += 1
                replies.append(
                    _reply(
                        rng,
                        message_id,
                        conversation_id,
                        column_tier,
                        t,
                        demo,
                        column if comparison else None,
                    )
                )
                made += 1
            if comparison and rng.random() < 0.6:
                winner = rng.randrange(len(columns))
                votes.append(
                    (conversation_id, prompt_id, "column", winner, json.dumps(columns), t + 30)
                )
            t += rng.uniform(20, 400)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO conversations (id, title, created_at, updated_at, tier_id, kind) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            conversations,
        )
        conn.executemany(
            "INSERT INTO messages (id, conversation_id, position, role, content, created_at, "
            "parent_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            messages,
        )
        conn.executemany(
            "INSERT INTO replies (message_id, conversation_id, status, requested_tier_id, "
            "candidates, requested_model, routed_model, prompt_tokens, completion_tokens, "
            "total_tokens, cost_usd, cost_source, ttft_ms, total_ms, finish_reason, error_kind, "
            "error_message, started_at, finished_at, retry_count, fallback_used, column_index, "
            "demo, routing, selection) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            replies,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO votes (conversation_id, prompt_id, choice, winner_column, "
            "columns, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            votes,
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _reply(
    rng: random.Random,
    message_id: int,
    conversation_id: int,
    tier: str,
    t: float,
    demo: bool,
    column: int | None,
) -> tuple[object, ...]:
    pool = POOLS[tier]
    fixed = tier.startswith("model:")
    failed = rng.random() < 0.02
    # The router favours the pool's first model a little; "default" falls back to it.
    selection = None if fixed else rng.choices(["ranked", "default", "single"], [88, 9, 3])[0]
    model = pool[0] if fixed or selection == "default" else rng.choice(pool + pool[:1])
    dropped = ["acme/retired-model"] if tier == "code" and rng.random() < 0.3 else []
    routing = None
    if not fixed:
        routing = {
            "requested": "@edenai",
            "strategy": "auto",
            "attempt": 1 if rng.random() > 0.02 else 2,
            "auto": {"selection": selection, "chosen": model, "dropped": dropped},
        }
    else:
        routing = {"requested": model, "strategy": "direct", "attempt": 1, "auto": None}
    prompt_tokens = rng.randint(20, 3000)
    completion = rng.randint(20, 1500) if not failed else 0
    price_in, price_out = MODELS[model]
    cost = prompt_tokens * price_in + completion * price_out
    source = rng.choices(["reported", "estimated", "unknown"], [85, 12, 3])[0]
    ttft = rng.lognormvariate(6.2, 0.5)  # ~500 ms median
    total = ttft + completion * rng.uniform(5, 20)
    error = rng.choice(ERRORS) if failed else None
    status = ("interrupted" if error == "interrupted" else "failed") if failed else "complete"
    return (
        message_id,
        conversation_id,
        status,
        tier,
        None if fixed else json.dumps(list(pool)),
        model if fixed else "@edenai",
        None if failed and error != "interrupted" else model,
        prompt_tokens,
        completion if not failed else None,
        prompt_tokens + completion,
        None if failed or source == "unknown" else cost,
        "unknown" if failed else source,
        None if failed else ttft,
        total,
        None if failed else "stop",
        error,
        "it failed" if failed else None,
        t,
        t + total / 1000,
        1 if rng.random() < 0.03 else 0,
        int(rng.random() < 0.01),
        column,
        int(demo),
        json.dumps(routing),
        selection,
    )
