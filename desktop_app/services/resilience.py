"""Retries and the fallback model for one chat turn: a pure policy and an async orchestrator.

Qt-free and I/O-free apart from what the caller passes in (`attempt`, `sleep`, `clock`), so
every rule is tested with fake attempts, a fake sleep and a fake clock.

The rules (`decide`):

* **Never retry once text has been shown.** A turn that already put text (or a tool-call
  piece) on screen ends as it is (INTERRUPTED, partial text kept); the UI offers a retry button.
* **Transient failures before the first token are retried** with exponential backoff and
  jitter, honouring `Retry-After`, bounded in count (`max_retries`) and in total time
  (`max_total_seconds`, measured from the start of the turn and including every wait):
  RATE_LIMITED (429), SERVER (5xx except 501/505, which are permanent), CONNECT, TIMEOUT in the
  connect, first-byte and idle phases (never TOTAL: the turn already took its whole budget),
  and INTERRUPTED (the stream dropped or sent an error frame before any content arrived).
* **Never retried:** AUTH, CREDITS, BAD_REQUEST, REGION (sending it again cannot help),
  PROTOCOL (a server that sent garbage tends to send it again) and CANCELLED (the user stopped).
* **Fallback.** When smart routing itself failed (a routed `@edenai` request answered by a
  5xx, or a first-byte timeout: the router never started answering) and retries are exhausted
  (count, time budget, or a `Retry-After` longer than the time left), the turn is sent once
  more to the tier's fallback model (`Tier.effective_fallback`), as the server itself does
  when routing fails. A 503 is retried like any 5xx before falling back, not sent to the
  fallback at once: a momentary 503 or proxy 502/504 usually passes within the backoff
  (about 1.5 s with the defaults), and the routed answer is what the user chose; the
  fallback model is the last resort. The fallback is not bounded by the time budget (it is
  one request, sent at once, and the user can stop it) and happens at most once; its own
  failures follow the same rules as a fixed model (retried only while retries and time are
  left). A fixed-model request never falls back; nor does a 429 (the rate limit is the
  account's, not the router's) or a connect failure (the fallback goes to the same server).

Backoff (`RetryPolicy.delay_for`): the ceiling for retry number n (1-based) is
`min(max_delay, base_delay * 2**(n-1))`; the delay is drawn uniformly from
`[ceiling * (1 - jitter), ceiling]` ("equal jitter" for jitter=0.5, "full jitter" for 1.0,
none for 0.0), so concurrent clients spread out while a delay never collapses to zero with the
default jitter. A `Retry-After` is a floor: the delay is `max(backoff, retry_after)`, which
may exceed `max_delay` (the server's word wins), but a retry whose wait would end after the
time budget is not made (`decide` gives up, or falls back, instead of waiting).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from desktop_app.api.errors import ApiError, ErrorKind, TimeoutPhase
from desktop_app.api.events import (
    Completed,
    CostReport,
    Failed,
    Finished,
    RoutedModel,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    TurnResult,
    TurnStatus,
    UsageReport,
)
from desktop_app.config.settings import RetryPolicy

__all__ = [
    "Decision",
    "Fallback",
    "GiveUp",
    "ResilientResult",
    "Retry",
    "RetryNotice",
    "RetryPolicy",
    "decide",
    "is_fallback_trigger",
    "is_transient",
    "run_resilient",
    "sleep_at_least",
]

log = logging.getLogger(__name__)

# Permanent server errors: retrying "not implemented" cannot help.
_PERMANENT_5XX = frozenset({501, 505})


# --------------------------------------------------------------------------- the policy


# --------------------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Retry:
    """Send the same request again after `delay` seconds."""

    delay: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Fallback:
    """Send the turn once more to `model` (a fixed model: no routing), at once."""

    model: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop here: the failure stands (the UI shows it with its action and a retry button)."""

    reason: str = ""


Decision = Retry | Fallback | GiveUp


def is_transient(error: ApiError) -> bool:
    """Worth sending again unchanged, provided no text was shown (see the module doc)."""
    kind = error.kind
    if kind is ErrorKind.SERVER:
        return error.status not in _PERMANENT_5XX
    if kind is ErrorKind.TIMEOUT:
        return error.timeout_phase is not TimeoutPhase.TOTAL
    return kind in (ErrorKind.RATE_LIMITED, ErrorKind.CONNECT, ErrorKind.INTERRUPTED)


