"""Pure decoding of Eden (OpenAI-compatible) responses: no I/O, no asyncio; the only outside
state it reads is the clock it is given, to time the first chunk and the first content.

`TurnDecoder` turns parsed chunks (streamed `chat.completion.chunk` objects, or one
non-streamed `chat.completion`) into typed events and keeps everything needed for the final
`TurnResult`. `error_from_response` turns an HTTP error status and body into an `ApiError`.
Both accept every variant listed in the wire reference and raise nothing but `DecodeError`
(for chunks that break the protocol), which the client turns into a PROTOCOL error.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from desktop_app.api.cost import parse_cost
from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    RoutedModel,
    RoutingInfo,
    RoutingReport,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    TurnResult,
    TurnStatus,
    Usage,
)
from desktop_app.api.metadata import parse_routing
from desktop_app.logs import redact

__all__ = [
    "DecodeError",
    "TurnDecoder",
    "error_from_response",
    "extract_error_message",
    "kind_for_status",
    "parse_retry_after",
    "parse_routing",
    "parse_usage",
]

_MAX_DETAIL = 300
_SPACES = re.compile(r"\s+")
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


_NO_EVENTS: list[StreamEvent] = []  # never mutated


class DecodeError(Exception):
    """A chunk the client cannot understand; its text says what was wrong (no payload)."""


# --------------------------------------------------------------------------- small parsers


def _as_int(value: Any) -> int | None:
    if type(value) is int:
        return value if value >= 0 else None
    if type(value) is float and value.is_integer() and value >= 0:
        return int(value)
    return None


def parse_usage(value: Any) -> Usage | None:
    """`usage` object → `Usage`; tolerant of missing fields and of Anthropic-style names."""
    if type(value) is not dict:
        return None
    prompt = _as_int(value.get("prompt_tokens"))
    if prompt is None:
        prompt = _as_int(value.get("input_tokens"))
    completion = _as_int(value.get("completion_tokens"))
    if completion is None:
        completion = _as_int(value.get("output_tokens"))
    total = _as_int(value.get("total_tokens"))
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    cached = None
    details = value.get("prompt_tokens_details")
    if type(details) is dict:
        cached = _as_int(details.get("cached_tokens"))
    if prompt is None and completion is None and total is None:
        return None
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cached_tokens=cached
    )


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (delta-seconds or an HTTP date) or `retry-after-ms`."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            ms = float(raw_ms.strip())
        except ValueError:
            ms = math.nan
        if math.isfinite(ms) and ms >= 0:
            return ms / 1000.0
    raw = headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; be lenient with ones that say nothing
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _clean(text: str, secret: str | None = None) -> str:
    text = redact(_SPACES.sub(" ", text).strip(), secret)
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1].rstrip() + "…"
    return text


def _sentence(prefix: str, detail: str | None) -> str:
    if not detail:
        return prefix + "."
    if detail[-1] not in ".!?…":
        detail += "."
    return f"{prefix}: {detail}"


def _message_from_error_value(value: Any) -> tuple[str | None, str | None]:
    """(message, code) from the value of an `error` key: a string or an OpenAI error object."""
    if type(value) is str:
        return value, None
    if type(value) is dict:
        message = value.get("message")
        if type(message) is not str or not message.strip():
            message = value.get("detail") if type(value.get("detail")) is str else None
        code: Any = value.get("code")
        if code is None or code == "":
            code = value.get("type")
        code_text = None if code is None or type(code) in (dict, list) else str(code)
        return message, code_text
    return None, None


def _message_from_detail(value: Any) -> tuple[str | None, str | None]:
    """(message, code) from FastAPI's `detail`: a string or a list of validation errors."""
    if type(value) is str:
        return value, None
    if type(value) is list:
        parts: list[str] = []
        code = None
        for item in value[:5]:
            if type(item) is not dict:
                continue
            msg = item.get("msg")
            if type(msg) is not str:
                continue
            loc = item.get("loc")
            where = ""
            if type(loc) is list:
                names = [str(p) for p in loc if type(p) in (str, int)]
                if names and names[0] in ("body", "query", "header", "path"):
                    names = names[1:]
                where = ".".join(names)
            parts.append(f"{where}: {msg}" if where else msg)
            if code is None and type(item.get("type")) is str:
                code = item["type"]
        return ("; ".join(parts) or None), code
    if type(value) is dict:
        return _message_from_error_value(value)
    return None, None


