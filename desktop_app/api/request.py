"""The chat request as the app builds it, and its JSON payload on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SMART_ROUTER = "@edenai"
MAX_FALLBACKS = 3
METADATA_HEADER = "x-edenai-metadata"  # "enabled": the reply says how the router chose
TAGS_HEADER = "X-EdenAI-Tags"
MAX_TAG_CHARS = 64
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/")


def tag_value(text: str) -> str:
    """`text` as a tag value Eden AI accepts: letters, digits and `- _ . : /` only (others
    become `-`), at most 64 characters, never empty."""
    value = "".join(c if c in _TAG_CHARS else "-" for c in text.strip())[:MAX_TAG_CHARS]
    return value or "-"


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
    quality_cost: int | None = None  # routing.quality_cost: 0 best model ... 10 cheapest
    tags: tuple[tuple[str, str], ...] = ()  # sent as X-EdenAI-Tags (never personal data)
    extra: dict[str, Any] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        """Headers of this request beyond the client's own: routing metadata, always; tags."""
        out = {METADATA_HEADER: "enabled"}
        if self.tags:
            out[TAGS_HEADER] = ",".join(f"{k}={tag_value(v)}" for k, v in self.tags)
        return out

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
        if self.quality_cost is not None and self.model == SMART_ROUTER:
            payload["routing"] = {"quality_cost": self.quality_cost}
        payload.update(self.extra)
        return payload
