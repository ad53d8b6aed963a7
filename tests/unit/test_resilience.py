"""Retries and fallback: the pure decision table, backoff bounds, the orchestrator with fake
attempts, a fake sleep and a fake clock, and the real client against the emulator."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.api.client import ClientConfig, EdenClient
from desktop_app.api.errors import ApiError, ErrorKind, TimeoutPhase
from desktop_app.api.events import (
    Completed,
    CostReport,
    CostSource,
    Failed,
    Finished,
    RoutedModel,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    TurnResult,
    TurnStatus,
    Usage,
    UsageReport,
)
from desktop_app.api.request import SMART_ROUTER, ChatRequest
from desktop_app.emulator.server import EmulatorConfig, EmulatorServer
from desktop_app.routing.tiers import Tier
from desktop_app.services.resilience import (
    Decision,
    Fallback,
    GiveUp,
    ResilientResult,
    Retry,
    RetryNotice,
    RetryPolicy,
    decide,
    run_resilient,
    sleep_at_least,
)

FALLBACK = "openai/gpt-4o"
POLICY = RetryPolicy(max_retries=2, max_total_seconds=30.0, base_delay=0.5, max_delay=8.0)


def err(
    kind: ErrorKind,
    status: int | None = None,
    *,
    retry_after: float | None = None,
    timeout_phase: TimeoutPhase | None = None,
    code: str | None = None,
) -> ApiError:
    return ApiError(
        kind,
        f"{kind.value} happened",
        status=status,
        retry_after=retry_after,
        code=code,
        timeout_phase=timeout_phase,
    )


# --------------------------------------------------------------------------- decision table

# (error, retried when budget is left, falls back (routed) when retries are exhausted)
TABLE: list[tuple[str, ApiError, bool, bool]] = [
    ("401", err(ErrorKind.AUTH, 401), False, False),
    ("403", err(ErrorKind.AUTH, 403), False, False),
    ("402", err(ErrorKind.CREDITS, 402), False, False),
    ("400", err(ErrorKind.BAD_REQUEST, 400), False, False),
    ("422", err(ErrorKind.BAD_REQUEST, 422), False, False),
    ("429", err(ErrorKind.RATE_LIMITED, 429, retry_after=1.0), True, False),
    ("429-no-header", err(ErrorKind.RATE_LIMITED, 429), True, False),
    ("451", err(ErrorKind.REGION, 451), False, False),
    ("500", err(ErrorKind.SERVER, 500), True, True),
    ("501", err(ErrorKind.SERVER, 501), False, False),
    ("502", err(ErrorKind.SERVER, 502), True, True),
    ("503", err(ErrorKind.SERVER, 503), True, True),
    ("504", err(ErrorKind.SERVER, 504), True, True),
    ("connect", err(ErrorKind.CONNECT), True, False),
    (
        "timeout-connect",
        err(ErrorKind.TIMEOUT, timeout_phase=TimeoutPhase.CONNECT),
        True,
        False,
    ),
    (
        "timeout-first-byte",
        err(ErrorKind.TIMEOUT, timeout_phase=TimeoutPhase.FIRST_BYTE),
        True,
        True,
    ),
    ("timeout-idle", err(ErrorKind.TIMEOUT, timeout_phase=TimeoutPhase.IDLE), True, False),
    ("timeout-total", err(ErrorKind.TIMEOUT, timeout_phase=TimeoutPhase.TOTAL), False, False),
    ("interrupted", err(ErrorKind.INTERRUPTED), True, False),
    ("protocol", err(ErrorKind.PROTOCOL), False, False),
    ("cancelled", err(ErrorKind.CANCELLED), False, False),
]

# (name, attempt, elapsed): budget left / count exhausted / time exhausted
BUDGETS = [("fresh", 1, 0.0), ("count-spent", 3, 1.0), ("time-spent", 1, 29.9)]


def test_the_table_covers_every_error_kind() -> None:
    assert {e.kind for _, e, _, _ in TABLE} == set(ErrorKind)


def _kind(decision: Decision) -> str:
    return type(decision).__name__


@pytest.mark.parametrize(
    ("name", "error", "retried", "falls_back"), TABLE, ids=[t[0] for t in TABLE]
)
@pytest.mark.parametrize(("budget", "attempt", "elapsed"), BUDGETS, ids=[b[0] for b in BUDGETS])
@pytest.mark.parametrize("text_shown", [False, True], ids=["no-text", "text-shown"])
@pytest.mark.parametrize("routed", [False, True], ids=["fixed", "routed"])
def test_decision_table(
    name: str,
    error: ApiError,
    retried: bool,
    falls_back: bool,
    budget: str,
    attempt: int,
    elapsed: float,
    text_shown: bool,
    routed: bool,
) -> None:
    decision = decide(
        error,
        text_shown=text_shown,
        attempt=attempt,
        elapsed=elapsed,
        policy=POLICY,
        routed=routed,
        fallback_model=FALLBACK if routed else None,
        rng=random.Random(1),
    )
    if text_shown or not retried:
        expected = "GiveUp"
    elif budget == "fresh":
        expected = "Retry"
    else:
        expected = "Fallback" if routed and falls_back else "GiveUp"
    assert _kind(decision) == expected, decision
    if isinstance(decision, Fallback):
        assert decision.model == FALLBACK
    if isinstance(decision, Retry):
        assert 0 < decision.delay <= POLICY.max_total_seconds - elapsed


def test_fixed_model_never_falls_back_even_when_a_fallback_is_named() -> None:
    decision = decide(
        err(ErrorKind.SERVER, 503),
        text_shown=False,
        attempt=9,
        elapsed=0.0,
        policy=POLICY,
        routed=False,
        fallback_model=FALLBACK,
    )
    assert isinstance(decision, GiveUp)


def test_routed_without_a_fallback_model_gives_up() -> None:
    decision = decide(
        err(ErrorKind.SERVER, 503),
        text_shown=False,
        attempt=3,
        elapsed=0.0,
        policy=POLICY,
        routed=True,
        fallback_model=None,
    )
    assert isinstance(decision, GiveUp)
    assert "no retries left" in decision.reason


def test_zero_retries_falls_back_at_once() -> None:
    policy = RetryPolicy(max_retries=0)
    decision = decide(
        err(ErrorKind.SERVER, 503),
        text_shown=False,
        attempt=1,
        elapsed=0.0,
        policy=policy,
        routed=True,
        fallback_model=FALLBACK,
    )
    assert decision == Fallback(FALLBACK, decision.reason)


# --------------------------------------------------------------------------- Retry-After


def test_retry_after_is_a_floor_even_above_max_delay() -> None:
    error = err(ErrorKind.RATE_LIMITED, 429, retry_after=12.0)
    decision = decide(
        error, text_shown=False, attempt=1, elapsed=0.0, policy=POLICY, rng=random.Random(3)
    )
    assert isinstance(decision, Retry)
    assert decision.delay == 12.0


def test_short_retry_after_does_not_shorten_the_backoff() -> None:
    policy = RetryPolicy(base_delay=2.0, jitter=0.0)
    error = err(ErrorKind.SERVER, 503, retry_after=0.1)
    assert policy.delay_for(1, error.retry_after, random.Random(0)) == 2.0
    assert policy.delay_for(2, error.retry_after, None) == 4.0


def test_retry_after_beyond_the_budget_gives_up_instead_of_waiting() -> None:
    error = err(ErrorKind.RATE_LIMITED, 429, retry_after=45.0)
    decision = decide(error, text_shown=False, attempt=1, elapsed=0.0, policy=POLICY)
    assert isinstance(decision, GiveUp)
    assert "Retry-After 45 s" in decision.reason
    # The same wait fits at the start of a longer budget.
    longer = RetryPolicy(max_total_seconds=60.0)
    assert decide(error, text_shown=False, attempt=1, elapsed=0.0, policy=longer) == Retry(
        45.0, "rate_limited: retry 1 in 45.00 s"
    )
    # ... but not late in it.
    late = decide(error, text_shown=False, attempt=1, elapsed=20.0, policy=longer)
    assert isinstance(late, GiveUp)


def test_retry_after_beyond_the_budget_on_the_router_falls_back() -> None:
    error = err(ErrorKind.SERVER, 503, retry_after=120.0)
    decision = decide(
        error,
        text_shown=False,
        attempt=1,
        elapsed=0.0,
        policy=POLICY,
        routed=True,
        fallback_model=FALLBACK,
    )
    assert isinstance(decision, Fallback)


def test_backoff_grows_exponentially_up_to_max_delay() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0, jitter=0.0)
    e = err(ErrorKind.CONNECT)
    assert [policy.delay_for(n, e.retry_after, None) for n in range(1, 8)] == [
        0.5,
        1,
        2,
        4,
        8,
        8,
        8,
    ]
    assert policy.delay_for(10_000, e.retry_after, None) == 8.0  # no overflow


def test_policy_is_the_setting_and_is_validated() -> None:
    policy = RetryPolicy(max_retries=5, max_total_seconds=12.5)
    assert (policy.max_retries, policy.max_total_seconds) == (5, 12.5)
    assert policy.base_delay == RetryPolicy().base_delay
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="base_delay"):
        RetryPolicy(base_delay=float("nan"))


# --------------------------------------------------------------------------- properties

policies = st.builds(
    RetryPolicy,
    max_retries=st.integers(0, 10),
    max_total_seconds=st.floats(0, 600),
    base_delay=st.floats(0, 10),
    max_delay=st.floats(0, 60),
    jitter=st.floats(0, 1),
)
retry_afters = st.none() | st.floats(0, 1000)


@given(policies, st.integers(1, 200), retry_afters, st.integers(0, 2**32))
def test_delays_stay_within_bounds(
    policy: RetryPolicy, attempt: int, retry_after: float | None, seed: int
) -> None:
    error = err(ErrorKind.RATE_LIMITED, 429, retry_after=retry_after)
    delay = policy.delay_for(attempt, error.retry_after, random.Random(seed))
    ceiling = policy.backoff_ceiling(attempt)
    assert ceiling <= policy.max_delay
    assert delay >= 0
    if retry_after is None:
        assert ceiling * (1 - policy.jitter) - 1e-9 <= delay <= policy.max_delay
    else:
        assert delay >= retry_after
        assert delay <= max(policy.max_delay, retry_after)


@given(
    policies,
    st.lists(retry_afters, min_size=1, max_size=15),
    st.lists(st.floats(0, 40), min_size=15, max_size=15),
    st.integers(0, 2**32),
)
def test_a_retry_loop_never_exceeds_its_count_or_time_budget(
    policy: RetryPolicy,
    retry_afters_seen: list[float | None],
    attempt_durations: list[float],
    seed: int,
) -> None:
    rng = random.Random(seed)
    elapsed = 0.0
    retries = 0
    for n, retry_after in enumerate(retry_afters_seen):
        elapsed += attempt_durations[n]  # the failed attempt itself took this long
        error = err(ErrorKind.RATE_LIMITED, 429, retry_after=retry_after)
        decision = decide(
            error, text_shown=False, attempt=retries + 1, elapsed=elapsed, policy=policy, rng=rng
        )
        if not isinstance(decision, Retry):
            assert isinstance(decision, GiveUp)  # never a fallback for a 429
            break
        assert elapsed + decision.delay <= policy.max_total_seconds
        if retry_after is not None:
            assert decision.delay >= retry_after
        elapsed += decision.delay
        retries += 1
    assert retries <= policy.max_retries


@given(st.sampled_from([e for _, e, _, _ in TABLE]), st.integers(1, 20), st.floats(0, 600))
def test_text_shown_always_gives_up(error: ApiError, attempt: int, elapsed: float) -> None:
    decision = decide(
        error,
        text_shown=True,
        attempt=attempt,
        elapsed=elapsed,
        policy=POLICY,
        routed=True,
        fallback_model=FALLBACK,
        rng=random.Random(0),
    )
    assert isinstance(decision, GiveUp)


# --------------------------------------------------------------------------- orchestrator

Script = Sequence[StreamEvent]


def ok(text: str = "Hello there", model: str = "anthropic/claude-sonnet-4-5") -> list[StreamEvent]:
    usage = Usage(5, 2, 7)
    return [
        RoutedModel(model),
        *(TextDelta(part) for part in text.split(" ")),
        UsageReport(usage),
        CostReport(0.001, CostSource.REPORTED),
        Finished("stop"),
        Completed(TurnResult(text=text, model=model, usage=usage, cost_usd=0.001)),
    ]


def fail(error: ApiError, text: str = "", model: str | None = None) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if model is not None:
        events.append(RoutedModel(model))
    if text:
        events.append(TextDelta(text))
    status = TurnStatus.INTERRUPTED if text else TurnStatus.FAILED
    events += [
        Failed(error),
        Completed(TurnResult(text=text, model=model, error=error, status=status)),
    ]
    return events


class Attempts:
    """A fake `attempt`: each call plays the next script, recording its model override."""

    def __init__(self, *scripts: Script, hang_after: int | None = None) -> None:
        self.scripts = list(scripts)
        self.calls: list[str | None] = []
        self.closed = 0
        self.hang_after = hang_after  # in the last script: hang after this many events

    def __call__(self, model: str | None) -> AsyncIterator[StreamEvent]:
        index = len(self.calls)
        self.calls.append(model)
        return self._play(self.scripts[index], last=index == len(self.scripts) - 1)

    async def _play(self, script: Script, last: bool) -> AsyncIterator[StreamEvent]:
        try:
            for n, event in enumerate(script):
                if last and self.hang_after is not None and n == self.hang_after:
                    await asyncio.Event().wait()
                await asyncio.sleep(0)
                yield event
        finally:
            self.closed += 1


class FakeTime:
    """A clock that only moves when the fake sleep is awaited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.delays: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay
        await asyncio.sleep(0)


