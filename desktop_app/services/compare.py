"""Comparisons and workload runs, Qt-free: what the comparison view and `routechat compare`
share.

A comparison sends one prompt to 2-4 columns (`start_round`); each column is a tier, pool or
fixed model and keeps its own thread (its replies carry the column in the store, and
`ColumnThreadRecorder` gives each column only its own answers, from the first prompt it
answered). `Outcome` is one column's answer as compared, `summarize` the round's summary strip
(cheapest, fastest first token, fastest total, each cost as a multiple of the cheapest; unknown
costs never qualify).

A workload sends many prompts through the columns (`WorkloadRun`) with at most `concurrency`
requests in flight, each prompt on its own (`PromptOnlyRecorder`); `parse_prompts`,
`check_context` and `estimate_range` vet the input before anything is sent; `column_totals`,
`write_csv` and `workload_summary` give the results in the exact shapes the command line
documents.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import TurnResult, TurnStatus
from desktop_app.routing.plan import TurnPlan
from desktop_app.routing.tiers import Tier, TierCatalogue, fixed_model_tier
from desktop_app.services import format as fmt
from desktop_app.services.history import history_from_store, stored_result

if TYPE_CHECKING:
    from desktop_app.api.models import ModelInfo
    from desktop_app.services.chat import ChatService, Turn, TurnEvent, TurnRecorder
    from desktop_app.services.resilience import RetryNotice
    from desktop_app.store import HistoryStore, StoredMessage

MIN_COLUMNS = 2
MAX_COLUMNS = 4
LABELS = "ABCD"  # blind mode's names for the columns
MAX_PROMPTS = 500  # per workload run
DEFAULT_CONCURRENCY = 4
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text; estimates say "about"
ANSWER_TOKENS_LOW = 100  # the cost range assumes answers of this many tokens ...
ANSWER_TOKENS_HIGH = 1000  # ... to this many (or the max-tokens setting when it is set)
CSV_HEADER = (
    "prompt_index",
    "prompt",
    "column",
    "tier",
    "model",
    "cost_usd",
    "cost_source",
    "prompt_tokens",
    "completion_tokens",
    "ttft_ms",
    "total_ms",
    "error_kind",
)

# --------------------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a comparison: its tier and the column its answers are stored under.

    `column` stays with the column when the view reorders or removes columns, so a stored
    answer always finds its thread; a new column takes a number never used before.
    """

    column: int
    tier_id: str

    def to_json(self, catalogue: TierCatalogue | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "tier_id": self.tier_id}
        if catalogue is not None:
            out["label"] = tier_label(catalogue, self.tier_id)
        return out


def tier_of(catalogue: TierCatalogue, tier_id: str) -> Tier:
    """The tier a column names; an unknown id (a pool since removed) is priced as balanced
    (the views refuse to send with it: see `CompareController._missing_tier`)."""
    try:
        return catalogue.get(tier_id)
    except KeyError:
        return catalogue.get("balanced")


def tier_label(catalogue: TierCatalogue, tier_id: str) -> str:
    try:
        return catalogue.get(tier_id).label
    except KeyError:
        return tier_id


DEFAULT_TIERS = ("budget", "balanced", "premium")


@dataclass(frozen=True, slots=True)
class Preset:
    """A set of columns in the view's Presets menu."""

    name: str
    tiers: Callable[[TierCatalogue, str], tuple[str, ...]]  # (catalogue, first column's tier)


def _fallback_pair(catalogue: TierCatalogue, tier_id: str) -> tuple[str, ...]:
    """Smart routing over a pool against the model it falls back to (its first candidate),
    fixed. A fixed model has no routing to compare: Balanced stands in."""
    tier = tier_of(catalogue, tier_id)
    if tier.fixed_model:
        tier = catalogue.get("balanced")
    return (tier.id, fixed_model_tier(tier.effective_fallback).id)


PRESETS: tuple[Preset, ...] = (
    Preset("Budget · Balanced · Premium", lambda _c, _t: DEFAULT_TIERS),
    Preset("Smart routing vs its fallback model", _fallback_pair),
    Preset("Auto vs Balanced", lambda _c, _t: ("auto", "balanced")),
)


