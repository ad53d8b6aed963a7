"""The Qt-free async client of Eden AI's v3 chat API: one long-lived `httpx.AsyncClient`.

`EdenClient.stream_chat` is an async generator of typed events (see `events.py`). Every API
problem (HTTP status, transport failure, timeout, broken stream, malformed chunk) becomes a
`Failed` event followed by the final `Completed`, never an exception; the consumer only ever
sees `asyncio.CancelledError` (its own cancellation).

Cancellation: cancelling the task that consumes `stream_chat` closes the HTTP stream (the
connection is dropped, so the server sees the disconnect) and re-raises `CancelledError`
out of the generator. A generator cannot yield after being cancelled without swallowing the
cancellation, so `stream_chat` yields no `Completed` in that case: the consumer knows what it
received. `complete()` does it for you: its `on_event` callback receives a final
`Completed` with status STOPPED (error kind CANCELLED) before `CancelledError` propagates.
Consume `stream_chat` from one task, and close it when leaving early
(`async with contextlib.aclosing(client.stream_chat(r)) as events:`), or rely on asyncio's
async-generator hooks (installed by asyncio; qasync needs them installed by hand).

Timeouts (all finite): `connect` is httpx's; `first_byte` runs from the request being sent to
the first SSE event (keep-alive comments do not count), `idle` between events, `total` over
the whole turn. One lazy watchdog timer per turn enforces them (re-armed only when it fires);
the stream loop pays one clock read per network read. A timeout becomes a TIMEOUT error with
its `timeout_phase`; time the consumer spends holding an event never counts as idle.

The SSE body is parsed a whole network read at a time (`sse.SSEParser`), chunks are decoded by
`decode.TurnDecoder`; after `[DONE]` the end of the body is read (briefly) so the connection
goes back to the pool instead of being dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import encodings.idna  # noqa: F401  (DNS needs it: loaded here, not in the resolver's thread)
import ipaddress
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable
from types import TracebackType
from typing import Any, Final, Protocol

import httpx

from desktop_app.api.config import DEFAULT_BASE_URL, ClientConfig, Timeouts, normalize_base_url
from desktop_app.api.cost import Prices, resolve_cost
from desktop_app.api.decode import DecodeError, TurnDecoder, error_from_response
from desktop_app.api.errors import ApiError, ErrorKind, TimeoutPhase
from desktop_app.api.events import (
    Completed,
    CostReport,
    CostSource,
    Failed,
    Finished,
    StreamEvent,
    TextDelta,
    TurnResult,
    UsageReport,
)
from desktop_app.api.models import ModelInfo, parse_model_list
from desktop_app.api.request import SMART_ROUTER, ChatRequest
from desktop_app.api.sse import SSEParser
from desktop_app.logs import redact

__all__ = [
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "EdenClient",
    "ModelInfo",
    "Timeouts",
    "is_loopback_host",
    "normalize_base_url",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


CallLater = Callable[[float, Callable[[], None]], Cancellable]

_ERROR_BODY_CAP: Final = 64 * 1024
_JSON_BODY_CAP: Final = 32 * 1024 * 1024
_DRAIN_GRACE: Final = 0.5  # after [DONE], wait this long for the end of the body (keep-alive)
_RECHECK: Final = 0.05  # the watchdog's poll while the consumer holds an event


def is_loopback_host(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 and ::1 (also IPv4-mapped): where plain http is acceptable."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class _Watchdog:
    """Enforces first-byte, idle and total timeouts for one turn with one lazy timer.

    The stream loop stores the time of the last event in `last` and clears `active` while the
    consumer holds an event (a timeout must never cancel the consumer's own awaits). The timer
    only fires at the earliest possible deadline and re-arms itself if activity happened.
    When a deadline passes it records the phase in `expired` and cancels the task, like
    `asyncio.timeout` does; the stream loop turns that `CancelledError` back into an error.
    """

    __slots__ = (
        "active",
        "call_later",
        "clock",
        "decoder",
        "draining",
        "expired",
        "fired",
        "handle",
        "last",
        "sent",
        "task",
        "timeouts",
        "total_deadline",
    )

    def __init__(
        self,
        timeouts: Timeouts,
        decoder: TurnDecoder,
        task: asyncio.Task[Any],
        clock: Clock,
        call_later: CallLater,
    ) -> None:
        self.timeouts = timeouts
        self.decoder = decoder
        self.task = task
        self.clock = clock
        self.call_later = call_later
        now = clock()
        self.last = now
        self.total_deadline = now + timeouts.total
        self.active = True
        self.sent = False
        self.draining = False
        self.expired: TimeoutPhase | None = None  # None with `fired`: the drain grace ran out
        self.fired = False
        self.handle: Cancellable | None = None
        self._schedule(now)

    def _limit(self) -> tuple[float, TimeoutPhase | None]:
        t = self.timeouts
        if self.draining:
            return min(_DRAIN_GRACE, t.idle), None
        if self.decoder.first_chunk_at is not None:
            return t.idle, TimeoutPhase.IDLE
        if self.sent:
            return t.first_byte, TimeoutPhase.FIRST_BYTE
        return t.connect + t.first_byte, TimeoutPhase.FIRST_BYTE

    def _arm(self, when: float) -> None:
        self.handle = self.call_later(max(0.0, when - self.clock()), self._fire)

    def _schedule(self, now: float) -> None:
        """Arm the timer for the earliest moment a deadline could pass."""
        limit, _ = self._limit()
        base = self.last if self.active else now
        when = min(self.total_deadline, base + limit)
        if self.decoder.first_chunk_at is None and not self.draining:
            # The first event switches the limit to `idle`, which may be shorter.
            when = min(when, now + self.timeouts.idle)
        self._arm(when)

    def _rearm(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
        if not self.fired:
            self._schedule(self.clock())

    def _fire(self) -> None:
        self.handle = None
        now = self.clock()
        limit, phase = self._limit()
        if now >= self.total_deadline and not self.draining:
            phase = TimeoutPhase.TOTAL
        elif not (self.active and now - self.last >= limit):
            self._schedule(now)
            return
        if not self.active:  # total passed while the consumer holds an event: wait for it
            self._arm(now + _RECHECK)
            return
        self.expired = phase
        self.fired = True
        self.task.cancel()

    async def trace(self, name: str, info: dict[str, Any]) -> None:
        """httpcore's `trace` extension: the first-byte clock starts once the request is sent."""
        if name.endswith("send_request_body.complete"):
            self.sent = True
            self.last = self.clock()
            self._rearm()

    def drain(self) -> None:
        self.draining = True
        self.last = self.clock()
        self._rearm()

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


_AUTH_MISSING = "No API key is set"


class EdenClient:
    """Client of one Eden-compatible server; create once, close with `aclose()`."""

    def __init__(
        self,
        config: ClientConfig,
        api_key: str | Callable[[], str | None] | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
        call_later: CallLater | None = None,
        prices: Prices | None = None,
    ) -> None:
        """`clock` times turns and timeouts; `call_later(delay, callback)` arms the timeout
        watchdog (default: the running loop's). Tests pass fake ones to drive time.
        `prices(model)` gives the model list's USD per input and output token, for estimating
        a cost the server did not report."""
        self._config = config
        self._prices = prices
        self._clock = clock
        self._call_later = call_later
        self._api_key = api_key
        self._url_error: str | None = None
        try:
            self._base_url = normalize_base_url(config.base_url)
        except ValueError as exc:  # reported by every request instead of crashing the app
            self._base_url = config.base_url
            self._url_error = str(exc)
        t = config.timeouts
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=t.connect,
                # A backstop only: the watchdog enforces first-byte and idle precisely.
                read=max(t.first_byte, t.idle) + 1.0,
                write=max(t.connect, t.first_byte),
                pool=t.connect,
            ),
            limits=httpx.Limits(
                max_connections=16, max_keepalive_connections=8, keepalive_expiry=60.0
            ),
            headers={"User-Agent": config.user_agent},
            transport=transport,
            follow_redirects=False,  # never carry the key to wherever a redirect points
            verify=True,
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def config(self) -> ClientConfig:
        return self._config

    async def __aenter__(self) -> EdenClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ helpers

    def _key(self) -> str | None:
        """The API key now (a callable is asked on every request). Raises ApiError AUTH."""
        source = self._api_key
        if callable(source):
            try:
                key = source()
            except Exception as exc:
                log.warning("reading the API key failed: %s", type(exc).__name__)
                raise ApiError(ErrorKind.AUTH, "The API key could not be read.") from None
        else:
            key = source
        if key is None:
            return None
        if not isinstance(key, str):
            raise ApiError(ErrorKind.AUTH, "The API key is not text.")
        key = key.strip()
        if not key:
            return None
        if not (key.isascii() and key.isprintable()) or " " in key:
            # Never let httpx/h11 quote an invalid header value (it would contain the key).
            raise ApiError(ErrorKind.AUTH, "The API key contains characters that are not allowed.")
        return key

    def _check_url(self, with_key: bool) -> httpx.URL:
        if self._url_error is not None:
            raise ApiError(ErrorKind.CONNECT, self._url_error)
        url = httpx.URL(self._base_url)
        if with_key and url.scheme == "http" and not is_loopback_host(url.host):
            raise ApiError(
                ErrorKind.BAD_REQUEST,
                f"Refusing to send the API key unencrypted to {url.host}: the server address "
                "must start with https:// (plain http:// is only allowed for this computer).",
                code="insecure_url",
            )
        return url

    def _transport_error(
        self, exc: httpx.HTTPError, decoder: TurnDecoder, in_body: bool, host: str
    ) -> ApiError:
        t = self._config.timeouts
        reason = _reason(exc, decoder.secret)
        if isinstance(exc, httpx.ConnectTimeout):
            return ApiError(
                ErrorKind.TIMEOUT,
                f"Could not connect to {host} within {t.connect:g} s.",
                timeout_phase=TimeoutPhase.CONNECT,
            )
        if isinstance(exc, httpx.PoolTimeout):
            return ApiError(
                ErrorKind.TIMEOUT,
                f"No free connection to {host} within {t.connect:g} s.",
                timeout_phase=TimeoutPhase.CONNECT,
            )
        if isinstance(exc, httpx.WriteTimeout):
            return ApiError(
                ErrorKind.TIMEOUT,
                f"Sending the request to {host} timed out.",
                timeout_phase=TimeoutPhase.CONNECT,
            )
        if isinstance(exc, httpx.TimeoutException):  # ReadTimeout: the backstop fired first
            phase = TimeoutPhase.IDLE if decoder.first_chunk_at else TimeoutPhase.FIRST_BYTE
            return self._timeout_error(phase)
        if isinstance(exc, httpx.ConnectError):
            return ApiError(ErrorKind.CONNECT, f"Could not connect to {host}: {reason}.")
        if isinstance(exc, httpx.DecodingError):
            return ApiError(ErrorKind.PROTOCOL, "The server's response could not be decoded.")
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return ApiError(ErrorKind.CONNECT, f"The server address is not usable: {reason}.")
        if in_body:
            return ApiError(
                ErrorKind.INTERRUPTED,
                "The connection was lost before the reply was complete.",
            )
        return ApiError(
            ErrorKind.CONNECT, f"The connection to {host} failed before an answer: {reason}."
        )

    def _timeout_error(self, phase: TimeoutPhase) -> ApiError:
        t = self._config.timeouts
        if phase is TimeoutPhase.FIRST_BYTE:
            message = f"The server did not start answering within {t.first_byte:g} s."
        elif phase is TimeoutPhase.IDLE:
            message = f"The reply stalled: nothing arrived for {t.idle:g} s."
        elif phase is TimeoutPhase.TOTAL:
            message = f"The reply took longer than the {t.total:g} s limit."
        else:
            message = f"Could not connect within {t.connect:g} s."
        return ApiError(ErrorKind.TIMEOUT, message, timeout_phase=phase)

    # ------------------------------------------------------------------ chat

    def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Stream one turn as events; `Completed` is always last (see the module doc).

        An async generator (so an `AsyncIterator[StreamEvent]` with `aclose()`).
        """
        return self._stream(request, TurnDecoder(clock=self._clock))

    async def complete(
        self,
        request: ChatRequest,
        on_event: Callable[[StreamEvent], None] | None = None,
    ) -> TurnResult:
        """Run one turn to its end, passing every event to `on_event`; return the result.

        On cancellation `on_event` receives a `Completed` with status STOPPED (partial text
        kept), the stream is closed, and `CancelledError` propagates.
        """
        decoder = TurnDecoder(clock=self._clock)
        events = self._stream(request, decoder)
        result: TurnResult | None = None
        try:
            async for event in events:
                if type(event) is Completed:
                    result = event.result
                if on_event is not None:
                    on_event(event)
        except asyncio.CancelledError:
            if result is None:
                stopped = decoder.result(ApiError(ErrorKind.CANCELLED, "The reply was stopped."))
                if on_event is not None:
                    on_event(Completed(stopped))
            raise
        finally:
            await events.aclose()
        if result is None:  # unreachable: the stream always ends with Completed
            result = decoder.result(ApiError(ErrorKind.PROTOCOL, "The reply ended unexpectedly."))
        return result

    async def _stream(
        self, request: ChatRequest, decoder: TurnDecoder
    ) -> AsyncGenerator[StreamEvent, None]:
        decoder.started = self._clock()
        error: ApiError | None = None
        streamed = False
        try:
            key = self._key()
            if key is None:
                raise ApiError(ErrorKind.AUTH, _AUTH_MISSING + ".")
            decoder.secret = key
            base = self._check_url(with_key=True)
            body = json.dumps(
                request.to_payload(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
            ).encode()
        except ApiError as exc:
            error = exc
        except (TypeError, ValueError) as exc:
            error = ApiError(
                ErrorKind.BAD_REQUEST, f"The request could not be encoded: {type(exc).__name__}."
            )

        if error is None:
            url = self._base_url + "/chat/completions"
            host = base.host
            headers = {
                "Authorization": f"Bearer {key}",
                "Accept": "text/event-stream",
                "Accept-Encoding": "identity",
                "Cache-Control": "no-store",
                "Content-Type": "application/json",
                **request.headers(),
            }
            task = asyncio.current_task()
            assert task is not None, "stream_chat must be consumed inside an asyncio task"
            cancelling = task.cancelling()
            call_later = self._call_later or asyncio.get_running_loop().call_later
            watchdog = _Watchdog(self._config.timeouts, decoder, task, self._clock, call_later)
            in_body = False
            log.debug("POST %s model=%s", url, request.model)
            try:
                async with self._http.stream(
                    "POST", url, content=body, headers=headers, extensions={"trace": watchdog.trace}
                ) as response:
                    in_body = True
                    status = response.status_code
                    mime = response.headers.get("content-type", "").partition(";")[0]
                    mime = mime.strip().lower()
                    if status != 200:
                        try:
                            raw = await _read_body(response, watchdog, _ERROR_BODY_CAP)
                        except httpx.HTTPError:
                            raw = b""  # the status alone still says what went wrong
                        error = error_from_response(
                            status, response.headers, raw, path=url, secret=key
                        )
                    elif mime == "text/event-stream":
                        streamed = True
                        mono = self._clock
                        feed_frame = decoder.feed_frame
                        batches = _frame_batches(response)
                        async with contextlib.aclosing(batches):
                            # Hot loop: one iteration per network read, not per line or event.
                            async for frames in batches:
                                watchdog.active = False
                                # Text of one network read goes out as one delta: consumers
                                # (UI, store) then pay per read, not per token.
                                text: list[str] = []
                                try:
                                    for event_type, data in frames:
                                        for item in feed_frame(event_type, data):
                                            if type(item) is TextDelta:
                                                text.append(item.text)
                                                continue
                                            if text:
                                                yield TextDelta("".join(text))
                                                text = []
                                            yield item
                                        if decoder.done or decoder.error is not None:
                                            break
                                except DecodeError:
                                    if text:  # what arrived before the bad chunk is handed on
                                        yield TextDelta("".join(text))
                                    raise
                                if text:
                                    yield TextDelta("".join(text))
                                watchdog.active = True
                                watchdog.last = mono()
                                if decoder.done or decoder.error is not None:
                                    break
                            error = decoder.error
                            if decoder.done and error is None:
                                # Read the end of the body so the connection can be reused;
                                # anything after [DONE] is ignored.
                                watchdog.drain()
                                async for _ in batches:
                                    pass
                    elif mime == "application/json" or mime.endswith("+json"):
                        raw = await _read_body(response, watchdog, _JSON_BODY_CAP)
                        try:
                            obj = json.loads(raw)
                        except ValueError:
                            raise DecodeError("the response is not valid JSON") from None
                        events = decoder.feed_completion(obj)
                        if decoder.error is not None:
                            error = decoder.error
                        else:
                            decoder.done = True
                        watchdog.active = False
                        for item in events:
                            yield item
                        watchdog.active = True
                    else:
                        error = ApiError(
                            ErrorKind.PROTOCOL,
                            "The server sent an unexpected kind of response "
                            f"({mime or 'no content type'}) instead of a chat reply.",
                        )
            except asyncio.CancelledError:
                if not watchdog.fired or task.uncancel() > cancelling:
                    raise  # the consumer's own cancellation (possibly besides ours)
                if watchdog.expired is not None and not decoder.complete:
                    error = self._timeout_error(watchdog.expired)
                else:  # the grace after [DONE] ran out, or a stall after the finish_reason
                    log.debug("stream stalled after the reply was complete; treated as done")
            except httpx.HTTPError as exc:
                if not (decoder.complete and in_body and streamed):
                    error = self._transport_error(exc, decoder, in_body, host)
            except DecodeError as exc:
                error = ApiError(
                    ErrorKind.PROTOCOL,
                    f"The server sent a reply that could not be read ({exc}).",
                )
            except Exception as exc:  # a bug here must still end the turn cleanly
                log.exception("unexpected failure while streaming")
                error = ApiError(
                    ErrorKind.PROTOCOL,
                    f"Unexpected failure while reading the reply ({type(exc).__name__}).",
                )
            finally:
                watchdog.stop()

            if error is None and streamed and not decoder.complete:
                error = ApiError(
                    ErrorKind.INTERRUPTED,
                    "The connection closed before the reply was complete.",
                )
        decoder.ended = self._clock()

        # The connection is closed (or back in the pool): the tail of the turn.
        result = decoder.result(error)
        tail: list[StreamEvent] = []
        if decoder.usage is not None:
            tail.append(UsageReport(decoder.usage))
        reported, usage_cost = decoder.reported_cost, decoder.usage_cost
        known = decoder.usage is not None or reported is not None or usage_cost is not None
        if error is None or known:
            model = decoder.model
            if model is None and request.model != SMART_ROUTER and request.model[:1] != "@":
                model = request.model
            # On this thread, not a worker: importing modules on a worker thread can crash
            # PySide6 (its import hook); the GUI preloads the table at idle time instead.
            usd, source, basis = resolve_cost(
                reported, usage_cost, model, decoder.usage, self._prices
            )
            result.cost_usd, result.cost_source, result.cost_basis = usd, source, basis
            tail.append(CostReport(usd, source, basis))
        else:
            result.cost_source = CostSource.UNKNOWN
        if decoder.finish_reason is not None:
            tail.append(Finished(decoder.finish_reason))
        if error is not None:
            log.info("chat turn failed: %s (%s)", error.kind.value, error.status)
            tail.append(Failed(error))
        tail.append(Completed(result))
        for item in tail:
            yield item

    # ------------------------------------------------------------------ models

    async def list_models(self) -> list[ModelInfo]:
        """`GET {base}/models` parsed (see `fetch_model_list`). Raises ApiError."""
        models = parse_model_list(await self.fetch_model_list())
        if models is None:
            raise ApiError(ErrorKind.PROTOCOL, "The server sent a model list that is not valid.")
        return models

    async def fetch_model_list(self) -> Any:
        """`GET {base}/models` as JSON (no key needed on /v3; sent when set and safe): what the
        catalogue caches. Raises ApiError, PROTOCOL for a body that is not JSON."""
        try:
            key = self._key()
        except ApiError:
            key = None
        base = self._check_url(with_key=False)
        send_key = key is not None and (base.scheme == "https" or is_loopback_host(base.host))
        response = await self._get(
            self._base_url + "/models",
            key if send_key else None,
            base.host,
            TimeoutPhase.TOTAL,
            secret=key,
        )
        try:
            return json.loads(response.content)
        except ValueError:
            raise ApiError(
                ErrorKind.PROTOCOL, "The server sent a model list that is not valid JSON."
            ) from None

    async def verify_key(self) -> None:
        """Check the key without spending anything: `GET /v3/upload` lists the caller's files.

        Raises ApiError (AUTH for a refused key) and returns None when the key works.
        """
        key = self._key()
        if not key:
            raise ApiError(ErrorKind.AUTH, "No API key was given.")
        base = self._check_url(with_key=True)
        url = self._base_url.removesuffix("/llm") + "/upload"
        await self._get(url, key, base.host, TimeoutPhase.FIRST_BYTE, secret=key)

    async def _get(
        self, url: str, key: str | None, host: str, phase: TimeoutPhase, *, secret: str | None
    ) -> httpx.Response:
        """A small JSON GET with the error typing of the chat path; non-200 raises ApiError."""
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        limit = (
            self._config.timeouts.total
            if phase is TimeoutPhase.TOTAL
            else (self._config.timeouts.first_byte)
        )
        try:
            async with asyncio.timeout(limit):
                response = await self._http.get(url, headers=headers)
        except TimeoutError:
            raise self._timeout_error(phase) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, TurnDecoder(secret=secret), False, host) from None
        if response.status_code != 200:
            raise error_from_response(
                response.status_code, response.headers, response.content, path=url, secret=secret
            )
        return response


async def _frame_batches(
    response: httpx.Response,
) -> AsyncGenerator[list[tuple[str, str]], None]:
    """The SSE events completed by each network read (httpx decodes UTF-8 incrementally)."""
    parser = SSEParser()
    feed = parser.feed
    async for text in response.aiter_text():
        frames = feed(text)
        if frames:
            yield frames
    frames = parser.flush()
    if frames:
        yield frames


def _reason(exc: BaseException, secret: str | None) -> str:
    text = redact(" ".join(str(exc).split()) or type(exc).__name__, secret)
    text = text.rstrip(".")
    return text[:200]


async def _read_body(response: httpx.Response, watchdog: _Watchdog, cap: int) -> bytes:
    """The body up to `cap` bytes; each received piece counts as activity for the watchdog."""
    parts: list[bytes] = []
    size = 0
    async for piece in response.aiter_bytes():
        watchdog.last = watchdog.clock()
        parts.append(piece)
        size += len(piece)
        if size >= cap:
            break
    return b"".join(parts)[:cap]