async def run(
    attempts: Attempts,
    *,
    routed: bool = True,
    fallback: str | None = FALLBACK,
    policy: RetryPolicy = POLICY,
    fake: FakeTime | None = None,
    sleep: Callable[[float], object] | None = None,
) -> tuple[ResilientResult, list[StreamEvent], list[RetryNotice]]:
    fake = fake or FakeTime()
    events: list[StreamEvent] = []
    notices: list[RetryNotice] = []
    outcome = await run_resilient(
        attempts,
        routed=routed,
        fallback_model=fallback,
        policy=policy,
        on_event=events.append,
        on_retry=notices.append,
        sleep=sleep or fake.sleep,  # type: ignore[arg-type]
        clock=fake.clock,
        rng=random.Random(7),
    )
    return outcome, events, notices


async def test_success_at_once_forwards_everything_in_order() -> None:
    script = ok()
    attempts = Attempts(script)
    outcome, events, notices = await run(attempts)
    assert events == script
    assert notices == []
    assert outcome.retries == 0 and not outcome.fallback_used and outcome.errors == ()
    assert outcome.result.status is TurnStatus.COMPLETE
    assert attempts.closed == 1


async def test_429_then_success_retries_once_without_flashing_the_error() -> None:
    limited = err(ErrorKind.RATE_LIMITED, 429, retry_after=7.0)
    fake = FakeTime()
    attempts = Attempts(fail(limited), ok())
    outcome, events, notices = await run(attempts, fake=fake)
    assert attempts.calls == [None, None]
    assert outcome.retries == 1 and not outcome.fallback_used
    assert outcome.errors == (limited,)
    assert fake.delays == [7.0]  # Retry-After 7 s is above the 0.5 s backoff
    assert outcome.elapsed == 7.0
    assert not any(isinstance(e, Failed) for e in events)
    assert [e for e in events if isinstance(e, Completed)] == [ok()[-1]]
    assert notices == [RetryNotice(1, 7.0, limited)]
    assert notices[0].describe() == "Rate limited, retrying in 7 s"
    assert outcome.result.status is TurnStatus.COMPLETE
    assert attempts.closed == 2