@dataclass
class ComparisonView:
    """What `conversations.view` holds for a comparison: its columns in display order and its
    options; kept across sends and restarts."""

    columns: list[ColumnSpec]
    blind: bool = False

    @classmethod
    def default(cls, tiers: Sequence[str] = DEFAULT_TIERS) -> ComparisonView:
        return cls([ColumnSpec(i, t) for i, t in enumerate(tiers[:MAX_COLUMNS])])

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any] | None, fallback: Sequence[str] = DEFAULT_TIERS
    ) -> ComparisonView:
        """Leniently: columns that cannot be read are dropped, 2-4 columns are kept."""
        columns: list[ColumnSpec] = []
        seen: set[int] = set()
        for item in (data or {}).get("columns") or []:
            if not isinstance(item, Mapping):
                continue
            column, tier_id = item.get("column"), item.get("tier_id")
            if type(column) is not int or not isinstance(tier_id, str) or not tier_id:
                continue
            if column >= 0 and column not in seen:
                seen.add(column)
                columns.append(ColumnSpec(column, tier_id))
        if len(columns) < MIN_COLUMNS:
            return cls.default(fallback)
        return cls(columns[:MAX_COLUMNS], blind=(data or {}).get("blind") is True)

    def to_json(self, catalogue: TierCatalogue | None = None) -> dict[str, Any]:
        return {"columns": [c.to_json(catalogue) for c in self.columns], "blind": self.blind}

    def next_column(self, used: Iterable[int] = ()) -> int:
        """A column number no column here, nor any stored answer (`used`), has had."""
        taken = {c.column for c in self.columns} | set(used)
        return max(taken, default=-1) + 1


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class Outcome:
    """One column's answer to one prompt, as compared: a JSON column of `routechat compare`,
    a row of the workload table, a cell of the summary strip."""

    tier: str
    candidates: tuple[str, ...] | None
    model: str | None
    text: str
    cost_usd: float | None
    cost_source: str
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_ms: float | None
    total_ms: float | None
    finish_reason: str | None
    error: ApiError | None
    status: str = TurnStatus.COMPLETE.value
    reply_id: int | None = None
    error_kind: str | None = None  # a kind that is not the API's: "budget" (a limit refused)

    @classmethod
    def from_result(
        cls, tier_id: str, plan: TurnPlan, result: TurnResult, reply_id: int | None = None
    ) -> Outcome:
        usage = result.usage
        return cls(
            tier=tier_id,
            candidates=plan.candidates,
            model=result.model,
            text=result.text,
            cost_usd=result.cost_usd,
            cost_source=result.cost_source.value,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            ttft_ms=result.ttft_ms,
            total_ms=result.total_ms,
            finish_reason=result.finish_reason,
            error=result.error,
            status=result.status.value,
            reply_id=reply_id,
        )

    @classmethod
    def from_stored(cls, tier_id: str, message: StoredMessage, *, text: bool = True) -> Outcome:
        """A stored reply (`text=False`: without its text, which a table does not keep)."""
        info = message.reply
        assert info is not None, "only replies are outcomes"
        result = stored_result(message)
        plan = TurnPlan(tier_id, tier_id, info.requested_model or "@edenai", info.candidates)
        outcome = cls.from_result(tier_id, plan, result, message.id)
        return outcome if text else _without_text(outcome)

    @classmethod
    def not_sent(
        cls, tier_id: str, plan: TurnPlan, error: ApiError, kind: str | None = None
    ) -> Outcome:
        """A column whose request never went out (no key; `kind` "budget": a limit refused)."""
        return cls(
            tier_id, plan.candidates, None, "", None, "unknown", None, None, None, None, None,
            error, TurnStatus.FAILED.value, error_kind=kind,
        )  # fmt: skip

    @property
    def succeeded(self) -> bool:
        return self.error is None

    @property
    def failed(self) -> bool:
        """The answer ended in an error (stopped by the user is not a failure of the answer)."""
        return self.error is not None and self.error.kind is not ErrorKind.CANCELLED

    @property
    def known_cost(self) -> float | None:
        if self.cost_usd is None or self.cost_source == "unknown":
            return None
        return self.cost_usd

    def error_json(self) -> dict[str, Any] | None:
        error = self.error
        if error is None:
            return None
        message = error.message
        if error.retry_after is not None:
            message = f"{message.rstrip('.')}. Retry after {error.retry_after:g} s."
        kind = self.error_kind or error.kind.value
        return {"kind": kind, "message": message, "status": error.status}

    def to_json(self) -> dict[str, Any]:
        """Exactly one column of `routechat compare --json`."""
        return {
            "tier": self.tier,
            "candidates": list(self.candidates) if self.candidates else None,
            "model": self.model,
            "text": self.text,
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "ttft_ms": self.ttft_ms,
            "total_ms": self.total_ms,
            "finish_reason": self.finish_reason,
            "error": self.error_json(),
        }


