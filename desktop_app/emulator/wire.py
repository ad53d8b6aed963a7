"""Wire encoding of one completion: SSE frames (streaming) or a chat.completion object.

Streaming follows the wire reference exactly: a first chunk with `delta.role = "assistant"` and
`content = ""` (plus `edenai_metadata` when asked), one chunk per token, a chunk with the
`finish_reason` and `delta.content = null`, then a usage chunk with ONE empty choice, `usage` and
a top-level `cost`, then `data: [DONE]`. Content chunks are assembled from precomputed byte
pieces so 20,000-token bursts cost a few milliseconds.

`stream_options.include_usage`: the real behaviour without it is undocumented. The emulator
sends the usage chunk when `include_usage` is true or absent (Eden reports cost on every call,
and the chunk's single empty choice keeps naive `choices[0]` readers working) and omits it only
when the client says `include_usage: false`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from desktop_app.emulator.catalogue import ModelInfo
from desktop_app.emulator.faults import FaultPlan
from desktop_app.emulator.tools import PlannedCall, split_arguments


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Drop:
    """Abort the connection here."""


Segment = bytes | Sleep | Drop


@dataclass(slots=True)
class Completion:
    """Everything decided about one answer, independent of its encoding."""

    id: str
    created: int
    model: ModelInfo
    tokens: list[str]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    tool_calls: list[PlannedCall] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    @property
    def cost(self) -> float:
        return self.model.cost(self.prompt_tokens, self.completion_tokens)

    def usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
        }


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


_ENC_CACHE: dict[str, bytes] = {}
_ENC_CACHE_MAX = 50_000


def _enc(token: str) -> bytes:
    b = _ENC_CACHE.get(token)
    if b is None:
        b = _dumps(token).encode()
        if len(_ENC_CACHE) < _ENC_CACHE_MAX:
            _ENC_CACHE[token] = b
    return b


def _model_fields(c: Completion, plan: FaultPlan) -> dict[str, Any]:
    if plan.has("bare_model"):
        return {"model": c.model.name, "provider": c.model.provider}
    return {"model": c.model.id}


def _usage_fields(c: Completion, plan: FaultPlan) -> dict[str, Any]:
    usage = c.usage()
    if plan.has("no_cost"):
        return {"usage": usage}
    if plan.has("usage_cost"):
        usage["cost"] = c.cost
        return {"usage": usage}
    return {"usage": usage, "cost": c.cost}


def completion_body(c: Completion, plan: FaultPlan) -> dict[str, Any]:
    """The non-streaming `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": "".join(c.tokens) or None}
    if c.tool_calls:
        message["tool_calls"] = [
            {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}}
            for t in c.tool_calls
        ]
    body: dict[str, Any] = {
        "id": c.id,
        "object": "chat.completion",
        "created": c.created,
        **_model_fields(c, plan),
        "choices": [
            {"index": 0, "message": message, "finish_reason": c.finish_reason, "logprobs": None}
        ],
    }
    if not plan.has("no_usage"):
        body.update(_usage_fields(c, plan))
    body["system_fingerprint"] = None
    if c.metadata is not None:
        body["edenai_metadata"] = c.metadata
    return body


class _Framer:
    def __init__(self, c: Completion, plan: FaultPlan) -> None:
        nl = "\r\n" if plan.has("crlf") else "\n"
        self.sep = (nl + nl).encode()
        self.keepalive = (": keep-alive" + nl + nl).encode() if plan.has("keepalive") else b""
        head = {"id": c.id, "object": "chat.completion.chunk", "created": c.created}
        head.update(_model_fields(c, plan))
        self.head = _dumps(head)[:-1] + ","  # '{"id":...,"model":"...",'
        self.content_prefix = (
            self.keepalive
            + b"data: "
            + self.head.encode()
            + b'"choices":[{"index":0,"delta":{"content":'
        )
        self.content_suffix = b'},"finish_reason":null}]}' + self.sep

    def frame(self, tail: dict[str, Any]) -> bytes:
        """A chunk: the common head fields followed by `tail`'s fields."""
        return self.raw(self.head + _dumps(tail)[1:])

    def raw(self, data: str) -> bytes:
        return self.keepalive + b"data: " + data.encode() + self.sep

    def content(self, token: str) -> bytes:
        return self.content_prefix + _enc(token) + self.content_suffix

    def malformed(self, good: bytes) -> bytes:
        """The same chunk cut in the middle of its JSON."""
        start = len(self.keepalive) + len(b"data: ")
        body = good[start : len(good) - len(self.sep)]
        return self.keepalive + b"data: " + body[: max(1, len(body) // 2)] + self.sep


def _delta_chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _error_frame(f: _Framer, c: Completion) -> bytes:
    error = {
        "message": "Upstream provider error: the connection to the model was reset",
        "type": "server_error",
        "code": "provider_error",
    }
    head = json.loads(f.head[:-1] + "}")
    obj = {"error": error, **head, **_delta_chunk({"content": ""}, "error")}
    if c.metadata is not None:  # the corrected block: the attempt that answered failed
        corrected = json.loads(_dumps(c.metadata))
        if corrected.get("attempts"):
            corrected["attempts"][-1]["status"] = 502
        corrected["summary"] = str(corrected.get("summary", "")) + "; failed mid-stream"
        obj["edenai_metadata"] = corrected
    return f.raw(_dumps(obj))


def _content_pieces(c: Completion, f: _Framer) -> Iterator[bytes]:
    if c.tool_calls:
        for index, call in enumerate(c.tool_calls):
            first = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield f.frame(_delta_chunk({"tool_calls": [first]}, None))
            for piece in split_arguments(call.arguments):
                part = {"index": index, "function": {"arguments": piece}}
                yield f.frame(_delta_chunk({"tool_calls": [part]}, None))
    else:
        for token in c.tokens:
            yield f.content(token)


def count_content_chunks(c: Completion) -> int:
    if c.tool_calls:
        return sum(1 + len(split_arguments(t.arguments)) for t in c.tool_calls)
    return len(c.tokens)


def stream_segments(
    c: Completion, plan: FaultPlan, *, include_usage: bool, token_delay: float
) -> Iterator[Segment]:
    """The SSE byte stream of a completion, with the plan's faults woven in.

    Faults counted in content chunks fire after the last content chunk when the reply is
    shorter than N.
    """
    f = _Framer(c, plan)
    total = count_content_chunks(c)

    first_delta: dict[str, Any] = {"role": "assistant", "content": ""}
    first = _delta_chunk(first_delta, None)
    if c.metadata is not None:
        first["edenai_metadata"] = c.metadata
    role_frame = f.frame(first)
    yield f.malformed(role_frame) if plan.malformed_at == 0 else role_frame

    def due(k: int | None, n: int) -> bool:
        """Is a fault counted at k due after n content chunks? The last takes those beyond."""
        return k is not None and (k >= n if n == total else k == n)

    def after(n: int) -> Iterator[Segment]:
        stall = sum(s for s, k in plan.stall_mid if due(k, n))
        if stall:
            yield Sleep(stall)
        if due(plan.error_frame_after, n):
            yield _error_frame(f, c)
        elif due(plan.drop_after, n):
            yield Drop()

    def ends(n: int) -> bool:
        return due(plan.error_frame_after, n) or due(plan.drop_after, n)

    yield from after(0)
    if ends(0):
        return
    for n, frame in enumerate(_content_pieces(c, f), start=1):
        if token_delay > 0:
            yield Sleep(token_delay)
        yield f.malformed(frame) if plan.malformed_at == n else frame
        yield from after(n)
        if ends(n):
            return

    usage_wanted = include_usage and not plan.has("no_usage")
    finish = _delta_chunk({"content": None}, c.finish_reason)
    if usage_wanted and plan.has("usage_on_finish"):
        finish.update(_usage_fields(c, plan))
    yield f.frame(finish)
    if usage_wanted and not plan.has("usage_on_finish"):
        tail = _delta_chunk({"content": None, "role": None}, None)
        tail.update(_usage_fields(c, plan))
        yield f.frame(tail)
    if not plan.has("no_done"):
        yield f.raw("[DONE]")