async def test_503_three_times_on_the_router_falls_back() -> None:
    unavailable = err(ErrorKind.SERVER, 503, code="router_unavailable")
    fake = FakeTime()
    answer = ok("From the fallback", model=FALLBACK)
    attempts = Attempts(fail(unavailable), fail(unavailable), fail(unavailable), answer)
    outcome, events, notices = await run(attempts, fake=fake)
    assert attempts.calls == [None, None, None, FALLBACK]
    assert outcome.retries == 2
    assert outcome.fallback_used and outcome.fallback_model == FALLBACK
    assert outcome.errors == (unavailable,) * 3
    assert len(fake.delays) == 2
    assert 0.25 <= fake.delays[0] <= 0.5 and 0.5 <= fake.delays[1] <= 1.0  # equal jitter
    assert events == answer  # only the fallback's events reached the UI
    assert outcome.result.model == FALLBACK and outcome.result.text == "From the fallback"
    assert [n.fallback_model for n in notices] == [None, None, FALLBACK]
    assert [n.attempt for n in notices] == [1, 2, 3]
    assert notices[0].describe().startswith("The server is unavailable, retrying in ")
    assert notices[2].describe() == f"Smart routing failed, asking {FALLBACK} instead"


async def test_a_failing_fallback_is_not_retried_when_no_retries_are_left() -> None:
    unavailable = err(ErrorKind.SERVER, 503)
    attempts = Attempts(*(fail(unavailable) for _ in range(5)))
    outcome, events, notices = await run(attempts)
    assert attempts.calls == [None, None, None, FALLBACK]  # one fallback, never a second
    assert outcome.fallback_used and outcome.result.error is unavailable
    assert outcome.result.status is TurnStatus.FAILED
    assert [type(e) for e in events] == [Failed, Completed]  # the last failure is shown
    assert len(notices) == 3