def _without_text(outcome: Outcome) -> Outcome:
    from dataclasses import replace

    return replace(outcome, text="")


# --------------------------------------------------------------------------- a round


@dataclass(frozen=True, slots=True)
class RoundSummary:
    """The summary strip of one round: positions in the round's columns (None: none qualifies).

    Only answers that completed qualify; a cost nobody knows never does (`unknown_costs` says
    how many were left out). `multiples[i]` is column i's cost over the cheapest (None when
    its cost is unknown, it failed, or the cheapest cost was $0 and its own was not).
    """

    cheapest: int | None
    fastest_first_token: int | None
    fastest_total: int | None
    multiples: tuple[float | None, ...]
    unknown_costs: int
    failed: int


def _best(values: Sequence[float | None]) -> int | None:
    best: int | None = None
    for i, value in enumerate(values):
        if value is not None and (best is None or value < values[best]):  # type: ignore[operator]
            best = i
    return best


def summarize(outcomes: Sequence[Outcome | None]) -> RoundSummary:
    """The strip after a round; `None` for a column that has not answered (yet)."""
    ok = [o if o is not None and o.succeeded else None for o in outcomes]
    costs = [o.known_cost if o is not None else None for o in ok]
    cheapest = _best(costs)
    multiples: list[float | None] = []
    for cost in costs:
        if cost is None or cheapest is None:
            multiples.append(None)
            continue
        low = costs[cheapest]
        assert low is not None
        if low > 0:
            multiples.append(cost / low)
        else:
            multiples.append(1.0 if cost == 0 else None)
    return RoundSummary(
        cheapest=cheapest,
        fastest_first_token=_best([o.ttft_ms if o is not None else None for o in ok]),
        fastest_total=_best([o.total_ms if o is not None else None for o in ok]),
        multiples=tuple(multiples),
        unknown_costs=sum(1 for o in ok if o is not None and o.known_cost is None),
        failed=sum(1 for o in outcomes if o is not None and o.failed),
    )


def multiple(value: float) -> str:
    """'×1', '×4.2', '×38', '×1,250'."""
    if value < 9.95:
        return f"×{value:.1f}".replace(".0", "")
    return f"×{value:,.0f}"


def describe_round(
    summary: RoundSummary, outcomes: Sequence[Outcome | None], names: Sequence[str]
) -> list[str]:
    """The summary strip in words, one phrase per figure."""
    parts: list[str] = []
    if summary.cheapest is not None:
        o = outcomes[summary.cheapest]
        assert o is not None
        parts.append(
            f"Cheapest: {names[summary.cheapest]} ({fmt.money(o.cost_usd, o.cost_source)})"
        )
    else:
        parts.append("Cheapest: none known")
    if summary.fastest_first_token is not None:
        o = outcomes[summary.fastest_first_token]
        assert o is not None
        parts.append(
            f"Fastest first token: {names[summary.fastest_first_token]} ({fmt.duration(o.ttft_ms)})"
        )
    if summary.fastest_total is not None:
        o = outcomes[summary.fastest_total]
        assert o is not None
        parts.append(f"Fastest total: {names[summary.fastest_total]} ({fmt.duration(o.total_ms)})")
    ratios = [f"{names[i]} {multiple(m)}" for i, m in enumerate(summary.multiples) if m is not None]
    if len(ratios) > 1:
        parts.append("Cost: " + ", ".join(ratios))
    if summary.unknown_costs:
        n = summary.unknown_costs
        parts.append(f"{n} unknown cost{'s' if n != 1 else ''} left out")
    if summary.failed:
        parts.append(f"{summary.failed} failed")
    return parts