def is_fallback_trigger(error: ApiError) -> bool:
    """Did smart routing itself fail? A 5xx, or no first byte (the router never answered)."""
    if error.kind is ErrorKind.SERVER:
        return True
    return error.kind is ErrorKind.TIMEOUT and error.timeout_phase is TimeoutPhase.FIRST_BYTE


def decide(
    error: ApiError,
    *,
    text_shown: bool,
    attempt: int,
    elapsed: float,
    policy: RetryPolicy,
    routed: bool = False,
    fallback_model: str | None = None,
    rng: random.Random | None = None,
) -> Decision:
    """What to do after one attempt of a turn failed with `error`. Pure.

    `attempt`: the 1-based number of the failed attempt among the turn's attempts, not
    counting the fallback (a retry is allowed while `attempt <= max_retries`);
    `elapsed`: seconds since the turn's first attempt started; `routed`: the failed request
    went through the smart router (`@edenai`); `fallback_model`: where to send the turn when
    routing failed (None: no fallback, e.g. already used); `rng`: jitter (None: none).
    """
    kind = error.kind
    if kind is ErrorKind.CANCELLED:
        return GiveUp("stopped by the user")
    if text_shown:
        return GiveUp("text was already shown: never resent automatically")
    if not is_transient(error):
        return GiveUp(f"{kind.value} errors are not retried")
    delay = policy.delay_for(attempt, error.retry_after, rng)
    if attempt > policy.max_retries:
        why = f"no retries left ({policy.max_retries} allowed)"
    elif elapsed + delay > policy.max_total_seconds:
        if error.retry_after is not None and error.retry_after >= delay:
            why = f"Retry-After {error.retry_after:g} s exceeds the time left"
        else:
            why = f"the {policy.max_total_seconds:g} s retry budget is spent"
    else:
        return Retry(delay, f"{kind.value}: retry {attempt} in {delay:.2f} s")
    if routed and fallback_model and is_fallback_trigger(error):
        return Fallback(fallback_model, f"smart routing failed ({why})")
    return GiveUp(why)


# --------------------------------------------------------------------------- orchestrator


