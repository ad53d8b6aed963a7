"""services/compare: columns and their threads, the summary strip, workload input, runs with a
concurrency bound, and the exact shapes the command line prints."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    Completed,
    CostSource,
    RoutedModel,
    StreamEvent,
    TextDelta,
    TurnResult,
    TurnStatus,
    Usage,
)
from desktop_app.api.request import ChatRequest
from desktop_app.config.settings import RetryPolicy
from desktop_app.routing.plan import plan_for
from desktop_app.routing.tiers import TierCatalogue
from desktop_app.services import compare
from desktop_app.services.chat import ChatService, MemoryRecorder
from desktop_app.services.compare import (
    CSV_HEADER,
    ColumnSpec,
    ColumnThreadRecorder,
    ComparisonView,
    ModelPrice,
    Outcome,
    PromptOnlyRecorder,
    RunColumn,
    WorkloadError,
    WorkloadRun,
    check_context,
    column_totals,
    describe_round,
    estimate_range,
    multiple,
    parse_prompts,
    percentile,
    start_round,
    summarize,
    workload_summary,
    write_csv,
)
from desktop_app.services.recorder import StoreRecorder
from desktop_app.store import HistoryStore

TIERS = TierCatalogue()
BUDGET, BALANCED, PREMIUM = (plan_for(TIERS.get(t)) for t in ("budget", "balanced", "premium"))


def outcome(
    tier: str = "budget",
    cost: float | None = 0.001,
    source: str = "reported",
    ttft: float | None = 300.0,
    total: float | None = 900.0,
    error: ApiError | None = None,
    model: str | None = "openai/gpt-4o-mini",
) -> Outcome:
    return Outcome(
        tier, None, model, "text", cost, source, 10, 20, ttft, total, "stop", error,
        TurnStatus.FAILED.value if error else TurnStatus.COMPLETE.value,
    )  # fmt: skip


class EchoClient:
    """Answers every request at once: the text names the model and the last user message;
    `gate` (when set) holds every stream until it is opened, so tests can count requests in
    flight."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.requests: list[ChatRequest] = []
        self.in_flight = 0
        self.peak = 0
        self.gate: asyncio.Event | None = None
        self.fail = fail or set()

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        return self._play(request)

    async def _play(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            model = (request.candidates or (request.model,))[0]
            prompt = request.messages[-1]["content"]
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(0)
            if prompt in self.fail:
                error = ApiError(ErrorKind.BAD_REQUEST, "Rejected", 400)
                yield Completed(TurnResult(status=TurnStatus.FAILED, error=error))
                return
            yield RoutedModel(model)
            text = f"{model} says: {prompt}"
            yield TextDelta(text)
            cost = 0.0 if "free" in prompt else 0.001 * (1 + len(self.requests) % 3)
            yield Completed(
                TurnResult(
                    text=text,
                    model=model,
                    usage=Usage(5, 7, 12),
                    cost_usd=cost,
                    cost_source=CostSource.REPORTED,
                    finish_reason="stop",
                )
            )
        finally:
            self.in_flight -= 1


def service_for(client: EchoClient, recorder: object) -> ChatService:
    return ChatService(
        lambda: client,  # type: ignore[arg-type,return-value]
        recorder,  # type: ignore[arg-type]
        policy=lambda: RetryPolicy(max_retries=0),
    )


async def spin_until(predicate: Callable[[], bool]) -> None:
    """Let the other tasks run until `predicate` holds (no clock involved)."""
    for _ in range(10_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    s = HistoryStore.open(tmp_path / "h.sqlite3")
    yield s
    s.close()


# --- the view's columns ----------------------------------------------------------------------


def test_the_view_round_trips_and_reads_leniently() -> None:
    view = ComparisonView([ColumnSpec(2, "premium"), ColumnSpec(0, "budget")], blind=True)
    data = view.to_json(TIERS)
    assert data == {
        "columns": [
            {"column": 2, "tier_id": "premium", "label": "Premium"},
            {"column": 0, "tier_id": "budget", "label": "Budget"},
        ],
        "blind": True,
    }
    assert ComparisonView.from_json(data) == view
    messy = {
        "columns": [
            {"column": 1, "tier_id": "auto"},
            "x",
            {"column": 1, "tier_id": "code"},
            {"column": -1, "tier_id": "code"},
            {"column": 3, "tier_id": "code"},
        ]
    }
    assert ComparisonView.from_json(messy).columns == [ColumnSpec(1, "auto"), ColumnSpec(3, "code")]
    assert ComparisonView.from_json(None) == ComparisonView.default()
    assert ComparisonView.from_json({"columns": [{"column": 0, "tier_id": "x"}]}).columns == [
        ColumnSpec(0, "budget"),
        ColumnSpec(1, "balanced"),
        ColumnSpec(2, "premium"),
    ]
    assert view.next_column() == 3
    assert view.next_column(used=[7]) == 8  # a removed column's number is never reused


def test_presets() -> None:
    by_name = {p.name: p for p in compare.PRESETS}
    assert by_name["Budget · Balanced · Premium"].tiers(TIERS, "code") == (
        "budget",
        "balanced",
        "premium",
    )
    assert by_name["Auto vs Balanced"].tiers(TIERS, "code") == ("auto", "balanced")
    pair = by_name["Smart routing vs its fallback model"].tiers
    assert pair(TIERS, "premium") == ("premium", "model:anthropic/claude-opus-4-5")
    assert pair(TIERS, "model:openai/gpt-4o") == ("balanced", "model:openai/gpt-4o")
    assert pair(TIERS, "auto") == ("auto", "model:openai/gpt-4o")  # the server's own fallback


# --- outcomes and the summary strip ----------------------------------------------------------


def test_an_outcome_is_exactly_one_json_column() -> None:
    error = ApiError(ErrorKind.RATE_LIMITED, "Too many requests.", 429, retry_after=7)
    failed = Outcome.from_result("model:openai/gpt-4o", plan_for(TIERS.get("model:openai/gpt-4o")),
                                 TurnResult(status=TurnStatus.FAILED, error=error))  # fmt: skip
    assert failed.to_json() == {
        "tier": "model:openai/gpt-4o",
        "candidates": None,
        "model": None,
        "text": "",
        "cost_usd": None,
        "cost_source": "unknown",
        "prompt_tokens": None,
        "completion_tokens": None,
        "ttft_ms": None,
        "total_ms": None,
        "finish_reason": None,
        "error": {"kind": "rate_limited", "message": "Too many requests. Retry after 7 s.",
                  "status": 429},
    }  # fmt: skip
    ok = Outcome.from_result("budget", BUDGET, TurnResult(text="hi", model="m", usage=Usage(1, 2)))
    assert ok.to_json()["candidates"] == list(BUDGET.candidates or ())
    assert ok.succeeded and not ok.failed
    stopped = ApiError(ErrorKind.CANCELLED, "Stopped.")
    assert not outcome(error=stopped).failed  # stopped by the user: not the answer's failure


def test_cheapest_and_fastest_leave_out_unknown_costs_and_failures() -> None:
    failed = outcome(cost=0.0001, ttft=10, total=20, error=ApiError(ErrorKind.SERVER, "x", 503))
    rows = [
        outcome(cost=0.004, ttft=500, total=1500),
        outcome(cost=None, source="unknown", ttft=200, total=2000),
        outcome(cost=0.001, source="estimated", ttft=400, total=1000),
        failed,
    ]
    s = summarize(rows)
    assert s.cheapest == 2
    assert s.fastest_first_token == 1  # an unknown cost still has timings
    assert s.fastest_total == 2
    assert s.multiples == (pytest.approx(4.0), None, pytest.approx(1.0), None)
    assert s.unknown_costs == 1 and s.failed == 1
    names = ["Budget", "Balanced", "Premium", "Auto"]
    assert describe_round(s, rows, names) == [
        "Cheapest: Premium (≈$0.001)",
        "Fastest first token: Balanced (200 ms)",
        "Fastest total: Premium (1.0 s)",
        "Cost: Budget ×4, Premium ×1",
        "1 unknown cost left out",
        "1 failed",
    ]


def test_no_column_qualifies() -> None:
    s = summarize([outcome(cost=None, source="unknown", ttft=None, total=None), None])
    assert (s.cheapest, s.fastest_first_token, s.fastest_total) == (None, None, None)
    assert describe_round(s, [None, None], ["A", "B"])[0] == "Cheapest: none known"


def test_ties_go_to_the_first_column_and_a_free_answer_is_the_cheapest() -> None:
    s = summarize([outcome(cost=0.0), outcome(cost=0.0), outcome(cost=0.002)])
    assert s.cheapest == 0
    assert s.multiples == (1.0, 1.0, None)  # ×∞ is not a multiple


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "×1"), (4.24, "×4.2"), (9.96, "×10"), (38.4, "×38"), (1250.0, "×1,250")],
)
def test_multiples_read_short(value: float, text: str) -> None:
    assert multiple(value) == text


