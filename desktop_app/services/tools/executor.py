"""The tools of one turn: what the request offers, who approves each call, how it runs.

`ToolExecutor.run_round` takes the calls a response asked for and returns one outcome per
call, always: a tool that does not exist, arguments that are not JSON, a tool that raises or
times out, a server that exits: each becomes an error result the model reads (in words), and
the turn goes on. Stop (cancellation) marks the calls not finished and propagates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from desktop_app.services.tools.builtin import ToolError
from desktop_app.services.tools.mcp import McpProblem
from desktop_app.services.tools.policy import ToolPolicy
from desktop_app.services.tools.specs import (
    DECLINED,
    Approval,
    CallState,
    Decision,
    ToolOutcome,
    ToolSpec,
    cap_result,
)

log = logging.getLogger(__name__)

Runner = Callable[[ToolSpec, dict[str, Any]], Awaitable[str]]
Approver = Callable[[ToolOutcome, tuple[Decision, ...]], Awaitable[Approval]]

STOPPED_RESULT = "Stopped by the user before the tool finished."
NOT_RUN_RESULT = "Not run: the user stopped the turn."


class CallLike(Protocol):
    """What a round reads of `api.events.ToolCall`."""

    @property
    def id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ToolRound:
    """The model asked for tools (`number`: the round, from 1); `text` is what it said first.
    Emitted before any of them runs: the window draws their blocks."""

    number: int
    text: str
    outcomes: list[ToolOutcome]


@dataclass(frozen=True, slots=True)
class ToolProgress:
    """One call changed state (waiting for approval, running, done, ...)."""

    outcome: ToolOutcome


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Request `number` of the loop starts, sent to the `model` the router chose first."""

    number: int
    model: str | None


@dataclass(frozen=True, slots=True)
class ToolNote:
    """Something the turn should say about its tools (a server that did not start, tools
    left out, the round limit)."""

    text: str


ToolEvent = ToolRound | ToolProgress | FollowUp | ToolNote


def approver_for_cli(approve_all: bool) -> Approver:
    """The command line asks nobody: `--approve-all` lets everything run, else it is denied."""

    async def approve(outcome: ToolOutcome, choices: tuple[Decision, ...]) -> Approval:
        if approve_all:
            return Approval(Decision.ALLOW_ONCE, by="--approve-all")
        return Approval(Decision.DENY, by="the command line (it needs --approve-all)")

    return approve


class ToolExecutor:
    def __init__(
        self,
        specs: Sequence[ToolSpec],
        runner: Runner,
        policy: ToolPolicy,
        approver: Approver,
        *,
        conversation_id: int | None,
        timeout: float,
        max_rounds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.specs = tuple(specs)
        self._by_name = {s.name: s for s in specs}
        self._runner = runner
        self._policy = policy
        self._approver = approver
        self.conversation_id = conversation_id
        self.timeout = timeout
        self.max_rounds = max_rounds
        self._clock = clock
        self.rounds = 0
        self.current: list[ToolOutcome] | None = None  # the round being run (for Stop)

    @property
    def payload(self) -> tuple[dict[str, Any], ...]:
        """The request's `tools`."""
        return tuple(s.to_json() for s in self.specs)

    def start_round(self, calls: Sequence[CallLike]) -> list[ToolOutcome]:
        """The round's outcomes, pending; ids made up for calls that came without one."""
        self.rounds += 1
        outcomes = []
        for i, call in enumerate(calls):
            call_id = call.id or f"call_{self.rounds}_{i}"
            outcome = ToolOutcome(call_id, call.name, call.arguments)
            outcome.spec = self._by_name.get(call.name)
            outcomes.append(outcome)
        self.current = outcomes
        return outcomes

    async def run_round(
        self, outcomes: list[ToolOutcome], emit: Callable[[ToolEvent], None]
    ) -> list[ToolOutcome]:
        """Run each call in order (approvals are asked one at a time)."""
        try:
            for outcome in outcomes:
                await self._run_one(outcome, emit)
        except asyncio.CancelledError:
            for outcome in outcomes:
                if outcome.state in (CallState.RUNNING, CallState.WAITING):
                    outcome.state, outcome.result = CallState.STOPPED, STOPPED_RESULT
                elif outcome.state is CallState.PENDING:
                    outcome.state, outcome.result = CallState.STOPPED, NOT_RUN_RESULT
                emit(ToolProgress(outcome))
            raise
        return outcomes

    def _fail(self, outcome: ToolOutcome, text: str) -> None:
        outcome.state = CallState.FAILED
        outcome.result = f"Error: {text}"

    async def _run_one(self, outcome: ToolOutcome, emit: Callable[[ToolEvent], None]) -> None:
        spec = outcome.spec
        if spec is None:
            names = ", ".join(sorted(self._by_name)) or "none"
            self._fail(outcome, f"there is no tool named {outcome.name!r} (tools: {names}).")
            outcome.approval = "not run"
            emit(ToolProgress(outcome))
            return
        try:
            parsed = json.loads(outcome.arguments_text or "{}")
        except ValueError as exc:
            self._fail(outcome, f"the arguments are not valid JSON ({exc}); nothing was run.")
            outcome.approval = "not run"
            emit(ToolProgress(outcome))
            return
        if not isinstance(parsed, dict):
            self._fail(outcome, "the arguments must be a JSON object; nothing was run.")
            outcome.approval = "not run"
            emit(ToolProgress(outcome))
            return
        outcome.arguments = parsed
        reason = self._policy.allowed_without_asking(spec, self.conversation_id)
        if reason is None:
            outcome.state = CallState.WAITING
            emit(ToolProgress(outcome))
            approval = await self._approver(outcome, self._policy.choices(spec))
            if approval.decision is Decision.DENY:
                outcome.state, outcome.result = CallState.DENIED, DECLINED
                outcome.approved, outcome.approval = False, f"denied by {approval.by}"
                emit(ToolProgress(outcome))
                return
            self._policy.remember(spec, approval.decision, self.conversation_id)
            if approval.arguments is not None:
                outcome.arguments = approval.arguments
                outcome.extra["model_arguments"] = parsed
            outcome.approval = {
                Decision.ALLOW_ONCE: f"{approval.by}, once",
                Decision.ALLOW_CONVERSATION: f"{approval.by}, for this conversation",
                Decision.ALLOW_ALWAYS: f"{approval.by}, always",
            }[approval.decision]
            if approval.by.startswith("--"):
                outcome.approval = approval.by
        else:
            outcome.approval = reason
        outcome.approved = True
        outcome.state = CallState.RUNNING
        emit(ToolProgress(outcome))
        started = self._clock()
        try:
            text = await asyncio.wait_for(self._runner(spec, dict(outcome.arguments)), self.timeout)
        except TimeoutError:
            self._fail(outcome, f"the tool did not finish within {self.timeout:g} s.")
        except (ToolError, McpProblem) as exc:
            self._fail(outcome, str(exc))
        except asyncio.CancelledError:
            outcome.duration_ms = (self._clock() - started) * 1000.0
            raise
        except Exception as exc:  # a bug in a tool must not lose the turn
            log.exception("tool %s failed", spec.key)
            self._fail(outcome, f"the tool failed unexpectedly ({type(exc).__name__}: {exc}).")
        else:
            outcome.state = CallState.DONE
            outcome.result = cap_result(text)
        outcome.duration_ms = (self._clock() - started) * 1000.0
        emit(ToolProgress(outcome))

    def finish_round(self) -> None:
        self.current = None