async def test_a_fixed_model_never_falls_back() -> None:
    unavailable = err(ErrorKind.SERVER, 503)
    attempts = Attempts(*(fail(unavailable) for _ in range(5)))
    outcome, events, _ = await run(attempts, routed=False, fallback=FALLBACK)
    assert attempts.calls == [None, None, None]
    assert outcome.retries == 2 and not outcome.fallback_used and outcome.fallback_model is None
    assert events[-2] == Failed(unavailable)


async def test_a_drop_after_text_is_never_retried_and_keeps_the_partial_text() -> None:
    dropped = err(ErrorKind.INTERRUPTED)
    script = fail(dropped, text="Once upon a", model="openai/gpt-4o")
    attempts = Attempts(script, ok())
    outcome, events, notices = await run(attempts)
    assert attempts.calls == [None]
    assert notices == []
    assert events == script  # Failed and Completed are forwarded: the UI shows the error
    assert outcome.result.status is TurnStatus.INTERRUPTED
    assert outcome.result.text == "Once upon a"
    assert outcome.retries == 0


async def test_a_tool_call_piece_counts_as_shown() -> None:
    dropped = err(ErrorKind.INTERRUPTED)
    script: list[StreamEvent] = [
        RoutedModel("openai/gpt-4o"),
        ToolCallDelta(0, "call_1", "get_weather", '{"ci'),
        *fail(dropped),
    ]
    attempts = Attempts(script, ok())
    outcome, _, _ = await run(attempts)
    assert attempts.calls == [None]
    assert outcome.result.error is dropped