# --- rounds and threads ------------------------------------------------------------------------


async def test_a_round_records_the_prompt_once_and_each_column_sees_its_own_thread(
    store: HistoryStore,
) -> None:
    client = EchoClient()
    recorder = ColumnThreadRecorder(StoreRecorder(store), store)
    service = service_for(client, recorder)
    cid = store.create_conversation(kind="comparison")
    plans = [(0, BUDGET), (1, PREMIUM)]
    for prompt in ("first", "second"):
        turns = start_round(service, cid, prompt, plans)
        assert len({t.user_message_id for t in turns}) == 1
        await asyncio.gather(*(service.run(t, lambda _e: None) for t in turns))
    users = [m for m in store.load_messages(cid) if m.role == "user"]
    assert [m.content for m in users] == ["first", "second"]
    # The second round's request of each column carried that column's first answer only.
    second_budget = client.requests[2].messages
    assert [m["content"] for m in second_budget] == [
        "first",
        f"{BUDGET.candidates[0]} says: first",  # type: ignore[index]
        "second",
    ]
    # A column added for the third prompt starts its thread there.
    turns = start_round(service, cid, "third", [*plans, (5, BALANCED)])
    await asyncio.gather(*(service.run(t, lambda _e: None) for t in turns))
    assert [m["content"] for m in client.requests[-1].messages] == ["third"]
    assert len(client.requests[-2].messages) == 5  # premium: three prompts, two answers


