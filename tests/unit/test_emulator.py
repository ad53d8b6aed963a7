"""The emulator over real loopback sockets: shapes, routing, text, tools, validation, auth, control.

Every test talks HTTP to 127.0.0.1 with httpx; timings are zero unless a test is about timing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from desktop_app.emulator import EmulatorConfig, EmulatorServer, EmulatorThread, FaultSpecError
from desktop_app.emulator.catalogue import BY_ID

KEY = {"Authorization": "Bearer test-key"}
CODE_POOL = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]
CREATIVE_POOL = ["anthropic/claude-opus-4-5", "openai/gpt-4o", "google/gemini-2.5-pro"]
FAST_POOL = ["openai/gpt-4o-mini", "google/gemini-2.0-flash", "anthropic/claude-haiku-4-5"]
GENERAL_POOL = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"]
SEED_MODELS = {
    "openai/gpt-4o": (2.50, 10.00),
    "openai/gpt-4o-mini": (0.15, 0.60),
    "anthropic/claude-sonnet-4-5": (3.00, 15.00),
    "anthropic/claude-opus-4-5": (5.00, 25.00),
    "anthropic/claude-haiku-4-5": (1.00, 5.00),
    "google/gemini-2.0-flash": (0.10, 0.40),
    "google/gemini-2.5-pro": (1.25, 10.00),
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "City name"}},
            "required": ["location"],
        },
    },
}


def parse_sse(raw: str) -> list[str]:
    """The data payloads of an SSE body, in order (comments skipped, CRLF accepted)."""
    text = raw.replace("\r\n", "\n")
    out = []
    for block in text.split("\n\n"):
        data = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if data:
            out.append("\n".join(data))
    return out


def chunks_of(raw: str) -> list[dict[str, Any]]:
    return [json.loads(d) for d in parse_sse(raw) if d != "[DONE]"]


def text_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
    )


def chat_body(prompt: str, candidates: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "@edenai",
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if candidates is not None:
        body["router_candidates"] = candidates
    body.update(extra)
    return body


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as c:
        yield c


async def stream(
    client: httpx.AsyncClient,
    server: EmulatorServer,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    base: str | None = None,
) -> httpx.Response:
    url = (base or server.base_url) + "/chat/completions"
    r = await client.post(url, json=body, headers={**KEY, **(headers or {})})
    return r


# --- streaming shape ------------------------------------------------------------------------


async def test_stream_matches_the_reference_shape(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await stream(client, emulator, chat_body("Explain machine learning", GENERAL_POOL))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["transfer-encoding"] == "chunked"
    payloads = parse_sse(r.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    first, *content, finish, usage = chunks
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1
    assert ids.pop().startswith("chatcmpl-")
    for c in chunks:
        assert c["object"] == "chat.completion.chunk"
        assert isinstance(c["created"], int)
        assert c["model"] == "openai/gpt-4o"
        assert len(c["choices"]) == 1
        assert list(c)[:5] == ["id", "object", "created", "model", "choices"]
    assert first["choices"][0] == {
        "index": 0,
        "delta": {"role": "assistant", "content": ""},
        "finish_reason": None,
    }
    assert "edenai_metadata" not in first
    assert content
    assert all(set(c["choices"][0]["delta"]) == {"content"} for c in content)
    assert all(c["choices"][0]["finish_reason"] is None for c in content)
    assert finish["choices"][0] == {"index": 0, "delta": {"content": None}, "finish_reason": "stop"}
    assert "usage" not in finish
    # The usage chunk: ONE empty choice (not []), usage, top-level cost.
    assert usage["choices"] == [
        {"index": 0, "delta": {"content": None, "role": None}, "finish_reason": None}
    ]
    u = usage["usage"]
    assert u["completion_tokens"] == len(content)
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert u["prompt_tokens_details"] == {"cached_tokens": 0}
    m = BY_ID["openai/gpt-4o"]
    expected = u["prompt_tokens"] * 2.5e-6 + u["completion_tokens"] * 1e-5
    assert usage["cost"] == pytest.approx(expected, rel=1e-9)
    assert usage["cost"] == m.cost(u["prompt_tokens"], u["completion_tokens"])
    # Frames are compact JSON separated by exactly one blank line.
    assert r.text.startswith('data: {"id":"chatcmpl-')
    assert "\n\n\n" not in r.text
    assert r.text.endswith("data: [DONE]\n\n")


async def test_metadata_header_adds_routing_explanation(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await stream(
        client,
        emulator,
        chat_body("Write a Python function to merge two sorted lists", CODE_POOL),
        headers={"x-edenai-metadata": "enabled"},
    )
    first, *rest = chunks_of(r.text)
    meta = first["edenai_metadata"]
    # Exactly the keys Eden AI documents (v3/llms/request-metadata), nothing of our own.
    assert set(meta) == {
        "requested", "strategy", "region", "attempt", "is_byok", "summary", "auto", "attempts",
        "tags",
    }  # fmt: skip
    assert meta["requested"] == "@edenai" and meta["strategy"] == "auto"
    assert meta["auto"] == {
        "selection": "ranked",
        "chosen": "anthropic/claude-sonnet-4-5",
        "dropped": [],
    }
    assert first["model"] == "anthropic/claude-sonnet-4-5"
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert meta["summary"].startswith(f"available={len(CODE_POOL)}, served=anthropic/")
    assert "coding" in meta["summary"] and "python" in meta["summary"]
    assert meta["attempt"] == 1 and meta["region"] == "global" and meta["is_byok"] is False
    assert meta["attempts"] == [
        {
            "provider": "anthropic",
            "model": "anthropic/claude-sonnet-4-5",
            "status": 200,
            "region": "global",
        }
    ]
    assert meta["tags"] == {}
    assert all("edenai_metadata" not in c for c in rest)


async def test_non_streaming_completion(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("What's the capital of France?", FAST_POOL, stream=False)
    del body["stream_options"]
    r = await stream(client, emulator, body)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["model"] == "google/gemini-2.0-flash"
    (choice,) = data["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "Paris" in choice["message"]["content"]
    u = data["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert data["cost"] == BY_ID["google/gemini-2.0-flash"].cost(
        u["prompt_tokens"], u["completion_tokens"]
    )


async def test_stream_and_non_stream_give_the_same_text(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("Describe how a compiler works", GENERAL_POOL)
    streamed = text_of(chunks_of((await stream(client, emulator, body)).text))
    plain = (await stream(client, emulator, {**body, "stream": False})).json()
    assert plain["choices"][0]["message"]["content"] == streamed


@pytest.mark.parametrize("base_suffix", ["", "/llm"])
async def test_both_bases_serve_chat(
    emulator: EmulatorServer, client: httpx.AsyncClient, base_suffix: str
) -> None:
    r = await stream(client, emulator, chat_body("hi"), base=emulator.base_url + base_suffix)
    assert r.status_code == 200
    assert parse_sse(r.text)[-1] == "[DONE]"
    assert emulator.requests[-1]["_path"] == f"/v3{base_suffix}/chat/completions"


async def test_usage_without_include_usage_and_when_refused(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("hello there")
    del body["stream_options"]
    chunks = chunks_of((await stream(client, emulator, body)).text)
    assert "usage" in chunks[-1]
    assert "cost" in chunks[-1]
    body["stream_options"] = {"include_usage": False}
    chunks = chunks_of((await stream(client, emulator, body)).text)
    assert all("usage" not in c and "cost" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_token_delay_and_routing_delay_are_honoured(client: httpx.AsyncClient) -> None:
    async with EmulatorServer(EmulatorConfig(routing_delay=0.2, token_delay=0.01)) as server:
        t0 = time.monotonic()
        async with client.stream(
            "POST",
            server.base_url + "/chat/completions",
            json=chat_body("hi", max_tokens=10),
            headers=KEY,
        ) as r:
            first_at = None
            async for _ in r.aiter_bytes():
                first_at = first_at or time.monotonic()
        total = time.monotonic() - t0
        assert first_at is not None
        assert first_at - t0 >= 0.2
        assert total >= 0.2 + 0.01 * 5


# --- models ---------------------------------------------------------------------------------


async def test_models_list_shape_and_prices(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await client.get(emulator.base_url + "/models")  # no key needed
    assert r.status_code == 200
    data = r.json()
    assert data["object"] == "list"
    entries = {e["id"]: e for e in data["data"]}
    for model_id, (inp, out) in SEED_MODELS.items():
        e = entries[model_id]
        assert e["list_pricing"]["input_cost_per_token"] == pytest.approx(inp * 1e-6)
        assert e["list_pricing"]["output_cost_per_token"] == pytest.approx(out * 1e-6)
        assert e["pricing"]["input_cost_per_token"] == pytest.approx(inp * 1e-6)
    assert any(i.startswith("mistral/") for i in entries)
    gpt = entries["openai/gpt-4o"]
    assert gpt["object"] == "model"
    assert gpt["owned_by"] == "openai"
    assert gpt["model_name"] == "gpt-4o"
    assert gpt["context_length"] == 128000
    assert gpt["created"] == 1715558400
    assert gpt["capabilities"] == {
        "input_modalities": ["text", "image"],
        "output_modalities": ["text"],
        "supports_function_calling": True,
        "supports_tool_choice": True,
        "supports_native_streaming": True,
    }
    assert gpt["pricing"]["cache_read_input_token_cost"] == pytest.approx(1.25e-6)
    assert gpt["discount"] == 0
    assert gpt["regions"] == [{"code": "global", "name": "Global"}]


async def test_llm_models_needs_a_key(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    url = emulator.base_url + "/llm/models"
    assert (await client.get(url)).status_code == 403
    r = await client.get(url, headers=KEY)
    assert r.status_code == 200
    assert r.json()["object"] == "list"


# --- routing --------------------------------------------------------------------------------


async def routed(client: httpx.AsyncClient, server: EmulatorServer, prompt: str, pool: Any) -> str:
    r = await stream(client, server, chat_body(prompt, pool, max_tokens=5))
    assert r.status_code == 200, r.text
    return str(chunks_of(r.text)[0]["model"])


async def test_routing_follows_prompt_and_pool(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    code = "Write a Python function to merge two sorted lists"
    story = "Write a short story about a robot"
    question = "What's the capital of France?"
    general = "Explain how neural networks learn from examples over time"
    assert await routed(client, emulator, code, CODE_POOL) == "anthropic/claude-sonnet-4-5"
    assert await routed(client, emulator, code, GENERAL_POOL) == "anthropic/claude-sonnet-4-5"
    assert await routed(client, emulator, question, GENERAL_POOL) == "google/gemini-2.0-flash"
    assert await routed(client, emulator, question, FAST_POOL) == "google/gemini-2.0-flash"
    assert await routed(client, emulator, story, CREATIVE_POOL) == "anthropic/claude-opus-4-5"
    assert await routed(client, emulator, story, GENERAL_POOL) == "anthropic/claude-sonnet-4-5"
    assert await routed(client, emulator, general, GENERAL_POOL) == "openai/gpt-4o"
    assert await routed(client, emulator, general, FAST_POOL) == "openai/gpt-4o-mini"
    # Without candidates the whole catalogue is the pool.
    assert await routed(client, emulator, code, None) == "anthropic/claude-opus-4-5"
    assert await routed(client, emulator, story, None) == "anthropic/claude-opus-4-5"
    long_prompt = "Please consider the following situation carefully. " * 30
    assert await routed(client, emulator, long_prompt, FAST_POOL) == "anthropic/claude-haiku-4-5"


async def test_routing_uses_the_last_user_message(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("x", GENERAL_POOL, max_tokens=5)
    body["messages"] = [
        {"role": "system", "content": "You write Python code all day."},
        {"role": "user", "content": "Write a Python function to sort"},
        {"role": "assistant", "content": "def sort(): ..."},
        {"role": "user", "content": "Thanks! What is 2+2?"},
    ]
    chunks = chunks_of((await stream(client, emulator, body)).text)
    assert chunks[0]["model"] == "google/gemini-2.0-flash"


async def test_routing_is_deterministic(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("Tell me about the history of Rome", GENERAL_POOL)
    a = chunks_of((await stream(client, emulator, body)).text)
    b = chunks_of((await stream(client, emulator, body)).text)
    assert a[0]["model"] == b[0]["model"]
    assert text_of(a) == text_of(b)
    assert a[-1]["usage"] == b[-1]["usage"]


async def test_fixed_model_answers_itself(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("Write a story about a dragon", CREATIVE_POOL, model="openai/gpt-4o-mini")
    r = await stream(client, emulator, body, headers={"x-edenai-metadata": "enabled"})
    first = chunks_of(r.text)[0]
    assert first["model"] == "openai/gpt-4o-mini"
    assert first["edenai_metadata"]["strategy"] == "direct"
    assert first["edenai_metadata"]["auto"] is None  # the request named its own model


async def test_tools_route_to_a_function_calling_model(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    pool = ["perplexity/sonar", "openai/gpt-4o"]  # Sonar is cheaper but cannot call functions
    question = "What's the weather like in Paris?"
    assert await routed(client, emulator, question, pool) == "perplexity/sonar"
    body = chat_body(question, pool, tools=[WEATHER_TOOL])
    r = await stream(client, emulator, body, headers={"x-edenai-metadata": "enabled"})
    first = chunks_of(r.text)[0]
    assert first["model"] == "openai/gpt-4o"
    assert first["edenai_metadata"]["auto"]["selection"] == "single"  # one could take tools
    assert "tools given: function-calling models" in first["edenai_metadata"]["summary"]


# --- text -----------------------------------------------------------------------------------


async def test_text_varies_with_prompt_and_seed(client: httpx.AsyncClient) -> None:
    prompts = [
        "Explain machine learning",
        "Explain quantum physics",
        "Describe the water cycle",
        "Tell me a joke",
    ]
    texts = []
    async with EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0)) as server:
        for p in prompts:
            r = await stream(client, server, chat_body(p, GENERAL_POOL))
            texts.append(text_of(chunks_of(r.text)))
        assert len(set(texts)) == len(texts)
        assert "machine learning" in texts[0].lower()
        assert len({t.split(".")[0] for t in texts}) >= 2  # not one fixed opening sentence
    async with EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0, seed=7)) as other:
        r = await stream(client, other, chat_body(prompts[0], GENERAL_POOL))
        assert text_of(chunks_of(r.text)) != texts[0]


async def test_code_prompt_gets_markdown_with_a_code_fence(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await stream(client, emulator, chat_body("Write a Python function to merge two lists"))
    text = text_of(chunks_of(r.text))
    assert "```python\n" in text
    assert "def merge_sorted(" in text
    assert text.count("```") == 2
    r = await stream(client, emulator, chat_body("Write an SQL query for the top customers"))
    assert "```sql\nSELECT" in text_of(chunks_of(r.text))


async def test_max_tokens_cuts_with_length(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await stream(client, emulator, chat_body("Explain machine learning", max_tokens=7))
    chunks = chunks_of(r.text)
    content = [c for c in chunks[1:] if c["choices"][0]["delta"].get("content")]
    assert len(content) == 7
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] == 7
    # A short answer under a generous limit stops naturally.
    r = await stream(client, emulator, chat_body("What is 6 x 7?", max_tokens=500))
    chunks = chunks_of(r.text)
    assert "42" in text_of(chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


async def test_burst_of_twenty_thousand_tokens_is_fast(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    t0 = time.perf_counter()
    r = await stream(client, emulator, chat_body("go", max_tokens=20_000))
    elapsed = time.perf_counter() - t0
    chunks = chunks_of(r.text)
    assert len(chunks) == 20_003  # role + 20,000 content + finish + usage
    assert chunks[-1]["usage"]["completion_tokens"] == 20_000
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert elapsed < 3.0, elapsed


async def test_the_burst_threshold_is_the_servers_to_set(client: httpx.AsyncClient) -> None:
    """A benchmark asks for a 5,000-token reply: a server whose bursts start lower."""
    async with EmulatorServer(
        EmulatorConfig(routing_delay=0, token_delay=0, burst_min_tokens=1000)
    ) as server:
        r = await stream(client, server, chat_body("go", max_tokens=5000))
        usage = chunks_of(r.text)[-1]["usage"]
        assert usage["completion_tokens"] == 5000
        natural = await stream(client, server, chat_body("go", max_tokens=900))
        assert chunks_of(natural.text)[-1]["usage"]["completion_tokens"] < 900


async def test_prompt_tokens_grow_with_the_conversation(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    short = chunks_of((await stream(client, emulator, chat_body("hi"))).text)[-1]["usage"]
    body = chat_body("hi")
    body["messages"].insert(0, {"role": "system", "content": "Be helpful. " * 50})
    long = chunks_of((await stream(client, emulator, body)).text)[-1]["usage"]
    assert long["prompt_tokens"] > short["prompt_tokens"] + 100


# --- tools ----------------------------------------------------------------------------------


async def test_tool_call_is_streamed_in_pieces(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("What's the weather like in Paris?", GENERAL_POOL, tools=[WEATHER_TOOL])
    chunks = chunks_of((await stream(client, emulator, body)).text)
    deltas = [
        c["choices"][0]["delta"] for c in chunks if c["choices"][0]["delta"].get("tool_calls")
    ]
    assert len(deltas) >= 3
    head = deltas[0]["tool_calls"][0]
    assert head["index"] == 0
    assert head["id"].startswith("call_")
    assert head["type"] == "function"
    assert head["function"] == {"name": "get_weather", "arguments": ""}
    pieces = [d["tool_calls"][0]["function"]["arguments"] for d in deltas[1:]]
    assert len(pieces) >= 2
    assert json.loads("".join(pieces)) == {"location": "Paris"}
    assert all(
        d["tool_calls"][0]["index"] == 0 and "id" not in d["tool_calls"][0] for d in deltas[1:]
    )
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] > 0


async def test_tool_choice_controls_the_call(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    unrelated = "Explain machine learning"

    async def finish(**extra: Any) -> str:
        body = chat_body(unrelated, GENERAL_POOL, tools=[WEATHER_TOOL], **extra)
        chunks = chunks_of((await stream(client, emulator, body)).text)
        return str(chunks[-2]["choices"][0]["finish_reason"])

    assert await finish() == "stop"  # auto: the prompt does not ask for weather
    assert await finish(tool_choice="required") == "tool_calls"
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert await finish(tool_choice=named) == "tool_calls"
    body = chat_body("Weather in Oslo?", GENERAL_POOL, tools=[WEATHER_TOOL], tool_choice="none")
    chunks = chunks_of((await stream(client, emulator, body)).text)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


async def test_tool_result_gets_a_text_answer(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("What's the weather like in Paris?", GENERAL_POOL, tools=[WEATHER_TOOL])
    body["messages"] += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 18, "sky": "sunny"}'},
    ]
    chunks = chunks_of((await stream(client, emulator, body)).text)
    text = text_of(chunks)
    assert "get_weather" in text
    assert "sunny" in text
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"


async def test_non_streaming_tool_call(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    body = chat_body("Weather in Berlin please", GENERAL_POOL, tools=[WEATHER_TOOL], stream=False)
    data = (await stream(client, emulator, body)).json()
    message = data["choices"][0]["message"]
    assert data["choices"][0]["finish_reason"] == "tool_calls"
    assert message["content"] is None
    (call,) = message["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "Berlin"}


# --- validation -----------------------------------------------------------------------------


async def post_raw(
    client: httpx.AsyncClient, server: EmulatorServer, content: bytes, headers: Any = None
) -> httpx.Response:
    return await client.post(
        server.base_url + "/chat/completions",
        content=content,
        headers={**KEY, "Content-Type": "application/json", **(headers or {})},
    )


async def test_too_many_fallbacks_is_422(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    fallbacks = ["openai/gpt-4o", "openai/gpt-4o-mini", "google/gemini-2.0-flash", "x/y"]
    r = await stream(client, emulator, chat_body("hi", fallbacks=fallbacks))
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["loc"] == ["body", "fallbacks"]
    assert item["type"] == "too_long"
    assert "at most 3" in item["msg"]


async def test_empty_candidates_is_422(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    r = await stream(client, emulator, chat_body("hi", []))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "router_candidates"]


async def test_unknown_candidates_are_dropped_and_reported(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("hi", ["acme/nope", "openai/gpt-4o", "azure/gpt-5.5"])
    r = await stream(client, emulator, body, headers={"x-edenai-metadata": "enabled"})
    assert r.status_code == 200
    meta = chunks_of(r.text)[0]["edenai_metadata"]
    assert meta["auto"]["dropped"] == ["acme/nope", "azure/gpt-5.5"]
    assert meta["auto"]["selection"] == "single" and meta["auto"]["chosen"] == "openai/gpt-4o"


async def test_no_candidate_left_is_422_naming_them(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await stream(client, emulator, chat_body("hi", ["acme/nope", "azure/gpt-5.5"]))
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["loc"] == ["body", "router_candidates"]
    assert "acme/nope, azure/gpt-5.5" in item["msg"]


async def test_candidate_bounds_are_422(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    long_id = "openai/" + "x" * 122  # 129 characters
    r = await stream(client, emulator, chat_body("hi", ["openai/gpt-4o", long_id]))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "router_candidates", 1]
    r = await stream(client, emulator, chat_body("hi", ["openai/gpt-4o"] * 65))
    assert r.status_code == 422
    r = await stream(client, emulator, chat_body("hi", ["openai/gpt-4o"] * 64))
    assert r.status_code == 200


@pytest.mark.parametrize("value", [-1, 11, "5", 2.5, True])
async def test_quality_cost_out_of_range_is_422(
    emulator: EmulatorServer, client: httpx.AsyncClient, value: object
) -> None:
    body = {**chat_body("hi", CODE_POOL), "routing": {"quality_cost": value}}
    r = await stream(client, emulator, body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "routing", "quality_cost"]


async def test_quality_cost_moves_the_choice_towards_cheaper_models(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    pool = ["anthropic/claude-opus-4-5", "openai/gpt-4o", "openai/gpt-4o-mini"]
    prompt = "Write a short story about a lighthouse keeper and the sea"  # -> most premium
    prices = {m: BY_ID[m].blended_per_m for m in pool}
    chosen = []
    for q in (None, 0, 5, 10):
        body = chat_body(prompt, pool)
        if q is not None:
            body["routing"] = {"quality_cost": q}
        r = await stream(client, emulator, body, headers={"x-edenai-metadata": "enabled"})
        first = chunks_of(r.text)[0]
        chosen.append(first["model"])
        if q is not None:
            assert first["edenai_metadata"]["auto"]["quality_cost"] == q
    assert chosen[0] == chosen[1] == "anthropic/claude-opus-4-5"  # unset or 0: quality first
    assert chosen[3] == "openai/gpt-4o-mini"  # 10: the cheapest that can answer
    assert [prices[m] for m in chosen] == sorted((prices[m] for m in chosen), reverse=True)


async def test_tags_are_checked_and_echoed(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    headers = {"x-edenai-metadata": "enabled", "X-EdenAI-Tags": "App=routechat,tier=budget"}
    body = {**chat_body("hi", CODE_POOL), "tags": {"tier": "code"}}  # the body wins per key
    r = await stream(client, emulator, body, headers=headers)
    assert chunks_of(r.text)[0]["edenai_metadata"]["tags"] == {"app": "routechat", "tier": "code"}
    too_many = ",".join(f"k{i}=v" for i in range(11))
    for bad in (too_many, "eden:x=1", "a=b c", "k=" + "v" * 129, "novalue"):
        r = await stream(client, emulator, chat_body("hi"), headers={"X-EdenAI-Tags": bad})
        assert r.status_code == 400, bad
        assert r.json()["error"]["type"] == "invalid_request_error"
        assert r.json()["error"]["code"] == "invalid_parameter"
    r = await stream(client, emulator, chat_body("hi"), headers={"X-EdenAI-Tags": too_many})
    assert r.json()["error"]["message"] == "at most 10 tags per call, got 11"


async def test_unknown_models_are_400(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    r = await stream(client, emulator, chat_body("hi", model="openai/does-not-exist"))
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "message": "Model(s) not found or inactive: openai/does-not-exist",
            "type": "invalid_request_error",
            "code": "invalid_parameter",
        }
    }
    r = await stream(client, emulator, chat_body("hi", model="acme/nope"))
    assert r.status_code == 400
    assert r.json()["error"]["message"].endswith(": acme/nope")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"messages": None}, ["body", "messages"]),
        ({"model": None}, ["body", "model"]),
        ({"messages": "hello"}, ["body", "messages"]),
        ({"messages": []}, ["body", "messages"]),
        ({"messages": [{"content": "x"}]}, ["body", "messages", 0, "role"]),
        ({"messages": [{"role": "robot", "content": "x"}]}, ["body", "messages", 0, "role"]),
        ({"max_tokens": 0}, ["body", "max_tokens"]),
        ({"temperature": 3}, ["body", "temperature"]),
        ({"stream": "yes"}, ["body", "stream"]),
        ({"router_candidates": "openai/gpt-4o"}, ["body", "router_candidates"]),
    ],
)
async def test_schema_errors_are_fastapi_422(
    emulator: EmulatorServer, client: httpx.AsyncClient, change: dict[str, Any], loc: list[Any]
) -> None:
    body = chat_body("hi")
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    r = await stream(client, emulator, body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list)
    assert detail[0]["loc"] == loc
    assert {"loc", "msg", "type"} <= set(detail[0])


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"\xff\xfe garbage",
        b"[1, 2, 3]",
        b'"text"',
        b"null",
        b"{" * 5000,
        b"[" * 200_000,
        b'{"model": "@edenai", "messages": [{"role": "user", "content": {"a": 1}}]}',
    ],
)
async def test_garbage_bodies_get_422(
    emulator: EmulatorServer, client: httpx.AsyncClient, raw: bytes
) -> None:
    r = await post_raw(client, emulator, raw)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], list)
    # Still alive.
    assert (await stream(client, emulator, chat_body("hi"))).status_code == 200


async def test_unknown_paths_and_methods(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await client.get(emulator.base_url + "/nope")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}
    r = await client.get(emulator.base_url + "/chat/completions")
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}


# --- auth -----------------------------------------------------------------------------------


async def test_any_bearer_is_accepted_without_a_configured_key(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    url = emulator.base_url + "/chat/completions"
    r = await client.post(url, json=chat_body("hi"), headers={"Authorization": "Bearer whatever"})
    assert r.status_code == 200
    r = await client.post(url, json=chat_body("hi"))
    assert r.status_code == 403
    assert r.json() == {"detail": "Not authenticated"}
    r = await client.post(url, json=chat_body("hi"), headers={"Authorization": "Bearer"})
    assert r.status_code == 403
    assert r.json() == {"detail": "Not authenticated"}
    r = await client.post(url, json=chat_body("hi"), headers={"Authorization": "Basic abc"})
    assert r.status_code == 403


async def test_configured_key_is_enforced(client: httpx.AsyncClient) -> None:
    config = EmulatorConfig(api_key="sekret", routing_delay=0, token_delay=0)
    async with EmulatorServer(config) as server:
        url = server.base_url + "/chat/completions"
        r = await client.post(url, json=chat_body("hi"), headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        assert r.json() == {"detail": "Invalid token"}
        r = await client.post(url, json=chat_body("hi"))
        assert r.status_code == 403
        assert r.json() == {"detail": "Not authenticated"}
        r = await client.post(url, json=chat_body("hi"), headers={"Authorization": "Bearer sekret"})
        assert r.status_code == 200
        r = await client.get(server.base_url + "/llm/models", headers={"Authorization": "Bearer x"})
        assert r.status_code == 401
        assert (await client.get(server.base_url + "/models")).status_code == 200


async def test_recorded_requests_redact_the_key(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    body = chat_body("hi", GENERAL_POOL)
    await stream(client, emulator, body, headers={"X-Trace": "1"})
    record = emulator.requests[-1]
    assert {k: v for k, v in record.items() if not k.startswith("_")} == body
    assert record["_headers"]["authorization"] == "Bearer <redacted>"
    assert "test-key" not in json.dumps(emulator.requests)
    assert record["_headers"]["x-trace"] == "1"


async def test_stats_count_requests_in_flight_and_their_peak(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    """What a client's concurrency bound is checked against: three requests held at once
    (stalled before their first byte) are three in flight, whatever they stream later."""
    control = emulator.base_url.removesuffix("/v3") + "/_emulator"
    held = [
        stream(client, emulator, chat_body("hi"), headers={"X-Emulator-Fault": "stall_first:0.3"})
        for _ in range(3)
    ]
    tasks = [asyncio.create_task(h) for h in held]
    for _ in range(200):
        if emulator.stats()["in_flight"] == 3:
            break
        await asyncio.sleep(0.01)
    assert emulator.stats()["in_flight"] == 3
    assert [r.status_code for r in await asyncio.gather(*tasks)] == [200, 200, 200]
    await stream(client, emulator, chat_body("one more"))
    stats = (await client.get(control + "/stats")).json()
    assert (stats["in_flight"], stats["peak_in_flight"]) == (0, 3)
    assert emulator.peak_in_flight == 3


# --- control endpoint, lifecycle ------------------------------------------------------------


async def test_control_endpoint_queues_faults_and_reports_stats(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    control = emulator.base_url.removesuffix("/v3") + "/_emulator"
    r = await client.post(
        control + "/faults", json={"faults": ["status:503", "none", "status:402"]}
    )
    assert r.status_code == 200
    assert r.json() == {"queued": 3}
    statuses = [(await stream(client, emulator, chat_body("hi"))).status_code for _ in range(4)]
    assert statuses == [503, 200, 402, 200]
    stats = (await client.get(control + "/stats")).json()
    assert stats["requests"] == 4
    assert stats["open_streams"] == 0
    assert stats["queued_faults"] == []
    r = await client.post(control + "/faults", json={"faults": ["explode:1"]})
    assert r.status_code == 400
    assert "explode" in r.json()["detail"]
    await client.post(control + "/faults", json={"faults": ["status:500"]})
    assert (await client.delete(control + "/faults")).json() == {"cleared": 1}
    recorded = (await client.get(control + "/requests")).json()["requests"]
    assert len(recorded) == 4
    assert recorded[0]["_faults"] == ["status:503"]


async def test_queue_faults_rejects_typos(emulator: EmulatorServer) -> None:
    with pytest.raises(FaultSpecError):
        emulator.queue_faults("status:200")
    with pytest.raises(FaultSpecError):
        EmulatorServer(EmulatorConfig(default_faults=("drop",)))


async def test_client_disconnect_leaves_no_open_stream(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0.01)) as server:
        for _ in range(3):
            async with client.stream(
                "POST", server.base_url + "/chat/completions", json=chat_body("hi"), headers=KEY
            ) as r:
                async for _chunk in r.aiter_bytes():
                    break
                assert server.open_streams >= 1
        for _ in range(100):
            if server.open_streams == 0:
                break
            await asyncio.sleep(0.01)
        assert server.open_streams == 0
        assert server.stats()["streams_broken"] == 3
        # Also during a long stall before the first byte.
        with pytest.raises(httpx.ReadTimeout):
            await client.post(
                server.base_url + "/chat/completions",
                json=chat_body("hi"),
                headers={**KEY, "X-Emulator-Fault": "stall_mid:30@0"},
                timeout=0.3,
            )
        for _ in range(100):
            if server.open_streams == 0:
                break
            await asyncio.sleep(0.01)
        assert server.open_streams == 0
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert noisy == []


async def test_stop_ends_open_streams_quickly(client: httpx.AsyncClient) -> None:
    server = EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0.5))
    await server.start()

    async def consume() -> None:
        async with client.stream(
            "POST", server.base_url + "/chat/completions", json=chat_body("hi"), headers=KEY
        ) as r:
            async for _ in r.aiter_bytes():
                pass

    task = asyncio.create_task(consume())
    for _ in range(500):
        if server.open_streams:
            break
        await asyncio.sleep(0.01)
    t0 = time.monotonic()
    await server.stop()
    assert time.monotonic() - t0 < 2.0
    assert server.open_streams == 0
    with pytest.raises(httpx.HTTPError):
        await task
    await server.stop()  # idempotent


def test_emulator_thread_start_stop_and_faults() -> None:
    thread = EmulatorThread(EmulatorConfig(routing_delay=0, token_delay=0))
    url = thread.start()
    assert url == thread.base_url
    assert url.startswith("http://127.0.0.1:")
    try:
        thread.queue_faults("status:429:retry=2")
        with httpx.Client(timeout=5) as c:
            r = c.post(url + "/chat/completions", json=chat_body("hi"), headers=KEY)
            assert r.status_code == 429
            assert r.headers["retry-after"] == "2"
            r = c.post(url + "/chat/completions", json=chat_body("hi"), headers=KEY)
            assert r.status_code == 200
        assert len(thread.server.requests) == 2
    finally:
        thread.stop()
    with pytest.raises(httpx.ConnectError), httpx.Client() as c:
        c.get(url + "/models")
    thread.stop()  # idempotent


def test_emulator_thread_reports_a_busy_port() -> None:
    with EmulatorThread() as first:
        port = int(first.base_url.rsplit(":", 1)[1].split("/")[0])
        second = EmulatorThread()
        with pytest.raises(OSError, match="in use"):
            second.start(port=port)
        second.stop()


def test_run_forever_announces_and_stops_on_sigterm() -> None:
    code = (
        "import sys\n"
        "from desktop_app.emulator.server import EmulatorConfig, run_forever\n"
        "sys.exit(run_forever('127.0.0.1', 0, EmulatorConfig(routing_delay=0, token_delay=0),"
        " lambda url: print(url, flush=True)))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/v3")
        with httpx.Client(timeout=5) as c:
            r = c.post(url + "/chat/completions", json=chat_body("hi"), headers=KEY)
            assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_run_forever_rejects_bad_specs(capsys: pytest.CaptureFixture[str]) -> None:
    from desktop_app.emulator.server import run_forever

    code = run_forever("127.0.0.1", 0, EmulatorConfig(default_faults=("bogus",)), print)
    assert code == 2
    assert "invalid fault spec" in capsys.readouterr().err
