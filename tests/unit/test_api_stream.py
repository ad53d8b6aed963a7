"""EdenClient against canned responses (httpx.MockTransport): every variant of the reference."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx
import pytest

from desktop_app.api.client import ClientConfig, EdenClient, Timeouts
from desktop_app.api.errors import ApiError, ErrorKind, TimeoutPhase
from desktop_app.api.events import (
    Completed,
    CostReport,
    CostSource,
    Failed,
    Finished,
    RoutedModel,
    RoutingReport,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    TurnResult,
    TurnStatus,
    Usage,
    UsageReport,
)
from desktop_app.api.request import ChatRequest
from desktop_app.services.resilience import is_transient

KEY = "sk-test-0123456789abcdef"
BASE = "https://api.edenai.run/v3"
REQUEST = ChatRequest(messages=({"role": "user", "content": "Explain machine learning"},))
HEAD = {"id": "chatcmpl-abc", "object": "chat.completion.chunk", "created": 1788347377}


# ----------------------------------------------------------------------------- helpers


def chunk(
    content: str | None = None,
    *,
    model: str | None = "openai/gpt-4o",
    finish: str | None = None,
    role: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    choices: list[Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    delta: dict[str, Any] = {"content": content}
    if role is not None:
        delta["role"] = role
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    obj: dict[str, Any] = dict(HEAD)
    if model is not None:
        obj["model"] = model
    obj["choices"] = (
        choices if choices is not None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    )
    obj.update(extra)
    return obj


def usage_chunk(prompt: int = 9, completion: int = 1, **extra: Any) -> dict[str, Any]:
    return chunk(
        choices=[{"index": 0, "delta": {"content": None, "role": None}, "finish_reason": None}],
        usage={
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
        **extra,
    )


def sse(*frames: dict[str, Any] | str, done: bool = True) -> bytes:
    parts = []
    for frame in frames:
        data = frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False)
        parts.append(f"data: {data}\n\n")
    if done:
        parts.append("data: [DONE]\n\n")
    return "".join(parts).encode()


REFERENCE_BODY = sse(
    chunk("", role="assistant"),
    chunk("Machine"),
    chunk(None, finish="stop"),
    usage_chunk(cost=0.0042),
)


class Chunks(httpx.AsyncByteStream):
    """A response body delivered in the given pieces, optionally failing at the end."""

    def __init__(self, pieces: Iterable[bytes], fail: Exception | None = None) -> None:
        self.pieces = list(pieces)
        self.fail = fail
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.fail is not None:
            raise self.fail

    async def aclose(self) -> None:
        self.closed = True


class Server:
    """A MockTransport handler recording requests and answering with a canned response."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)


def stream_response(
    body: bytes | Iterable[bytes],
    *,
    status: int = 200,
    content_type: str = "text/event-stream",
    headers: dict[str, str] | None = None,
    fail: Exception | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    pieces = [body] if isinstance(body, bytes) else list(body)

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            headers={"content-type": content_type, **(headers or {})},
            stream=Chunks(pieces, fail),
        )

    return respond


def make_client(
    respond: Callable[[httpx.Request], httpx.Response],
    *,
    key: Any = KEY,
    base_url: str = BASE,
    timeouts: Timeouts | None = None,
) -> tuple[EdenClient, Server]:
    server = Server(respond)
    config = ClientConfig(base_url=base_url, timeouts=timeouts or Timeouts())
    return EdenClient(config, key, transport=httpx.MockTransport(server)), server


async def collect(
    respond: Callable[[httpx.Request], httpx.Response],
    request: ChatRequest = REQUEST,
    **kwargs: Any,
) -> tuple[list[StreamEvent], TurnResult, Server]:
    client, server = make_client(respond, **kwargs)
    async with client:
        events = [event async for event in client.stream_chat(request)]
    assert_well_formed(events)
    last = events[-1]
    assert isinstance(last, Completed)
    return events, last.result, server


def assert_well_formed(events: list[StreamEvent]) -> None:
    """Exactly one Completed, last; Failed iff the result has an error, just before it."""
    completed = [e for e in events if isinstance(e, Completed)]
    assert len(completed) == 1
    assert events[-1] is completed[0]
    result = completed[0].result
    failed = [e for e in events if isinstance(e, Failed)]
    if result.error is None:
        assert failed == []
        assert result.status is TurnStatus.COMPLETE
    else:
        assert failed == [Failed(result.error)]
        assert events[-2] == failed[0]
        assert isinstance(result.error, ApiError)
        assert result.status in (TurnStatus.FAILED, TurnStatus.INTERRUPTED)
        expected = (
            TurnStatus.INTERRUPTED if (result.text or result.tool_calls) else TurnStatus.FAILED
        )
        assert result.status is expected
    routed = [e for e in events if isinstance(e, RoutedModel)]
    assert len(routed) <= 1
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == result.text


