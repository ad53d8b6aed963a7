"""Plain records the store returns, and the shapes it accepts.

The store does not import `desktop_app.api` (the layers contract keeps `store` and `api`
independent). `finish_reply` accepts anything shaped like `api.events.TurnResult` instead:
the Protocols below describe exactly the attributes it reads, and `TurnResult`, `Usage`,
`ToolCall` and `ApiError` satisfy them structurally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol


class ReplyStatus(StrEnum):
    """Status of one assistant reply; `api.events.TurnStatus` plus `streaming`."""

    STREAMING = "streaming"  # being written right now (or the app died while it was)
    COMPLETE = "complete"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


SELECTIONS = frozenset({"ranked", "single", "default"})


def routing_selection(routing: Mapping[str, Any] | None) -> str | None:
    """How the router chose (`auto.selection`), when the server said so in a known word."""
    auto = routing.get("auto") if routing else None
    value = auto.get("selection") if isinstance(auto, Mapping) else None
    return value if value in SELECTIONS else None


FINAL_STATUSES = frozenset(s.value for s in ReplyStatus if s is not ReplyStatus.STREAMING)
ROLES = ("system", "user", "assistant", "tool")
COST_SOURCES = ("reported", "estimated", "unknown")


# --- what finish_reply accepts (read-only views, so enums and subclasses fit) -------------


class UsageLike(Protocol):
    @property
    def prompt_tokens(self) -> int | None: ...
    @property
    def completion_tokens(self) -> int | None: ...
    @property
    def total_tokens(self) -> int | None: ...
    @property
    def cached_tokens(self) -> int | None: ...


class ToolCallLike(Protocol):
    def to_json(self) -> dict[str, Any]: ...


class ErrorLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def status(self) -> int | None: ...


class TurnResultLike(Protocol):
    """What the store reads from `api.events.TurnResult`."""

    @property
    def text(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def tool_calls(self) -> Sequence[ToolCallLike]: ...
    @property
    def usage(self) -> UsageLike | None: ...
    @property
    def cost_usd(self) -> float | None: ...
    @property
    def cost_source(self) -> str: ...
    @property
    def finish_reason(self) -> str | None: ...
    @property
    def error(self) -> ErrorLike | None: ...
    @property
    def ttft_ms(self) -> float | None: ...
    @property
    def total_ms(self) -> float | None: ...
    @property
    def status(self) -> str: ...


# --- what the store returns ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation's row: what the tabs and the history panel show."""

    id: int
    title: str  # "" until the first prompt names it (see `display_title`)
    created_at: float  # Unix seconds (UTC)
    updated_at: float  # last message, rename, pin or tier change
    tier_id: str | None
    pinned: bool
    archived: bool
    deleted_at: float | None  # set: in the trash, restorable until purged
    draft: str  # the composer text not sent yet
    kind: str = "chat"  # chat | comparison | workload | cli (the command line's, one a day)
    view: dict[str, Any] | None = None  # a comparison's columns and options

    @property
    def display_title(self) -> str:
        return self.title or "New conversation"

    @property
    def day(self) -> date:
        """Local calendar day of the last activity, for grouping the history list."""
        return datetime.fromtimestamp(self.updated_at).date()


