"""Running one chat turn: build the request from the tier, stream it, record every step.

Qt-free. The caller (a UI controller or a test) passes `on_event` to see events as they come;
the service owns what must survive a crash: the user's message is recorded before the request
goes out, the reply while it streams (throttled) and at the end, also when cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    RoutedModel,
    StreamEvent,
    TextDelta,
    TurnResult,
    TurnStatus,
)
from desktop_app.api.request import SMART_ROUTER, ChatRequest
from desktop_app.routing.plan import TurnPlan
from desktop_app.services.resilience import ResilientResult, RetryNotice, RetryPolicy, run_resilient

if TYPE_CHECKING:
    from desktop_app.api.client import EdenClient

SAVE_INTERVAL_S = 0.5  # the reply on disk is never more than this behind the screen


class TurnRecorder(Protocol):
    """Where a turn's durable state goes (the SQLite store in the app)."""

    def record_user_message(self, conversation_id: int, content: str) -> int: ...
    def begin_reply(self, conversation_id: int, parent_id: int, plan: TurnPlan) -> int: ...
    def update_reply(self, reply_id: int, text: str, model: str | None) -> None: ...
    def finish_reply(
        self, reply_id: int, result: TurnResult, retries: int = 0, fallback: bool = False
    ) -> None: ...
    def remove_messages(self, message_ids: Sequence[int]) -> None: ...


class NullRecorder:
    """Records nothing (the headless CLI, some tests)."""

    _next = 0

    def _id(self) -> int:
        self._next += 1
        return self._next

    def record_user_message(self, conversation_id: int, content: str) -> int:
        return self._id()

    def begin_reply(self, conversation_id: int, parent_id: int, plan: TurnPlan) -> int:
        return self._id()

    def update_reply(self, reply_id: int, text: str, model: str | None) -> None:
        return None

    def finish_reply(
        self, reply_id: int, result: TurnResult, retries: int = 0, fallback: bool = False
    ) -> None:
        return None

    def remove_messages(self, message_ids: Sequence[int]) -> None:
        return None


@dataclass
class Turn:
    """One turn in flight."""

    conversation_id: int
    plan: TurnPlan
    user_message_id: int
    reply_id: int
    model: str | None = None
    started: float = field(default_factory=time.perf_counter)
    pieces: list[str] = field(default_factory=list)  # joined on demand: += per token is quadratic

    @property
    def text(self) -> str:
        if len(self.pieces) > 1:
            self.pieces[:] = ["".join(self.pieces)]
        return self.pieces[0] if self.pieces else ""


def build_request(
    history: Sequence[dict[str, Any]], plan: TurnPlan, *, max_tokens: int | None = None
) -> ChatRequest:
    return ChatRequest(
        tuple(history), model=plan.model, candidates=plan.candidates, max_tokens=max_tokens
    )


class ChatService:
    def __init__(
        self,
        client: Callable[[], EdenClient],
        recorder: TurnRecorder,
        policy: Callable[[], RetryPolicy] = RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        credentials: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`credentials` is awaited before each request: at start-up the key may still be on its
        way from the system keyring (the window does not wait for it)."""
        self._client = client
        self._credentials = credentials
        self._recorder = recorder
        self._policy = policy
        self._clock = clock
        self._sleep = sleep

    @property
    def recorder(self) -> TurnRecorder:
        return self._recorder

    def start_turn(
        self, conversation_id: int, prompt: str | None, plan: TurnPlan, parent_id: int | None = None
    ) -> Turn:
        """Commit the user's message (unless resending an existing one) and open the reply."""
        if prompt is not None:
            parent_id = self._recorder.record_user_message(conversation_id, prompt)
        assert parent_id is not None, "a resend names the user message it answers"
        reply_id = self._recorder.begin_reply(conversation_id, parent_id, plan)
        return Turn(conversation_id, plan, parent_id, reply_id)

    async def run(
        self,
        turn: Turn,
        history: Sequence[dict[str, Any]],
        on_event: Callable[[StreamEvent], None],
        *,
        max_tokens: int | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> ResilientResult:
        """Stream the turn with retries and fallback (see `resilience`), recording as it goes."""
        request = build_request(history, turn.plan, max_tokens=max_tokens)
        last_save = self._clock()

        def attempt(model: str | None) -> AsyncIterator[StreamEvent]:
            if model is None:
                return client.stream_chat(request)
            return client.stream_chat(replace(request, model=model, candidates=None))

        def forward(event: StreamEvent) -> None:
            nonlocal last_save
            if isinstance(event, TextDelta):
                turn.pieces.append(event.text)
                now = self._clock()
                if now - last_save >= SAVE_INTERVAL_S:
                    self._recorder.update_reply(turn.reply_id, turn.text, turn.model)
                    last_save = now
            elif isinstance(event, RoutedModel):
                turn.model = event.model
                self._recorder.update_reply(turn.reply_id, turn.text, turn.model)
            on_event(event)

        try:
            if self._credentials is not None:
                await self._credentials()
            client = self._client()
            outcome = await run_resilient(
                attempt,
                routed=request.model == SMART_ROUTER,
                fallback_model=turn.plan.fallback_model,
                policy=self._policy(),
                on_event=forward,
                on_retry=on_retry or (lambda _notice: None),
                sleep=self._sleep,
            )
        except asyncio.CancelledError:
            stopped = TurnResult(
                text=turn.text,
                model=turn.model,
                status=TurnStatus.STOPPED,
                error=ApiError(ErrorKind.CANCELLED, "Stopped."),
                total_ms=(time.perf_counter() - turn.started) * 1000,
            )
            self._recorder.finish_reply(turn.reply_id, stopped)
            raise
        self._recorder.finish_reply(
            turn.reply_id, outcome.result, outcome.retries, outcome.fallback_used
        )
        return outcome