def kinds(events: list[StreamEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


# ----------------------------------------------------------------------------- success paths


async def test_reference_stream_events_in_order() -> None:
    events, result, _server = await collect(stream_response(REFERENCE_BODY))
    usage = Usage(prompt_tokens=9, completion_tokens=1, total_tokens=10, cached_tokens=0)
    assert events[:-1] == [
        RoutedModel("openai/gpt-4o"),
        TextDelta("Machine"),
        UsageReport(usage),
        CostReport(0.0042, CostSource.REPORTED),
        Finished("stop"),
    ]
    assert result.text == "Machine"
    assert result.model == "openai/gpt-4o"
    assert result.usage == usage
    assert (result.cost_usd, result.cost_source) == (0.0042, CostSource.REPORTED)
    assert result.finish_reason == "stop"
    assert result.status is TurnStatus.COMPLETE
    assert result.error is None
    assert result.ttft_ms is not None
    assert 0 <= result.ttft_ms <= result.total_ms


async def test_request_is_what_eden_expects() -> None:
    request = ChatRequest(
        messages=({"role": "user", "content": "hé"},),
        candidates=("openai/gpt-4o", "anthropic/claude-sonnet-4-5"),
    )
    _, _, server = await collect(stream_response(REFERENCE_BODY), request)
    (sent,) = server.requests
    assert sent.method == "POST"
    assert str(sent.url) == "https://api.edenai.run/v3/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("RouteChat/")
    payload = json.loads(sent.content)
    assert payload == request.to_payload()
    assert payload["stream"] is True
    assert payload["stream_options"] == {"include_usage": True}
    assert payload["router_candidates"] == ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://api.edenai.run/v3", "https://api.edenai.run/v3/chat/completions"),
        ("https://api.edenai.run/v3/", "https://api.edenai.run/v3/chat/completions"),
        ("https://api.edenai.run/v3/llm", "https://api.edenai.run/v3/llm/chat/completions"),
        ("https://api.edenai.run/v3/llm/", "https://api.edenai.run/v3/llm/chat/completions"),
        ("https://api.eu.edenai.run/v3", "https://api.eu.edenai.run/v3/chat/completions"),
    ],
)
async def test_both_documented_base_urls(base_url: str, expected: str) -> None:
    _, result, server = await collect(stream_response(REFERENCE_BODY), base_url=base_url)
    assert str(server.requests[0].url) == expected
    assert result.status is TurnStatus.COMPLETE


async def test_bare_model_with_top_level_provider() -> None:
    body = sse(
        chunk("Hi", model="gpt-4.1-nano", provider="openai"),
        chunk(" there", model="gpt-4.1-nano", provider="openai", finish="stop"),
    )
    events, result, _ = await collect(stream_response(body))
    assert events[0] == RoutedModel("openai/gpt-4.1-nano")
    assert result.model == "openai/gpt-4.1-nano"
    assert result.text == "Hi there"


async def test_routed_model_comes_as_soon_as_named_and_only_once() -> None:
    body = sse(
        chunk("", model="@edenai", role="assistant"),  # an echo of the request names nothing
        chunk("A", model="anthropic/claude-haiku-4-5"),
        chunk("B", model="anthropic/claude-sonnet-4-5", finish="stop"),
    )
    events, result, _ = await collect(stream_response(body))
    assert events[:2] == [RoutedModel("anthropic/claude-haiku-4-5"), TextDelta("AB")]  # one read
    assert result.model == "anthropic/claude-haiku-4-5"


META = {
    "requested": "@edenai",
    "strategy": "auto",
    "region": "global",
    "attempt": 1,
    "is_byok": False,
    "summary": "available=2, served=openai/gpt-5-nano",
    "auto": {
        "selection": "ranked",
        "chosen": "openai/gpt-5-nano",
        "dropped": ["azure/gpt-5.5"],
        "quality_cost": 8,
    },
    "attempts": [
        {"provider": "openai", "model": "openai/gpt-5-nano", "status": 200, "region": "global"}
    ],
    "tags": {"client": "acme"},
}


async def test_routing_metadata_on_the_first_chunk_is_reported() -> None:
    first = chunk("", role="assistant", edenai_metadata=META)
    later = chunk("ok", finish="stop", edenai_metadata={"auto": {"selection": "default"}})
    events, result, server = await collect(stream_response(sse(first, later)))
    (report,) = [e for e in events if isinstance(e, RoutingReport)]  # the first block only
    info = report.info
    assert (info.selection, info.chosen, info.dropped) == (
        "ranked",
        "openai/gpt-5-nano",
        ("azure/gpt-5.5",),
    )
    assert (info.strategy, info.attempt, info.region, info.quality_cost) == (
        "auto",
        1,
        "global",
        8,
    )
    assert info.attempts[0]["status"] == 200 and info.tags == {"client": "acme"}
    assert info.raw == META
    assert result.routing == info and result.text == "ok"
    assert server.requests[0].headers["x-edenai-metadata"] == "enabled"


async def test_an_error_frames_corrected_block_replaces_the_first() -> None:
    corrected = {**META, "attempts": [{**META["attempts"][0], "status": 502}]}  # type: ignore[dict-item]
    error = {"error": {"message": "upstream reset"}, "edenai_metadata": corrected}
    body = sse(chunk("", role="assistant", edenai_metadata=META), chunk("Par"), error)
    events, result, _ = await collect(stream_response(body))
    reports = [e.info for e in events if isinstance(e, RoutingReport)]
    assert [r.attempts[0]["status"] for r in reports] == [200, 502]
    assert result.routing is not None and result.routing.attempts[0]["status"] == 502
    assert result.status is TurnStatus.INTERRUPTED