async def test_a_workload_prompt_is_sent_on_its_own(store: HistoryStore) -> None:
    client = EchoClient()
    service = service_for(client, PromptOnlyRecorder(StoreRecorder(store), store))
    cid = store.create_conversation(kind="workload")
    run = WorkloadRun(
        service, ["one", "two", "three"], [RunColumn(0, "budget", BUDGET)],
        concurrency=2, conversation_of=lambda _i: cid,
    )  # fmt: skip
    await run.run()
    assert sorted(len(r.messages) for r in client.requests) == [1, 1, 1]
    assert sorted(r.messages[0]["content"] for r in client.requests) == ["one", "three", "two"]
    users = [m.content for m in store.load_messages(cid) if m.role == "user"]
    assert users == ["one", "two", "three"]


# --- workload input ---------------------------------------------------------------------------


def test_text_and_jsonl_prompts() -> None:
    assert parse_prompts(b"\xef\xbb\xbfone\n\n  two  \r\nthree\n", "w.txt") == [
        "one",
        "two",
        "three",
    ]
    jsonl = '{"prompt": "a"}\n\n{"prompt": "b", "id": 7}\n'
    assert parse_prompts(jsonl.encode(), "w.jsonl") == ["a", "b"]
    assert parse_prompts("pasted\nlines") == ["pasted", "lines"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "empty.txt has no prompts: it is empty or holds only blank lines."),
        (b"\n  \n", "blank.jsonl", "blank.jsonl has no prompts"),
        ("", "", "No prompts yet: paste them one per line, or open a file."),
        (b"a,b\n", "data.csv", "data.csv is not a workload file"),
        (b"%PDF-1.7\x00\x01", "doc.txt", "doc.txt is a binary file"),
        (b"caf\xe9\n", "latin.txt", "latin.txt is not UTF-8 text (byte 4 cannot be read)"),
        (b'{"prompt": "a"}\n{"text": "b"}\n', "w.jsonl", 'w.jsonl, line 2: expected {"prompt"'),
        (b"not json\n", "w.jsonl", "line 1"),
        (b"x\n" * 501, "big.txt", "big.txt holds 501 prompts; a workload run takes at most 500."),
    ],
)
def test_bad_workload_input_says_what_happened(data: bytes | str, name: str, message: str) -> None:
    with pytest.raises(WorkloadError) as info:
        parse_prompts(data, name)
    assert message in str(info.value)