def start_round(
    service: ChatService,
    conversation_id: int,
    prompt: str,
    columns: Sequence[tuple[int, TurnPlan]],
) -> list[Turn]:
    """Record one prompt and open one reply per column (`(column, plan)` pairs): the first
    column's turn records the prompt, the others answer it. Raises the recorder's error when
    the prompt cannot be saved (nothing goes out unsaved)."""
    (first_column, first_plan), *rest = columns
    first = service.start_turn(conversation_id, prompt, first_plan, column=first_column)
    turns = [first]
    for column, plan in rest:
        turns.append(
            service.start_turn(
                conversation_id, None, plan, parent_id=first.user_message_id, column=column
            )
        )
    return turns


# --------------------------------------------------------------------------- recorders


class _Delegating:
    """A recorder that records through another one and only reads history its own way."""

    def __init__(self, inner: TurnRecorder) -> None:
        self.inner = inner

    def record_user_message(self, conversation_id: int, content: str) -> int:
        return self.inner.record_user_message(conversation_id, content)

    def begin_reply(
        self, conversation_id: int, parent_id: int, plan: TurnPlan, column: int | None = None
    ) -> int:
        return self.inner.begin_reply(conversation_id, parent_id, plan, column)

    def update_reply(self, reply_id: int, text: str, model: str | None) -> None:
        self.inner.update_reply(reply_id, text, model)

    def finish_reply(
        self,
        reply_id: int,
        result: TurnResult,
        retries: int = 0,
        fallback: bool = False,
        requests: int = 1,
    ) -> None:
        self.inner.finish_reply(reply_id, result, retries, fallback, requests)

    def remove_messages(self, message_ids: Sequence[int]) -> None:
        self.inner.remove_messages(message_ids)

    def record_tool_round(
        self,
        reply_id: int,
        text: str,
        tool_calls: Sequence[dict[str, Any]],
        results: Sequence[tuple[str, str, dict[str, Any] | None]],
    ) -> None:
        self.inner.record_tool_round(reply_id, text, tool_calls, results)


class ColumnThreadRecorder(_Delegating):
    """A comparison's recorder: each column's thread starts at the first prompt it answered,
    so a column added midway does not see earlier prompts it never answered."""

    def __init__(self, inner: TurnRecorder, store: HistoryStore) -> None:
        super().__init__(inner)
        self.store = store

    def history(
        self, conversation_id: int, upto_message_id: int, column: int | None = None
    ) -> list[dict[str, Any]]:
        messages = self.store.load_messages(conversation_id)
        return history_from_store(thread_of(messages, column), upto_message_id, column)


def thread_of(messages: Sequence[StoredMessage], column: int | None) -> list[StoredMessage]:
    """What a column shows and is sent: prompts from the first it answered, and its answers
    (system messages stay)."""
    first = next(
        (m.parent_id for m in messages if m.reply is not None and m.reply.column == column), None
    )
    start = next((m.position for m in messages if m.id == first), None)
    return [
        m
        for m in messages
        if (m.role == "system" or start is None or m.position >= start)
        and (m.reply is None or m.reply.column == column)
    ]


class PromptOnlyRecorder(_Delegating):
    """A workload's recorder: every prompt is sent on its own, whatever ran before it."""

    def __init__(self, inner: TurnRecorder, store: HistoryStore) -> None:
        super().__init__(inner)
        self.store = store

    def history(
        self, conversation_id: int, upto_message_id: int, column: int | None = None
    ) -> list[dict[str, Any]]:
        return [self.store.get_message(upto_message_id).to_api()]


# --------------------------------------------------------------------------- workload input


class WorkloadError(ValueError):
    """Prompts that cannot be run as given; the message says what happened and what to do."""


TEXT_SUFFIXES = frozenset({"", ".txt", ".text"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})