@pytest.mark.parametrize(
    "meta",
    [None, "nonsense", [1, 2], {"auto": "x", "attempt": "1", "attempts": "none", "tags": [1]}],
)
async def test_absent_or_malformed_metadata_is_not_an_error(meta: Any) -> None:
    extra = {} if meta is None else {"edenai_metadata": meta}
    body = sse(chunk("", role="assistant", **extra), chunk("ok", finish="stop"))
    _, result, _ = await collect(stream_response(body))
    assert result.error is None and result.text == "ok"
    if isinstance(meta, dict):
        assert result.routing is not None
        assert (result.routing.selection, result.routing.attempt) == (None, None)
        assert result.routing.attempts == () and result.routing.tags == {}
    else:
        assert result.routing is None


async def test_a_non_streamed_body_reports_its_routing_too() -> None:
    body = json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "model": "openai/gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}],
            "edenai_metadata": META,
        }
    ).encode()
    _, result, _ = await collect(stream_response(body, content_type="application/json"))
    assert result.routing is not None and result.routing.chosen == "openai/gpt-5-nano"


async def test_the_knob_and_the_tags_go_out_with_the_request() -> None:
    request = ChatRequest(
        ({"role": "user", "content": "hi"},),
        candidates=("openai/gpt-4o", "openai/gpt-4o-mini"),
        quality_cost=8,
        tags=(("app", "routechat"), ("tier", "My pool!")),
    )
    _, _, server = await collect(stream_response(sse(chunk("ok", finish="stop"))), request)
    sent = server.requests[0]
    assert json.loads(sent.content)["routing"] == {"quality_cost": 8}
    assert sent.headers["x-edenai-tags"] == "app=routechat,tier=My-pool-"  # allowed characters
    fixed = ChatRequest(({"role": "user", "content": "hi"},), model="openai/gpt-4o", quality_cost=8)
    assert "routing" not in fixed.to_payload()  # the knob is the router's only


async def test_usage_on_the_finish_reason_chunk() -> None:
    finish = chunk(None, finish="stop", usage={"prompt_tokens": 5, "completion_tokens": 2})
    body = sse(chunk("Yo"), finish)
    events, result, _ = await collect(stream_response(body))
    assert result.usage == Usage(prompt_tokens=5, completion_tokens=2, total_tokens=7)
    assert kinds(events) == [
        "RoutedModel",
        "TextDelta",
        "UsageReport",
        "CostReport",
        "Finished",
        "Completed",
    ]
    # No reported cost: estimated from the usage with the price table (gpt-4o: $2.5/$10 per M).
    assert result.cost_source is CostSource.ESTIMATED
    assert result.cost_usd == pytest.approx(5 * 2.5e-6 + 2 * 10e-6)


async def test_no_usage_at_all() -> None:
    body = sse(chunk("Yo"), chunk(None, finish="stop"))
    events, result, _ = await collect(stream_response(body))
    assert not any(isinstance(e, UsageReport) for e in events)
    assert CostReport(None, CostSource.UNKNOWN) in events
    assert result.usage is None
    assert (result.cost_usd, result.cost_source) == (None, CostSource.UNKNOWN)
    assert result.status is TurnStatus.COMPLETE


async def test_usage_cost_from_openai_compatible_routers() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "cost": 0.00123}
    body = sse(chunk("x", finish="stop"), chunk(choices=[], usage=usage))
    _, result, _ = await collect(stream_response(body))
    assert (result.cost_usd, result.cost_source) == (0.00123, CostSource.REPORTED)


async def test_top_level_cost_wins_over_usage_cost() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "cost": 0.5}
    body = sse(chunk("x", finish="stop"), chunk(choices=[], usage=usage, cost=0.25))
    _, result, _ = await collect(stream_response(body))
    assert (result.cost_usd, result.cost_source) == (0.25, CostSource.REPORTED)


async def test_unknown_model_cost_is_unknown() -> None:
    body = sse(chunk("x", model="edenai/mystery-1", finish="stop"), usage_chunk())
    _, result, _ = await collect(stream_response(body))
    assert (result.cost_usd, result.cost_source) == (None, CostSource.UNKNOWN)
    assert result.usage is not None


async def test_estimate_uses_requested_model_when_none_is_named() -> None:
    body = sse(
        chunk("x", model=None, finish="stop"),
        chunk(model=None, choices=[], usage={"prompt_tokens": 1000, "completion_tokens": 1000}),
    )
    request = ChatRequest(messages=REQUEST.messages, model="anthropic/claude-sonnet-4-5")
    _, result, _ = await collect(stream_response(body), request)
    assert result.model is None
    assert result.cost_source is CostSource.ESTIMATED
    assert result.cost_usd == pytest.approx(1000 * 3e-6 + 1000 * 15e-6)


@pytest.mark.parametrize(
    "reason", ["stop", "length", "tool_calls", "content_filter", "function_call"]
)
async def test_every_finish_reason(reason: str) -> None:
    body = sse(chunk("a"), chunk(None, finish=reason))
    events, result, _ = await collect(stream_response(body))
    assert Finished(reason) in events
    assert result.finish_reason == reason
    assert result.status is TurnStatus.COMPLETE


async def test_empty_usage_choice_list_is_accepted() -> None:
    body = sse(chunk("a", finish="stop"), chunk(choices=[], usage={"prompt_tokens": 1}, cost=0.1))
    _, result, _ = await collect(stream_response(body))
    assert result.usage == Usage(prompt_tokens=1)
    assert result.cost_usd == 0.1


