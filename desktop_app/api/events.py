"""Typed events of one streamed chat turn, in the order the client yields them.

A turn yields `RoutedModel` as soon as the first chunk names the model (and `RoutingReport`
when the server says how it chose), then any number of
`TextDelta`/`ToolCallDelta`, then `UsageReport`/`CostReport`/`Finished` when the server sends
them, an optional `Failed`, and always exactly one `Completed` last, which carries the whole
`TurnResult` (text so far, routed model, usage, cost and its source, timings, error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from desktop_app.api.errors import ApiError


class CostSource(StrEnum):
    REPORTED = "reported"  # top-level `cost` (Eden) or `usage.cost` (OpenAI-compatible routers)
    ESTIMATED = "estimated"  # computed from usage with the bundled price table
    UNKNOWN = "unknown"


class TurnStatus(StrEnum):
    COMPLETE = "complete"
    STOPPED = "stopped"  # the user cancelled; partial text kept
    FAILED = "failed"  # nothing usable arrived
    INTERRUPTED = "interrupted"  # the stream broke after text had arrived; partial text kept


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the server reported them (None: not reported)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cached_tokens: int | None = None


@dataclass(slots=True)
class ToolCall:
    """A tool call assembled from its deltas (arguments arrive in pieces)."""

    index: int
    id: str | None = None
    name: str = ""
    arguments: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True, slots=True)
class RoutingInfo:
    """How the router chose the model of a turn, as the server reported it
    (`edenai_metadata`, sent when the request asks with `x-edenai-metadata: enabled`).

    `selection`: ranked | single | default (None when the request named its own model);
    `dropped`: candidates the router could not rank; `attempt`: the provider attempt that
    answered (>1: the provider was retried); `raw`: the block as sent, for the history.
    """

    selection: str | None = None
    chosen: str | None = None
    dropped: tuple[str, ...] = ()
    strategy: str | None = None
    attempt: int | None = None
    attempts: tuple[dict[str, Any], ...] = ()
    region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    quality_cost: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RoutedModel:
    """The model the router chose, as soon as the stream names it."""

    model: str  # always "provider/model" when the server let us know the provider


@dataclass(frozen=True, slots=True)
class RoutingReport:
    """How the router chose (the first chunk's `edenai_metadata`; a later error frame's
    corrected block comes as a second report that replaces it)."""

    info: RoutingInfo


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call; `ToolCall` assembles them by index."""

    index: int
    id: str | None
    name: str | None
    arguments: str  # this piece only


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Usage, sent once near the end of the stream."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class CostReport:
    """What the turn cost, and whether the server said so or it was estimated."""

    usd: float | None
    source: CostSource
    basis: str | None = None  # an estimate's prices: "catalogue" or "price table"


@dataclass(frozen=True, slots=True)
class Finished:
    """The server's finish reason (stop, length, tool_calls, ...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The turn failed; the error says why and what fixes it."""

    error: ApiError


@dataclass(slots=True)
class TurnResult:
    """Everything known about one turn; what the store saves and the badge shows."""

    text: str = ""
    model: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    cost_usd: float | None = None
    cost_source: CostSource = CostSource.UNKNOWN
    cost_basis: str | None = None  # an estimate's prices: "catalogue" or "price table"
    finish_reason: str | None = None
    error: ApiError | None = None
    ttft_ms: float | None = None
    total_ms: float | None = None
    status: TurnStatus = TurnStatus.COMPLETE
    routing: RoutingInfo | None = None


@dataclass(frozen=True, slots=True)
class Completed:
    """The last event of every turn: everything known about it."""

    result: TurnResult


StreamEvent = (
    RoutedModel
    | RoutingReport
    | TextDelta
    | ToolCallDelta
    | UsageReport
    | CostReport
    | Finished
    | Failed
    | Completed
)
