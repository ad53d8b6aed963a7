"""The chat request as the app builds it, and its JSON payload on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SMART_ROUTER = "@edenai"
MAX_FALLBACKS = 3


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One request: the whole conversation so far plus how to route it.

    `model` is `@edenai` for smart routing (optionally narrowed by `candidates`) or a fixed
    `provider/model`.
    """

    messages: tuple[dict[str, Any], ...]
    model: str = SMART_ROUTER
    candidates: tuple[str, ...] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    tools: tuple[dict[str, Any], ...] | None = None
    tool_choice: str | dict[str, Any] | None = None
    fallbacks: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": list(self.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.candidates and self.model == SMART_ROUTER:
            payload["router_candidates"] = list(self.candidates)
        if self.max_tokens is not None:
            payload["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.tools:
            payload["tools"] = list(self.tools)
            if self.tool_choice is not None:
                payload["tool_choice"] = self.tool_choice
        if self.fallbacks:
            payload["fallbacks"] = list(self.fallbacks)
        payload.update(self.extra)
        return payload