async def test_stream_without_done_but_with_finish_reason_is_complete() -> None:
    body = sse(chunk("All"), chunk(" here", finish="stop"), usage_chunk(cost=0.01), done=False)
    _events, result, _ = await collect(stream_response(body))
    assert result.status is TurnStatus.COMPLETE
    assert result.error is None
    assert result.text == "All here"
    assert result.cost_usd == 0.01


async def test_done_without_finish_reason_is_complete() -> None:
    _, result, _ = await collect(stream_response(sse(chunk("a"))))
    assert result.status is TurnStatus.COMPLETE
    assert result.finish_reason is None


async def test_frames_after_done_are_ignored() -> None:
    body = sse(chunk("a", finish="stop")) + sse(chunk("late"), done=False)
    _, result, _ = await collect(stream_response(body))
    assert result.text == "a"


async def test_sse_details_comments_crlf_multiline_data_and_named_events() -> None:
    first = json.dumps(chunk("Hé"))
    split_at = first.index('"choices"')
    body = (
        ": keep-alive\r\n\r\n"
        f"data: {first[:split_at]}\r\ndata: {first[split_at:]}\r\n\r\n"
        ":\r\n"
        "event: message\r\nid: 7\r\n"
        f"data:{json.dumps(chunk('llo', finish='stop'))}\r\n\r\n"
        "retry: 1000\r\n\r\n"
        "data: [DONE]\r\n\r\n"
    ).encode()
    _, result, _ = await collect(stream_response(body))
    assert result.text == "Héllo"
    assert result.status is TurnStatus.COMPLETE


async def test_content_type_with_charset_is_accepted() -> None:
    respond = stream_response(REFERENCE_BODY, content_type="text/event-stream; charset=utf-8")
    _, result, _ = await collect(respond)
    assert result.status is TurnStatus.COMPLETE


# ----------------------------------------------------------------------------- tool calls


def tool_piece(
    index: int | None, *, id: str | None = None, name: str | None = None, args: str = ""
) -> dict[str, Any]:
    piece: dict[str, Any] = {"function": {"arguments": args}}
    if index is not None:
        piece["index"] = index
    if id is not None:
        piece["id"] = id
        piece["type"] = "function"
    if name is not None:
        piece["function"]["name"] = name
    return piece


async def test_tool_calls_are_assembled_per_index() -> None:
    body = sse(
        chunk(None, role="assistant", tool_calls=[tool_piece(0, id="call_a", name="get_weather")]),
        chunk(None, tool_calls=[tool_piece(0, args='{"loc')]),
        chunk(None, tool_calls=[tool_piece(1, id="call_b", name="get_time", args="{")]),
        chunk(None, tool_calls=[tool_piece(0, args='ation": "Paris"}')]),
        chunk(None, tool_calls=[tool_piece(1, args='"tz": "CET"}')]),
        chunk(None, finish="tool_calls"),
        usage_chunk(),
    )
    events, result, _ = await collect(stream_response(body))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert deltas == [
        ToolCallDelta(0, "call_a", "get_weather", ""),
        ToolCallDelta(0, None, None, '{"loc'),
        ToolCallDelta(1, "call_b", "get_time", "{"),
        ToolCallDelta(0, None, None, 'ation": "Paris"}'),
        ToolCallDelta(1, None, None, '"tz": "CET"}'),
    ]
    assert result.tool_calls == [
        ToolCall(0, "call_a", "get_weather", '{"location": "Paris"}'),
        ToolCall(1, "call_b", "get_time", '{"tz": "CET"}'),
    ]
    assert json.loads(result.tool_calls[0].arguments) == {"location": "Paris"}
    assert result.finish_reason == "tool_calls"
    assert result.text == ""
    assert result.status is TurnStatus.COMPLETE
    assert result.ttft_ms is not None


async def test_tool_calls_without_index_are_matched_by_id() -> None:
    body = sse(
        chunk(None, tool_calls=[tool_piece(None, id="a", name="f", args='{"x":')]),
        chunk(None, tool_calls=[tool_piece(None, args="1}")]),
        chunk(None, tool_calls=[tool_piece(None, id="b", name="g", args="{}")]),
        chunk(None, finish="tool_calls"),
    )
    _, result, _ = await collect(stream_response(body))
    assert result.tool_calls == [ToolCall(0, "a", "f", '{"x":1}'), ToolCall(1, "b", "g", "{}")]


async def test_legacy_function_call_delta() -> None:
    body = sse(
        chunk(choices=[{"index": 0, "delta": {"function_call": {"name": "f", "arguments": "{"}}}]),
        chunk(choices=[{"index": 0, "delta": {"function_call": {"arguments": "}"}}}]),
        chunk(None, finish="function_call"),
    )
    _, result, _ = await collect(stream_response(body))
    assert result.tool_calls == [ToolCall(0, None, "f", "{}")]


async def test_text_then_tool_call() -> None:
    body = sse(
        chunk("Let me check."),
        chunk(None, tool_calls=[tool_piece(0, id="c", name="lookup", args="{}")]),
        chunk(None, finish="tool_calls"),
    )
    _, result, _ = await collect(stream_response(body))
    assert result.text == "Let me check."
    assert result.tool_calls[0].to_json() == {
        "id": "c",
        "type": "function",
        "function": {"name": "lookup", "arguments": "{}"},
    }


# ----------------------------------------------------------------------------- non-streamed


