"""EdenClient over a real loopback socket: cancellation, timeouts, drops, connection reuse.

The server is a tiny HTTP/1.1 implementation on asyncio streams, so each test controls exactly
what goes on the wire and when, and sees when the client hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from desktop_app.api.client import ClientConfig, EdenClient, Timeouts
from desktop_app.api.errors import ErrorKind, TimeoutPhase
from desktop_app.api.events import Completed, StreamEvent, TextDelta, TurnResult, TurnStatus
from desktop_app.api.request import ChatRequest

REQUEST = ChatRequest(messages=({"role": "user", "content": "Tell me a long story"},))
KEY = "sk-loopback"
SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
)


def frame(content: str | None = None, finish: str | None = None, **extra: Any) -> bytes:
    obj = {
        "id": "c",
        "object": "chat.completion.chunk",
        "model": "openai/gpt-4o",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(obj)}\n\n".encode()


def http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Conn:
    """One accepted connection, seen from the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closed_by_peer = asyncio.Event()

    async def read_request(self) -> bytes | None:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return await self.reader.readexactly(length)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send_sse(self, data: bytes) -> None:
        await self.send(http_chunk(data))

    async def watch_for_hangup(self) -> None:
        """After the request: the next read returns EOF (or fails) when the client hangs up."""
        with contextlib.suppress(ConnectionError):
            while await self.reader.read(1024):
                pass
        self.closed_by_peer.set()


Handler = Callable[[Conn, bytes], Awaitable[None]]