async def test_a_drop_before_any_text_is_retried() -> None:
    dropped = err(ErrorKind.INTERRUPTED)
    attempts = Attempts(fail(dropped, model="openai/gpt-4o"), ok())
    outcome, events, _ = await run(attempts)
    assert outcome.retries == 1
    # The failed attempt's RoutedModel was forwarded (the badge), its failure was not.
    assert events[0] == RoutedModel("openai/gpt-4o")
    assert not any(isinstance(e, Failed) for e in events)


@pytest.mark.parametrize(
    "error",
    [
        err(ErrorKind.AUTH, 401),
        err(ErrorKind.CREDITS, 402),
        err(ErrorKind.BAD_REQUEST, 400),
        err(ErrorKind.REGION, 451),
        err(ErrorKind.PROTOCOL),
    ],
    ids=lambda e: e.kind.value,
)
async def test_permanent_errors_are_shown_at_once(error: ApiError) -> None:
    fake = FakeTime()
    attempts = Attempts(fail(error), ok())
    outcome, events, notices = await run(attempts, fake=fake)
    assert attempts.calls == [None]
    assert fake.delays == [] and notices == []
    assert events == fail(error)
    assert outcome.result.error is error


async def test_retry_after_beyond_the_budget_shows_the_error_without_waiting() -> None:
    limited = err(ErrorKind.RATE_LIMITED, 429, retry_after=300.0)
    fake = FakeTime()
    attempts = Attempts(fail(limited), ok())
    outcome, events, _ = await run(attempts, fake=fake)
    assert fake.delays == []
    assert attempts.calls == [None]
    assert events[-2] == Failed(limited)
    assert outcome.result.error is limited