async def test_non_streamed_json_completion_gives_the_same_events() -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "provider": "openai",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Whole answer",
                    "tool_calls": [
                        {
                            "id": "t1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6},
        "cost": 0.001,
    }
    respond = stream_response(json.dumps(body).encode(), content_type="application/json")
    events, result, _ = await collect(respond)
    assert kinds(events) == [
        "RoutedModel",
        "TextDelta",
        "ToolCallDelta",
        "UsageReport",
        "CostReport",
        "Finished",
        "Completed",
    ]
    assert result.model == "openai/gpt-4o-mini"
    assert result.text == "Whole answer"
    assert result.tool_calls == [ToolCall(0, "t1", "f", "{}")]
    assert result.usage == Usage(4, 2, 6)
    assert (result.cost_usd, result.cost_source) == (0.001, CostSource.REPORTED)
    assert result.status is TurnStatus.COMPLETE


async def test_json_200_holding_an_error() -> None:
    body = json.dumps({"error": {"message": "Upstream exploded", "code": "upstream"}}).encode()
    _, result, _ = await collect(stream_response(body, content_type="application/json"))
    assert result.error is not None
    assert "Upstream exploded" in result.error.message
    assert result.status is TurnStatus.FAILED


async def test_json_200_that_is_not_a_completion() -> None:
    respond = stream_response(b'{"hello": 1}', content_type="application/json")
    _, result, _ = await collect(respond)
    assert result.error is not None
    assert result.error.kind is ErrorKind.PROTOCOL


async def test_unexpected_content_type() -> None:
    respond = stream_response(b"<html>captive portal</html>", content_type="text/html")
    _, result, _ = await collect(respond)
    assert result.error is not None
    assert result.error.kind is ErrorKind.PROTOCOL
    assert "text/html" in result.error.message


# ----------------------------------------------------------------------------- broken streams


async def test_error_frame_after_text_interrupts_and_keeps_text() -> None:
    error = {"error": {"message": "Provider overloaded", "type": "server_error", "code": 502}}
    body = sse(chunk("Half an ans"), {**chunk(None, finish="error"), **error}, done=False)
    events, result, _ = await collect(stream_response(body))
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text == "Half an ans"
    assert result.error is not None
    assert result.error.kind is ErrorKind.INTERRUPTED
    assert "Provider overloaded" in result.error.message
    assert result.error.code == "502"
    assert kinds(events)[-2:] == ["Failed", "Completed"]


async def test_error_frame_before_text_fails() -> None:
    body = sse({"error": {"message": "No provider available"}}, done=False)
    _, result, _ = await collect(stream_response(body))
    assert result.status is TurnStatus.FAILED
    assert result.error is not None
    assert "No provider available" in result.error.message


async def test_error_as_a_plain_string_frame_and_finish_reason_error() -> None:
    body = sse(chunk("a"), {"error": "boom"}, done=False)
    _, result, _ = await collect(stream_response(body))
    assert result.error is not None
    assert "boom" in result.error.message
    body = sse(chunk("a"), chunk(None, finish="error"), done=False)
    _, result, _ = await collect(stream_response(body))
    assert result.error is not None
    assert result.error.kind is ErrorKind.INTERRUPTED
    assert result.status is TurnStatus.INTERRUPTED


async def test_sse_error_event() -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\nevent: error\ndata: oops\n\n'
    )
    _, result, _ = await collect(stream_response(body))
    assert result.error is not None
    assert "oops" in result.error.message


async def test_dropped_stream_after_text_is_interrupted() -> None:
    body = sse(chunk("Once upon"), chunk(" a time"), done=False)
    events, result, _ = await collect(stream_response(body))
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text == "Once upon a time"
    assert result.error is not None
    assert result.error.kind is ErrorKind.INTERRUPTED
    assert not any(isinstance(e, CostReport) for e in events)


async def test_dropped_stream_before_text_fails() -> None:
    _, result, _ = await collect(stream_response(b": keep-alive\n\n"))
    assert result.status is TurnStatus.FAILED
    assert result.error is not None
    assert result.error.kind is ErrorKind.INTERRUPTED


async def test_connection_reset_midway_keeps_text() -> None:
    pieces = [sse(chunk("partial"), done=False), b'data: {"cho']
    respond = stream_response(pieces, fail=httpx.RemoteProtocolError("peer closed connection"))
    _, result, _ = await collect(respond)
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text == "partial"
    assert result.error is not None
    assert result.error.kind is ErrorKind.INTERRUPTED


async def test_read_error_after_finish_reason_is_still_complete() -> None:
    pieces = [sse(chunk("done", finish="stop"), done=False)]
    respond = stream_response(pieces, fail=httpx.ReadError("reset"))
    _, result, _ = await collect(respond)
    assert result.status is TurnStatus.COMPLETE
    assert result.text == "done"


async def test_malformed_json_chunk_is_a_protocol_error_keeping_text() -> None:
    body = sse(chunk("Good"), '{"choices": [', chunk("never seen"))
    events, result, _ = await collect(stream_response(body))
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text == "Good"
    assert result.error is not None
    assert result.error.kind is ErrorKind.PROTOCOL
    assert TextDelta("never seen") not in events


