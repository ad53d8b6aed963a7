"""Benchmark: EdenClient.stream_chat versus a bare httpx line reader, on a 20,000-token burst.

Run: `python tests/benchmarks/bench_client.py [--tokens N] [--repeat R]`.

Scenarios (the servers run in a child process, so their CPU time is not charged to the client):
- "burst": a minimal HTTP/1.1 server on loopback that writes a pre-rendered stream of realistic
  Eden chunks (one SSE frame per HTTP chunk, a finish chunk, a usage+cost chunk, `[DONE]`) as
  fast as the socket takes it.
- "emulator": the project's `desktop_app.emulator` on loopback with `token_delay=0` and
  `routing_delay=0`, when it exists (it writes the frames in 64 KB batches).
- "memory": no socket at all (`httpx.MockTransport`, the same body in 64 KB pieces): the pure
  CPU cost of each reader, the least noisy and the strictest comparison.

Both readers run in the same process and loop, alternating, `R` times each. The baseline is
the leanest reasonable consumer: `httpx` `aiter_lines`, `json.loads` of each `data:` line,
take the content. Prints medians and the ratio (target <= 1.3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from child_server import spawn, spawn_emulator, stop  # noqa: E402  (beside this script)

from desktop_app.api.client import ClientConfig, EdenClient, Timeouts  # noqa: E402
from desktop_app.api.events import Completed, TextDelta, TurnStatus  # noqa: E402
from desktop_app.api.request import ChatRequest  # noqa: E402

TARGET = 1.3
MEMORY_URL = "https://bench.invalid/v3"
KEY = "bench-key"
PROMPT = "Write a very long essay about streaming protocols."


# ----------------------------------------------------------------------------- burst server


def render_burst(tokens: int) -> bytes:
    """The whole chunked HTTP body: one SSE frame per HTTP chunk, like a real streaming server."""
    return b"".join(render_burst_frames(tokens)) + b"0\r\n\r\n"


def render_burst_frames(tokens: int) -> list[bytes]:
    """Each SSE frame wrapped as one HTTP/1.1 chunk."""
    head = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1788347377,
        "model": "openai/gpt-4o",
    }
    frames: list[bytes] = []

    def frame(obj: dict[str, object]) -> None:
        data = b"data: " + json.dumps({**head, **obj}, separators=(",", ":")).encode() + b"\n\n"
        frames.append(b"%x\r\n%s\r\n" % (len(data), data))

    frame({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    words = ["stream", " of", " tokens", ",", " each", " one", " a", " frame", ".", " Ünï"]
    for i in range(tokens):
        content = words[i % len(words)]
        frame({"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]})
    frame({"choices": [{"index": 0, "delta": {"content": None}, "finish_reason": "stop"}]})
    frame(
        {
            "choices": [{"index": 0, "delta": {"content": None, "role": None}}],
            "usage": {
                "prompt_tokens": 12,
                "completion_tokens": tokens,
                "total_tokens": tokens + 12,
            },
            "cost": 0.2,
        }
    )
    done = b"data: [DONE]\n\n"
    frames.append(b"%x\r\n%s\r\n" % (len(done), done))
    return frames


async def serve_burst(tokens: int) -> None:
    body = render_burst(tokens)
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
        b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                writer.write(head)
                view = memoryview(body)
                for start in range(0, len(body), 65536):
                    writer.write(view[start : start + 65536])
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v3", flush=True)
    async with server:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def start_server(kind: str, tokens: int) -> tuple[subprocess.Popen[str], str]:
    if kind == "emulator":
        return spawn_emulator()
    return spawn([sys.executable, __file__, "--serve", kind, "--tokens", str(tokens)], kind)


class MemoryBody(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), 65536):
            yield self.body[start : start + 65536]


def memory_transport(tokens: int) -> httpx.MockTransport:
    body = b"".join(
        piece.partition(b"\r\n")[2][:-2]  # unwrap the HTTP chunks of the burst rendering
        for piece in render_burst_frames(tokens)
    )

    def respond(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=MemoryBody(body))

    return httpx.MockTransport(respond)


def emulator_available() -> bool:
    try:
        import desktop_app.emulator.server  # type: ignore # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- the readers


def payload(tokens: int) -> dict[str, object]:
    return ChatRequest(
        messages=({"role": "user", "content": PROMPT},), model="openai/gpt-4o", max_tokens=tokens
    ).to_payload()


async def bare_reader(http: httpx.AsyncClient, url: str, tokens: int) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    async with http.stream(
        "POST",
        url + "/chat/completions",
        json=payload(tokens),
        headers={"Authorization": f"Bearer {KEY}", "Accept": "text/event-stream"},
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                data = line[6:]
                if data == "[DONE]":
                    break
                obj = json.loads(data)
                choices = obj.get("choices")
                if choices and choices[0].get("delta", {}).get("content"):
                    count += 1
    return time.perf_counter() - started, count


async def client_reader(client: EdenClient, tokens: int) -> tuple[float, int]:
    request = ChatRequest(
        messages=({"role": "user", "content": PROMPT},), model="openai/gpt-4o", max_tokens=tokens
    )
    started = time.perf_counter()
    count = 0
    async for event in client.stream_chat(request):
        if type(event) is TextDelta:
            count += 1
        elif type(event) is Completed:
            result = event.result
            if result.status is not TurnStatus.COMPLETE:
                raise RuntimeError(f"stream failed: {result.error}")
    return time.perf_counter() - started, count


async def run(kind: str, url: str, tokens: int, repeat: int) -> float:
    timeouts = Timeouts(connect=5, first_byte=30, idle=30, total=300)
    transport = memory_transport(tokens) if kind == "memory" else None
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30.0), transport=transport) as http,
        EdenClient(
            ClientConfig(base_url=url, timeouts=timeouts), KEY, transport=transport
        ) as client,
    ):
        # Warm-up: connections, imports, caches.
        await bare_reader(http, url, tokens)
        await client_reader(client, tokens)
        bare: list[float] = []
        ours: list[float] = []
        counts: set[int] = set()
        for _ in range(repeat):
            seconds, n = await bare_reader(http, url, tokens)
            bare.append(seconds)
            counts.add(n)
            seconds, n = await client_reader(client, tokens)
            ours.append(seconds)
            counts.add(n)
    b, o = statistics.median(bare), statistics.median(ours)
    ratio = o / b
    print(f"[{kind}] {tokens} tokens, {repeat} runs each; text deltas seen: {sorted(counts)}")
    print(f"  bare httpx aiter_lines + json.loads : median {b * 1000:8.1f} ms")
    print(f"  EdenClient.stream_chat              : median {o * 1000:8.1f} ms")
    print(f"  ratio {ratio:.2f} (target <= {TARGET}) {'OK' if ratio <= TARGET else 'TOO SLOW'}")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--serve", choices=["burst"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "burst":
        asyncio.run(serve_burst(args.tokens))
        return 0

    kinds = ["memory", "burst"] + (["emulator"] if emulator_available() else [])
    if "emulator" not in kinds:
        print("(desktop_app.emulator.server not available: no emulator scenario)")
    worst = 0.0
    for kind in kinds:
        if kind == "memory":
            worst = max(worst, asyncio.run(run(kind, MEMORY_URL, args.tokens, args.repeat)))
            continue
        proc, url = start_server(kind, args.tokens)
        try:
            worst = max(worst, asyncio.run(run(kind, url, args.tokens, args.repeat)))
        finally:
            stop(proc)
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
