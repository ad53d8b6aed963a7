"""The emulator's pure parts (spec parser, validation, router, text, wire) and garbage over HTTP."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.emulator import EmulatorConfig, EmulatorThread, catalogue, textgen
from desktop_app.emulator.faults import FaultSpecError, error_for_status, parse_spec
from desktop_app.emulator.router import classify, route
from desktop_app.emulator.tools import build_arguments, choose_tool, split_arguments
from desktop_app.emulator.validation import ChatCall, Invalid, validate_chat
from desktop_app.emulator.wire import Completion, Drop, Sleep, stream_segments

FAST = settings(max_examples=60, deadline=None, database=None)
M = catalogue.BY_ID

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


# --- fault specs ----------------------------------------------------------------------------


def test_parse_spec_combines_items() -> None:
    plan = parse_spec("bare_model+usage_on_finish+stall_mid:0.5@3+stall_mid:1@7+drop:9")
    assert plan.flags == {"bare_model", "usage_on_finish"}
    assert plan.stall_mid == [(0.5, 3), (1.0, 7)]
    assert plan.drop_after == 9
    assert plan.specs == ["bare_model+usage_on_finish+stall_mid:0.5@3+stall_mid:1@7+drop:9"]
    p429 = parse_spec("status:429")
    assert (p429.status, p429.retry_after) == (429, "7")
    assert parse_spec("status:429:retry=2").retry_after == "2"
    assert parse_spec("status:429:retry=none").retry_after is None
    assert parse_spec("status:500").retry_after is None
    assert parse_spec("fragment").fragment == 5
    assert parse_spec("none").specs == []
    assert parse_spec("").specs == []


@pytest.mark.parametrize(
    "spec",
    [
        "status",
        "status:200",
        "status:abc",
        "status:429:wait=2",
        "drop",
        "drop:-1",
        "stall_first:inf",
        "stall_first:-1",
        "stall_mid:1",
        "malformed:x",
        "no_done:1",
        "fragment:0",
        "explode",
        "error_frame:1:2",
    ],
)
def test_parse_spec_rejects_typos(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_spec(spec)


@FAST
@given(st.text(max_size=60))
def test_parse_spec_only_raises_its_own_error(spec: str) -> None:
    with contextlib.suppress(FaultSpecError):
        parse_spec(spec)


def test_every_status_has_a_body() -> None:
    for status in range(400, 600):
        err = error_for_status(status)
        assert err.status == status
        if err.content_type == "application/json":
            assert isinstance(json.loads(err.body), dict)


# --- validation -----------------------------------------------------------------------------


@FAST
@given(json_values)
def test_validation_never_raises(body: Any) -> None:
    result = validate_chat(body)
    assert isinstance(result, ChatCall | Invalid)
    if isinstance(result, Invalid):
        assert result.status in {400, 422}
        json.dumps(result.body)


@FAST
@given(
    st.fixed_dictionaries(
        {"model": st.just("@edenai"), "messages": st.just([{"role": "user", "content": "hi"}])},
        optional={
            "max_tokens": json_values,
            "temperature": json_values,
            "router_candidates": json_values,
            "fallbacks": json_values,
            "tools": json_values,
            "tool_choice": json_values,
            "stream": json_values,
            "stream_options": json_values,
        },
    )
)
def test_validation_of_nearly_valid_bodies_never_raises(body: dict[str, Any]) -> None:
    assert isinstance(validate_chat(body), ChatCall | Invalid)


def test_validation_reads_limits_and_usage_option() -> None:
    call = validate_chat(
        {
            "model": "openai/gpt-4o@eu",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            "max_tokens": 50,
            "max_completion_tokens": 20,
            "stream": True,
            "stream_options": {"include_usage": False},
        }
    )
    assert isinstance(call, ChatCall)
    assert call.max_tokens == 20
    assert call.include_usage is False
    assert not call.routed


# --- router ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("Write a Python function to merge two sorted lists", "code"),
        ("```\nx = 1\n```\nwhy does this fail?", "code"),
        ("Fix this bug please", "code"),
        ("How do I write a SQL join?", "code"),
        ("Is C++ faster than Java?", "code"),
        ("Write a short story about a robot", "creative"),
        ("Compose a haiku about autumn", "creative"),
        ("What's the capital of France?", "simple"),
        ("hello", "simple"),
        ("Explain machine learning", "general"),
        ("word " * 130, "long"),
    ],
)
def test_classify(prompt: str, kind: str) -> None:
    assert classify(prompt).kind == kind


def test_route_explains_and_is_deterministic() -> None:
    pool = [M["openai/gpt-4o"], M["anthropic/claude-sonnet-4-5"], M["google/gemini-2.0-flash"]]
    d = route("Write a Python function", pool, tools=False)
    assert d.model.id == "anthropic/claude-sonnet-4-5"
    assert d.reason == "code-like prompt (python): strongest coding candidate"
    again = route("Write a Python function", list(reversed(pool)), tools=False)
    assert (again.model, again.reason) == (d.model, d.reason)
    d = route("Hi!", pool, tools=False)
    assert d.model.id == "google/gemini-2.0-flash"
    assert d.reason == "small talk: cheapest candidate"
    only = route("Write a poem", [M["openai/gpt-4o"]], tools=False)
    assert only.model.id == "openai/gpt-4o"
    assert "only one candidate" in only.reason
    no_tools = route("What's up?", [M["perplexity/sonar"]], tools=True)
    assert no_tools.model.id == "perplexity/sonar"
    assert "no candidate supports function calling" in no_tools.reason


def test_seed_models_have_the_reference_prices() -> None:
    expected = {
        "openai/gpt-4o": (2.50, 10.00),
        "openai/gpt-4o-mini": (0.15, 0.60),
        "anthropic/claude-sonnet-4-5": (3.00, 15.00),
        "anthropic/claude-opus-4-5": (5.00, 25.00),
        "anthropic/claude-haiku-4-5": (1.00, 5.00),
        "google/gemini-2.0-flash": (0.10, 0.40),
        "google/gemini-2.5-pro": (1.25, 10.00),
    }
    for model_id, (inp, out) in expected.items():
        assert (M[model_id].input_per_m, M[model_id].output_per_m) == (inp, out)
    assert M["openai/gpt-4o"].cost(9, 1) == pytest.approx(9 * 2.5e-6 + 1e-5)
    assert catalogue.lookup("openai/gpt-4o:cost") is M["openai/gpt-4o"]
    assert catalogue.lookup("@edenai") is None


# --- text -----------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=300))
def test_tokens_partition_the_text(text: str) -> None:
    tokens = textgen.tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


@FAST
@given(st.text(max_size=200), st.sampled_from(["code", "simple", "creative", "long", "general"]))
def test_compose_text_never_fails_and_is_deterministic(prompt: str, kind: str) -> None:
    a = textgen.compose_text(kind, prompt, seed=1, model="openai/gpt-4o")
    assert a
    assert a == textgen.compose_text(kind, prompt, seed=1, model="openai/gpt-4o")


def test_make_reply_limits() -> None:
    text = textgen.compose_text("general", "Explain DNS", seed=0, model="openai/gpt-4o")
    natural = textgen.make_reply(text, None)
    assert natural.finish_reason == "stop"
    assert natural.text == text
    cut = textgen.make_reply(text, 5)
    assert (len(cut.tokens), cut.finish_reason) == (5, "length")
    assert textgen.make_reply(text, 9_999).finish_reason == "stop"
    burst = textgen.make_reply(text, textgen.BURST_MIN_TOKENS + 7)
    assert len(burst.tokens) == textgen.BURST_MIN_TOKENS + 7
    assert burst.text.startswith(text)


def test_topic_extraction() -> None:
    assert textgen.topic_of("Explain machine learning") == "machine learning"
    assert textgen.topic_of("What's the capital of France?") == "capital of France"
    assert textgen.topic_of("???") == "this"


# --- tools ----------------------------------------------------------------------------------


def test_tool_arguments_follow_the_schema() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "book_table",
            "description": "Book a restaurant table",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "people": {"type": "integer"},
                    "vegan": {"type": "boolean"},
                    "style": {"type": "string", "enum": ["quiet", "lively"]},
                },
            },
        },
    }
    args = json.loads(build_arguments(tool, "Book a table for 4 in New York"))
    assert args == {"city": "New York", "people": 4, "vegan": True, "style": "quiet"}
    messages = [{"role": "user", "content": "x"}]
    assert choose_tool([tool], "auto", messages, "I'd like to book a restaurant") is tool
    assert choose_tool([tool], "auto", messages, "Tell me a joke") is None
    assert choose_tool([tool], "none", messages, "book a table") is None
    assert split_arguments('{"a": 1}') == ['{"a', '": ', "1}"]
    assert "".join(split_arguments("x" * 100)) == "x" * 100


# --- wire -----------------------------------------------------------------------------------


def completion(tokens: list[str]) -> Completion:
    return Completion("chatcmpl-1", 1, M["openai/gpt-4o"], tokens, "stop", 3, len(tokens))


def test_segments_pace_tokens_and_place_faults() -> None:
    segs = list(
        stream_segments(
            completion(["a", " b", " c"]),
            parse_spec("stall_mid:0.5@1+drop:2"),
            include_usage=True,
            token_delay=0.01,
        )
    )
    kinds = [type(s).__name__ if not isinstance(s, bytes) else "bytes" for s in segs]
    assert kinds == ["bytes", "Sleep", "bytes", "Sleep", "Sleep", "bytes", "Drop"]
    assert Sleep(0.5) in segs
    assert isinstance(segs[-1], Drop)


# --- garbage over HTTP ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorThread]:
    with EmulatorThread(EmulatorConfig(routing_delay=0, token_delay=0)) as thread:
        yield thread


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    raw=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    fault=st.sampled_from([None, "", "garbage", "status:999", "no_done+crlf"]),
    path=st.sampled_from(["/chat/completions", "/llm/chat/completions", "/models", "/x"]),
)
def test_garbage_never_crashes_the_server(
    server: EmulatorThread, raw: bytes, fault: str | None, path: str
) -> None:
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    if fault is not None:
        headers["X-Emulator-Fault"] = fault
    with httpx.Client(timeout=5) as c:
        r = c.post(server.base_url + path, content=raw, headers=headers)
        assert r.status_code < 500
        ok = c.post(
            server.base_url + "/chat/completions",
            json={"model": "@edenai", "messages": [{"role": "user", "content": "hi"}]},
            headers=headers | {"X-Emulator-Fault": "none"},
        )
        assert ok.status_code == 200
    assert server.server.open_streams == 0