class Loopback:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections: list[Conn] = []
        self.requests = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Loopback:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v3"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        self.connections.append(conn)
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)  # type: ignore[arg-type]
        try:
            while (body := await conn.read_request()) is not None:
                self.requests += 1
                await self.handler(conn, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            conn.closed_by_peer.set()
        except asyncio.CancelledError:
            pass  # shutting down; asyncio's start_server callback must not see a cancelled task
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for conn in self.connections:
            conn.writer.close()
        _, pending = await asyncio.wait(self.tasks, timeout=2) if self.tasks else (set(), set())
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        await self.server.wait_closed()


def client_for(server: Loopback, **timeouts: float) -> EdenClient:
    config = ClientConfig(base_url=server.url, timeouts=Timeouts(**timeouts))
    return EdenClient(config, KEY)


@pytest.fixture
async def loop_problems() -> AsyncIterator[list[Any]]:
    """Collects what would otherwise only be logged or printed: loop exception-handler calls
    (e.g. "async generator ignored GeneratorExit", "Task was destroyed but it is pending") and
    unraisable exceptions (ResourceWarning for unclosed sockets/transports)."""
    problems: list[Any] = []
    loop = asyncio.get_running_loop()
    old_handler = loop.get_exception_handler()
    old_hook = sys.unraisablehook
    loop.set_exception_handler(lambda _loop, context: problems.append(context))
    sys.unraisablehook = problems.append
    try:
        yield problems
        gc.collect()
        await asyncio.sleep(0)
        gc.collect()
        assert problems == []
    finally:
        sys.unraisablehook = old_hook
        loop.set_exception_handler(old_handler)


async def slow_story(conn: Conn, body: bytes, *, delay: float = 0.02, n: int = 500) -> None:
    await conn.send(SSE_HEAD)
    hangup = asyncio.create_task(conn.watch_for_hangup())
    try:
        for i in range(n):
            if hangup.done():
                return
            await conn.send_sse(frame(f"word{i} "))
            await asyncio.sleep(delay)
        await conn.send_sse(frame(None, "stop"))
        await conn.send_sse(b"data: [DONE]\n\n")
        await conn.send(b"0\r\n\r\n")
    finally:
        await hangup


# ----------------------------------------------------------------------------- cancellation


async def test_cancelling_the_consumer_closes_the_connection(loop_problems: list[Any]) -> None:
    async with Loopback(slow_story) as server:
        client = client_for(server)
        seen: list[StreamEvent] = []
        three = asyncio.Event()

        async def consume() -> None:
            async for event in client.stream_chat(REQUEST):
                seen.append(event)
                if sum(isinstance(e, TextDelta) for e in seen) == 3:
                    three.set()

        task = asyncio.create_task(consume(), name="consume")
        await asyncio.wait_for(three.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        conn = server.connections[0]
        await asyncio.wait_for(conn.closed_by_peer.wait(), 2)
        assert not any(isinstance(e, Completed) for e in seen)  # documented: no yield after cancel
        assert 3 <= sum(isinstance(e, TextDelta) for e in seen) < 10
        await client.aclose()
    gc.collect()
    assert loop_problems == []


async def test_cancelling_complete_reports_stopped_then_raises(loop_problems: list[Any]) -> None:
    async with Loopback(slow_story) as server, client_for(server) as client:
        seen: list[StreamEvent] = []
        three = asyncio.Event()

        def on_event(event: StreamEvent) -> None:
            seen.append(event)
            if sum(isinstance(e, TextDelta) for e in seen) == 3:
                three.set()

        task = asyncio.create_task(client.complete(REQUEST, on_event))
        await asyncio.wait_for(three.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(server.connections[0].closed_by_peer.wait(), 2)
    last = seen[-1]
    assert isinstance(last, Completed)
    result = last.result
    assert result.status is TurnStatus.STOPPED
    assert result.error is not None
    assert result.error.kind is ErrorKind.CANCELLED
    assert result.text.startswith("word0 word1 word2 ")
    assert result.model == "openai/gpt-4o"
    assert sum(isinstance(e, Completed) for e in seen) == 1
    gc.collect()
    assert loop_problems == []


async def test_leaving_early_with_aclosing_closes_the_connection(loop_problems: list[Any]) -> None:
    async with Loopback(slow_story) as server, client_for(server) as client:
        async with contextlib.aclosing(client.stream_chat(REQUEST)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    break
        await asyncio.wait_for(server.connections[0].closed_by_peer.wait(), 2)
    gc.collect()
    assert loop_problems == []


async def test_cancel_while_waiting_for_the_first_byte(loop_problems: list[Any]) -> None:
    received = asyncio.Event()

    async def silent(conn: Conn, body: bytes) -> None:
        received.set()
        await conn.watch_for_hangup()

    async with Loopback(silent) as server, client_for(server) as client:
        task = asyncio.create_task(client.complete(REQUEST))
        await asyncio.wait_for(received.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(server.connections[0].closed_by_peer.wait(), 2)
    gc.collect()
    assert loop_problems == []


# ----------------------------------------------------------------------------- timeouts


async def run_turn(server: Loopback, **timeouts: float) -> TurnResult:
    async with client_for(server, **timeouts) as client:
        return await client.complete(REQUEST)


async def test_first_byte_stall_before_headers(loop_problems: list[Any]) -> None:
    async def stall(conn: Conn, body: bytes) -> None:
        await conn.watch_for_hangup()

    async with Loopback(stall) as server:
        started = asyncio.get_running_loop().time()
        result = await run_turn(server, first_byte=0.3, idle=5)
        elapsed = asyncio.get_running_loop().time() - started
        await asyncio.wait_for(server.connections[0].closed_by_peer.wait(), 2)
    assert result.error is not None
    assert result.error.kind is ErrorKind.TIMEOUT
    assert result.error.timeout_phase is TimeoutPhase.FIRST_BYTE
    assert "0.3 s" in result.error.message
    assert result.status is TurnStatus.FAILED
    assert 0.25 <= elapsed < 2.0
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    gc.collect()
    assert loop_problems == []


async def test_first_byte_stall_after_headers_with_keepalives(loop_problems: list[Any]) -> None:
    async def headers_then_pings(conn: Conn, body: bytes) -> None:
        await conn.send(SSE_HEAD)
        hangup = asyncio.create_task(conn.watch_for_hangup())
        while not hangup.done():
            await conn.send_sse(b": keep-alive\n\n")
            await asyncio.sleep(0.05)

    async with Loopback(headers_then_pings) as server:
        result = await run_turn(server, first_byte=0.3, idle=5)
        await asyncio.wait_for(server.connections[0].closed_by_peer.wait(), 2)
    assert result.error is not None
    assert result.error.timeout_phase is TimeoutPhase.FIRST_BYTE
    assert result.status is TurnStatus.FAILED
    gc.collect()
    assert loop_problems == []


class FakeTime:
    """The client's clock and watchdog timer, moved by the test: timeouts without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.timers: list[tuple[float, Callable[[], None], asyncio.Handle]] = []

    def clock(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        # A real handle (cancellable), scheduled never: the test fires it by `advance`.
        handle = asyncio.get_running_loop().call_later(3600, lambda: None)
        self.timers.append((self.now + delay, callback, handle))
        return handle

    def advance(self, seconds: float) -> None:
        """Move the clock and run the timers now due, as the loop would."""
        self.now += seconds
        due = [t for t in self.timers if t[0] <= self.now and not t[2].cancelled()]
        self.timers = [t for t in self.timers if t not in due]
        for _when, callback, handle in due:
            handle.cancel()
            callback()


async def test_idle_stall_keeps_partial_text(loop_problems: list[Any]) -> None:
    async def stall_midway(conn: Conn, body: bytes) -> None:
        await conn.send(SSE_HEAD)
        for word in ("Once ", "upon ", "a time"):
            await conn.send_sse(frame(word))
        await conn.watch_for_hangup()

    fake = FakeTime()
    texts: list[str] = []
    async with Loopback(stall_midway) as server:
        config = ClientConfig(base_url=server.url, timeouts=Timeouts(first_byte=5, idle=0.3))
        async with EdenClient(config, KEY, clock=fake.clock, call_later=fake.call_later) as client:

            def seen(event: Any) -> None:
                if isinstance(event, TextDelta):
                    texts.append(event.text)

            turn = asyncio.create_task(client.complete(REQUEST, seen))
            for _ in range(500):  # the three words arrive, then the server goes quiet
                if "".join(texts) == "Once upon a time":
                    break
                await asyncio.sleep(0.01)
            fake.advance(0.29)  # just under the idle limit: nothing happens
            await asyncio.sleep(0.05)
            assert not turn.done()
            fake.advance(0.02)  # past it
            result = await asyncio.wait_for(turn, 5)
        await asyncio.wait_for(server.connections[0].closed_by_peer.wait(), 2)
    assert result.error is not None
    assert result.error.kind is ErrorKind.TIMEOUT
    assert result.error.timeout_phase is TimeoutPhase.IDLE
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text == "Once upon a time"
    assert result.model == "openai/gpt-4o"
    gc.collect()
    assert loop_problems == []


async def test_total_timeout_on_a_trickle(loop_problems: list[Any]) -> None:
    async def trickle(conn: Conn, body: bytes) -> None:
        await slow_story(conn, body, delay=0.05, n=1000)

    async with Loopback(trickle) as server:
        result = await run_turn(server, first_byte=5, idle=5, total=0.5)
    assert result.error is not None
    assert result.error.timeout_phase is TimeoutPhase.TOTAL
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text.startswith("word0 ")
    gc.collect()
    assert loop_problems == []


async def test_slow_consumer_is_not_an_idle_timeout() -> None:
    async def quick(conn: Conn, body: bytes) -> None:
        await conn.send(SSE_HEAD)
        for word in ("a", "b", "c"):
            await conn.send_sse(frame(word))
        await conn.send_sse(frame(None, "stop") + b"data: [DONE]\n\n")
        await conn.send(b"0\r\n\r\n")

    async with Loopback(quick) as server, client_for(server, idle=0.2) as client:
        text = ""
        async for event in client.stream_chat(REQUEST):
            if isinstance(event, TextDelta):
                text += event.text
                await asyncio.sleep(0.3)  # the consumer is slow, not the server
            elif isinstance(event, Completed):
                assert event.result.status is TurnStatus.COMPLETE
        assert text == "abc"


async def test_timeout_inside_an_outer_asyncio_timeout_leaves_it_working() -> None:
    async def stall(conn: Conn, body: bytes) -> None:
        await conn.watch_for_hangup()

    async with Loopback(stall) as server:
        async with asyncio.timeout(5):
            result = await run_turn(server, first_byte=0.2)
        assert result.error is not None
        assert result.error.timeout_phase is TimeoutPhase.FIRST_BYTE
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await asyncio.sleep(1)


# ----------------------------------------------------------------------------- drops, reuse


async def test_connection_dropped_midway(loop_problems: list[Any]) -> None:
    async def drop(conn: Conn, body: bytes) -> None:
        await conn.send(SSE_HEAD)
        await conn.send_sse(frame("Half"))
        await conn.send(b'40\r\ndata: {"cho')  # a chunk cut short, then the socket closes
        conn.writer.close()

    async with Loopback(drop) as server:
        result = await run_turn(server)
    assert result.status is TurnStatus.INTERRUPTED
    assert result.text == "Half"
    assert result.error is not None
    assert result.error.kind is ErrorKind.INTERRUPTED
    gc.collect()
    assert loop_problems == []


async def test_connection_refused() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    config = ClientConfig(base_url=f"http://127.0.0.1:{port}/v3")
    async with EdenClient(config, KEY) as client:
        result = await client.complete(REQUEST)
    assert result.error is not None
    assert result.error.kind is ErrorKind.CONNECT
    assert "127.0.0.1" in result.error.message
    assert result.status is TurnStatus.FAILED


async def test_connection_is_reused_after_done() -> None:
    async def answer(conn: Conn, body: bytes) -> None:
        assert json.loads(body)["stream"] is True
        await conn.send(SSE_HEAD)
        await conn.send_sse(frame("Hi", "stop"))
        await conn.send_sse(frame(None, usage={"prompt_tokens": 1, "completion_tokens": 1}))
        await conn.send_sse(b"data: [DONE]\n\n")
        await conn.send(b"0\r\n\r\n")

    async with Loopback(answer) as server, client_for(server) as client:
        for _ in range(3):
            result = await client.complete(REQUEST)
            assert result.status is TurnStatus.COMPLETE
            assert result.text == "Hi"
        assert server.requests == 3
        assert len(server.connections) == 1


async def test_server_that_never_ends_the_body_after_done() -> None:
    async def lingering(conn: Conn, body: bytes) -> None:
        await conn.send(SSE_HEAD)
        await conn.send_sse(frame("Hi", "stop") + b"data: [DONE]\n\n")
        await conn.watch_for_hangup()  # never sends the last chunk

    async with Loopback(lingering) as server:
        started = asyncio.get_running_loop().time()
        result = await run_turn(server, idle=10)
        elapsed = asyncio.get_running_loop().time() - started
    assert result.status is TurnStatus.COMPLETE
    assert result.text == "Hi"
    assert elapsed < 2.0  # a short grace, not the idle timeout


async def test_verify_key_spends_nothing_and_types_refusal() -> None:
    """The welcome page's "Test key": a free authenticated GET, 401 typed as AUTH."""
    from desktop_app.api.errors import ApiError, ErrorKind
    from desktop_app.emulator.server import EmulatorConfig, EmulatorServer

    async with EmulatorServer(EmulatorConfig(api_key="sk-right-key-123")) as server:
        base = server.base_url
        for suffix in ("", "/llm"):
            async with EdenClient(ClientConfig(base_url=base + suffix), "sk-right-key-123") as ok:
                await ok.verify_key()
        async with EdenClient(ClientConfig(base_url=base), "sk-wrong-key-999") as bad:
            with pytest.raises(ApiError) as info:
                await bad.verify_key()
        assert info.value.kind is ErrorKind.AUTH and info.value.status == 401
        assert server.requests == []  # no chat request, nothing billed
