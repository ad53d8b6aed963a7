"""What a tool is, as the model and the approval panel see it, and the outcome of one call."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

_FUNCTION_NAME = re.compile(r"[^A-Za-z0-9_-]")
MAX_RESULT_CHARS = 20_000  # what one tool result may add to the conversation


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool. `key` names it in settings and on the command line ("calculator",
    "mcp:SERVER/TOOL"); `name` is the function name the model sees (`^[A-Za-z0-9_-]{1,64}$`).

    `safe`: built-in, read-only and offline: runs without asking (unless a setting asks).
    `confirm_path`: every call needs the user's approval of the exact path (never "always").
    """

    key: str
    name: str
    description: str
    parameters: dict[str, Any]
    server: str | None = None  # the MCP server, None for a built-in tool
    remote_name: str | None = None  # the tool's own name on its MCP server
    safe: bool = False
    confirm_path: bool = False

    def to_json(self) -> dict[str, Any]:
        """The `tools` entry of a request."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    @property
    def where(self) -> str:
        """Where it runs, in words: "built in" or "MCP server NAME"."""
        return f"MCP server {self.server}" if self.server else "built in"


def function_name(server: str, tool: str) -> str:
    """The name an MCP tool is offered under: `SERVER__TOOL`, only the characters function
    names allow, at most 64 of them."""
    return _FUNCTION_NAME.sub("_", f"{server}__{tool}")[:64]


class CallState(StrEnum):
    PENDING = "pending"  # the model asked; not started
    WAITING = "waiting"  # waiting for the user's approval
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # ran (or could not run) and produced an error
    DENIED = "denied"
    STOPPED = "stopped"  # the user stopped the turn while it ran


class Decision(StrEnum):
    ALLOW_ONCE = "once"
    ALLOW_CONVERSATION = "conversation"
    ALLOW_ALWAYS = "always"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Approval:
    """The answer to an approval request; `arguments` replaces the model's (a path the user
    picked instead)."""

    decision: Decision
    arguments: dict[str, Any] | None = None
    by: str = "you"  # who decided: "you", "--approve-all"


DECLINED = "The user declined to run this tool."


@dataclass
class ToolOutcome:
    """One tool call from the model's request to its result; mutated as it runs (the window
    redraws its block from it) and stored with the tool result (`meta`)."""

    call_id: str
    name: str  # the function name the model used
    arguments_text: str  # as the model sent it
    arguments: Any = None  # parsed (an object), or None when they were not valid JSON
    spec: ToolSpec | None = None  # None: the model named a tool that does not exist
    state: CallState = CallState.PENDING
    result: str = ""
    approved: bool = False
    approval: str = ""  # who let it run (or refused it), in words
    duration_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str | None:
        return self.spec.key if self.spec else None

    @property
    def server(self) -> str | None:
        return self.spec.server if self.spec else None

    @property
    def failed(self) -> bool:
        return self.state in (CallState.FAILED, CallState.STOPPED)

    def pretty_arguments(self) -> str:
        """The arguments in full, as indented JSON (the raw text when not JSON)."""
        if self.arguments is None:
            return self.arguments_text
        return json.dumps(self.arguments, indent=2, ensure_ascii=False, sort_keys=False)

    def tool_call_json(self) -> dict[str, Any]:
        """The assistant message's `tool_calls` entry (sent back in later requests)."""
        return {
            "id": self.call_id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_text},
        }

    def result_message(self) -> dict[str, Any]:
        """The `tool` message answering this call."""
        return {"role": "tool", "tool_call_id": self.call_id, "content": self.result}

    def meta(self) -> dict[str, Any]:
        """What the history keeps beside the result: the window's tool block reads it back."""
        return {
            "tool": self.name,
            "key": self.key,
            "server": self.server,
            "state": self.state.value,
            "approved": self.approved,
            "approval": self.approval,
            "duration_ms": self.duration_ms,
            **self.extra,
        }


def cap_result(text: str, limit: int = MAX_RESULT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… (cut: {len(text) - limit} more characters)"


class _StoredMessage(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def content(self) -> str: ...
    @property
    def tool_calls(self) -> list[dict[str, Any]] | None: ...
    @property
    def tool_call_id(self) -> str | None: ...
    @property
    def meta(self) -> dict[str, Any] | None: ...


def stored_rounds(messages: Sequence[_StoredMessage]) -> list[tuple[str, list[ToolOutcome]]]:
    """A stored reply's tool loop (`services.history.tool_rounds`) as (what the model said,
    its calls) per round, each call with its stored result, duration and approval."""
    rounds: list[tuple[str, list[ToolOutcome]]] = []
    by_id: dict[str, ToolOutcome] = {}
    for m in messages:
        if m.role == "assistant":
            outcomes = []
            for call in m.tool_calls or []:
                fn = call.get("function") if isinstance(call, dict) else None
                fn = fn if isinstance(fn, dict) else {}
                outcome = ToolOutcome(
                    str(call.get("id") or ""),
                    str(fn.get("name") or "?"),
                    str(fn.get("arguments") or ""),
                )
                try:
                    parsed = json.loads(outcome.arguments_text or "{}")
                except ValueError:
                    parsed = None
                outcome.arguments = parsed if isinstance(parsed, dict) else None
                outcome.state = CallState.STOPPED
                outcome.result = "(no result was kept)"
                outcomes.append(outcome)
                by_id[outcome.call_id] = outcome
            rounds.append((m.content, outcomes))
        elif m.role == "tool" and m.tool_call_id in by_id:
            outcome = by_id[m.tool_call_id]
            meta = m.meta or {}
            outcome.result = m.content
            try:
                outcome.state = CallState(str(meta.get("state", "done")))
            except ValueError:
                outcome.state = CallState.DONE
            outcome.approved = bool(meta.get("approved", False))
            outcome.approval = str(meta.get("approval") or "")
            duration = meta.get("duration_ms")
            outcome.duration_ms = float(duration) if isinstance(duration, int | float) else None
            key, server = meta.get("key"), meta.get("server")
            if isinstance(key, str):
                outcome.spec = ToolSpec(
                    key, outcome.name, "", {}, server=server if isinstance(server, str) else None
                )
    return rounds
