"""Property-based tests of the streaming client (hypothesis over httpx.MockTransport).

1. The events do not depend on how the bytes are cut into network reads (anywhere, including
   inside a multi-byte UTF-8 character), on CRLF/CR/LF line endings, or on keep-alive comments.
2. Whatever the server sends (random bytes, random JSON, chunk-shaped junk), nothing escapes
   as an exception: the turn ends with exactly one `Completed`, preceded by `Failed` when the
   result carries an error.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from desktop_app.api.client import ClientConfig, EdenClient
from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    Completed,
    Failed,
    StreamEvent,
    TextDelta,
    TurnResult,
    TurnStatus,
)
from desktop_app.api.request import ChatRequest

REQUEST = ChatRequest(messages=({"role": "user", "content": "hi"},))
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


async def run(pieces: list[bytes], content_type: str = "text/event-stream") -> list[StreamEvent]:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, stream=Pieces(pieces))

    client = EdenClient(ClientConfig(), "sk-prop-key-123", transport=httpx.MockTransport(respond))
    async with client:
        return [event async for event in client.stream_chat(REQUEST)]


def check_well_formed(events: list[StreamEvent]) -> TurnResult:
    assert sum(isinstance(e, Completed) for e in events) == 1
    last = events[-1]
    assert isinstance(last, Completed)
    result = last.result
    failed = [e for e in events if isinstance(e, Failed)]
    if result.error is None:
        assert failed == []
        assert result.status is TurnStatus.COMPLETE
    else:
        assert isinstance(result.error, ApiError)
        assert isinstance(result.error.kind, ErrorKind)
        assert result.error.message
        assert failed == [Failed(result.error)]
        assert events[-2] is failed[0]
        assert result.status in (TurnStatus.FAILED, TurnStatus.INTERRUPTED)
    assert result.text == "".join(e.text for e in events if isinstance(e, TextDelta))
    return result


def normalized(events: list[StreamEvent]) -> list[Any]:
    """Events with the timings (which differ run to run) and error identity taken out.

    Adjacent text deltas are joined: the client sends the text of one network read as one
    delta, so where deltas split depends on the chunking; their text and order do not.
    """
    out: list[Any] = []
    for event in events:
        if isinstance(event, TextDelta) and out and isinstance(out[-1], TextDelta):
            out[-1] = TextDelta(out[-1].text + event.text)
            continue
        if isinstance(event, Completed):
            result = dataclasses.replace(event.result, ttft_ms=None, total_ms=0.0, error=None)
            error = event.result.error
            out.append((result, None if error is None else (error.kind, error.message)))
        elif isinstance(event, Failed):
            out.append(("failed", event.error.kind, event.error.message))
        else:
            out.append(event)
    return out


# ----------------------------------------------------------------------------- 1. chunking

# Text with multi-byte characters (2, 3 and 4 bytes in UTF-8), line separators JSON leaves raw
# (U+2028, U+0085), quotes, backslashes and control characters JSON escapes.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('aé€😀\u2028\u0085"\\\n\r\t:'),
        st.characters(codec="utf-8"),
    ),
    min_size=1,
    max_size=12,
)


def frame_objects(texts: list[str], with_tool: bool, usage_on_finish: bool) -> list[dict[str, Any]]:
    head = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    head["provider"] = "openai"
    frames = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    frames += [{**head, "choices": [{"index": 0, "delta": {"content": t}}]} for t in texts]
    if with_tool:
        for i, piece in enumerate(['{"city": ', '"Zürich"}']):
            call = {"index": 0, "function": {"arguments": piece}}
            if i == 0:
                call.update(id="call_1", type="function")
                call["function"]["name"] = "weather"
            frames.append({**head, "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
    usage = {"prompt_tokens": 3, "completion_tokens": len(texts), "total_tokens": 3 + len(texts)}
    finish: dict[str, Any] = {
        **head,
        "choices": [
            {"index": 0, "delta": {}, "finish_reason": "tool_calls" if with_tool else "stop"}
        ],
    }
    if usage_on_finish:
        finish["usage"] = usage
        frames.append(finish)
    else:
        frames.append(finish)
        frames.append({**head, "choices": [{"index": 0, "delta": {}}], "usage": usage, "cost": 0.5})
    return frames


def render(frames: list[dict[str, Any]], newlines: list[str], comments: list[bool]) -> bytes:
    out: list[str] = []
    datas = [json.dumps(f, ensure_ascii=False) for f in frames] + ["[DONE]"]
    for i, data in enumerate(datas):
        nl = newlines[i % len(newlines)]
        if comments[i % len(comments)]:
            out.append(f": keep-alive{nl}")
        out.append(f"data: {data}{nl}{nl}")
    return "".join(out).encode()


def cut(body: bytes, points: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(points)), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges) if b > a]


@PROPERTY_SETTINGS
@given(
    texts=st.lists(TEXT, min_size=1, max_size=8),
    with_tool=st.booleans(),
    usage_on_finish=st.booleans(),
    newlines=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=4),
    comments=st.lists(st.booleans(), min_size=1, max_size=4),
    data=st.data(),
)
async def test_events_do_not_depend_on_chunking(
    texts: list[str],
    with_tool: bool,
    usage_on_finish: bool,
    newlines: list[str],
    comments: list[bool],
    data: st.DataObject,
) -> None:
    frames = frame_objects(texts, with_tool, usage_on_finish)
    canonical = render(frames, ["\n"], [False])
    expected = await run([canonical])
    result = check_well_formed(expected)
    assert result.status is TurnStatus.COMPLETE
    assert result.text == "".join(texts)
    assert result.model == "openai/gpt-4o"
    assert [c.arguments for c in result.tool_calls] == (['{"city": "Zürich"}'] if with_tool else [])

    body = render(frames, newlines, comments)
    points = data.draw(st.lists(st.integers(0, len(body)), max_size=40), label="cuts")
    events = await run(cut(body, points))
    check_well_formed(events)
    assert normalized(events) == normalized(expected)


@PROPERTY_SETTINGS
@given(texts=st.lists(TEXT, min_size=1, max_size=6), data=st.data())
async def test_byte_by_byte_delivery(texts: list[str], data: st.DataObject) -> None:
    frames = frame_objects(texts, with_tool=False, usage_on_finish=False)
    body = render(frames, ["\r\n"], [True, False])
    expected = await run([body])
    events = await run([body[i : i + 1] for i in range(len(body))])
    assert normalized(events) == normalized(expected)
    assert check_well_formed(events).text == "".join(texts)


# ----------------------------------------------------------------------------- 2. robustness

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)

# Values at the places the decoder looks, valid or not.
ANY_VALUE = st.one_of(JSON, st.text(max_size=6), st.integers(-2, 3))
DELTA = st.fixed_dictionaries(
    {},
    optional={
        "content": st.one_of(st.none(), st.text(max_size=6), ANY_VALUE),
        "role": ANY_VALUE,
        "tool_calls": st.one_of(
            ANY_VALUE,
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "index": ANY_VALUE,
                        "id": ANY_VALUE,
                        "function": st.one_of(
                            ANY_VALUE,
                            st.fixed_dictionaries(
                                {}, optional={"name": ANY_VALUE, "arguments": ANY_VALUE}
                            ),
                        ),
                    },
                ),
                max_size=3,
            ),
        ),
        "function_call": ANY_VALUE,
    },
)
CHOICE = st.fixed_dictionaries(
    {},
    optional={
        "index": ANY_VALUE,
        "delta": st.one_of(DELTA, ANY_VALUE),
        "message": st.one_of(DELTA, ANY_VALUE),
        "finish_reason": st.one_of(
            st.sampled_from(["stop", "length", "tool_calls", "error", "", None]), ANY_VALUE
        ),
        "error": ANY_VALUE,
    },
)
CHUNK = st.fixed_dictionaries(
    {},
    optional={
        "model": ANY_VALUE,
        "provider": ANY_VALUE,
        "choices": st.one_of(st.lists(st.one_of(CHOICE, ANY_VALUE), max_size=3), ANY_VALUE),
        "usage": st.one_of(
            ANY_VALUE,
            st.fixed_dictionaries(
                {},
                optional={
                    "prompt_tokens": ANY_VALUE,
                    "completion_tokens": ANY_VALUE,
                    "total_tokens": ANY_VALUE,
                    "cost": ANY_VALUE,
                    "prompt_tokens_details": ANY_VALUE,
                },
            ),
        ),
        "cost": ANY_VALUE,
        "error": ANY_VALUE,
    },
)


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=400), content_type=st.sampled_from(["text/event-stream", "x/y"]))
async def test_random_bytes_never_escape(body: bytes, content_type: str) -> None:
    check_well_formed(await run([body], content_type))


@PROPERTY_SETTINGS
@given(lines=st.lists(st.binary(max_size=40), max_size=8), done=st.booleans())
async def test_random_data_lines_never_escape(lines: list[bytes], done: bool) -> None:
    body = b"".join(b"data: " + line + b"\n\n" for line in lines)
    if done:
        body += b"data: [DONE]\n\n"
    result = check_well_formed(await run([body]))
    if not done and result.finish_reason is None:
        assert result.error is not None


@PROPERTY_SETTINGS
@given(values=st.lists(st.one_of(JSON, CHUNK), min_size=1, max_size=6), done=st.booleans())
async def test_random_json_chunks_never_escape(values: list[Any], done: bool) -> None:
    body = "".join(f"data: {json.dumps(v)}\n\n" for v in values)
    if done:
        body += "data: [DONE]\n\n"
    result = check_well_formed(await run([body.encode()]))
    if any(not isinstance(v, dict) for v in values) and result.error is not None:
        assert result.error.kind in (ErrorKind.PROTOCOL, ErrorKind.INTERRUPTED)


@PROPERTY_SETTINGS
@given(value=st.one_of(JSON, CHUNK))
# Found by this test: the text of a choice whose tool call was unreadable was kept in the
# result without its TextDelta.
@example(value={"choices": [{"delta": {"content": "0", "function_call": "0"}}]})
async def test_random_json_as_a_non_streamed_body_never_escapes(value: Any) -> None:
    check_well_formed(await run([json.dumps(value).encode()], "application/json"))


@PROPERTY_SETTINGS
@given(status=st.integers(300, 599), body=st.one_of(st.binary(max_size=200), JSON.map(json.dumps)))
async def test_random_error_responses_are_typed(status: int, body: bytes | str) -> None:
    raw = body.encode() if isinstance(body, str) else body

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=raw)

    client = EdenClient(ClientConfig(), "sk-prop-key-123", transport=httpx.MockTransport(respond))
    async with client:
        events = [event async for event in client.stream_chat(REQUEST)]
    result = check_well_formed(events)
    assert result.error is not None
    assert result.error.status == status
    assert result.status is TurnStatus.FAILED
    assert result.error.message.endswith(".")
    assert "sk-prop-key-123" not in result.error.message