async def sleep_at_least(
    seconds: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Wait `seconds` by `clock`, never less: a `Retry-After` is a lower bound.

    Qt's coarse timers (the app's event loop) may fire up to 5 % early, so `sleep(7)` can end
    after 6.65 s; what is left is slept again until the clock says the time has passed.
    """
    deadline = clock() + seconds
    while (left := deadline - clock()) > 0:
        await sleep(left)


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """One resend, reported before it happens (and before its wait).

    `attempt`: the 1-based number of this resend (retries and the fallback counted together);
    `delay`: seconds the orchestrator now waits; `error`: the failure being retried;
    `fallback_model`: set when this resend goes to the fallback model (delay 0).
    """

    attempt: int
    delay: float
    error: ApiError
    fallback_model: str | None = None

    def describe(self) -> str:
        """A short status line: 'Rate limited, retrying in 7 s'."""
        if self.fallback_model is not None:
            return f"Smart routing failed, asking {self.fallback_model} instead"
        return f"{_CAUSES.get(self.error.kind, 'Failed')}, retrying in {_seconds(self.delay)}"


_CAUSES = {
    ErrorKind.RATE_LIMITED: "Rate limited",
    ErrorKind.SERVER: "The server is unavailable",
    ErrorKind.CONNECT: "Could not connect",
    ErrorKind.TIMEOUT: "No answer in time",
    ErrorKind.INTERRUPTED: "The connection dropped",
}


def _seconds(delay: float) -> str:
    if delay < 1.0:
        return f"{delay:.1f} s"
    return f"{math.ceil(delay - 1e-9)} s"


@dataclass(frozen=True, slots=True)
class ResilientResult:
    """The outcome of a turn with its retries.

    `result` is the final attempt's (the one whose events the UI received last; its timings
    are that attempt's); `retries` counts resends of the same request (not the fallback);
    `errors` are the failures that were retried or fell back, in order; `elapsed` is the
    whole turn by `clock`, waits included.
    """

    result: TurnResult
    retries: int = 0
    fallback_used: bool = False
    fallback_model: str | None = None
    errors: tuple[ApiError, ...] = ()
    elapsed: float = 0.0


_HELD = (UsageReport, CostReport, Finished, Failed)


async def run_resilient(
    attempt: Callable[[str | None], AsyncIterator[StreamEvent]],
    *,
    routed: bool,
    fallback_model: str | None,
    policy: RetryPolicy,
    on_event: Callable[[StreamEvent], None],
    on_retry: Callable[[RetryNotice], None],
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> ResilientResult:
    """Run one turn through `attempt`, retrying and falling back by `decide`'s rules.

    `attempt(None)` starts the request as asked, `attempt(model)` the same turn sent to the
    fixed fallback `model`; each yields the client's events (`Completed` last). Events are
    passed to `on_event` as they come, except that the tail of a failed attempt
    (`UsageReport`, `CostReport`, `Finished`, `Failed`) is held until its `Completed`:
    an attempt that is retried has its `Failed`/`Completed` (and that tail) dropped, so the
    UI never flashes an error it is about to recover from. A `RoutedModel` is forwarded at
    once (the badge shows who is answering), so after a retry the UI may see a second one.

    Cancellation propagates at once, also from a backoff wait; the attempt's stream is closed
    first. No STOPPED `Completed` is sent: the caller knows what it received.
    """
    rng = random.Random() if rng is None else rng
    started = clock()
    retries = 0
    resends = 0
    override: str | None = None
    text_shown = False
    errors: list[ApiError] = []
    while True:
        result = await _one_attempt(attempt(override), on_event)
        if result.shown:
            text_shown = True
        final = result.completed
        error = final.result.error
        if error is None:
            decision: Decision = GiveUp("succeeded")
        else:
            decision = decide(
                error,
                text_shown=text_shown,
                attempt=retries + 1,
                elapsed=clock() - started,
                policy=policy,
                routed=routed and override is None,
                fallback_model=fallback_model if override is None else None,
                rng=rng,
            )
        if isinstance(decision, GiveUp):
            for event in result.held:
                on_event(event)
            on_event(final)
            if error is not None:
                log.info("turn failed for good: %s (%s)", error.kind.value, decision.reason)
            return ResilientResult(
                result=final.result,
                retries=retries,
                fallback_used=override is not None,
                fallback_model=override,
                errors=tuple(errors),
                elapsed=clock() - started,
            )
        assert error is not None
        errors.append(error)
        resends += 1
        if isinstance(decision, Fallback):
            log.warning("falling back to %s: %s", decision.model, decision.reason)
            override = decision.model
            on_retry(RetryNotice(resends, 0.0, error, fallback_model=decision.model))
            continue
        retries += 1
        log.info(
            "retrying after %s (status %s): %s", error.kind.value, error.status, decision.reason
        )
        on_retry(RetryNotice(resends, decision.delay, error))
        await sleep_at_least(decision.delay, clock=clock, sleep=sleep)


@dataclass(slots=True)
class _Attempt:
    completed: Completed
    held: list[StreamEvent] = field(default_factory=list)
    shown: bool = False


async def _one_attempt(
    events: AsyncIterator[StreamEvent], on_event: Callable[[StreamEvent], None]
) -> _Attempt:
    """Consume one attempt: forward content as it comes, hold the tail, return its end."""
    held: list[StreamEvent] = []
    shown = False
    completed: Completed | None = None
    parts: list[str] = []  # only for the guard below
    model: str | None = None
    try:
        async for event in events:
            if isinstance(event, Completed):
                completed = event
                break
            if isinstance(event, _HELD):
                held.append(event)
                continue
            if held:  # a tail event followed by more content: keep the order
                for item in held:
                    on_event(item)
                held.clear()
            if isinstance(event, TextDelta):
                shown = True
                parts.append(event.text)
            elif isinstance(event, ToolCallDelta):
                shown = True
            elif isinstance(event, RoutedModel):
                model = event.model
            on_event(event)
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
    if completed is None:  # the client always ends with Completed; guard against a bug
        failed = next((e.error for e in held if isinstance(e, Failed)), None)
        error = failed or ApiError(ErrorKind.PROTOCOL, "The reply ended without a result.")
        completed = Completed(
            TurnResult(
                text="".join(parts),
                model=model,
                error=error,
                status=TurnStatus.INTERRUPTED if shown else TurnStatus.FAILED,
            )
        )
        if failed is None:
            held.append(Failed(error))
    return _Attempt(completed, held, shown)