def extract_error_message(body: bytes) -> tuple[str | None, str | None]:
    """The server's own (message, code) from an error body of either family, or (None, None).

    Understands FastAPI (`{"detail": ...}`), OpenAI (`{"error": ...}`), a bare `{"message"}`,
    an SSE body holding such an object in a `data:` line, and an HTML page's `<title>`.
    """
    text = body.strip()
    if not text:
        return None, None
    candidates: list[Any] = []
    try:
        candidates.append(json.loads(text))
    except (ValueError, UnicodeDecodeError):
        for line in text.splitlines():
            if line.startswith(b"data:"):
                try:
                    candidates.append(json.loads(line[5:]))
                except (ValueError, UnicodeDecodeError):
                    continue
    for obj in candidates:
        if type(obj) is not dict:
            continue
        if "error" in obj:
            message, code = _message_from_error_value(obj["error"])
            if message:
                return message, code
        if "detail" in obj:
            message, code = _message_from_detail(obj["detail"])
            if message:
                return message, code
        message = obj.get("message")
        if type(message) is str and message.strip():
            code = obj.get("code")
            return message, (str(code) if type(code) in (str, int) else None)
    match = _HTML_TITLE.search(text[:65536])
    if match:
        title = match.group(1).decode("utf-8", "replace")
        return (title or None), None
    return None, None


def kind_for_status(status: int) -> ErrorKind:
    if status in (401, 403):
        return ErrorKind.AUTH
    if status == 402:
        return ErrorKind.CREDITS
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 451:
        return ErrorKind.REGION
    if status >= 500:
        return ErrorKind.SERVER
    return ErrorKind.BAD_REQUEST


_PREFIXES = {
    401: "The server did not accept the API key",
    403: "The server refused access with this API key",
    402: "The account has no credits left",
    429: "The server is rate-limiting this account (too many requests)",
    451: "The service is not available from this region",
}


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    path: str = "",
    secret: str | None = None,
) -> ApiError:
    """An HTTP error response → `ApiError` with the server's own message when it gave one.

    `secret` (the API key) is removed from anything quoted from the body.
    """
    message, code = extract_error_message(body)
    detail = _clean(message, secret) if message else None
    kind = kind_for_status(status)
    retry_after = None
    if status in _PREFIXES:
        prefix = _PREFIXES[status]
    elif 300 <= status < 400:
        kind = ErrorKind.BAD_REQUEST
        location = headers.get("location", "")
        prefix = f"The server answered with a redirect (HTTP {status})"
        detail = _clean(f"to {location}", secret) if location else None
    elif status == 404:
        prefix = f"The server has no endpoint at {path or 'this address'} (HTTP 404)"
    elif status >= 500:
        prefix = f"The server had a problem (HTTP {status})"
    elif status >= 400:
        prefix = f"The server refused the request (HTTP {status})"
    else:
        kind = ErrorKind.PROTOCOL
        prefix = f"The server answered with an unexpected status (HTTP {status})"
    if status in (429, 503):
        retry_after = parse_retry_after(headers)
    return ApiError(
        kind=kind,
        message=_sentence(prefix, detail),
        status=status,
        retry_after=retry_after,
        code=code,
    )


def error_from_frame(value: Any, secret: str | None = None) -> ApiError:
    """An `error` object sent inside a 200 stream (OpenAI-compatible routers)."""
    message, code = _message_from_error_value(value)
    detail = _clean(message, secret) if message else None
    return ApiError(
        kind=ErrorKind.INTERRUPTED,
        message=_sentence("The server stopped the reply with an error", detail),
        code=code,
    )


# --------------------------------------------------------------------------- the decoder