def test_exactly_500_prompts_are_accepted() -> None:
    assert len(parse_prompts("x\n" * 500)) == 500


PRICES = {
    "openai/gpt-4o-mini": ModelPrice(0.15e-6, 0.60e-6, 128_000),
    "google/gemini-2.0-flash": ModelPrice(0.10e-6, 0.40e-6, 1_048_576),
    "anthropic/claude-haiku-4-5": ModelPrice(1e-6, 5e-6, 200_000),
    "openai/gpt-4o": ModelPrice(2.5e-6, 10e-6, 128_000),
}


def test_a_prompt_over_a_columns_context_is_named() -> None:
    long = "x" * (4 * 130_000)
    columns = [("Budget", TIERS.get("budget")), ("Fixed", TIERS.get("model:openai/gpt-4o"))]
    problems = check_context(["short", long], columns, PRICES)
    assert problems == [
        "Prompt 2 is about 130,000 tokens, over the 128,000-token context of openai/gpt-4o-mini "
        "(Budget). Shorten or remove it."
    ]
    assert check_context([long], columns, {}) == []  # nothing known: nothing claimed


def test_the_cost_range_at_list_prices() -> None:
    prompts = ["x" * 400, "y" * 400]  # about 100 tokens each
    budget = TIERS.get("budget")
    r = estimate_range(prompts, [budget], PRICES)
    cheapest = 200 * 0.10e-6 + 2 * 100 * 0.40e-6  # gemini flash, short answers
    dearest = 200 * 1e-6 + 2 * 1000 * 5e-6  # haiku, long answers
    assert r.low == pytest.approx(cheapest) and r.high == pytest.approx(dearest)
    assert r.unpriced == ()
    capped = estimate_range(prompts, [budget], PRICES, max_tokens=50)
    assert capped.answer_tokens == (50, 50)
    partly = estimate_range(prompts, [TIERS.get("premium")], PRICES)
    assert partly.unpriced == ("anthropic/claude-opus-4-5", "google/gemini-2.5-pro")
    assert "at list prices (answers of 100 to 1,000 tokens)" in r.describe()
    assert "no price known for anthropic/claude-opus-4-5" in partly.describe()


# --- workload runs ---------------------------------------------------------------------------


def columns3() -> list[RunColumn]:
    return [
        RunColumn(0, "budget", BUDGET),
        RunColumn(1, "balanced", BALANCED),
        RunColumn(2, "premium", PREMIUM),
    ]


@pytest.mark.parametrize("bound", [1, 2, 4])
async def test_never_more_than_the_bound_in_flight(bound: int) -> None:
    client = EchoClient()
    client.gate = asyncio.Event()
    run = WorkloadRun(
        service_for(client, MemoryRecorder()),
        [f"p{i}" for i in range(5)],
        columns3(),
        concurrency=bound,
        conversation_of=lambda i: i + 1,
    )
    task = asyncio.create_task(run.run())
    for _ in range(20):
        await asyncio.sleep(0)
    assert client.in_flight == bound  # the bound is reached, not exceeded, while held
    client.gate.set()
    await task
    assert client.peak == bound and run.progress.peak_in_flight == bound
    assert len(client.requests) == 15 and run.progress.finished == 15
    # Jobs go out prompt by prompt: the first `bound` requests are the first prompt's columns.
    firsts = [r.messages[-1]["content"] for r in client.requests[:3]]
    assert firsts == ["p0", "p0", "p0"]
    assert all(o is not None and o.succeeded for row in run.results for o in row)


