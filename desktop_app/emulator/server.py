"""A local, Qt-free, Eden-compatible HTTP server (aiohttp) for tests, benchmarks and demo mode.

It is an independent implementation of the wire format in `eden-v3-wire.md`: it shares no code
with the client (`desktop_app.api`), so a misunderstanding cannot hide on both sides at once.

Endpoints (under both bases, `/v3` and `/v3/llm`):

    POST {base}/chat/completions  Bearer  streaming (SSE) and non-streaming chat, smart routing
    GET  /v3/models               none    {"object": "list", "data": [...]} with list prices
    GET  /v3/llm/models           Bearer  the same list
    POST /_emulator/faults        none    {"faults": ["spec", ...]} queues faults (chat requests)
    DELETE /_emulator/faults      none    clears the queue
    GET  /_emulator/stats         none    request counts, open streams, queued faults
    GET  /_emulator/requests      none    the recorded chat requests (`EmulatorServer.requests`)

Auth: with `EmulatorConfig.api_key` None any non-empty Bearer token is accepted; with a key set
other tokens get 401 `{"detail":"Invalid token"}`. A missing header (or an empty token) gets 403
`{"detail":"Not authenticated"}`, a non-Bearer scheme 403
`{"detail":"Invalid authentication credentials"}`, as FastAPI's HTTPBearer answers.

Order of checks for a chat request: injected `stall_first`, injected `status:`, auth, JSON
parsing (422 `json_invalid`), validation (422 FastAPI-style, 400 for unknown models), routing
(`routing_delay`), then the answer.

Faults (spec language in `desktop_app.emulator.faults`) for one chat request are the merge of:
`EmulatorConfig.default_faults`, the next queued spec (`queue_faults` or `POST /_emulator/faults`;
queued specs are consumed by chat requests only, one per request, FIFO), the request header
`X-Emulator-Fault: spec`, and with `fault_rate > 0` a random transient fault from a RNG seeded with
`EmulatorConfig.seed`. `GET .../models` honours only the header's `stall_first` and `status:`.

Routing is in `desktop_app.emulator.router`, reply text in `desktop_app.emulator.textgen`, the
encoding in `desktop_app.emulator.wire`. With `x-edenai-metadata: enabled` the first chunk
(or the body) carries `edenai_metadata` exactly as Eden AI documents it; an error frame in
the middle of a stream carries a corrected block. `X-EdenAI-Tags` (and a body `tags` object)
are checked by the documented rules and echoed in the block.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import random
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from desktop_app.emulator import catalogue, textgen
from desktop_app.emulator.faults import (
    ErrorResponse,
    FaultPlan,
    FaultSpecError,
    error_for_plan,
    merge,
    openai_error,
    parse_spec,
    random_fault,
)
from desktop_app.emulator.router import classify, route
from desktop_app.emulator.tools import (
    PlannedCall,
    last_tool_result,
    next_calls,
    results_text,
    turn_results,
)
from desktop_app.emulator.validation import (
    ChatCall,
    Invalid,
    invalid_tags_body,
    json_error,
    merge_tags,
    message_text,
    parse_body,
)
from desktop_app.emulator.validation import validate_chat as _validate
from desktop_app.emulator.wire import Completion, Drop, Sleep, completion_body, stream_segments

log = logging.getLogger(__name__)

FAULT_HEADER = "X-Emulator-Fault"
METADATA_HEADER = "x-edenai-metadata"
TAGS_HEADER = "X-EdenAI-Tags"
_WRITE_BATCH = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class EmulatorConfig:
    api_key: str | None = None  # None: any non-empty bearer accepted
    routing_delay: float = 0.25  # seconds before the first chunk (routing latency)
    token_delay: float = 0.02  # seconds between content chunks; 0 = as fast as possible
    seed: int = 0  # deterministic text and fault choices
    fault_rate: float = 0.0  # probability of a random transient fault per chat request
    default_faults: tuple[str, ...] = ()  # fault specs applied to every chat request
    # max_tokens from this many on asks for a burst of exactly max_tokens tokens
    burst_min_tokens: int = textgen.BURST_MIN_TOKENS


def _json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error_response(err: ErrorResponse, request_id: str | None = None) -> web.Response:
    headers = dict(err.headers)
    if request_id:
        headers["x-request-id"] = request_id
    return web.Response(
        body=err.body, status=err.status, content_type=err.content_type, headers=headers
    )


def _redacted_headers(request: web.Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in request.headers.items():
        k = key.lower()
        if k == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} <redacted>".strip()
        out[k] = value
    return out


def _attempt(model: catalogue.ModelInfo, status: int) -> dict[str, Any]:
    return {"provider": model.provider, "model": model.id, "status": status, "region": "global"}


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user":
            return message_text(m)
    return message_text(messages[-1]) if messages and isinstance(messages[-1], dict) else ""


class EmulatorServer:
    """The emulator on the current asyncio loop. `start()` returns the base URL (`.../v3`).

    `requests` holds one dict per chat request, in arrival order: the JSON body's own keys as
    sent (empty when the body was not a JSON object, with `_raw` holding its first 4 KB), plus
    `_path`, `_headers` (lower-cased names; `authorization` reduced to `"Bearer <redacted>"`)
    and `_faults` (the fault specs applied). It is never trimmed.
    `open_streams` counts streaming answers in progress (from the headers to the last byte);
    `in_flight` counts chat requests being handled (from arrival to the last byte, routing
    delay included) and `peak_in_flight` the most there ever were at once: a client's
    concurrency bound can be checked against it.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        # Validate the configured specs now, so a typo fails at start, not per request.
        self._default_plans = [parse_spec(s) for s in self.config.default_faults]
        self._queue: deque[str] = deque()
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self.requests: list[dict[str, Any]] = []
        self._open_streams = 0
        self._in_flight = 0
        self._peak_in_flight = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._counts = {
            "http_requests": 0,
            "chat_requests": 0,
            "streams_started": 0,
            "streams_completed": 0,
            "streams_broken": 0,
            "faults_applied": 0,
        }

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        app = web.Application(middlewares=[self._middleware], client_max_size=_MAX_BODY)
        for base in ("/v3", "/v3/llm"):
            app.router.add_post(f"{base}/chat/completions", self._chat)
        app.router.add_get("/v3/models", self._models_public)
        app.router.add_get("/v3/llm/models", self._models_auth)
        app.router.add_get("/v3/upload", self._uploads)
        app.router.add_post("/_emulator/faults", self._control_queue)
        app.router.add_delete("/_emulator/faults", self._control_clear)
        app.router.add_get("/_emulator/stats", self._control_stats)
        app.router.add_get("/_emulator/requests", self._control_requests)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,
            handler_cancellation=True,  # a client that goes away cancels its handler at once
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = runner.addresses[0]
        url_host = "127.0.0.1" if host in {"", "0.0.0.0"} else host
        if ":" in url_host:
            url_host = f"[{url_host}]"
        self._base_url = f"http://{url_host}:{bound[1]}/v3"
        return self._base_url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        await runner.cleanup()

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator has not been started")
        return self._base_url

    @property
    def open_streams(self) -> int:
        return self._open_streams

    @property
    def peak_in_flight(self) -> int:
        return self._peak_in_flight

    def queue_faults(self, *specs: str) -> None:
        """Queue fault specs for the next chat requests, one per request, FIFO (thread-safe)."""
        for spec in specs:
            parse_spec(spec)  # raises FaultSpecError on a typo
        with self._lock:
            self._queue.extend(specs)

    def clear_faults(self) -> int:
        with self._lock:
            n = len(self._queue)
            self._queue.clear()
        return n

    def stats(self) -> dict[str, Any]:
        with self._lock:
            queued = list(self._queue)
        return {
            **self._counts,
            "requests": self._counts["chat_requests"],
            "open_streams": self._open_streams,
            "in_flight": self._in_flight,
            "peak_in_flight": self._peak_in_flight,
            "queued_faults": queued,
        }

    # --- plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        self._counts["http_requests"] += 1
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status >= 400:
                return _json_response({"detail": exc.reason}, exc.status)
            raise
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception:
            log.exception("emulator: unexpected error in %s %s", request.method, request.path)
            body = openai_error("Emulator internal error", "server_error", "emulator_error")
            return _json_response(body, 500)

    def _auth_error(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if not scheme or not token:
            return _json_response({"detail": "Not authenticated"}, 403)
        if scheme.lower() != "bearer":
            return _json_response({"detail": "Invalid authentication credentials"}, 403)
        key = self.config.api_key
        if key is not None and not hmac.compare_digest(token.encode(), key.encode()):
            return _json_response({"detail": "Invalid token"}, 401)
        return None

    def _header_plan(self, request: web.Request) -> FaultPlan | web.Response:
        spec = request.headers.get(FAULT_HEADER)
        if spec is None:
            return FaultPlan()
        try:
            return parse_spec(spec)
        except FaultSpecError as exc:
            return _json_response({"detail": f"Invalid {FAULT_HEADER}: {exc}"}, 400)

    def _chat_plan(self, header: FaultPlan) -> FaultPlan:
        plans = list(self._default_plans)
        with self._lock:
            queued = self._queue.popleft() if self._queue else None
        if queued is not None:
            plans.append(parse_spec(queued))
        plans.append(header)
        if self.config.fault_rate > 0 and self._rng.random() < self.config.fault_rate:
            plans.append(parse_spec(random_fault(self._rng)))
        plan = merge(plans)
        if plan.specs:
            self._counts["faults_applied"] += 1
        return plan

    @staticmethod
    async def _abort(request: web.Request) -> None:
        """Break the connection: what was written reaches the peer, then no more."""
        transport = request.transport
        if transport is None:
            return
        for _ in range(400):
            if transport.is_closing() or transport.get_write_buffer_size() == 0:
                break
            await asyncio.sleep(0.005)
        transport.abort()

    # --- endpoints ----------------------------------------------------------------------------

    async def _models(self, request: web.Request, *, auth: bool) -> web.Response:
        plan = self._header_plan(request)
        if isinstance(plan, web.Response):
            return plan
        if plan.stall_first:
            await asyncio.sleep(plan.stall_first)
        if plan.status is not None:
            return _error_response(error_for_plan(plan, model="openai/does-not-exist"))
        if auth and (denied := self._auth_error(request)) is not None:
            return denied
        return _json_response(catalogue.models_response())

    async def _models_public(self, request: web.Request) -> web.Response:
        return await self._models(request, auth=False)

    async def _models_auth(self, request: web.Request) -> web.Response:
        return await self._models(request, auth=True)

    async def _uploads(self, request: web.Request) -> web.Response:
        """`GET /v3/upload` lists the caller's files: free and authenticated, so it tests a key."""
        denied = self._auth_error(request)
        if denied is not None:
            return denied
        return _json_response({"object": "list", "data": []}, 200)

    async def _control_queue(self, request: web.Request) -> web.Response:
        body, _error = parse_body(await request.read())
        faults = body.get("faults") if isinstance(body, dict) else None
        if isinstance(faults, str):
            faults = [faults]
        if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
            return _json_response({"detail": 'expected {"faults": ["spec", ...]}'}, 400)
        try:
            self.queue_faults(*faults)
        except FaultSpecError as exc:
            return _json_response({"detail": str(exc)}, 400)
        return _json_response({"queued": len(self.stats()["queued_faults"])})

    async def _control_clear(self, request: web.Request) -> web.Response:
        return _json_response({"cleared": self.clear_faults()})

    async def _control_stats(self, request: web.Request) -> web.Response:
        return _json_response(self.stats())

    async def _control_requests(self, request: web.Request) -> web.Response:
        return _json_response({"requests": self.requests})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._in_flight += 1
        self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            return await self._chat_inner(request)
        finally:
            self._in_flight -= 1
            if task is not None:
                self._tasks.discard(task)

    async def _chat_inner(self, request: web.Request) -> web.StreamResponse:
        self._counts["chat_requests"] += 1
        request_id = "req_" + uuid.uuid4().hex[:20]
        header = self._header_plan(request)
        if isinstance(header, web.Response):
            return header
        plan = self._chat_plan(header)

        raw = await request.read()
        body, parse_error = parse_body(raw)
        record: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
        if not isinstance(body, dict):
            record["_raw"] = raw[:4096].decode("utf-8", "replace")
        record["_path"] = request.path
        record["_headers"] = _redacted_headers(request)
        record["_faults"] = list(plan.specs)
        self.requests.append(record)

        if plan.stall_first:
            await asyncio.sleep(plan.stall_first)
        streaming = isinstance(body, dict) and body.get("stream") is True
        if plan.drop_after is not None and plan.status is None and not streaming:
            await self._abort(request)
            return web.Response(status=500)  # never sent: the connection is gone
        if plan.status is not None:
            model = body.get("model") if isinstance(body, dict) else None
            shown = model if isinstance(model, str) and "/" in model else "openai/does-not-exist"
            return _error_response(error_for_plan(plan, model=shown), request_id)
        if (denied := self._auth_error(request)) is not None:
            return denied
        if parse_error is not None:
            invalid = json_error(parse_error)
            return _json_response(invalid.body, invalid.status)
        checked = _validate(body)
        if isinstance(checked, Invalid):
            return _json_response(checked.body, checked.status)
        return await self._answer(request, checked, plan, request_id)

    async def _answer(
        self, request: web.Request, call: ChatCall, plan: FaultPlan, request_id: str
    ) -> web.StreamResponse:
        prompt = _last_user_text(call.messages)
        tools_active = bool(call.tools) and call.tool_choice != "none"
        tags, refused = merge_tags(request.headers.get(TAGS_HEADER), call.tags)
        if refused is not None:
            return _json_response(invalid_tags_body(refused), 400, {"x-request-id": request_id})
        auto: dict[str, Any] | None = None
        if call.routed:
            candidates = [m for m in (catalogue.lookup(c) for c in call.candidates or []) if m]
            if plan.has("router_fail"):  # ranking failed: the first candidate, else a default
                default = catalogue.BY_ID[catalogue.SERVER_DEFAULT_MODEL]
                chosen = candidates[0] if candidates else default
                kind = classify(prompt).kind
                selection, shown = "default", chosen.id if candidates else chosen.name
                reason = "routing failed: " + (
                    "the first candidate answers" if candidates else f"{default.id} answers"
                )
                available = len(candidates) or 1
            else:
                decision = route(
                    prompt, candidates or None, tools=tools_active, quality_cost=call.quality_cost
                )
                chosen, kind, reason = decision.model, decision.kind, decision.reason
                selection = "single" if len(decision.pool) == 1 else "ranked"
                shown, available = chosen.id, len(decision.pool)
            auto = {"selection": selection, "chosen": shown, "dropped": list(call.dropped)}
            if call.quality_cost is not None:
                auto["quality_cost"] = call.quality_cost
            strategy = "auto"
        else:
            found = catalogue.lookup(call.model)
            assert found is not None  # validated
            chosen, kind, strategy = found, classify(prompt).kind, "direct"
            reason, available = "the request named its model", 1
        attempts: list[dict[str, Any]] = []
        if plan.has("provider_fail"):
            attempts.append(_attempt(chosen, 502))
            backup = catalogue.lookup(call.fallbacks[0]) if call.fallbacks else None
            if backup is None:
                body = openai_error(
                    f"Provider error: {chosen.id} failed and no fallback was given",
                    "server_error",
                    "provider_error",
                )
                return _json_response(body, 502, {"x-request-id": request_id})
            chosen = backup
            reason += f"; provider failed, fallback {backup.id} answered"
        attempts.append(_attempt(chosen, 200))

        # Routing latency happens before the first byte.
        delay = self.config.routing_delay if call.routed else min(self.config.routing_delay, 0.05)
        if delay > 0:
            await asyncio.sleep(delay)

        completion = self._compose(call, chosen, kind, prompt, plan)
        if request.headers.get(METADATA_HEADER, "").strip().lower() == "enabled":
            # The documented block (Eden AI's request-metadata page), nothing else.
            completion.metadata = {
                "requested": call.model,
                "strategy": strategy,
                "region": "global",
                "attempt": len(attempts),
                "is_byok": False,
                "summary": f"available={available}, served={chosen.id}; {reason}",
                "auto": auto,
                "attempts": attempts,
                "tags": tags or {},
            }
        if not call.stream:
            for seconds, _ in plan.stall_mid:
                await asyncio.sleep(seconds)
            return _json_response(
                completion_body(completion, plan), headers={"x-request-id": request_id}
            )
        return await self._stream(request, call, plan, completion, request_id)

    def _compose(
        self,
        call: ChatCall,
        model: catalogue.ModelInfo,
        kind: str,
        prompt: str,
        plan: FaultPlan | None = None,
    ) -> Completion:
        seed = self.config.seed
        messages = call.messages
        texts = [message_text(m) for m in messages if isinstance(m, dict)]
        tools_json = json.dumps(call.tools) if call.tools else ""
        prompt_tokens = textgen.prompt_token_count(texts, len(messages), tools_json)
        history = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
        calls: list[PlannedCall] = []
        planned = next_calls(call.tools or [], call.tool_choice, messages, prompt)
        if planned:
            rng = textgen.rng_for(seed, model.id, "call", prompt, str(len(messages)))
            for name, arguments in planned:
                if plan is not None and plan.has("tool_unknown"):
                    name = "no_such_tool"
                if plan is not None and plan.has("tool_bad_json"):
                    arguments = arguments[: max(1, len(arguments) // 2)]
                call_id = "call_" + "".join(
                    rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24)
                )
                calls.append(PlannedCall(call_id, name, arguments))
            reply = textgen.Reply([], "tool_calls")
        elif (tool_result := last_tool_result(messages)) is not None:
            results = turn_results(messages)
            if len(results) > 1:
                text = results_text(results)
            else:
                text = textgen.tool_result_text(*tool_result, seed=seed, model=model.id)
            reply = textgen.make_reply(text, call.max_tokens, self.config.burst_min_tokens)
        else:
            text = textgen.compose_text(kind, prompt, seed=seed, model=model.id, history=history)
            reply = textgen.make_reply(text, call.max_tokens, self.config.burst_min_tokens)
        if calls:
            completion_tokens = sum(
                textgen.count_tokens(c.name) + textgen.count_tokens(c.arguments) + 3 for c in calls
            )
        else:
            completion_tokens = len(reply.tokens)
        return Completion(
            id="chatcmpl-" + uuid.uuid4().hex[:24],
            created=int(time.time()),
            model=model,
            tokens=reply.tokens,
            finish_reason=reply.finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            tool_calls=calls,
        )

    async def _stream(
        self,
        request: web.Request,
        call: ChatCall,
        plan: FaultPlan,
        completion: Completion,
        request_id: str,
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
                "x-request-id": request_id,
            },
        )
        self._open_streams += 1
        self._counts["streams_started"] += 1
        finished = False
        try:
            await response.prepare(request)
            segments = stream_segments(
                completion,
                plan,
                include_usage=call.include_usage is not False,
                token_delay=self.config.token_delay,
            )
            buffer = bytearray()
            fragment = plan.fragment
            for segment in segments:
                if isinstance(segment, bytes):
                    if fragment:
                        for i in range(0, len(segment), fragment):
                            await response.write(segment[i : i + fragment])
                            await asyncio.sleep(0)
                        continue
                    buffer += segment
                    if len(buffer) >= _WRITE_BATCH:
                        await response.write(bytes(buffer))
                        buffer.clear()
                    continue
                if buffer:
                    await response.write(bytes(buffer))
                    buffer.clear()
                if isinstance(segment, Sleep):
                    await asyncio.sleep(segment.seconds)
                elif isinstance(segment, Drop):
                    await self._abort(request)
                    return response
            if buffer:
                await response.write(bytes(buffer))
            await response.write_eof()
            finished = True
            return response
        except ConnectionError:
            # The client went away mid-stream: nothing to report.
            return response
        finally:
            self._open_streams -= 1
            self._counts["streams_completed" if finished else "streams_broken"] += 1


# --- running in a thread or in the foreground ------------------------------------------------


class EmulatorThread:
    """An EmulatorServer on its own asyncio loop in a daemon thread (demo mode, GUI tests)."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.server = EmulatorServer(config)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> str:
        """Start listening; blocks until the server accepts connections; returns the base URL."""
        if self._thread is not None:
            raise RuntimeError("the emulator thread was already started")
        self._thread = threading.Thread(
            target=self._run, args=(host, port), name="routechat-emulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the emulator did not start within {timeout} s")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error
        return self.server.base_url

    def _run(self, host: str, port: int) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(host, port))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _main(self, host: str, port: int) -> None:
        self._stop_event = asyncio.Event()
        try:
            await self.server.start(host, port)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await self.server.stop()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and join the thread (idempotent)."""
        thread, loop, event = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and event is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the emulator thread did not stop within {timeout} s")

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def queue_faults(self, *specs: str) -> None:
        self.server.queue_faults(*specs)

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_forever(
    host: str, port: int, config: EmulatorConfig, announce: Callable[[str], None]
) -> int:
    """Serve in the foreground until SIGINT/SIGTERM (for `routechat emulator`).

    Returns 0 after a clean stop, 1 when it cannot listen, 2 for an invalid fault spec (both
    with a one-line message on stderr).
    """
    try:
        server = EmulatorServer(config)
    except FaultSpecError as exc:
        sys.stderr.write(f"routechat emulator: invalid fault spec: {exc}\n")
        return 2

    async def serve() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # Windows or not the main thread: Ctrl+C raises KeyboardInterrupt instead
        try:
            try:
                base_url = await server.start(host, port)
            except OSError as exc:
                sys.stderr.write(f"routechat emulator: cannot listen on {host}:{port}: {exc}\n")
                return 1
            announce(base_url)
            await stop.wait()
            return 0
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await server.stop()

    try:
        return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
