"""Every fault spec of the emulator, over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from desktop_app.emulator import EmulatorConfig, EmulatorServer

KEY = {"Authorization": "Bearer test-key"}
POOL = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"]
PROMPT = "Explain machine learning"


def body(prompt: str = PROMPT, **extra: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "model": "@edenai",
        "router_candidates": POOL,
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    b.update(extra)
    return b


def frames(raw: bytes) -> list[str]:
    """Data payloads of a (possibly cut) SSE body; CRLF and comments accepted."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    out = []
    for block in text.split("\n\n"):
        data = [ln[6:] for ln in block.split("\n") if ln.startswith("data: ")]
        if data:
            out.append("\n".join(data))
    return out


def content_chunks(payloads: list[str]) -> list[dict[str, Any]]:
    out = []
    for p in payloads:
        if p == "[DONE]":
            continue
        c = json.loads(p)
        if c.get("choices") and c["choices"][0]["delta"].get("content"):
            out.append(c)
    return out


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    async with EmulatorServer(EmulatorConfig(routing_delay=0, token_delay=0)) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as c:
        yield c


async def send(
    client: httpx.AsyncClient, server: EmulatorServer, spec: str | None, b: Any = None
) -> httpx.Response:
    headers = dict(KEY)
    if spec is not None:
        headers["X-Emulator-Fault"] = spec
    return await client.post(
        server.base_url + "/chat/completions", json=b or body(), headers=headers
    )


async def read_until_broken(
    client: httpx.AsyncClient, server: EmulatorServer, spec: str, b: Any = None
) -> tuple[bytes, Exception | None]:
    raw = b""
    try:
        async with client.stream(
            "POST",
            server.base_url + "/chat/completions",
            json=b or body(),
            headers={**KEY, "X-Emulator-Fault": spec},
        ) as r:
            assert r.status_code == 200
            async for piece in r.aiter_bytes():
                raw += piece
    except httpx.HTTPError as exc:
        return raw, exc
    return raw, None


# --- status faults --------------------------------------------------------------------------

STATUS_BODIES: dict[int, Any] = {
    401: {"detail": "Invalid token"},
    402: {"error": "Insufficient credits"},
    403: {"detail": "Not authenticated"},
    429: {
        "error": {
            "message": "Rate limit exceeded",
            "type": "rate_limit_error",
            "code": "rate_limit_exceeded",
        }
    },
}


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422, 429, 451, 500, 502, 503, 504])
async def test_status_faults_send_the_real_bodies(
    emulator: EmulatorServer, client: httpx.AsyncClient, status: int
) -> None:
    r = await send(client, emulator, f"status:{status}")
    assert r.status_code == status
    if status in STATUS_BODIES:
        assert r.json() == STATUS_BODIES[status]
    if status == 400:
        assert r.json()["error"]["code"] == "invalid_parameter"
        assert r.json()["error"]["message"].startswith("Model(s) not found or inactive: ")
    if status == 422:
        assert r.json()["detail"][0]["loc"] == ["body", "fallbacks"]
    if status == 451:
        assert r.json()["error"]["code"] == "region_not_allowed"
        assert r.json()["error"]["type"] == "request_forbidden"
    if status in {500, 503}:
        assert r.json()["error"]["type"] in {"server_error", "service_unavailable"}
    if status in {502, 504}:
        assert r.headers["content-type"].startswith("text/html")
        assert f"<h1>{status} " in r.text
    assert ("retry-after" in r.headers) == (status == 429)
    if status == 429:
        assert r.headers["retry-after"] == "7"