def parse_prompts(data: bytes | str, name: str = "", *, limit: int = MAX_PROMPTS) -> list[str]:
    """The prompts of a `.txt` file (one a line) or a `.jsonl` one (`{"prompt": ...}` a line);
    pasted text (`name` "") reads as `.txt`. Blank lines are skipped. Raises WorkloadError for
    an empty file, a file of another format or more than `limit` prompts."""
    shown = PurePath(name).name if name else "The text"
    suffix = PurePath(name).suffix.lower() if name else ""
    if suffix not in TEXT_SUFFIXES | JSONL_SUFFIXES:
        raise WorkloadError(
            f"{shown} is not a workload file: RouteChat reads .txt files (one prompt per line) "
            'and .jsonl files (one {"prompt": "..."} object per line).'
        )
    if isinstance(data, bytes):
        if b"\x00" in data[:8192]:
            raise WorkloadError(f"{shown} is a binary file, not text: {_formats()}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WorkloadError(
                f"{shown} is not UTF-8 text (byte {exc.start + 1} cannot be read). Save it as "
                "UTF-8 and open it again."
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if suffix in JSONL_SUFFIXES:
        prompts = [_jsonl_prompt(shown, n, line) for n, line in lines]
    else:
        prompts = [line for _n, line in lines]
    if not prompts:
        if name:
            raise WorkloadError(f"{shown} has no prompts: it is empty or holds only blank lines.")
        raise WorkloadError("No prompts yet: paste them one per line, or open a file.")
    if len(prompts) > limit:
        raise WorkloadError(
            f"{shown} holds {len(prompts):,} prompts; a workload run takes at most {limit}. "
            "Split it into smaller runs."
        )
    return prompts


def _formats() -> str:
    return 'RouteChat reads .txt (one prompt per line) and .jsonl ({"prompt": "..."} per line).'


def _jsonl_prompt(shown: str, number: int, line: str) -> str:
    try:
        value = json.loads(line)
    except ValueError:
        value = None
    prompt = value.get("prompt") if isinstance(value, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        preview = line if len(line) <= 40 else line[:37] + "..."
        raise WorkloadError(
            f'{shown}, line {number}: expected {{"prompt": "..."}}, found {preview}'
        )
    return prompt.strip()


def approx_tokens(text: str) -> int:
    """About how many tokens `text` is (the usual 4 characters a token)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """A model's list price (USD per token) and context length, from the model list."""

    input_per_token: float | None
    output_per_token: float | None
    context_length: int | None = None


def prices_from_models(models: Iterable[ModelInfo]) -> dict[str, ModelPrice]:
    return {
        m.id: ModelPrice(m.input_per_token, m.output_per_token, m.context_length) for m in models
    }


def table_prices(models: Iterable[str]) -> dict[str, ModelPrice]:
    """List prices from the bundled price table, when the server's model list cannot be had
    (no context lengths then)."""
    from desktop_app.api.cost import estimate_cost
    from desktop_app.api.events import Usage

    out: dict[str, ModelPrice] = {}
    for model in models:
        per_in = estimate_cost(model, Usage(prompt_tokens=1_000_000, completion_tokens=0))
        per_out = estimate_cost(model, Usage(prompt_tokens=0, completion_tokens=1_000_000))
        if per_in is not None and per_out is not None:
            out[model] = ModelPrice(per_in / 1_000_000, per_out / 1_000_000)
    return out


def pool_of(tier: Tier, known: Iterable[str]) -> tuple[str, ...]:
    """The models a tier's answer may come from: its fixed model, its candidates, or (the
    router's whole pool) every model known."""
    if tier.fixed_model:
        return (tier.fixed_model,)
    return tier.candidates or tuple(known)


def check_context(
    prompts: Sequence[str], columns: Sequence[tuple[str, Tier]], prices: Mapping[str, ModelPrice]
) -> list[str]:
    """One sentence per prompt longer than a column's smallest context (the router may pick
    any of its candidates); nothing when the context lengths are not known."""
    limits: list[tuple[str, str, int]] = []
    for name, tier in columns:
        known = [
            (prices[m].context_length or 0, m)
            for m in pool_of(tier, prices)
            if m in prices and prices[m].context_length
        ]
        if known:
            size, model = min(known)
            limits.append((name, model, size))
    problems: list[str] = []
    for index, prompt in enumerate(prompts):
        tokens = approx_tokens(prompt)
        for name, model, size in limits:
            if tokens > size:
                problems.append(
                    f"Prompt {index + 1} is about {tokens:,} tokens, over the {size:,}-token "
                    f"context of {model} ({name}). Shorten or remove it."
                )
                break
    return problems


@dataclass(frozen=True, slots=True)
class CostRange:
    """What a workload may cost at list prices: `low` if every answer is short and from the
    cheapest model a column may pick, `high` if long and from the dearest; `unpriced` names
    models whose price is not known (left out)."""

    low: float
    high: float
    answer_tokens: tuple[int, int]
    unpriced: tuple[str, ...] = ()

    def describe(self) -> str:
        low, high = self.answer_tokens
        text = f"≈{fmt.money(self.low, 'reported')} – {fmt.money(self.high, 'reported')}"
        text += f" at list prices (answers of {low:,} to {high:,} tokens)"
        if self.unpriced:
            text += "; no price known for " + ", ".join(self.unpriced)
        return text


def estimate_range(
    prompts: Sequence[str],
    tiers: Sequence[Tier],
    prices: Mapping[str, ModelPrice],
    max_tokens: int | None = None,
) -> CostRange:
    low_answer = ANSWER_TOKENS_LOW if max_tokens is None else min(ANSWER_TOKENS_LOW, max_tokens)
    high_answer = max_tokens or ANSWER_TOKENS_HIGH
    prompt_tokens = sum(approx_tokens(p) for p in prompts)
    count = len(prompts)
    low = high = 0.0
    unpriced: list[str] = []
    for tier in tiers:
        per: list[tuple[float, float]] = []
        for model in pool_of(tier, prices):
            price = prices.get(model)
            if price is None or price.input_per_token is None or price.output_per_token is None:
                if model not in unpriced:
                    unpriced.append(model)
                continue
            per.append((price.input_per_token, price.output_per_token))
        if not per:
            continue
        low += min(i * prompt_tokens + o * low_answer * count for i, o in per)
        high += max(i * prompt_tokens + o * high_answer * count for i, o in per)
    return CostRange(low, high, (low_answer, high_answer), tuple(unpriced))


# --------------------------------------------------------------------------- workload runs


@dataclass(frozen=True, slots=True)
class Job:
    """One request of a workload: a prompt through one column (positions in the run)."""

    prompt_index: int
    column: int


@dataclass(frozen=True, slots=True)
class RunColumn:
    """A column of a run: where its answers are stored, its tier's id and its plan."""

    column: int
    tier_id: str
    plan: TurnPlan


@dataclass
class Progress:
    """Counts and spend so far, for the progress bar and the status line."""

    total: int
    finished: int = 0
    failures: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    cost_usd: float = 0.0
    estimated: bool = False
    unknown_costs: int = 0

    def describe(self) -> str:
        spend = fmt.money(self.cost_usd, "estimated" if self.estimated else "reported")
        parts = [f"{self.finished:,} of {self.total:,} requests", f"spent {spend}"]
        if self.unknown_costs:
            parts[-1] += f" + {self.unknown_costs} of unknown cost"
        if self.failures:
            parts.append(f"{self.failures} failed")
        if self.in_flight:
            parts.append(f"{self.in_flight} in flight")
        return " · ".join(parts)


class WorkloadRun:
    """Every prompt through every column, at most `concurrency` requests in flight.

    Jobs go out prompt by prompt (each prompt's columns together) from `concurrency` workers;
    a prompt is recorded once, by the first of its jobs to start (`conversation_of` says in
    which conversation). A retry keeps its slot: retries are not extra requests. Cancelling
    `run()` stops what is in flight (each kept as stopped) and starts nothing more; what
    finished stays in `results`.
    """

    def __init__(
        self,
        service: ChatService,
        prompts: Sequence[str],
        columns: Sequence[RunColumn],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        conversation_of: Callable[[int], int],
        max_tokens: int | None = None,
        temperature: float | None = None,
        on_started: Callable[[Job, Turn], None] | None = None,
        on_event: Callable[[Job, TurnEvent], None] | None = None,
        on_finished: Callable[[Job, Outcome], None] | None = None,
        on_retry: Callable[[Job, RetryNotice], None] | None = None,
        keep_text: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._service = service
        self.prompts = list(prompts)
        self.columns = list(columns)
        self.concurrency = concurrency
        self._conversation_of = conversation_of
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._on_started = on_started
        self._on_event = on_event
        self._on_finished = on_finished
        self._on_retry = on_retry
        self._keep_text = keep_text
        self.prompt_ids: dict[int, int] = {}
        self.results: list[list[Outcome | None]] = [[None] * len(columns) for _ in prompts]
        self.progress = Progress(len(self.prompts) * len(self.columns))

    def jobs(self) -> Iterator[Job]:
        for p in range(len(self.prompts)):
            for c in range(len(self.columns)):
                yield Job(p, c)

    async def run(self) -> None:
        jobs = self.jobs()  # shared: each job is taken by one worker, in order

        async def worker() -> None:
            for job in jobs:
                await self._one(job)

        workers = min(self.concurrency, self.progress.total)
        async with asyncio.TaskGroup() as group:
            for n in range(workers):
                group.create_task(worker(), name=f"workload-worker-{n}")

    def _start(self, job: Job) -> Turn:
        column = self.columns[job.column]
        conversation_id = self._conversation_of(job.prompt_index)
        parent = self.prompt_ids.get(job.prompt_index)
        if parent is None:
            turn = self._service.start_turn(
                conversation_id,
                self.prompts[job.prompt_index],
                column.plan,
                column=column.column,
            )
            self.prompt_ids[job.prompt_index] = turn.user_message_id
            return turn
        return self._service.start_turn(
            conversation_id, None, column.plan, parent_id=parent, column=column.column
        )

    async def _one(self, job: Job) -> None:
        turn = self._start(job)
        progress = self.progress
        progress.in_flight += 1
        progress.peak_in_flight = max(progress.peak_in_flight, progress.in_flight)
        if self._on_started is not None:
            self._on_started(job, turn)
        on_event = self._on_event
        on_retry = self._on_retry
        try:
            await self._service.run(
                turn,
                (lambda event: on_event(job, event)) if on_event else (lambda _e: None),
                max_tokens=self._max_tokens,
                temperature=self._temperature,
                on_retry=(lambda notice: on_retry(job, notice)) if on_retry else None,
            )
        finally:
            progress.in_flight -= 1
            if turn.result is not None:
                self._record(job, turn)

    def _record(self, job: Job, turn: Turn) -> None:
        column = self.columns[job.column]
        assert turn.result is not None
        outcome = Outcome.from_result(column.tier_id, column.plan, turn.result, turn.reply_id)
        if not self._keep_text:
            outcome = _without_text(outcome)
        self.results[job.prompt_index][job.column] = outcome
        progress = self.progress
        progress.finished += 1
        if outcome.failed:
            progress.failures += 1
        cost = outcome.known_cost
        if cost is None:
            progress.unknown_costs += 1
        else:
            progress.cost_usd += cost
            progress.estimated = progress.estimated or outcome.cost_source == "estimated"
        if self._on_finished is not None:
            self._on_finished(job, outcome)

    def outcomes(self, column: int) -> list[Outcome]:
        """A column's answers so far, in prompt order."""
        return [row[column] for row in self.results if row[column] is not None]  # type: ignore[misc]


# --------------------------------------------------------------------------- results


def percentile(values: Sequence[float], q: int) -> float | None:
    """The q-th percentile (1-99) with linear interpolation between the closest ranks (as
    numpy's default), or None without values."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass(frozen=True, slots=True)
class ColumnTotals:
    """A column's line of the totals: `requests` counts the prompts sent to it (retries are
    not extra requests), a failure is an answer that ended in an error, the cost sums the known
    costs (`unknown_costs` more have none), timings are over the answers that completed."""

    tier: str
    requests: int
    failures: int
    cost_usd: float
    unknown_costs: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    total_p50_ms: float | None
    total_p95_ms: float | None
    models: dict[str, int] = field(default_factory=dict)
    estimated: bool = False

    def to_json(self) -> dict[str, Any]:
        """Exactly one column of `routechat compare --workload --json`."""
        return {
            "tier": self.tier,
            "requests": self.requests,
            "failures": self.failures,
            "cost_usd": self.cost_usd,
            "unknown_costs": self.unknown_costs,
            "ttft_p50_ms": self.ttft_p50_ms,
            "ttft_p95_ms": self.ttft_p95_ms,
            "total_p50_ms": self.total_p50_ms,
            "total_p95_ms": self.total_p95_ms,
            "models": dict(self.models),
        }

    def models_text(self) -> str:
        """'gpt-4o-mini ×60, gemini-2.0-flash ×40'."""
        ranked = sorted(self.models.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{model} ×{count}" for model, count in ranked) or "—"


def column_totals(tier: str, outcomes: Iterable[Outcome]) -> ColumnTotals:
    items = list(outcomes)
    done = [o for o in items if o.succeeded]
    ttft = [o.ttft_ms for o in done if o.ttft_ms is not None]
    total = [o.total_ms for o in done if o.total_ms is not None]
    known = [o.known_cost for o in items if o.known_cost is not None]
    models = Counter(o.model for o in items if o.model)
    return ColumnTotals(
        tier=tier,
        requests=len(items),
        failures=sum(1 for o in items if o.failed),
        cost_usd=float(sum(known)),
        unknown_costs=len(items) - len(known),
        ttft_p50_ms=percentile(ttft, 50),
        ttft_p95_ms=percentile(ttft, 95),
        total_p50_ms=percentile(total, 50),
        total_p95_ms=percentile(total, 95),
        models=dict(models),
        estimated=any(o.cost_source == "estimated" and o.known_cost is not None for o in items),
    )


def workload_summary(prompts: int, totals: Sequence[ColumnTotals]) -> dict[str, Any]:
    """Exactly the summary of `routechat compare --workload --json`."""
    return {"prompts": prompts, "columns": [t.to_json() for t in totals]}


def _values(outcome: Outcome) -> tuple[object, ...]:
    return (
        outcome.tier,
        outcome.model,
        outcome.cost_usd,
        outcome.cost_source,
        outcome.prompt_tokens,
        outcome.completion_tokens,
        outcome.ttft_ms,
        outcome.total_ms,
        (outcome.error_kind or outcome.error.kind.value) if outcome.error else None,
    )


def csv_row(prompt_index: int, prompt: str, column: int, outcome: Outcome) -> list[object]:
    """One CSV row: a null value is an empty cell."""
    cells = (prompt_index, prompt, column, *_values(outcome))
    return ["" if v is None else v for v in cells]


def write_csv(
    out: TextIO, prompts: Sequence[str], results: Sequence[Sequence[Outcome | None]]
) -> int:
    """One row per prompt × column that ran, under `CSV_HEADER`, with standard quoting.
    Returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows = 0
    for p, row in enumerate(results):
        for c, outcome in enumerate(row):
            if outcome is not None:
                writer.writerow(csv_row(p, prompts[p], c, outcome))
                rows += 1
    return rows


def rows_json(
    prompts: Sequence[str], results: Sequence[Sequence[Outcome | None]]
) -> list[dict[str, Any]]:
    """The table's rows as JSON objects: the CSV's columns, nulls kept."""
    return [
        dict(zip(CSV_HEADER, (p, prompts[p], c, *_values(o)), strict=True))
        for p, row in enumerate(results)
        for c, o in enumerate(row)
        if o is not None
    ]


__all__ = [
    "CSV_HEADER",
    "LABELS",
    "MAX_COLUMNS",
    "MAX_PROMPTS",
    "MIN_COLUMNS",
    "PRESETS",
    "ColumnSpec",
    "ColumnThreadRecorder",
    "ColumnTotals",
    "ComparisonView",
    "CostRange",
    "Job",
    "ModelPrice",
    "Outcome",
    "Progress",
    "PromptOnlyRecorder",
    "RoundSummary",
    "RunColumn",
    "WorkloadError",
    "WorkloadRun",
    "check_context",
    "column_totals",
    "describe_round",
    "estimate_range",
    "multiple",
    "parse_prompts",
    "percentile",
    "prices_from_models",
    "rows_json",
    "start_round",
    "summarize",
    "workload_summary",
    "write_csv",
]