async def test_cancel_keeps_what_finished_and_stops_what_was_in_flight() -> None:
    client = EchoClient()
    recorder = MemoryRecorder()
    finished: list[compare.Job] = []
    run = WorkloadRun(
        service_for(client, recorder),
        [f"p{i}" for i in range(4)],
        columns3()[:2],
        concurrency=2,
        conversation_of=lambda i: i + 1,
        on_finished=lambda job, _o: finished.append(job),
    )
    task = asyncio.create_task(run.run())
    await spin_until(lambda: len(finished) >= 2)
    client.gate = asyncio.Event()  # the next requests hang
    await spin_until(lambda: client.in_flight == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    statuses = [[o.status if o else None for o in row] for row in run.results]
    done = sum(1 for row in statuses for s in row if s == "complete")
    stopped = sum(1 for row in statuses for s in row if s == "stopped")
    assert done >= 2 and stopped == 2
    assert sum(1 for row in statuses for s in row if s is None) == 8 - done - stopped
    assert run.progress.finished == done + stopped and run.progress.in_flight == 0
    assert run.progress.failures == 0  # stopped by the user is not a failure


async def test_progress_counts_failures_and_spend() -> None:
    client = EchoClient(fail={"bad"})
    seen: list[str] = []
    run = WorkloadRun(
        service_for(client, MemoryRecorder()),
        ["good", "bad", "free"],
        columns3()[:2],
        concurrency=3,
        conversation_of=lambda i: i + 1,
        on_finished=lambda _j, _o: seen.append(run.progress.describe()),
    )
    await run.run()
    p = run.progress
    assert (p.finished, p.failures, p.unknown_costs) == (6, 2, 2)
    assert p.cost_usd == pytest.approx(
        sum(o.known_cost or 0 for o in run.outcomes(0) + run.outcomes(1))
    )
    assert seen[-1].startswith("6 of 6 requests · spent $") and "2 failed" in seen[-1]


# --- results -------------------------------------------------------------------------------


def test_percentiles_interpolate_like_numpy() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_column_totals_are_the_exact_json_line() -> None:
    rows = [
        outcome(cost=0.002, ttft=100, total=1000, model="a/x"),
        outcome(cost=None, source="unknown", ttft=300, total=3000, model="a/y"),
        outcome(cost=0.001, ttft=200, total=2000, model="a/x"),
        outcome(cost=None, source="unknown", ttft=None, total=50, model=None,
                error=ApiError(ErrorKind.SERVER, "down", 503)),
    ]  # fmt: skip
    totals = column_totals("budget", rows)
    assert totals.to_json() == {
        "tier": "budget",
        "requests": 4,
        "failures": 1,
        "cost_usd": pytest.approx(0.003),
        "unknown_costs": 2,
        "ttft_p50_ms": pytest.approx(200.0),
        "ttft_p95_ms": pytest.approx(290.0),
        "total_p50_ms": pytest.approx(2000.0),  # the failure's 50 ms is not an answer's time
        "total_p95_ms": pytest.approx(2900.0),
        "models": {"a/x": 2, "a/y": 1},
    }
    assert totals.models_text() == "a/x ×2, a/y ×1"
    empty = column_totals("premium", [])
    assert empty.to_json()["cost_usd"] == 0.0 and empty.ttft_p50_ms is None
    summary = workload_summary(3, [totals, empty])
    assert list(summary) == ["prompts", "columns"] and summary["prompts"] == 3
    assert json.loads(json.dumps(summary))["columns"][1]["models"] == {}


def test_csv_has_the_exact_header_quoting_and_empty_cells() -> None:
    prompts = ['Say "hi", please\nthen stop', "two"]
    results: list[list[Outcome | None]] = [
        [outcome(cost=0.0015), outcome(cost=None, source="unknown", model=None, ttft=None,
                                       error=ApiError(ErrorKind.TIMEOUT, "slow"))],
        [outcome(), None],  # not run (cancelled)
    ]  # fmt: skip
    out = io.StringIO()
    assert write_csv(out, prompts, results) == 3
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(CSV_HEADER)
    assert CSV_HEADER == (
        "prompt_index", "prompt", "column", "tier", "model", "cost_usd", "cost_source",
        "prompt_tokens", "completion_tokens", "ttft_ms", "total_ms", "error_kind",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["prompt"] == prompts[0] and rows[0]["cost_usd"] == "0.0015"
    assert rows[1] == {
        "prompt_index": "0", "prompt": prompts[0], "column": "1", "tier": "budget",
        "model": "", "cost_usd": "", "cost_source": "unknown", "prompt_tokens": "10",
        "completion_tokens": "20", "ttft_ms": "", "total_ms": "900.0", "error_kind": "timeout",
    }  # fmt: skip
    assert rows[2]["prompt_index"] == "1" and rows[2]["column"] == "0"
    assert '"Say ""hi"", please\nthen stop"' in text  # standard quoting