async def test_retry_after_option(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    r = await send(client, emulator, "status:429:retry=2")
    assert r.headers["retry-after"] == "2"
    r = await send(client, emulator, "status:429:retry=none")
    assert r.status_code == 429
    assert "retry-after" not in r.headers
    r = await send(client, emulator, "status:503:retry=5")
    assert r.headers["retry-after"] == "5"


async def test_status_fault_wins_over_auth_and_validation(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await client.post(
        emulator.base_url + "/chat/completions",
        content=b"not json",
        headers={"X-Emulator-Fault": "status:503"},
    )
    assert r.status_code == 503


async def test_invalid_fault_header_is_400(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await send(client, emulator, "drop:many")
    assert r.status_code == 400
    assert "X-Emulator-Fault" in r.json()["detail"]


# --- stream faults --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 3])
async def test_error_frame(emulator: EmulatorServer, client: httpx.AsyncClient, n: int) -> None:
    r = await send(client, emulator, f"error_frame:{n}")
    assert r.status_code == 200
    payloads = frames(r.content)
    assert payloads[-1] != "[DONE]"
    assert len(content_chunks(payloads)) == n
    last = json.loads(payloads[-1])
    assert last["error"]["type"] == "server_error"
    assert last["error"]["code"] == "provider_error"
    assert last["error"]["message"]
    assert last["choices"][0]["finish_reason"] == "error"
    assert all("usage" not in json.loads(p) for p in payloads)


@pytest.mark.parametrize("n", [0, 5])
async def test_drop_breaks_the_chunked_stream(
    emulator: EmulatorServer,
    client: httpx.AsyncClient,
    n: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    raw, exc = await read_until_broken(client, emulator, f"drop:{n}")
    await asyncio.sleep(0.05)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []
    assert isinstance(exc, httpx.RemoteProtocolError)
    payloads = frames(raw)
    assert len(content_chunks(payloads)) == n
    assert json.loads(payloads[0])["choices"][0]["delta"]["role"] == "assistant"
    assert "[DONE]" not in payloads
    assert emulator.open_streams == 0


async def test_drop_beyond_the_reply_fires_after_the_last_chunk(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    raw, exc = await read_until_broken(client, emulator, "drop:100000", body("hi"))
    assert isinstance(exc, httpx.RemoteProtocolError)
    payloads = frames(raw)
    assert content_chunks(payloads)
    assert all(json.loads(p)["choices"][0]["finish_reason"] is None for p in payloads)


async def test_drop_on_a_non_streaming_request(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await send(client, emulator, "drop:0", body(stream=False))
    assert (await send(client, emulator, None)).status_code == 200


async def test_stall_first_delays_the_headers(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    t0 = time.monotonic()
    async with client.stream(
        "POST",
        emulator.base_url + "/chat/completions",
        json=body(),
        headers={**KEY, "X-Emulator-Fault": "stall_first:0.3"},
    ) as r:
        assert time.monotonic() - t0 >= 0.3
        await r.aread()


async def test_stall_mid_pauses_after_n_chunks(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    arrivals: list[tuple[float, int]] = []
    async with client.stream(
        "POST",
        emulator.base_url + "/chat/completions",
        json=body(),
        headers={**KEY, "X-Emulator-Fault": "stall_mid:0.3@4"},
    ) as r:
        raw = b""
        async for piece in r.aiter_bytes():
            raw += piece
            arrivals.append((time.monotonic(), len(content_chunks(frames(raw)))))
    before = [t for t, n in arrivals if n <= 4]
    after = [t for t, n in arrivals if n > 4]
    assert before
    assert after
    assert after[0] - before[-1] >= 0.28
    assert max(n for _, n in arrivals if _ <= before[-1]) == 4


@pytest.mark.parametrize("n", [0, 1, 4])
async def test_malformed_chunk(emulator: EmulatorServer, client: httpx.AsyncClient, n: int) -> None:
    r = await send(client, emulator, f"malformed:{n}")
    payloads = frames(r.content)
    bad = []
    for i, p in enumerate(payloads[:-1]):
        try:
            json.loads(p)
        except json.JSONDecodeError:
            bad.append(i)
    assert bad == [n]  # payload 0 is the role chunk, payload k the k-th content chunk
    assert payloads[-1] == "[DONE]"


async def test_usage_variants(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    def parsed(r: httpx.Response) -> list[dict[str, Any]]:
        return [json.loads(p) for p in frames(r.content) if p != "[DONE]"]

    normal = parsed(await send(client, emulator, None))
    usage, cost = normal[-1]["usage"], normal[-1]["cost"]

    chunks = parsed(await send(client, emulator, "no_usage"))
    assert all("usage" not in c and "cost" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"

    chunks = parsed(await send(client, emulator, "usage_on_finish"))
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == usage
    assert chunks[-1]["cost"] == cost
    assert sum("usage" in c for c in chunks) == 1

    chunks = parsed(await send(client, emulator, "usage_cost"))
    assert "cost" not in chunks[-1]
    assert chunks[-1]["usage"]["cost"] == cost

    chunks = parsed(await send(client, emulator, "no_cost"))
    assert chunks[-1]["usage"] == usage
    assert "cost" not in chunks[-1]
    assert "cost" not in chunks[-1]["usage"]


async def test_bare_model_with_usage_on_finish(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await send(client, emulator, "bare_model+usage_on_finish")
    chunks = [json.loads(p) for p in frames(r.content) if p != "[DONE]"]
    assert all(c["model"] == "gpt-4o" and c["provider"] == "openai" for c in chunks)
    assert "usage" in chunks[-1]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    r = await send(client, emulator, "bare_model", body(stream=False))
    assert r.json()["model"] == "gpt-4o"
    assert r.json()["provider"] == "openai"


async def test_no_done(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    payloads = frames((await send(client, emulator, "no_done")).content)
    assert "[DONE]" not in payloads
    assert "usage" in json.loads(payloads[-1])


async def test_keepalive_and_crlf(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    plain = (await send(client, emulator, None)).content
    r = await send(client, emulator, "keepalive+crlf")
    raw = r.content
    assert b"\r\n\r\n" in raw
    assert b"\n\n" not in raw.replace(b"\r\n\r\n", b"")
    assert raw.count(b": keep-alive\r\n\r\n") == raw.count(b"data: ")
    assert raw.startswith(b": keep-alive\r\n\r\ndata: {")

    def texts(raw: bytes) -> str:
        return "".join(c["choices"][0]["delta"]["content"] for c in content_chunks(frames(raw)))

    assert texts(raw) == texts(plain)


async def test_fragment_splits_writes(emulator: EmulatorServer, client: httpx.AsyncClient) -> None:
    pieces: list[bytes] = []
    async with client.stream(
        "POST",
        emulator.base_url + "/chat/completions",
        json=body("Dites bonjour au café — naïve ünïcödé 👋", max_tokens=40),
        headers={**KEY, "X-Emulator-Fault": "fragment:3"},
    ) as r:
        async for piece in r.aiter_raw():
            pieces.append(piece)
    raw = b"".join(pieces)
    assert len(pieces) > 20
    payloads = frames(raw)
    assert payloads[-1] == "[DONE]"
    plain = await send(client, emulator, None, body("Dites bonjour au café — naïve ünïcödé 👋"))

    def texts(raw: bytes) -> str:
        return "".join(c["choices"][0]["delta"]["content"] for c in content_chunks(frames(raw)))

    assert texts(raw) == texts(plain.content)[: len(texts(raw))]
    assert len(content_chunks(payloads)) == 40


async def test_router_fail_answers_with_the_first_candidate(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await client.post(
        emulator.base_url + "/chat/completions",
        json=body("Write a Python function to merge two lists"),
        headers={**KEY, "X-Emulator-Fault": "router_fail", "x-edenai-metadata": "enabled"},
    )
    first = json.loads(frames(r.content)[0])
    assert first["model"] == POOL[0]
    assert first["edenai_metadata"]["auto"]["selection"] == "default"
    assert first["edenai_metadata"]["auto"]["chosen"] == POOL[0]
    no_pool = body("hi")
    del no_pool["router_candidates"]
    r = await client.post(
        emulator.base_url + "/chat/completions",
        json=no_pool,
        headers={**KEY, "X-Emulator-Fault": "router_fail", "x-edenai-metadata": "enabled"},
    )
    first = json.loads(frames(r.content)[0])
    assert first["model"] == "openai/gpt-4o"
    assert first["edenai_metadata"]["auto"]["chosen"] == "gpt-4o"  # a default: a bare name


async def test_provider_fail_uses_the_fallbacks(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    b = body("Write a Python function to merge two lists", fallbacks=["openai/gpt-4o-mini"])
    r = await client.post(
        emulator.base_url + "/chat/completions",
        json=b,
        headers={**KEY, "X-Emulator-Fault": "provider_fail", "x-edenai-metadata": "enabled"},
    )
    first = json.loads(frames(r.content)[0])
    assert first["model"] == "openai/gpt-4o-mini"
    meta = first["edenai_metadata"]
    assert meta["attempt"] == 2
    assert [(a["model"], a["status"]) for a in meta["attempts"]] == [
        ("anthropic/claude-sonnet-4-5", 502),
        ("openai/gpt-4o-mini", 200),
    ]
    r = await send(client, emulator, "provider_fail")
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "provider_error"


# --- where faults come from -----------------------------------------------------------------


async def test_queued_faults_are_fifo_one_per_request(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    emulator.queue_faults("status:500", "none", "status:429")
    assert [(await send(client, emulator, None)).status_code for _ in range(4)] == [
        500,
        200,
        429,
        200,
    ]
    # Models requests do not consume queued faults.
    emulator.queue_faults("status:500")
    assert (await client.get(emulator.base_url + "/models")).status_code == 200
    assert (await send(client, emulator, None)).status_code == 500


async def test_models_endpoint_honours_header_faults(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await client.get(emulator.base_url + "/models", headers={"X-Emulator-Fault": "status:503"})
    assert r.status_code == 503


async def test_default_faults_apply_to_every_request(client: httpx.AsyncClient) -> None:
    config = EmulatorConfig(routing_delay=0, token_delay=0, default_faults=("no_done", "crlf"))
    async with EmulatorServer(config) as server:
        for _ in range(2):
            raw = (await send(client, server, None)).content
            assert b"\r\n" in raw
            assert b"[DONE]" not in raw
        emulator_requests = server.requests
        assert emulator_requests[-1]["_faults"] == ["no_done", "crlf"]


async def test_fault_rate_is_seeded_and_transient(client: httpx.AsyncClient) -> None:
    async def run(seed: int) -> list[str]:
        config = EmulatorConfig(routing_delay=0, token_delay=0, fault_rate=0.5, seed=seed)
        outcomes = []
        async with EmulatorServer(config) as server:
            for _ in range(20):
                raw, exc = b"", None
                try:
                    async with client.stream(
                        "POST",
                        server.base_url + "/chat/completions",
                        json=body("hi", max_tokens=30),
                        headers=KEY,
                    ) as r:
                        async for piece in r.aiter_bytes():
                            raw += piece
                        status = r.status_code
                except httpx.RemoteProtocolError as e:
                    exc = e
                    status = 200
                outcomes.append(f"{status}:{type(exc).__name__ if exc else ''}")
            specs = [s for rec in server.requests for s in rec["_faults"]]
            assert server.open_streams == 0
        assert 3 <= len(specs) <= 17
        for s in specs:
            assert s.split(":")[0] in {"status", "drop", "error_frame", "stall_first", "stall_mid"}
            if s.startswith("status:"):
                assert s.split(":")[1] in {"429", "500", "503"}
        return [*outcomes, *specs]

    first = await run(seed=3)
    assert first == await run(seed=3)
    assert first != await run(seed=4)


async def test_an_error_frame_carries_a_corrected_metadata_block(
    emulator: EmulatorServer, client: httpx.AsyncClient
) -> None:
    r = await client.post(
        emulator.base_url + "/chat/completions",
        json=body("Explain how tides work"),
        headers={**KEY, "X-Emulator-Fault": "error_frame:3", "x-edenai-metadata": "enabled"},
    )
    payloads = [json.loads(f) for f in frames(r.content) if f != "[DONE]"]
    first, last = payloads[0]["edenai_metadata"], payloads[-1]
    assert "error" in last
    corrected = last["edenai_metadata"]
    assert first["attempts"][-1]["status"] == 200
    assert corrected["attempts"][-1]["status"] == 502
    assert corrected["auto"] == first["auto"]
