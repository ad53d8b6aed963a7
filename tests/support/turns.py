"""Stored turns with every field the statistics read, written through the store's own API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import CostSource, TurnResult, TurnStatus, Usage
from desktop_app.store import HistoryStore


class Clock:
    """A settable clock for `HistoryStore.open(path, clock=...)`."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def add_turn(
    store: HistoryStore,
    conversation_id: int,
    *,
    tier: str | None = "balanced",
    model: str | None = "openai/gpt-4o",
    cost: float | None = 0.01,
    source: str = "reported",
    ttft: float | None = 300.0,
    total: float | None = 900.0,
    status: str = "complete",
    error: str | None = None,
    selection: str | None = "ranked",
    dropped: Sequence[str] = (),
    demo: bool = False,
    retries: int = 0,
    fallback: bool = False,
    column: int | None = None,
    parent_id: int | None = None,
    prompt_tokens: int | None = 10,
    completion_tokens: int | None = 20,
    candidates: Sequence[str] | None = None,
) -> int:
    """One finished reply (and its prompt unless `parent_id`); returns the reply's id."""
    if parent_id is None:
        parent_id = store.add_user_message(conversation_id, "a question")
    fixed = tier is not None and tier.startswith("model:")
    reply_id = store.begin_reply(
        conversation_id,
        parent_id=parent_id,
        requested_tier_id=tier,
        candidates=candidates,
        requested_model=tier.removeprefix("model:") if fixed and tier else "@edenai",
        demo=demo,
        column=column,
    )
    routing: dict[str, Any] | None = None
    if selection is not None or dropped:
        routing = {
            "requested": "@edenai",
            "attempt": 1,
            "auto": {"selection": selection, "chosen": model, "dropped": list(dropped)},
        }
    result = TurnResult(
        text="an answer" if status != "failed" else "",
        model=model,
        usage=Usage(prompt_tokens, completion_tokens, None, None),
        cost_usd=cost,
        cost_source=CostSource(source),
        error=ApiError(ErrorKind(error), "it failed") if error else None,
        ttft_ms=ttft,
        total_ms=total,
        status=TurnStatus(status),
    )
    store.finish_reply(
        reply_id, result, retry_count=retries, fallback_used=fallback, routing=routing
    )
    return reply_id
