"""The SSE parser: the spec's corner cases, and the same events as httpx-sse's reader."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.api.sse import SSEParser


def parse(*pieces: str) -> list[tuple[str, str]]:
    parser = SSEParser()
    events: list[tuple[str, str]] = []
    for piece in pieces:
        events += parser.feed(piece)
    return events + parser.flush()


def test_data_lines_and_blank_lines() -> None:
    assert parse("data: a\n\ndata: b\n\n") == [("message", "a"), ("message", "b")]


def test_line_endings_crlf_cr_lf() -> None:
    assert parse("data: a\r\n\r\ndata: b\r\rdata: c\n\n") == [
        ("message", "a"),
        ("message", "b"),
        ("message", "c"),
    ]


def test_crlf_split_across_reads_is_one_line_ending() -> None:
    assert parse("data: a\r", "\ndata: b\r", "\n\r", "\n") == [("message", "a\nb")]


def test_cr_at_the_very_end_terminates_the_blank_line() -> None:
    assert parse("data: a\n\r") == [("message", "a")]
    assert parse("data: a\r") == []  # the event never got its blank line


def test_lines_split_anywhere() -> None:
    text = "data: hello world\n\n"
    for i in range(len(text) + 1):
        assert parse(text[:i], text[i:]) == [("message", "hello world")]


def test_comments_fields_and_names() -> None:
    stream = (
        ": keep-alive\n"
        ":\n"
        "event: error\n"
        "id: 42\n"
        "retry: 1000\n"
        "unknown: field\n"
        "data:no space\n"
        "data:  two spaces\n"
        "data\n"
        "\n"
        "data: after\n\n"
    )
    assert parse(stream) == [("error", "no space\n two spaces\n"), ("message", "after")]


def test_blank_line_without_data_dispatches_nothing_and_resets_the_name() -> None:
    assert parse("event: error\n\ndata: x\n\n") == [("message", "x")]
    assert parse("\n\n\n") == []


def test_incomplete_event_at_the_end_is_discarded() -> None:
    assert parse("data: a\n\ndata: b\n") == [("message", "a")]
    assert parse("data: a\n\ndata: b") == [("message", "a")]


def test_non_newline_separators_are_not_line_breaks() -> None:
    # JSON may carry U+2028, NEL, form feed... raw: only CR and LF end an SSE line.
    data = "x\u2028y\x85z\x0cw\u2029"
    assert parse(f"data: {data}\n\n") == [("message", data)]


# ----------------------------------------------------------------------------- vs httpx-sse


class Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


def response(pieces: list[bytes]) -> httpx.Response:
    request = httpx.Request("GET", "http://127.0.0.1/")
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=Pieces(pieces), request=request
    )


LINE = st.one_of(
    st.sampled_from(
        [
            "",
            "",
            "data: {}",
            'data: {"a": "é😀"}',
            "data:x",
            "data:",
            "data",
            "data:  spaced",
            "event: error",
            "event:",
            ": ping",
            ":",
            "id: 1",
            "id",
            "retry: 10",
            "retry: x",
            "other: y",
            "data: [DONE]",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=10),
)
TERMINATOR = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.tuples(LINE, TERMINATOR), max_size=25),
    tail=st.sampled_from(["", "data: partial", "\r"]),
    data=st.data(),
)
async def test_same_events_as_httpx_sse(
    lines: list[tuple[str, str]], tail: str, data: st.DataObject
) -> None:
    body = ("".join(line + end for line, end in lines) + tail).encode()
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(body)), max_size=20))))
    edges = [0, *cuts, len(body)]
    pieces = [body[a:b] for a, b in itertools.pairwise(edges) if b > a]

    reference = [
        (event.event, event.data)
        async for event in EventSource(response(pieces)).aiter_sse()
        if event.data  # httpx-sse also dispatches events with no data (id/retry/event only)
    ]
    parser = SSEParser()
    ours: list[tuple[str, str]] = []
    async for text in response(pieces).aiter_text():
        ours += parser.feed(text)
    ours += parser.flush()
    assert [e for e in ours if e[1]] == reference