@pytest.mark.parametrize(
    "frame",
    [
        "[1, 2]",
        '"text"',
        '{"choices": "nope"}',
        '{"choices": [{"delta": {"content": 5}}]}',
        '{"choices": [{"delta": {"tool_calls": [{"index": "x"}]}}]}',
        '{"choices": [{"delta": [], "finish_reason": 3}]}',
    ],
)
async def test_chunks_of_the_wrong_shape_are_protocol_errors(frame: str) -> None:
    _, result, _ = await collect(stream_response(sse(chunk("a"), frame)))
    assert result.error is not None
    assert result.error.kind is ErrorKind.PROTOCOL
    assert result.text == "a"


# ----------------------------------------------------------------------------- HTTP errors


def error_response(
    status: int, body: Any, headers: dict[str, str] | None = None, content_type: str | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ctype = content_type or ("application/json" if not isinstance(body, bytes) else "text/html")
    return stream_response(raw, status=status, content_type=ctype, headers=headers)


@pytest.mark.parametrize(
    ("status", "body", "kind", "fragment"),
    [
        (401, {"detail": "Invalid token"}, ErrorKind.AUTH, "Invalid token"),
        (403, {"detail": "Not authenticated"}, ErrorKind.AUTH, "Not authenticated"),
        (402, {"error": "Insufficient credits"}, ErrorKind.CREDITS, "Insufficient credits"),
        (
            400,
            {
                "error": {
                    "message": "Model(s) not found or inactive: openai/does-not-exist",
                    "type": "invalid_request_error",
                    "code": "invalid_parameter",
                }
            },
            ErrorKind.BAD_REQUEST,
            "Model(s) not found or inactive: openai/does-not-exist",
        ),
        (
            422,
            {
                "detail": [
                    {
                        "loc": ["body", "fallbacks"],
                        "msg": "List should have at most 3 items after validation, not 4",
                        "type": "too_long",
                    }
                ]
            },
            ErrorKind.BAD_REQUEST,
            "fallbacks: List should have at most 3 items after validation, not 4",
        ),
        (
            451,
            {
                "error": {
                    "message": "Not available in your region",
                    "type": "request_forbidden",
                    "code": "region_not_allowed",
                }
            },
            ErrorKind.REGION,
            "Not available in your region",
        ),
        (503, {"detail": "Router unavailable"}, ErrorKind.SERVER, "Router unavailable"),
        (500, {}, ErrorKind.SERVER, "HTTP 500"),
        (409, {"message": "Conflict here"}, ErrorKind.BAD_REQUEST, "Conflict here"),
    ],
)
async def test_http_errors_are_typed_with_the_servers_message(
    status: int, body: Any, kind: ErrorKind, fragment: str
) -> None:
    events, result, _ = await collect(error_response(status, body))
    assert kinds(events) == ["Failed", "Completed"]
    error = result.error
    assert error is not None
    assert error.kind is kind
    assert error.status == status
    assert fragment in error.message
    assert error.message.endswith(".")
    assert result.status is TurnStatus.FAILED
    assert result.cost_source is CostSource.UNKNOWN


async def test_error_codes_are_kept() -> None:
    body = {"error": {"message": "Rate limit exceeded", "type": "rate_limit_error", "code": "x"}}
    _, result, _ = await collect(error_response(429, body, {"Retry-After": "7"}))
    assert result.error is not None
    assert result.error.kind is ErrorKind.RATE_LIMITED
    assert result.error.retry_after == 7.0
    assert result.error.code == "x"
    assert "Rate limit exceeded" in result.error.message
    assert is_transient(result.error)  # the one rule of what is worth sending again


async def test_retry_after_as_http_date() -> None:
    body = {"error": {"message": "Rate limit exceeded"}}
    date = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: retry now
    _, result, _ = await collect(error_response(429, body, {"Retry-After": date}))
    assert result.error is not None
    assert result.error.retry_after == 0.0


async def test_html_error_page_from_a_proxy() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    _, result, _ = await collect(error_response(502, page))
    assert result.error is not None
    assert result.error.kind is ErrorKind.SERVER
    assert result.error.message == "The server had a problem (HTTP 502): 502 Bad Gateway."
    assert "<" not in result.error.message


async def test_404_names_the_endpoint() -> None:
    _, result, _ = await collect(error_response(404, {"detail": "Not Found"}))
    assert result.error is not None
    assert result.error.kind is ErrorKind.BAD_REQUEST
    assert "https://api.edenai.run/v3/chat/completions" in result.error.message


async def test_redirect_is_not_followed() -> None:
    respond = stream_response(b"", status=307, headers={"location": "http://elsewhere/v3"})
    _, result, server = await collect(respond)
    assert len(server.requests) == 1
    assert result.error is not None
    assert "redirect" in result.error.message


async def test_key_echoed_by_the_server_is_redacted() -> None:
    _, result, _ = await collect(error_response(401, {"detail": f"Invalid token {KEY}"}))
    assert result.error is not None
    assert KEY not in result.error.message
    assert KEY not in repr(result.error)
    assert "[redacted]" in result.error.message


# ----------------------------------------------------------------------------- transport errors


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        raise exc

    return respond


@pytest.mark.parametrize(
    ("exc", "kind", "phase"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), ErrorKind.CONNECT, None),
        (httpx.ConnectTimeout("timed out"), ErrorKind.TIMEOUT, TimeoutPhase.CONNECT),
        (httpx.PoolTimeout("no connection"), ErrorKind.TIMEOUT, TimeoutPhase.CONNECT),
        (httpx.ReadTimeout("timed out"), ErrorKind.TIMEOUT, TimeoutPhase.FIRST_BYTE),
        (httpx.RemoteProtocolError("Server disconnected"), ErrorKind.CONNECT, None),
        (httpx.UnsupportedProtocol("bad scheme"), ErrorKind.CONNECT, None),
    ],
)
async def test_transport_failures(
    exc: Exception, kind: ErrorKind, phase: TimeoutPhase | None
) -> None:
    events, result, _ = await collect(raising(exc))
    assert kinds(events) == ["Failed", "Completed"]
    assert result.error is not None
    assert result.error.kind is kind
    assert result.error.timeout_phase is phase
    assert result.error.message.endswith(".")
    assert result.status is TurnStatus.FAILED