async def test_time_budget_counts_the_attempts_themselves() -> None:
    fake = FakeTime()
    timeout = err(ErrorKind.TIMEOUT, timeout_phase=TimeoutPhase.CONNECT)

    class SlowAttempts(Attempts):
        def __call__(self, model: str | None) -> AsyncIterator[StreamEvent]:
            fake.now += 16.0  # each attempt takes 16 s to time out
            return super().__call__(model)

    attempts = SlowAttempts(*(fail(timeout) for _ in range(4)))
    outcome, _, _ = await run(attempts, routed=False, fake=fake)
    # 16 s, a wait, 16 s: a second wait would end past 30 s. Two attempts, one retry.
    assert len(attempts.calls) == 2 and outcome.retries == 1


async def test_a_failed_attempt_tail_is_forwarded_in_order_when_giving_up() -> None:
    dropped = err(ErrorKind.INTERRUPTED)
    usage = Usage(3, 1, 4)
    script: list[StreamEvent] = [
        RoutedModel("openai/gpt-4o"),
        TextDelta("Partial"),
        UsageReport(usage),
        CostReport(0.0001, CostSource.ESTIMATED),
        Finished("error"),
        Failed(dropped),
        Completed(TurnResult(text="Partial", error=dropped, status=TurnStatus.INTERRUPTED)),
    ]
    _, events, _ = await run(Attempts(script))
    assert events == script


async def test_a_stream_without_completed_is_reported_as_a_failure() -> None:
    attempts = Attempts([RoutedModel("openai/gpt-4o"), TextDelta("Half")])
    outcome, events, _ = await run(attempts)
    assert outcome.result.status is TurnStatus.INTERRUPTED
    assert outcome.result.text == "Half" and outcome.result.model == "openai/gpt-4o"
    assert outcome.result.error is not None
    assert outcome.result.error.kind is ErrorKind.PROTOCOL
    assert isinstance(events[-2], Failed) and isinstance(events[-1], Completed)


async def test_cancellation_during_the_backoff_wait_propagates() -> None:
    unavailable = err(ErrorKind.SERVER, 503)
    attempts = Attempts(fail(unavailable), ok())
    waiting = asyncio.Event()

    async def blocking_sleep(delay: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    notices: list[RetryNotice] = []
    events: list[StreamEvent] = []
    task = asyncio.create_task(
        run_resilient(
            attempts,
            routed=True,
            fallback_model=FALLBACK,
            policy=POLICY,
            on_event=events.append,
            on_retry=notices.append,
            sleep=blocking_sleep,
        )
    )
    await asyncio.wait_for(waiting.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(notices) == 1 and attempts.calls == [None] and attempts.closed == 1
    assert events == []


async def test_cancellation_during_an_attempt_closes_its_stream() -> None:
    attempts = Attempts(ok(), hang_after=2)  # hangs after RoutedModel and one TextDelta
    events: list[StreamEvent] = []
    task = asyncio.create_task(
        run_resilient(
            attempts,
            routed=True,
            fallback_model=FALLBACK,
            policy=POLICY,
            on_event=events.append,
            on_retry=lambda n: None,
        )
    )
    for _ in range(50):
        await asyncio.sleep(0)
        if len(events) == 2:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert attempts.closed == 1
    assert [type(e) for e in events] == [RoutedModel, TextDelta]


async def test_default_sleep_and_clock_are_real_but_short() -> None:
    policy = RetryPolicy(base_delay=0.01, max_delay=0.02)
    attempts = Attempts(fail(err(ErrorKind.CONNECT)), ok())
    outcome = await run_resilient(
        attempts,
        routed=False,
        fallback_model=None,
        policy=policy,
        on_event=lambda e: None,
        on_retry=lambda n: None,
    )
    assert outcome.retries == 1 and outcome.elapsed >= 0.005


# --------------------------------------------------------------------------- the real thing

PROMPT = ({"role": "user", "content": "Say hello"},)
POOL = ("anthropic/claude-sonnet-4-5", "openai/gpt-4o", "google/gemini-2.0-flash")


def attempt_factory(
    client: EdenClient, request: ChatRequest
) -> Callable[..., AsyncIterator[StreamEvent]]:
    def attempt(model: str | None) -> AsyncIterator[StreamEvent]:
        if model is None:
            return client.stream_chat(request)
        return client.stream_chat(ChatRequest(request.messages, model=model))

    return attempt


async def test_emulator_429_then_200_is_retried_after_retry_after() -> None:
    fake = FakeTime()
    async with (
        EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0)) as server,
        EdenClient(ClientConfig(base_url=server.base_url), "sk-emulator-key") as client,
    ):
        server.queue_faults("status:429:retry=1")
        request = ChatRequest(PROMPT, candidates=POOL)
        events: list[StreamEvent] = []
        notices: list[RetryNotice] = []
        outcome = await run_resilient(
            attempt_factory(client, request),
            routed=True,
            fallback_model=Tier("t", "T", "", POOL).effective_fallback,
            policy=RetryPolicy(base_delay=0.01),
            on_event=events.append,
            on_retry=notices.append,
            sleep=fake.sleep,
            clock=fake.clock,
        )
        assert len(server.requests) == 2
        assert all(r["model"] == SMART_ROUTER for r in server.requests)
    assert fake.delays == [1.0]
    assert [n.error.status for n in notices] == [429]
    assert outcome.retries == 1 and not outcome.fallback_used
    assert outcome.result.status is TurnStatus.COMPLETE and outcome.result.text
    assert not any(isinstance(e, Failed) for e in events)
    assert isinstance(events[-1], Completed)


