"""What the store holds, as the chat machinery reads it: the next request's history and a stored
reply's `TurnResult`. Light on purpose: a restored tab needs it before the first frame, without
the request and retry machinery of `services.chat`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import CostSource, TurnResult, TurnStatus, Usage
from desktop_app.api.metadata import parse_routing
from desktop_app.store import StoredMessage

INTERRUPTED_NOTE = "RouteChat closed while this reply was arriving"


def tool_rounds(messages: Sequence[StoredMessage]) -> dict[int, list[StoredMessage]]:
    """Each reply's tool-loop messages (assistant tool calls and tool results, children of the
    reply: `HistoryStore.add_tool_round`), by reply id, in order."""
    replies = {m.id for m in messages if m.reply is not None}
    out: dict[int, list[StoredMessage]] = {}
    for m in messages:
        if m.reply is None and m.parent_id in replies and m.role in ("assistant", "tool"):
            out.setdefault(m.parent_id, []).append(m)
    return out


def history_from_store(
    messages: Sequence[StoredMessage], upto_message_id: int, column: int | None = None
) -> list[dict[str, Any]]:
    """The API history of a stored conversation up to (and with) one of its messages.

    Replies that failed, or that are still empty and streaming, are left out: the model
    never sees a turn the user saw fail. A reply's tool calls and results (its tool loop) come
    right before its text, as they were sent, and go with it. In a comparison each column is
    its own thread: only that `column`'s replies are kept.
    """
    rounds = tool_rounds(messages)
    in_rounds = {m.id for ms in rounds.values() for m in ms}
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.id in in_rounds:
            continue
        reply = m.reply
        loop = rounds.get(m.id, [])
        keep = reply is None or (
            reply.column == column
            and reply.status.value not in ("failed", "streaming")
            and bool(m.content or m.tool_calls)
        )
        if keep:  # a reply without text (stopped mid-loop) is left out with its rounds
            out.extend(r.to_api() for r in loop)
            out.append(m.to_api())
        if m.id == upto_message_id:
            break
    return out


def stored_result(message: StoredMessage) -> TurnResult:
    """A stored reply as the TurnResult the badge and error line understand."""
    info = message.reply
    assert info is not None, "only replies carry a result"
    status = info.status.value
    error: ApiError | None = None
    if status == "streaming":  # recovery had not run: treat as interrupted
        status = TurnStatus.INTERRUPTED.value
    if info.error_kind:
        try:
            kind = ErrorKind(info.error_kind)
        except ValueError:
            kind = ErrorKind.PROTOCOL
        error = ApiError(kind, info.error_message or "The turn failed.", info.error_status)
    elif status == TurnStatus.INTERRUPTED.value:
        error = ApiError(ErrorKind.INTERRUPTED, INTERRUPTED_NOTE)
    try:
        source = CostSource(info.cost_source)
    except ValueError:
        source = CostSource.UNKNOWN
    basis = (message.meta or {}).get("cost_basis")  # meta may hold other things (the budget)
    return TurnResult(
        text=message.content,
        model=info.routed_model,
        usage=Usage(
            info.prompt_tokens, info.completion_tokens, info.total_tokens, info.cached_tokens
        ),
        cost_usd=info.cost_usd,
        cost_source=source,
        cost_basis=basis if isinstance(basis, str) else None,
        finish_reason=info.finish_reason,
        error=error,
        ttft_ms=info.ttft_ms,
        total_ms=info.total_ms,  # None when the app died before the reply ended: unknown
        status=TurnStatus(status),
        routing=parse_routing(info.routing),
    )