class TurnDecoder:
    """State of one turn: feed it chunks (parsed JSON), get events; build the result at the end.

    `feed` is the per-chunk hot path: it allocates one list and one event per text delta and
    does a handful of dict lookups. It raises `DecodeError` for a chunk that breaks the
    protocol; an `error` frame sets `error` instead (the caller stops reading).
    """

    __slots__ = (
        "clock",
        "done",
        "ended",
        "error",
        "finish_reason",
        "first_chunk_at",
        "first_content_at",
        "model",
        "reported_cost",
        "routing",
        "secret",
        "started",
        "text_parts",
        "tool_calls",
        "usage",
        "usage_cost",
    )

    def __init__(
        self, secret: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock
        self.text_parts: list[str] = []
        self.model: str | None = None
        self.tool_calls: dict[int, ToolCall] = {}
        self.usage: Usage | None = None
        self.routing: RoutingInfo | None = None
        self.reported_cost: float | None = None
        self.usage_cost: float | None = None
        self.finish_reason: str | None = None
        self.error: ApiError | None = None
        self.done = False  # `data: [DONE]` seen
        self.first_chunk_at: float | None = None  # by `clock`, set by feed
        self.first_content_at: float | None = None
        self.secret = secret
        self.started = clock()  # reset by the client when the request really starts
        self.ended: float | None = None

    @property
    def has_content(self) -> bool:
        return bool(self.text_parts or self.tool_calls)

    @property
    def complete(self) -> bool:
        """The server said the reply is whole: `[DONE]` or a finish_reason."""
        return self.done or self.finish_reason is not None

    # -- streamed chunks

    def feed_frame(self, event_type: str, data: str) -> list[StreamEvent]:
        """One SSE event: `[DONE]`, a JSON chunk, or (with `event: error`) an error."""
        try:
            obj = json.loads(data)
        except ValueError:
            stripped = data.strip()
            if stripped == "[DONE]":
                self.done = True
                return _NO_EVENTS
            if not stripped:
                return _NO_EVENTS
            if event_type != "error":
                raise DecodeError("a chunk is not valid JSON") from None
            obj = stripped
        if event_type == "error" and (type(obj) is not dict or "error" not in obj):
            obj = {"error": obj}
        return self.feed(obj)

    def feed(self, obj: Any) -> list[StreamEvent]:
        """One parsed chunk → its events. A plain text delta takes a short path."""
        if type(obj) is not dict:
            raise DecodeError("a chunk is not a JSON object")
        if (
            self.model is not None
            and obj.get("usage") is None
            and obj.get("cost") is None
            and obj.get("error") is None
        ):
            try:
                (choice,) = obj["choices"]
                delta = choice["delta"]
                content = delta["content"]
            except (KeyError, TypeError, ValueError, IndexError):
                pass
            else:
                # Indexing succeeded, so `choice` and `delta` are objects.
                if type(content) is str and len(delta) == 1 and choice.get("finish_reason") is None:
                    if not content:
                        return _NO_EVENTS
                    self.text_parts.append(content)
                    if self.first_content_at is None:
                        self.first_content_at = self.clock()
                    return [TextDelta(content)]
        return self._feed_general(obj)

    def _feed_general(self, obj: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self.first_chunk_at is None:
            self.first_chunk_at = self.clock()
        if self.model is None:
            self._routed_model(obj, events)
        error = obj.get("error")
        failing = error is not None and error != "" and error is not False
        meta = obj.get("edenai_metadata")
        # The first block is the decision; an error frame's corrected block replaces it.
        if meta is not None and (self.routing is None or failing):
            info = parse_routing(meta)
            if info is not None:
                self.routing = info
                events.append(RoutingReport(info))
        if failing:
            self.error = error_from_frame(error, self.secret)
            return events
        choices = obj.get("choices")
        if choices:
            if type(choices) is not list:
                raise DecodeError("`choices` is not a list")
            choice = choices[0]
            if type(choice) is not dict:
                raise DecodeError("a choice is not an object")
            if len(choices) > 1 and choice.get("index", 0) != 0:
                choice = next((c for c in choices if type(c) is dict and c.get("index") == 0), {})
            delta = choice.get("delta")
            if delta is None:
                delta = choice.get("message")
            reason = choice.get("finish_reason")
            if reason is not None and type(reason) is not str:
                raise DecodeError("`finish_reason` is not a string")
            text = ""
            if delta:
                if type(delta) is not dict:
                    raise DecodeError("`delta` is not an object")
                content = delta.get("content")
                if content:
                    if type(content) is not str:
                        raise DecodeError("`content` is not a string")
                    text = content
                    events.append(TextDelta(content))
                if content is None or len(delta) > 1:  # not a plain text delta
                    tool_calls = delta.get("tool_calls")
                    if tool_calls:
                        self._tool_calls(tool_calls, events)
                    elif delta.get("function_call"):
                        function = delta["function_call"]
                        self._tool_calls([{"index": 0, "function": function}], events)
            if text:  # only once the frame has decoded: a frame that fails adds no text
                self.text_parts.append(text)
                if self.first_content_at is None:
                    self.first_content_at = self.clock()
            if reason == "error":
                self.error = error_from_frame(choice.get("error"), self.secret)
                return events
            if reason:
                self.finish_reason = reason
        usage = obj.get("usage")
        if usage is not None:
            parsed = parse_usage(usage)
            if parsed is not None:
                self.usage = parsed
                cost = parse_cost(usage.get("cost"))
                if cost is not None:
                    self.usage_cost = cost
        cost_value = obj.get("cost")
        if cost_value is not None:
            cost = parse_cost(cost_value)
            if cost is not None:
                self.reported_cost = cost
        return events

    def _routed_model(self, obj: dict[str, Any], events: list[StreamEvent]) -> None:
        model = obj.get("model")
        if type(model) is not str or not model or model[0] == "@":
            return  # "@edenai" echoed back names no model yet
        if "/" not in model:
            provider = obj.get("provider")
            if type(provider) is str and provider:
                model = f"{provider}/{model}"
        self.model = model
        events.append(RoutedModel(model))

    def _tool_calls(self, pieces: Any, events: list[StreamEvent]) -> None:
        if type(pieces) is not list:
            raise DecodeError("`tool_calls` is not a list")
        calls = self.tool_calls
        for piece in pieces:
            if type(piece) is not dict:
                raise DecodeError("a tool call is not an object")
            call_id = piece.get("id")
            if call_id is not None and type(call_id) is not str:
                raise DecodeError("a tool call id is not a string")
            index = piece.get("index")
            if index is None:  # some providers omit it: match by id, else continue the last one
                index = self._index_for(call_id)
            elif type(index) is not int or index < 0:
                raise DecodeError("a tool call index is not a number")
            function = piece.get("function") or {}
            if type(function) is not dict:
                raise DecodeError("a tool call function is not an object")
            name = function.get("name")
            arguments = function.get("arguments")
            if name is not None and type(name) is not str:
                raise DecodeError("a tool call name is not a string")
            if arguments is None:
                arguments = ""
            elif type(arguments) is not str:  # a few providers send the object itself
                arguments = json.dumps(arguments, ensure_ascii=False)
            call = calls.get(index)
            if call is None:
                call = calls[index] = ToolCall(index=index)
            if call_id and not call.id:
                call.id = call_id
            if name:
                if not call.name:
                    call.name = name
                elif name != call.name:
                    call.name += name
            call.arguments += arguments
            events.append(ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments))
            if self.first_content_at is None:
                self.first_content_at = self.clock()

    def _index_for(self, call_id: str | None) -> int:
        calls = self.tool_calls
        if call_id:
            for index, call in calls.items():
                if call.id == call_id:
                    return index
            return max(calls, default=-1) + 1
        return max(calls, default=0)

    # -- one non-streamed completion

    def feed_completion(self, obj: Any) -> list[StreamEvent]:
        """A whole `chat.completion` (200 with application/json) → the same events."""
        if type(obj) is not dict:
            raise DecodeError("the response is not a JSON object")
        if "choices" not in obj and obj.get("error") is None:
            raise DecodeError("the response has no `choices`")
        return self.feed(obj)

    # -- the end

    def result(self, error: ApiError | None) -> TurnResult:
        """The turn's result so far (cost fields left for the caller to fill in)."""
        if error is None:
            status = TurnStatus.COMPLETE
        elif error.kind is ErrorKind.CANCELLED:
            status = TurnStatus.STOPPED
        else:
            status = TurnStatus.INTERRUPTED if self.has_content else TurnStatus.FAILED
        started = self.started
        ended = self.ended if self.ended is not None else self.clock()
        first = self.first_content_at if self.first_content_at is not None else self.first_chunk_at
        return TurnResult(
            text="".join(self.text_parts),
            model=self.model,
            tool_calls=[self.tool_calls[i] for i in sorted(self.tool_calls)],
            usage=self.usage,
            finish_reason=self.finish_reason,
            error=error,
            ttft_ms=None if first is None else (first - started) * 1000.0,
            total_ms=(ended - started) * 1000.0,
            status=status,
            routing=self.routing,
        )
