"""The official `openai` SDK talks to the emulator: proof that the wire format is the real one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from desktop_app.emulator import EmulatorConfig, EmulatorServer, EmulatorThread
from desktop_app.emulator.catalogue import BY_ID

CODE_POOL = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]
FAST_POOL = ["openai/gpt-4o-mini", "google/gemini-2.0-flash", "anthropic/claude-haiku-4-5"]
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0)) as server:
        yield server


@pytest.fixture(scope="module")
def emulator_thread() -> Iterator[EmulatorThread]:
    with EmulatorThread(EmulatorConfig(routing_delay=0, token_delay=0)) as thread:
        yield thread


def user(text: str) -> Any:
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize("suffix", ["", "/llm"])
async def test_sdk_streams_routed_model_text_and_usage(
    emulator: EmulatorServer, suffix: str
) -> None:
    async with AsyncOpenAI(
        base_url=emulator.base_url + suffix, api_key="k", max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="@edenai",
            messages=user("Write a Python function to merge two sorted lists"),
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"router_candidates": CODE_POOL},
        )
        models, text, usage, cost, finish = set(), "", None, None, None
        async for chunk in stream:
            models.add(chunk.model)
            if chunk.usage is not None:
                usage = chunk.usage
                cost = (chunk.model_extra or {}).get("cost")
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
    assert models == {"anthropic/claude-sonnet-4-5"}
    assert "```python" in text
    assert finish == "stop"
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert cost == BY_ID["anthropic/claude-sonnet-4-5"].cost(
        usage.prompt_tokens, usage.completion_tokens
    )
    sent = emulator.requests[-1]
    assert sent["router_candidates"] == CODE_POOL
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["_path"] == f"/v3{suffix}/chat/completions"


async def test_sdk_assembles_a_streamed_tool_call(emulator: EmulatorServer) -> None:
    async with AsyncOpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="@edenai",
            messages=user("What's the weather like in Paris?"),
            tools=[WEATHER_TOOL],
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"router_candidates": FAST_POOL},
        )
        calls: dict[int, dict[str, str]] = {}
        finish = None
        async for chunk in stream:
            for choice in chunk.choices:
                finish = choice.finish_reason or finish
                for tc in choice.delta.tool_calls or []:
                    slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                    slot["id"] += tc.id or ""
                    if tc.function is not None:
                        slot["name"] += tc.function.name or ""
                        slot["arguments"] += tc.function.arguments or ""
    assert finish == "tool_calls"
    assert list(calls) == [0]
    assert calls[0]["id"].startswith("call_")
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"location": "Paris"}


async def test_sdk_reads_a_tool_result_answer(emulator: EmulatorServer) -> None:
    async with AsyncOpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        first = await client.chat.completions.create(
            model="@edenai", messages=user("Weather in Oslo?"), tools=[WEATHER_TOOL]
        )
        call = first.choices[0].message.tool_calls
        assert call
        messages: Any = [
            *user("Weather in Oslo?"),
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call[0].id, "content": "rain, 9 °C"},
        ]
        second = await client.chat.completions.create(
            model="@edenai", messages=messages, tools=[WEATHER_TOOL]
        )
    assert second.choices[0].finish_reason == "stop"
    assert "rain, 9 °C" in (second.choices[0].message.content or "")


def test_sync_sdk_non_streaming(emulator_thread: EmulatorThread) -> None:
    with OpenAI(base_url=emulator_thread.base_url + "/llm", api_key="k", max_retries=0) as client:
        completion = client.chat.completions.create(
            model="@edenai",
            messages=user("What's the capital of France?"),
            extra_body={"router_candidates": FAST_POOL},
        )
    assert completion.model == "google/gemini-2.0-flash"
    assert "Paris" in (completion.choices[0].message.content or "")
    assert completion.usage is not None
    assert (completion.model_extra or {})["cost"] > 0


def test_sync_sdk_models_list(emulator_thread: EmulatorThread) -> None:
    with OpenAI(base_url=emulator_thread.base_url, api_key="k", max_retries=0) as client:
        ids = [m.id for m in client.models.list()]
    assert "openai/gpt-4o" in ids
    assert "anthropic/claude-opus-4-5" in ids


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("status:400", openai.BadRequestError),
        ("status:401", openai.AuthenticationError),
        ("status:403", openai.PermissionDeniedError),
        ("status:422", openai.UnprocessableEntityError),
        ("status:429", openai.RateLimitError),
        ("status:500", openai.InternalServerError),
        ("status:503", openai.InternalServerError),
    ],
)
async def test_sdk_maps_error_statuses(
    emulator: EmulatorServer, spec: str, error: type[openai.APIStatusError]
) -> None:
    async with AsyncOpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        with pytest.raises(error):
            await client.chat.completions.create(
                model="@edenai", messages=user("hi"), extra_headers={"X-Emulator-Fault": spec}
            )


async def test_sdk_raises_on_an_error_frame(emulator: EmulatorServer) -> None:
    async with AsyncOpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="@edenai",
            messages=user("Explain machine learning"),
            stream=True,
            extra_headers={"X-Emulator-Fault": "error_frame:3"},
        )
        pieces: list[str] = []

        async def consume() -> None:
            async for chunk in stream:
                pieces.append(chunk.choices[0].delta.content or "")

        with pytest.raises(openai.APIError, match="Upstream provider error"):
            await consume()
        assert "".join(pieces)
        await stream.close()


async def test_sdk_surfaces_a_dropped_stream(emulator: EmulatorServer) -> None:
    async with AsyncOpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="@edenai",
            messages=user("Explain machine learning"),
            stream=True,
            extra_headers={"X-Emulator-Fault": "drop:3"},
        )
        with pytest.raises(openai.APIConnectionError):
            async for _ in stream:
                pass
        await stream.close()
    assert emulator.open_streams == 0


async def test_sdk_accepts_wire_variants(emulator: EmulatorServer) -> None:
    async with AsyncOpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="@edenai",
            messages=user("hi"),
            stream=True,
            extra_headers={"X-Emulator-Fault": "bare_model+usage_on_finish+keepalive+crlf"},
        )
        chunks = [c async for c in stream]
    assert {c.model for c in chunks} == {"mistral-small-latest"}
    assert (chunks[0].model_extra or {})["provider"] == "mistral"
    assert chunks[-1].usage is not None
    assert chunks[-1].choices[0].finish_reason == "stop"