async def test_read_timeout_midway_is_idle() -> None:
    respond = stream_response([sse(chunk("a"), done=False)], fail=httpx.ReadTimeout("slow"))
    _, result, _ = await collect(respond)
    assert result.error is not None
    assert result.error.timeout_phase is TimeoutPhase.IDLE
    assert result.status is TurnStatus.INTERRUPTED


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("key", [None, "", "   ", lambda: None, lambda: ""])
async def test_missing_key_sends_nothing(key: Any) -> None:
    events, result, server = await collect(stream_response(REFERENCE_BODY), key=key)
    assert server.requests == []
    assert kinds(events) == ["Failed", "Completed"]
    assert result.error is not None
    assert result.error.kind is ErrorKind.AUTH


async def test_key_provider_failure_is_an_auth_error() -> None:
    def broken() -> str:
        raise RuntimeError(f"keyring exploded near {KEY}")

    _events, result, server = await collect(stream_response(REFERENCE_BODY), key=broken)
    assert server.requests == []
    assert result.error is not None
    assert result.error.kind is ErrorKind.AUTH
    assert KEY not in result.error.message


async def test_key_with_forbidden_characters_is_refused_without_echo() -> None:
    bad = "sk-abc\r\nX-Injected: 1"
    _events, result, server = await collect(stream_response(REFERENCE_BODY), key=bad)
    assert server.requests == []
    assert result.error is not None
    assert result.error.kind is ErrorKind.AUTH
    assert "sk-abc" not in result.error.message


async def test_key_is_read_on_every_request() -> None:
    keys = iter(["first-key", "second-key"])
    client, server = make_client(stream_response(REFERENCE_BODY), key=lambda: next(keys))
    async with client:
        for _ in range(2):
            async for _event in client.stream_chat(REQUEST):
                pass
    assert [r.headers["authorization"] for r in server.requests] == [
        "Bearer first-key",
        "Bearer second-key",
    ]


@pytest.mark.parametrize(
    "base_url",
    ["http://api.edenai.run/v3", "http://192.168.1.10:8000/v3", "http://[2001:db8::1]/v3"],
)
async def test_plain_http_to_a_remote_host_is_refused(base_url: str) -> None:
    _events, result, server = await collect(stream_response(REFERENCE_BODY), base_url=base_url)
    assert server.requests == []
    assert result.error is not None
    assert result.error.kind is ErrorKind.BAD_REQUEST
    assert result.error.code == "insecure_url"
    assert "https://" in result.error.message
    assert KEY not in result.error.message


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8765/v3",
        "http://127.3.2.1/v3",
        "http://localhost:8765/v3",
        "http://[::1]:8765/v3",
    ],
)
async def test_plain_http_to_loopback_is_allowed(base_url: str) -> None:
    _, result, server = await collect(stream_response(REFERENCE_BODY), base_url=base_url)
    assert len(server.requests) == 1
    assert result.status is TurnStatus.COMPLETE


async def test_invalid_base_url_fails_every_request_without_crashing() -> None:
    _events, result, server = await collect(stream_response(REFERENCE_BODY), base_url="ftp://x")
    assert server.requests == []
    assert result.error is not None
    assert result.error.kind is ErrorKind.CONNECT


async def test_unencodable_request_is_a_bad_request() -> None:
    request = ChatRequest(messages=REQUEST.messages, extra={"weird": object()})
    _, result, server = await collect(stream_response(REFERENCE_BODY), request)
    assert server.requests == []
    assert result.error is not None
    assert result.error.kind is ErrorKind.BAD_REQUEST


# ----------------------------------------------------------------------------- complete()


async def test_complete_returns_the_result_and_forwards_events() -> None:
    client, _ = make_client(stream_response(REFERENCE_BODY))
    seen: list[StreamEvent] = []
    async with client:
        result = await client.complete(REQUEST, seen.append)
    assert isinstance(seen[-1], Completed)
    assert seen[-1].result is result
    assert result.text == "Machine"
    assert result.status is TurnStatus.COMPLETE


async def test_complete_without_callback_on_error() -> None:
    client, _ = make_client(error_response(401, {"detail": "Invalid token"}))
    async with client:
        result = await client.complete(REQUEST)
    assert result.status is TurnStatus.FAILED
    assert result.error is not None
    assert result.error.kind is ErrorKind.AUTH


async def test_leaving_the_stream_early_closes_the_response() -> None:
    stream = Chunks([REFERENCE_BODY])

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    client, _ = make_client(respond)
    async with client:
        events = client.stream_chat(REQUEST)
        async for event in events:
            if isinstance(event, TextDelta):
                break
        await events.aclose()
    assert stream.closed


# ----------------------------------------------------------------------------- model list


