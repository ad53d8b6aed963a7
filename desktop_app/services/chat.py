"""One chat turn, owned here from the user's send to its stored row: the window and the CLI
both run turns through `ChatService`, so retries, fallback, timings and the stored result are
decided in one place.

Qt-free. The caller passes `on_event` to see the client's events as they come and reads
`Turn.result` when `run` returns (or raises `CancelledError`): every outcome (complete, failed,
interrupted, stopped) is built here once, with the whole turn's timings, and stored once.
The user's message is recorded before the request goes out and the reply while it streams.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    CostSource,
    RoutedModel,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    TurnResult,
    TurnStatus,
    Usage,
)
from desktop_app.api.request import SMART_ROUTER, ChatRequest
from desktop_app.routing.plan import TurnPlan
from desktop_app.services.resilience import RetryNotice, RetryPolicy, run_resilient
from desktop_app.services.tools.executor import FollowUp, ToolEvent, ToolNote, ToolRound
from desktop_app.services.tools.specs import ToolOutcome

if TYPE_CHECKING:
    from desktop_app.api.client import EdenClient
    from desktop_app.services.tools.executor import ToolExecutor

TurnEvent = StreamEvent | ToolEvent  # what `ChatService.run` reports as the turn goes

log = logging.getLogger(__name__)

SAVE_INTERVAL_S = 0.5  # the reply on disk is never more than this behind the screen


class TurnRecorder(Protocol):
    """Where a turn's durable state goes, and where the next request's history comes from."""

    def record_user_message(self, conversation_id: int, content: str) -> int: ...
    def begin_reply(
        self, conversation_id: int, parent_id: int, plan: TurnPlan, column: int | None = None
    ) -> int: ...
    def update_reply(self, reply_id: int, text: str, model: str | None) -> None: ...
    def finish_reply(
        self,
        reply_id: int,
        result: TurnResult,
        retries: int = 0,
        fallback: bool = False,
        requests: int = 1,
    ) -> None: ...
    def remove_messages(self, message_ids: Sequence[int]) -> None: ...
    def record_tool_round(
        self,
        reply_id: int,
        text: str,
        tool_calls: Sequence[dict[str, Any]],
        results: Sequence[tuple[str, str, dict[str, Any] | None]],
    ) -> None: ...
    def history(
        self, conversation_id: int, upto_message_id: int, column: int | None = None
    ) -> list[dict[str, Any]]: ...


@dataclass
class _Kept:
    role: str
    content: str
    status: TurnStatus | None = None
    column: int | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)  # a reply's tool loop


class MemoryRecorder:
    """Keeps a turn's conversation in memory only: `routechat ask --no-history`, benchmarks and
    tests. `system` starts every conversation with a system message."""

    def __init__(self, system: str | None = None) -> None:
        self._system = system
        self._messages: dict[int, _Kept] = {}
        self._order: dict[int, list[int]] = {}
        self._next = 0

    def _add(self, conversation_id: int, kept: _Kept) -> int:
        self._next += 1
        self._messages[self._next] = kept
        self._order.setdefault(conversation_id, []).append(self._next)
        return self._next

    def record_user_message(self, conversation_id: int, content: str) -> int:
        return self._add(conversation_id, _Kept("user", content))

    def begin_reply(
        self, conversation_id: int, parent_id: int, plan: TurnPlan, column: int | None = None
    ) -> int:
        return self._add(conversation_id, _Kept("assistant", "", column=column))

    def update_reply(self, reply_id: int, text: str, model: str | None) -> None:
        self._messages[reply_id].content = text

    def finish_reply(
        self,
        reply_id: int,
        result: TurnResult,
        retries: int = 0,
        fallback: bool = False,
        requests: int = 1,
    ) -> None:
        kept = self._messages[reply_id]
        kept.content, kept.status = result.text, result.status

    def remove_messages(self, message_ids: Sequence[int]) -> None:
        for mid in message_ids:
            self._messages.pop(mid, None)

    def record_tool_round(
        self,
        reply_id: int,
        text: str,
        tool_calls: Sequence[dict[str, Any]],
        results: Sequence[tuple[str, str, dict[str, Any] | None]],
    ) -> None:
        rounds = self._messages[reply_id].rounds
        rounds.append({"role": "assistant", "content": text, "tool_calls": list(tool_calls)})
        rounds += [{"role": "tool", "tool_call_id": i, "content": c} for i, c, _ in results]

    def history(
        self, conversation_id: int, upto_message_id: int, column: int | None = None
    ) -> list[dict[str, Any]]:
        out = [{"role": "system", "content": self._system}] if self._system else []
        for mid in self._order.get(conversation_id, []):
            kept = self._messages.get(mid)
            if kept is None or (kept.role == "assistant" and kept.column != column):
                continue
            if kept.role == "user" or (kept.content and kept.status is not TurnStatus.FAILED):
                out.extend(kept.rounds)
                out.append({"role": kept.role, "content": kept.content})
            if mid == upto_message_id:
                break
        return out


@dataclass
class Turn:
    """One turn in flight; `result` is set once it has ended, whatever the outcome.

    Timings run from the user's send (`started`), across retries and the fallback: the time to
    first token the user waited, and the whole turn.
    """

    conversation_id: int
    plan: TurnPlan
    user_message_id: int
    reply_id: int
    started: float
    column: int | None = None  # a comparison's column: its own thread
    model: str | None = None
    first_content_at: float | None = None
    retries: int = 0
    fallback_used: bool = False
    requests: int = 1
    result: TurnResult | None = None
    pieces: list[str] = field(default_factory=list)  # joined on demand: += per token is quadratic

    @property
    def text(self) -> str:
        if len(self.pieces) > 1:
            self.pieces[:] = ["".join(self.pieces)]
        return self.pieces[0] if self.pieces else ""

    @property
    def ttft_ms(self) -> float | None:
        if self.first_content_at is None:
            return None
        return (self.first_content_at - self.started) * 1000.0


APP_TAG = ("app", "routechat")


def build_request(
    history: Sequence[dict[str, Any]],
    plan: TurnPlan,
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    tags: bool = True,
    tools: Sequence[dict[str, Any]] | None = None,
) -> ChatRequest:
    """The request for a turn; `tags`: name the app and the tier in `X-EdenAI-Tags` (so Eden
    AI's dashboard splits spend by tier; never personal data, never the prompt)."""
    return ChatRequest(
        tuple(history),
        model=plan.model,
        candidates=plan.candidates,
        max_tokens=max_tokens,
        temperature=temperature,
        quality_cost=plan.quality_cost,
        tags=(APP_TAG, ("tier", plan.tier_id)) if tags else (),
        tools=tuple(tools) if tools else None,
    )


def _sum(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def loop_result(done: Sequence[TurnResult], last: TurnResult) -> TurnResult:
    """A tool loop's result: the last request's text, status and error; every request's
    tokens and cost added up; the routing decision of the first (the one that was routed).

    The cost is unknown when a finished request's cost is; a last request stopped or broken
    before its usage arrived adds nothing (what it cost was never reported).
    """
    if not done:
        return last
    counted = list(done)
    if last.status is TurnStatus.COMPLETE or last.usage is not None or last.cost_usd is not None:
        counted.append(last)
    usage: Usage | None = None
    for r in counted:
        if r.usage is None:
            continue
        if usage is None:
            usage = r.usage
            continue
        usage = Usage(
            _sum(usage.prompt_tokens, r.usage.prompt_tokens),
            _sum(usage.completion_tokens, r.usage.completion_tokens),
            _sum(usage.total_tokens, r.usage.total_tokens),
            _sum(usage.cached_tokens, r.usage.cached_tokens),
        )
    costs = [r.cost_usd for r in counted]
    if all(c is not None for c in costs):
        cost: float | None = sum(c for c in costs if c is not None)
        sources = {r.cost_source for r in counted}
        source = CostSource.REPORTED if sources == {CostSource.REPORTED} else CostSource.ESTIMATED
        basis = next((r.cost_basis for r in counted if r.cost_basis), None)
    else:
        cost, source, basis = None, CostSource.UNKNOWN, None
    return replace(
        last,
        model=last.model or next((r.model for r in reversed(done) if r.model), None),
        tool_calls=[],
        usage=usage,
        cost_usd=cost,
        cost_source=source,
        cost_basis=basis,
        routing=done[0].routing or last.routing,
    )


class ChatService:
    def __init__(
        self,
        client: Callable[[], EdenClient],
        recorder: TurnRecorder,
        *,
        policy: Callable[[], RetryPolicy] = RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        credentials: Callable[[], Awaitable[None]] | None = None,
        tags: Callable[[], bool] = lambda: True,
    ) -> None:
        """`credentials` is awaited before each request: at start-up the key may still be on its
        way from the system keyring (the window does not wait for it). `clock` and `sleep`
        time the turn and its retry waits (tests pass fake ones); `tags` says whether requests
        carry the app and tier tags (a setting)."""
        self._client = client
        self._tags = tags
        self._credentials = credentials
        self._recorder = recorder
        self._policy = policy
        self._clock = clock
        self._sleep = sleep

    @property
    def recorder(self) -> TurnRecorder:
        return self._recorder

    def with_recorder(self, recorder: TurnRecorder) -> ChatService:
        """The same service (client, key, retry policy, clocks) recording through `recorder`:
        a comparison column's thread or a workload's independent prompts read their history
        their own way."""
        return ChatService(
            self._client,
            recorder,
            policy=self._policy,
            clock=self._clock,
            sleep=self._sleep,
            credentials=self._credentials,
        )

    def start_turn(
        self,
        conversation_id: int,
        prompt: str | None,
        plan: TurnPlan,
        parent_id: int | None = None,
        *,
        column: int | None = None,
    ) -> Turn:
        """Commit the user's message (unless resending an existing one: `parent_id`) and open
        the reply (in a comparison's `column`).

        Raises the recorder's error when the prompt cannot be saved: nothing goes out unsaved.
        """
        started = self._clock()
        if prompt is not None:
            parent_id = self._recorder.record_user_message(conversation_id, prompt)
        assert parent_id is not None, "a resend names the user message it answers"
        reply_id = self._recorder.begin_reply(conversation_id, parent_id, plan, column)
        return Turn(conversation_id, plan, parent_id, reply_id, started, column)

    async def run(
        self,
        turn: Turn,
        on_event: Callable[[TurnEvent], None],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        tools: ToolExecutor | None = None,
    ) -> TurnResult:
        """Stream the turn with retries and fallback (see `resilience`), recording as it goes.

        With `tools`, the request offers them and the turn is a tool loop: each response that
        asks for tools has them run (`tools` asks for approvals), the round is recorded, and
        the conversation goes back with the results, every follow-up to the model the router
        chose first (the router never reads tool results); at most `tools.max_rounds` rounds.

        Returns `turn.result`; on cancellation `turn.result` holds the STOPPED result (partial
        text, timings, what the finished requests cost) and `CancelledError` propagates.
        """
        clock = self._clock
        last_save = clock()
        done: list[TurnResult] = []  # the loop's requests that asked for tools

        def forward(event: StreamEvent) -> None:
            nonlocal last_save
            if isinstance(event, TextDelta | ToolCallDelta):
                if turn.first_content_at is None:
                    turn.first_content_at = clock()
                if isinstance(event, TextDelta):
                    turn.pieces.append(event.text)
                    now = clock()
                    if now - last_save >= SAVE_INTERVAL_S:
                        self._recorder.update_reply(turn.reply_id, turn.text, turn.model)
                        last_save = now
            elif isinstance(event, RoutedModel):
                turn.model = event.model
                self._recorder.update_reply(turn.reply_id, turn.text, turn.model)
            on_event(event)

        def retried(notice: RetryNotice) -> None:
            # A resend starts the reply again: the text of a failed attempt is not kept.
            turn.pieces.clear()
            turn.model = None
            if notice.fallback_model is not None:
                turn.fallback_used = True
            else:
                turn.retries += 1
            if on_retry is not None:
                on_retry(notice)

        try:
            if self._credentials is not None:
                await self._credentials()
            history = self._recorder.history(
                turn.conversation_id, turn.user_message_id, turn.column
            )
            request = build_request(
                history,
                turn.plan,
                max_tokens=max_tokens,
                temperature=temperature,
                tags=self._tags(),
                tools=tools.payload if tools is not None else None,
            )
            client = self._client()
            messages = list(request.messages)

            while True:
                sent = request

                def attempt(
                    model: str | None, sent: ChatRequest = sent
                ) -> AsyncIterator[StreamEvent]:
                    if model is None:
                        return client.stream_chat(sent)
                    return client.stream_chat(replace(sent, model=model, candidates=None))

                outcome = await run_resilient(
                    attempt,
                    routed=sent.model == SMART_ROUTER,
                    # Only the routed request may fall back: follow-ups stay on its model.
                    fallback_model=turn.plan.fallback_model if not done else None,
                    policy=self._policy(),
                    on_event=forward,
                    on_retry=retried,
                    sleep=self._sleep,
                    clock=clock,
                )
                result = outcome.result
                calls = result.tool_calls
                if tools is None or not calls or result.status is not TurnStatus.COMPLETE:
                    break
                if tools.rounds >= tools.max_rounds:
                    on_event(
                        ToolNote(
                            f"The model asked for more tools after {tools.max_rounds} rounds; "
                            "they were not run (the limit is in Preferences → Tools)."
                        )
                    )
                    break
                text = turn.text
                turn.pieces.clear()  # the reply's text is the last request's
                done.append(result)
                outcomes = tools.start_round(calls)
                on_event(ToolRound(tools.rounds, text, outcomes))
                try:
                    await tools.run_round(outcomes, on_event)
                finally:  # a round stopped midway is kept too, with what did not finish
                    self._record_round(turn, text, outcomes)
                    tools.finish_round()
                messages.append(
                    {
                        "role": "assistant",
                        "content": text,
                        "tool_calls": [o.tool_call_json() for o in outcomes],
                    }
                )
                messages.extend(o.result_message() for o in outcomes)
                pinned = result.model or turn.model
                turn.requests += 1
                request = replace(
                    sent,
                    messages=tuple(messages),
                    model=pinned or sent.model,
                    candidates=None if pinned else sent.candidates,
                    fallbacks=None,
                    # The last round allowed: the model must answer with text now.
                    tool_choice="none" if tools.rounds >= tools.max_rounds else sent.tool_choice,
                )
                on_event(FollowUp(turn.requests, pinned))
            result = loop_result(done, result)
        except asyncio.CancelledError:
            self._finish(
                turn,
                loop_result(
                    done,
                    TurnResult(
                        text=turn.text,
                        model=turn.model,
                        status=TurnStatus.STOPPED,
                        error=ApiError(ErrorKind.CANCELLED, "Stopped."),
                    ),
                ),
            )
            raise
        except Exception as exc:  # a bug here must still end the turn, on screen and on disk
            log.exception("chat turn failed unexpectedly")
            result = loop_result(
                done,
                TurnResult(
                    text=turn.text,
                    model=turn.model,
                    status=TurnStatus.INTERRUPTED if turn.text else TurnStatus.FAILED,
                    error=ApiError(
                        ErrorKind.PROTOCOL, f"RouteChat failed while running this turn ({exc})."
                    ),
                ),
            )
        return self._finish(turn, result)

    def settle(self, turn: Turn) -> TurnResult:
        """End a turn that never ran (stopped while its tools got ready, or before its task's
        first step) as stopped, so that no reply is left open on disk; a turn that ended keeps
        its result."""
        if turn.result is not None:
            return turn.result
        return self._finish(
            turn,
            TurnResult(
                text=turn.text,
                model=turn.model,
                status=TurnStatus.STOPPED,
                error=ApiError(ErrorKind.CANCELLED, "Stopped."),
            ),
        )

    def _record_round(self, turn: Turn, text: str, outcomes: Sequence[ToolOutcome]) -> None:
        self._recorder.record_tool_round(
            turn.reply_id,
            text,
            [o.tool_call_json() for o in outcomes],
            [(o.call_id, o.result, o.meta()) for o in outcomes],
        )

    def _finish(self, turn: Turn, result: TurnResult) -> TurnResult:
        """Time the whole turn from the user's send, store it once, keep it on the turn."""
        result.ttft_ms = turn.ttft_ms
        result.total_ms = (self._clock() - turn.started) * 1000.0
        turn.result = result
        self._recorder.finish_reply(
            turn.reply_id, result, turn.retries, turn.fallback_used, turn.requests
        )
        return result


__all__ = [
    "ChatService",
    "MemoryRecorder",
    "Turn",
    "TurnEvent",
    "TurnRecorder",
    "build_request",
    "loop_result",
]