async def test_emulator_503_repeatedly_falls_back_to_the_first_candidate() -> None:
    async with (
        EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0)) as server,
        EdenClient(ClientConfig(base_url=server.base_url), "sk-emulator-key") as client,
    ):
        server.queue_faults("status:503", "status:503", "status:503")
        request = ChatRequest(PROMPT, candidates=POOL)
        tier = Tier("t", "T", "", POOL)
        events: list[StreamEvent] = []
        outcome = await run_resilient(
            attempt_factory(client, request),
            routed=True,
            fallback_model=tier.effective_fallback,
            policy=RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02),
            on_event=events.append,
            on_retry=lambda n: None,
        )
        models = [r["model"] for r in server.requests]
        last = server.requests[-1]
    assert models == [SMART_ROUTER] * 3 + [POOL[0]]
    assert "router_candidates" not in last
    assert outcome.fallback_used and outcome.fallback_model == POOL[0]
    assert outcome.retries == 2
    assert outcome.result.status is TurnStatus.COMPLETE
    assert outcome.result.model == POOL[0]
    assert [e.model for e in events if isinstance(e, RoutedModel)] == [POOL[0]]
    assert not any(isinstance(e, Failed) for e in events)


async def test_emulator_drop_after_text_is_not_resent() -> None:
    async with (
        EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0)) as server,
        EdenClient(ClientConfig(base_url=server.base_url), "sk-emulator-key") as client,
    ):
        server.queue_faults("drop:3")
        request = ChatRequest(PROMPT, candidates=POOL)
        outcome = await run_resilient(
            attempt_factory(client, request),
            routed=True,
            fallback_model=POOL[0],
            policy=RetryPolicy(base_delay=0.01),
            on_event=lambda e: None,
            on_retry=lambda n: None,
        )
        assert len(server.requests) == 1
    assert outcome.result.status is TurnStatus.INTERRUPTED
    assert outcome.result.text
    assert outcome.result.error is not None
    assert outcome.result.error.kind is ErrorKind.INTERRUPTED


class EarlyTimers(FakeTime):
    """Qt's coarse timers: a sleep may end up to 5 % before the time asked for."""

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self.now += delay * 0.95
        await asyncio.sleep(0)


async def test_a_retry_never_goes_out_before_its_retry_after() -> None:
    fake = EarlyTimers()
    sent_at: list[float] = []
    attempts = Attempts(fail(err(ErrorKind.RATE_LIMITED, 429, retry_after=7)), ok())

    def attempt(model: str | None) -> AsyncIterator[StreamEvent]:
        sent_at.append(fake.clock())
        return attempts(model)

    outcome, _events, notices = await run(attempt, fake=fake)  # type: ignore[arg-type]
    assert outcome.result.error is None and outcome.retries == 1
    assert notices[0].delay == 7
    assert sent_at[1] - sent_at[0] >= 7  # the early timer was waited out, never trusted
    assert len(fake.delays) > 1 and fake.delays[0] == 7


async def test_sleep_at_least_sleeps_again_what_an_early_timer_left() -> None:
    fake = EarlyTimers()
    start = fake.now
    await sleep_at_least(10, clock=fake.clock, sleep=fake.sleep)
    assert fake.now - start >= 10
    assert fake.delays[0] == 10 and all(d > 0 for d in fake.delays)
