"""MCP stdio servers, through the official `mcp` SDK, on a thread of their own.

The SDK runs on anyio (task groups, cancel scopes that must close in the task that opened
them); the window's loop is qasync's. So every server lives on one dedicated thread with a
plain asyncio loop, each in a keeper task that holds its session open; callers on any loop
submit coroutines there (`run_coroutine_threadsafe`) and await the result on their own loop
(`wrap_future`: the app's loop takes it through its self-pipe, never a cross-thread Qt
signal). Cancelling the caller (Stop) cancels the call on the MCP thread too.

The SDK is imported on the caller's thread before the MCP thread starts (`preload`): nothing
is imported on a worker thread (PySide6 replaces `__import__`, and is not safe there).

A server starts when first needed and stops on `close()`. A server that cannot start, exits,
hangs past the timeout or answers with data that is not MCP becomes an `McpProblem`, a
sentence for the turn; the server is stopped and starts again when next needed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from desktop_app.services.tools.config import ServerConfig

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
LIST_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 8.0  # the SDK closes stdin, waits 2 s, then terminates and kills
_T = TypeVar("_T")
_BOX_DRAWING = {c: " " for c in range(0x2500, 0x2580)}  # servers that print framed tracebacks

# Everything the SDK imports while it runs, imported once on the caller's thread.
PRELOAD = (
    "mcp",
    "mcp.client.stdio",
    "mcp.client.session",
    "mcp.shared.exceptions",
    "mcp_types",
    "anyio._backends._asyncio",
    "anyio.streams.memory",
    "anyio.streams.text",
    "anyio.abc",
    "anyio.lowlevel",
    "anyio.to_thread",
)


class McpProblem(Exception):
    """Something went wrong with an MCP server; the message says what, for the user."""


@dataclass(frozen=True, slots=True)
class McpTool:
    name: str
    description: str
    parameters: dict[str, Any]


def preload() -> None:
    """Import the SDK here and now (~1-2 s the first time): call it on the main thread.

    Checking a tool's structured result imports jsonschema and its format checkers lazily:
    one check of a small schema here, the way the SDK does it, imports them now.
    """
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from jsonschema import exceptions
    from jsonschema.validators import validator_for
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    schema = {"type": "object", "properties": {"result": {"type": "integer"}}}
    validator_cls = validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema, registry=Registry())
    exceptions.best_match(validator.iter_errors({"result": 1}))
    del Unresolvable


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside anyio's exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    exc = _leaf(exc)
    if isinstance(exc, FileNotFoundError):
        return f"its command was not found ({exc.filename or exc})"
    if isinstance(exc, PermissionError):
        return f"its command cannot be run ({exc})"
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "ValidationError":
        return "it answered with data that is not valid MCP"
    if "Connection closed" in text:
        return "it exited"
    return f"{text or name}"


def result_text(result: Any) -> tuple[str, bool]:
    """(the text the model reads, whether the server reported an error) of a CallToolResult."""
    parts: list[str] = []
    for item in getattr(result, "content", None) or []:
        kind = getattr(item, "type", "")
        if kind == "text":
            parts.append(str(getattr(item, "text", "")))
        elif kind == "image" or kind == "audio":
            mime = getattr(item, "mime_type", None) or getattr(item, "mimeType", "")
            parts.append(f"[{kind}{' ' + mime if mime else ''} not shown]")
        elif kind == "resource":
            resource = getattr(item, "resource", None)
            text = getattr(resource, "text", None)
            parts.append(
                str(text) if text is not None else f"[resource {getattr(resource, 'uri', '')}]"
            )
        elif kind == "resource_link":
            parts.append(f"[link {getattr(item, 'uri', '')}]")
        else:
            parts.append(f"[{kind or 'unknown'} content]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    return "\n".join(parts), bool(getattr(result, "is_error", False))


class _Connection:
    """One running server, owned by its keeper task on the MCP thread."""

    def __init__(self, config: ServerConfig, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self.client: Any = None
        self.tools: list[McpTool] = []
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.dead = False

    def stderr_tail(self, chars: int = 400) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        text = text.translate(_BOX_DRAWING)
        lines = [" ".join(ln.split()) for ln in text.strip().splitlines() if ln.strip()]
        tail = " / ".join(ln for ln in lines[-3:] if ln)
        return tail[-chars:]


class McpHost:
    def __init__(
        self,
        *,
        start_timeout: float = START_TIMEOUT_S,
        list_timeout: float = LIST_TIMEOUT_S,
    ) -> None:
        self._start_timeout = start_timeout
        self._list_timeout = list_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conns: dict[str, _Connection] = {}  # touched on the MCP thread only
        self._logs: Path | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._thread is not None

    # --- the thread ------------------------------------------------------------------------
    def _ensure_thread(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None:
                return self._loop
            preload()
            self._logs = Path(tempfile.mkdtemp(prefix="routechat-mcp-"))
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                try:
                    loop.run_forever()
                finally:
                    with contextlib.suppress(Exception):
                        loop.run_until_complete(loop.shutdown_asyncgens())
                    loop.close()

            thread = threading.Thread(target=run, name="routechat-mcp", daemon=True)
            thread.start()
            ready.wait(10)
            self._thread, self._loop = thread, loop
            return loop

    def _submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        loop = self._ensure_thread()
        return asyncio.run_coroutine_threadsafe(coro, loop)

    async def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run `coro` on the MCP thread; await it here. Cancelling this cancels it there."""
        return await asyncio.wrap_future(self._submit(coro))

    # --- what callers use ------------------------------------------------------------------
    async def list_tools(self, server: ServerConfig) -> list[McpTool]:
        """The server's tools (starting it if needed); `McpProblem` when it cannot."""
        return await self._run(self._list_tools(server))

    async def call(
        self, server: ServerConfig, tool: str, arguments: dict[str, Any], timeout: float
    ) -> tuple[str, bool]:
        """Call a tool: (its text, whether the server reported an error); `McpProblem` when
        the server cannot start, exits, hangs past `timeout` or answers with bad data."""
        return await self._run(self._call(server, tool, arguments, timeout))

    async def stop_server(self, name: str) -> None:
        if self._loop is not None:
            await self._run(self._stop(name))

    def running(self) -> list[str]:
        """Names of the servers running now (a snapshot)."""
        return [n for n, c in list(self._conns.items()) if c.client is not None and not c.dead]

    def close(self, timeout: float = 15.0) -> None:
        """Stop every server and the thread (at quit; blocking, bounded)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError, concurrent.futures.TimeoutError):
            asyncio.run_coroutine_threadsafe(self._stop_all(), loop).result(timeout)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = None
        if self._logs is not None:
            shutil.rmtree(self._logs, ignore_errors=True)
            self._logs = None

    async def aclose(self) -> None:
        """`close()` without blocking the caller's loop."""
        if self._loop is None:
            return
        await self._run(self._stop_all())
        self.close()

    # --- on the MCP thread -----------------------------------------------------------------
    async def _list_tools(self, server: ServerConfig) -> list[McpTool]:
        conn = await self._connect(server)
        return list(conn.tools)

    async def _call(
        self, server: ServerConfig, tool: str, arguments: dict[str, Any], timeout: float
    ) -> tuple[str, bool]:
        conn = await self._connect(server)
        try:
            result = await asyncio.wait_for(conn.client.call_tool(tool, arguments), timeout)
        except TimeoutError:
            await self._close(conn)
            raise McpProblem(
                f"The MCP server {server.name} did not answer within {timeout:g} s; it was "
                "stopped and starts again when next needed."
            ) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            detail = self._why(conn, exc)
            await self._close(conn)
            raise McpProblem(
                f"The MCP server {server.name} failed while running {tool}: {detail}."
            ) from None
        try:
            return result_text(result)
        except Exception as exc:  # a result the SDK accepted but we cannot read
            raise McpProblem(
                f"The MCP server {server.name} answered with data RouteChat cannot read ({exc})."
            ) from None

    def _why(self, conn: _Connection, exc: BaseException) -> str:
        detail = _describe(exc)
        tail = conn.stderr_tail()
        return f"{detail} (it said: {tail})" if tail else detail

    async def _connect(self, server: ServerConfig) -> _Connection:
        conn = self._conns.get(server.name)
        if conn is not None and (conn.dead or conn.config != server):
            await self._close(conn)
            conn = None
        if conn is None:
            assert self._logs is not None
            conn = _Connection(server, self._logs / f"{server.name}.log")
            self._conns[server.name] = conn
            conn.task = asyncio.get_running_loop().create_task(
                self._keep(conn), name=f"mcp:{server.name}"
            )
        try:
            await asyncio.wait_for(asyncio.shield(conn.ready), self._start_timeout)
        except TimeoutError:
            await self._close(conn)
            raise McpProblem(
                f"The MCP server {server.name} did not start within {self._start_timeout:g} s."
            ) from None
        except McpProblem:
            await self._close(conn)
            raise
        if conn.dead or conn.client is None:
            await self._close(conn)
            raise McpProblem(f"The MCP server {server.name} stopped.")
        return conn

    async def _keep(self, conn: _Connection) -> None:
        from mcp import Client
        from mcp.client.stdio import StdioServerParameters, stdio_client

        cfg = conn.config
        try:
            with conn.log_path.open("w", encoding="utf-8") as errlog:
                params = StdioServerParameters(
                    command=cfg.command, args=list(cfg.args), env=dict(cfg.env) or None
                )
                async with Client(stdio_client(params, errlog=errlog), cache=None) as client:
                    listing = await asyncio.wait_for(self._list_all(client), self._list_timeout)
                    conn.tools = listing
                    conn.client = client
                    conn.ready.set_result(None)
                    log.info("MCP server %s started with %d tools", cfg.name, len(listing))
                    await conn.stop.wait()
        except BaseException as exc:
            if not conn.ready.done():
                why = (
                    "its tool list did not arrive in time"
                    if isinstance(_leaf(exc), TimeoutError)
                    else self._why(conn, exc)
                )
                conn.ready.set_exception(
                    McpProblem(f"The MCP server {cfg.name} could not start: {why}.")
                )
            else:
                log.warning("MCP server %s ended: %s", cfg.name, _describe(exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            conn.dead = True
            conn.client = None
            if conn.ready.done() and not conn.ready.cancelled():
                conn.ready.exception()  # retrieved: never "exception was never retrieved"

    @staticmethod
    async def _list_all(client: Any) -> list[McpTool]:
        tools: list[McpTool] = []
        cursor: str | None = None
        for _ in range(50):  # a paginator that never ends cannot hang the start
            page = await client.list_tools(cursor=cursor)
            for t in page.tools:
                schema = t.input_schema if isinstance(t.input_schema, dict) else {}
                tools.append(McpTool(t.name, t.description or "", dict(schema)))
            cursor = page.next_cursor
            if not cursor:
                break
        return tools

    async def _close(self, conn: _Connection) -> None:
        if self._conns.get(conn.config.name) is conn:
            del self._conns[conn.config.name]
        conn.stop.set()
        task = conn.task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT_S)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except BaseException:  # the keeper's own failure was reported already
            pass

    async def _stop(self, name: str) -> None:
        conn = self._conns.get(name)
        if conn is not None:
            await self._close(conn)

    async def _stop_all(self) -> None:
        for conn in list(self._conns.values()):
            await self._close(conn)