@dataclass(frozen=True, slots=True)
class ReplyInfo:
    """Everything known about one assistant reply (one routed request)."""

    status: ReplyStatus
    requested_tier_id: str | None
    candidates: tuple[str, ...] | None
    requested_model: str | None  # "@edenai" or a fixed "provider/model"
    routed_model: str | None  # the model that answered
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    cached_tokens: int | None
    cost_usd: float | None
    cost_source: str  # reported | estimated | unknown
    ttft_ms: float | None
    total_ms: float | None
    finish_reason: str | None
    error_kind: str | None
    error_message: str | None
    error_status: int | None
    retry_count: int
    fallback_used: bool
    started_at: float
    finished_at: float | None
    column: int | None = None  # a comparison's column (None in a conversation)
    demo: bool = False  # answered by the demo server: never billed
    routing: dict[str, Any] | None = None  # the server's routing decision (edenai_metadata)
    quality_cost: int | None = None  # the router's cost knob the request carried
    requests: int = 1  # requests the turn made (a tool loop makes several)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as saved; a reply also carries its routing and cost (`reply`)."""

    id: int
    conversation_id: int
    position: int  # order inside the conversation, unique per conversation
    role: str  # system | user | assistant | tool
    content: str
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    created_at: float
    parent_id: int | None  # a reply's user message; sibling replies share it
    is_chosen: bool  # False: an alternative reply kept beside the chosen one
    reply: ReplyInfo | None  # set for assistant replies
    meta: dict[str, Any] | None = None  # a tool result's duration, approval and server

    def to_api(self) -> dict[str, Any]:
        """The OpenAI-shaped message for the next request's history."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = self.tool_calls
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


@dataclass(frozen=True, slots=True)
class InterruptedReply:
    """A reply found still 'streaming' at startup: the app died while it streamed."""

    message_id: int
    conversation_id: int
    text_length: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A history search match, with a snippet around it."""

    conversation_id: int
    message_id: int
    conversation_title: str
    role: str
    created_at: float
    snippet: str  # hits wrapped in HIT_START/HIT_END (see store.search)
    rank: float  # bm25: lower is better


@dataclass(frozen=True, slots=True)
class Totals:
    """What a conversation (or all of them) cost, without loading its messages."""

    turns: int  # finished replies (any final status)
    cost_usd: float  # sum of known costs
    priced_turns: int  # replies with a cost (reported or estimated)
    includes_estimates: bool  # some of the sum is an estimate: show it as "≈"
    prompt_tokens: int
    completion_tokens: int

    @property
    def unknown_cost_turns(self) -> int:
        """Replies whose cost nobody knows: never counted as $0."""
        return self.turns - self.priced_turns


@dataclass(frozen=True, slots=True)
class OpenTab:
    """A tab to reopen at the next start."""

    conversation_id: int | None  # None: a new tab with nothing sent yet
    tier_id: str | None = None
    kind: str = "chat"  # chat | comparison: what a tab with nothing sent yet reopens as
    view: dict[str, Any] | None = None  # an unsent comparison's columns and options


@dataclass(frozen=True, slots=True)
class TabsState:
    """The tabs open at the last save, and which one was on screen."""

    tabs: tuple[OpenTab, ...] = ()
    selected: int | None = None  # index into tabs


VOTE_CHOICES = ("a", "b", "c", "d", "tie", "bad")  # "a": the answer labelled A was better


@dataclass(frozen=True, slots=True)
class VoteColumn:
    """One answer as it stood when the user voted: where it was, what it was called, who sent it."""

    column: int  # the comparison column (`ReplyInfo.column`)
    label: str  # what the user saw: "A", "B", "C" or "D"
    tier_id: str | None  # the column's tier ("model:provider/name" for a fixed model)
    model: str | None  # the model that answered
    reply_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "label": self.label,
            "tier_id": self.tier_id,
            "model": self.model,
            "reply_id": self.reply_id,
        }


@dataclass(frozen=True, slots=True)
class Vote:
    """A blind comparison's verdict on one prompt: which answer was better, or a tie, or all bad.

    `choice` is one of `VOTE_CHOICES`; `winner_column` the column of the answer chosen (None
    for a tie or "all bad"); `columns` every answer compared, with its tier and model.
    """

    id: int
    conversation_id: int
    prompt_id: int  # the user message the answers replied to
    choice: str
    winner_column: int | None
    columns: tuple[VoteColumn, ...]
    created_at: float

    @property
    def winner(self) -> VoteColumn | None:
        return next((c for c in self.columns if c.column == self.winner_column), None)

    @property
    def winner_tier(self) -> str | None:
        """The winning answer's tier (None for a tie or "all bad"): what win rates count."""
        winner = self.winner
        return winner.tier_id if winner is not None else None