MODELS = {
    "object": "list",
    "data": [
        {
            "id": "openai/gpt-4o",
            "object": "model",
            "created": 1715558400,
            "owned_by": "openai",
            "model_name": "gpt-4o",
            "context_length": 128000,
            "capabilities": {
                "input_modalities": ["text", "image"],
                "output_modalities": ["text"],
                "supports_function_calling": True,
                "supports_tool_choice": True,
                "supports_native_streaming": True,
            },
            "pricing": {
                "input_cost_per_token": 2.5e-06,
                "output_cost_per_token": 1e-05,
                "cache_read_input_token_cost": 1.25e-06,
            },
            "list_pricing": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
            "discount": 0,
            "regions": [{"code": "global", "name": "Global"}],
        },
        {"id": "mistral/tiny"},
        {"object": "model"},
        "junk",
    ],
}


async def test_list_models() -> None:
    respond = stream_response(json.dumps(MODELS).encode(), content_type="application/json")
    client, server = make_client(respond)
    async with client:
        models = await client.list_models()
    assert str(server.requests[0].url) == "https://api.edenai.run/v3/models"
    assert server.requests[0].method == "GET"
    first, second = models
    assert first.id == "openai/gpt-4o"
    assert (first.name, first.provider, first.context_length) == ("gpt-4o", "openai", 128000)
    assert (first.input_per_token, first.output_per_token) == (2.5e-06, 1e-05)
    assert first.supports_tools is True
    assert (second.id, second.name, second.provider) == ("mistral/tiny", "tiny", "mistral")
    assert second.context_length is None
    assert second.input_per_token is None
    assert second.supports_tools is False


async def test_list_models_needs_no_key_and_uses_the_older_base() -> None:
    respond = stream_response(json.dumps(MODELS).encode(), content_type="application/json")
    client, server = make_client(respond, key=None, base_url="https://api.edenai.run/v3/llm/")
    async with client:
        models = await client.list_models()
    assert len(models) == 2
    assert str(server.requests[0].url) == "https://api.edenai.run/v3/llm/models"
    assert "authorization" not in server.requests[0].headers


async def test_list_models_sends_the_key_only_over_safe_transports() -> None:
    respond = stream_response(json.dumps(MODELS).encode(), content_type="application/json")
    client, server = make_client(respond, base_url="http://models.example.com/v3")
    async with client:
        await client.list_models()
    assert "authorization" not in server.requests[0].headers
    client, server = make_client(respond)
    async with client:
        await client.list_models()
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_list_models_errors_raise_api_error() -> None:
    client, _ = make_client(error_response(503, {"detail": "Down"}))
    async with client:
        with pytest.raises(ApiError) as caught:
            await client.list_models()
    assert caught.value.kind is ErrorKind.SERVER
    respond = stream_response(b"not json", content_type="application/json")
    client, _ = make_client(respond)
    async with client:
        with pytest.raises(ApiError) as caught:
            await client.list_models()
    assert caught.value.kind is ErrorKind.PROTOCOL
    client, _ = make_client(raising(httpx.ConnectError("refused")))
    async with client:
        with pytest.raises(ApiError) as caught:
            await client.list_models()
    assert caught.value.kind is ErrorKind.CONNECT


# ----------------------------------------------------------------------------- more edges


async def test_error_body_that_cannot_be_read_still_gives_the_status() -> None:
    respond = stream_response([b'{"detail": "Ro'], status=500, fail=httpx.ReadError("reset"))
    events, result, _ = await collect(respond)
    assert kinds(events) == ["Failed", "Completed"]
    assert result.error is not None
    assert result.error.kind is ErrorKind.SERVER
    assert result.error.status == 500


async def test_usage_known_before_an_error_frame_is_still_reported() -> None:
    body = sse(
        chunk("partial"),
        chunk(choices=[], usage={"prompt_tokens": 3, "completion_tokens": 1}, cost=0.01),
        {"error": {"message": "late failure"}},
        done=False,
    )
    events, result, _ = await collect(stream_response(body))
    assert kinds(events)[-4:] == ["UsageReport", "CostReport", "Failed", "Completed"]
    assert result.cost_usd == 0.01
    assert result.status is TurnStatus.INTERRUPTED


async def test_a_short_test_key_does_not_garble_messages() -> None:
    _, result, _ = await collect(error_response(401, {"detail": "Invalid token"}), key="k")
    assert result.error is not None
    assert result.error.message == "The server did not accept the API key: Invalid token."


@pytest.mark.parametrize(
    "respond",
    [
        stream_response(REFERENCE_BODY),
        error_response(401, {"detail": f"Invalid token {KEY}"}),
        error_response(500, f"<title>{KEY}</title>".encode()),
        stream_response(sse({"error": {"message": f"bad {KEY}"}}, done=False)),
        raising(httpx.ConnectError(f"failed for {KEY}")),
        raising(httpx.RemoteProtocolError(f"bad header {KEY}")),
        stream_response([sse(chunk("a"), done=False)], fail=httpx.ReadError(KEY)),
    ],
)
async def test_the_key_never_reaches_events_or_logs(
    respond: Callable[[httpx.Request], httpx.Response], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    events, result, server = await collect(respond)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(events)
    assert KEY not in caplog.text
    if result.error is not None:
        assert KEY not in result.error.message
        assert KEY not in json.dumps(result.error.to_json())
