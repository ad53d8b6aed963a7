"""Pure parts of the API layer: base URLs, loopback, error bodies, Retry-After, usage, cost."""

from __future__ import annotations

import email.utils
import subprocess
import sys
import time

import pytest

from desktop_app.api.client import (
    DEFAULT_BASE_URL,
    ClientConfig,
    Timeouts,
    is_loopback_host,
    normalize_base_url,
)
from desktop_app.api.cost import CATALOGUE, PRICE_TABLE, estimate_cost, parse_cost, resolve_cost
from desktop_app.api.decode import (
    DecodeError,
    TurnDecoder,
    error_from_response,
    extract_error_message,
    parse_retry_after,
    parse_usage,
)
from desktop_app.api.errors import ErrorKind
from desktop_app.api.events import CostSource, RoutedModel, TextDelta, Usage

# ----------------------------------------------------------------------------- base URL


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://api.edenai.run/v3", "https://api.edenai.run/v3"),
        ("https://api.edenai.run/v3/", "https://api.edenai.run/v3"),
        ("  https://api.edenai.run/v3//  ", "https://api.edenai.run/v3"),
        ("https://api.edenai.run/v3/llm", "https://api.edenai.run/v3/llm"),
        ("https://api.edenai.run/v3/llm/", "https://api.edenai.run/v3/llm"),
        ("https://api.eu.edenai.run/v3", "https://api.eu.edenai.run/v3"),
        ("https://api.edenai.run/v3/chat/completions", "https://api.edenai.run/v3"),
        ("https://api.edenai.run/v3/llm/chat/completions/", "https://api.edenai.run/v3/llm"),
        ("https://api.edenai.run/v3/models", "https://api.edenai.run/v3"),
        ("http://127.0.0.1:8765/v3", "http://127.0.0.1:8765/v3"),
        ("http://[::1]:8765/v3/", "http://[::1]:8765/v3"),
    ],
)
def test_normalize_base_url(raw: str, expected: str) -> None:
    assert normalize_base_url(raw) == expected
    assert normalize_base_url(normalize_base_url(raw)) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "api.edenai.run/v3", "ftp://api.edenai.run/v3", "https://", "https://x/?a=1"]
)
def test_normalize_base_url_rejects_with_a_sentence(raw: str) -> None:
    with pytest.raises(ValueError, match=r"server address.*\.$"):
        normalize_base_url(raw)


def test_defaults() -> None:
    config = ClientConfig()
    assert config.base_url == DEFAULT_BASE_URL == "https://api.edenai.run/v3"
    assert config.timeouts == Timeouts(connect=10.0, first_byte=30.0, idle=30.0, total=600.0)
    assert config.user_agent.startswith("RouteChat/")


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_timeouts_are_finite_and_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="positive finite"):
        Timeouts(idle=bad)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("::2", False),
        ("localhost.example.com", False),
        ("api.edenai.run", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# ----------------------------------------------------------------------------- error bodies


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (b'{"detail":"Invalid token"}', "Invalid token", None),
        (
            b'{"detail":[{"loc":["body","fallbacks"],"msg":"too many","type":"too_long"},'
            b'{"loc":["body","router_candidates",3],"msg":"unknown model","type":"value_error"}]}',
            "fallbacks: too many; router_candidates.3: unknown model",
            "too_long",
        ),
        (b'{"error":"Insufficient credits"}', "Insufficient credits", None),
        (
            b'{"error":{"message":"Model not found","type":"invalid_request_error",'
            b'"code":"invalid_parameter"}}',
            "Model not found",
            "invalid_parameter",
        ),
        (b'{"error":{"message":"x","type":"rate_limit_error"}}', "x", "rate_limit_error"),
        (b'{"message":"Internal error","code":500}', "Internal error", "500"),
        (b'data: {"error": {"message": "in SSE"}}\n\n', "in SSE", None),
        (b"<html><title>503 Service Unavailable</title></html>", "503 Service Unavailable", None),
        (b"<html><body>no title</body></html>", None, None),
        (b"", None, None),
        (b"\xff\xfe garbage", None, None),
        (b"[1,2,3]", None, None),
        (b'{"detail": 5}', None, None),
    ],
)
def test_extract_error_message(body: bytes, message: str | None, code: str | None) -> None:
    assert extract_error_message(body) == (message, code)


def test_error_messages_are_sentences_without_markup() -> None:
    error = error_from_response(401, {}, b'{"detail":"Invalid token"}')
    assert error.message == "The server did not accept the API key: Invalid token."
    assert error.kind is ErrorKind.AUTH
    assert str(error) == error.message
    error = error_from_response(402, {}, b"")
    assert error.message == "The account has no credits left."
    error = error_from_response(502, {}, b"<h1>Bad gateway</h1>" * 1000)
    assert error.message == "The server had a problem (HTTP 502)."
    long = error_from_response(400, {}, b'{"detail":"' + b"x" * 5000 + b'"}')
    assert len(long.message) < 400


def test_error_message_redacts_the_key() -> None:
    error = error_from_response(
        400, {}, b'{"error":"bad key sk-secret-1 here"}', secret="sk-secret-1"
    )
    assert "sk-secret-1" not in error.message
    assert "[redacted]" in error.message


# ----------------------------------------------------------------------------- Retry-After


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7.0
    assert parse_retry_after({"retry-after": " 1.5 "}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "-3"}) is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=now) == pytest.approx(30, abs=1)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=now) == 0.0


def test_retry_after_only_for_429_and_503() -> None:
    assert error_from_response(429, {"retry-after": "3"}, b"").retry_after == 3.0
    assert error_from_response(503, {"retry-after": "4"}, b"").retry_after == 4.0
    assert error_from_response(400, {"retry-after": "4"}, b"").retry_after is None


# ----------------------------------------------------------------------------- usage and cost


def test_parse_usage_variants() -> None:
    assert parse_usage(
        {
            "prompt_tokens": 9,
            "completion_tokens": 1,
            "total_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 4},
        }
    ) == Usage(9, 1, 10, 4)
    assert parse_usage({"input_tokens": 3, "output_tokens": 2}) == Usage(3, 2, 5)
    assert parse_usage({"prompt_tokens": 3}) == Usage(prompt_tokens=3)
    assert parse_usage({"prompt_tokens": "3", "completion_tokens": True}) is None
    assert parse_usage(None) is None
    assert parse_usage({}) is None
    assert parse_usage([1]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0042, 0.0042),
        (1, 1.0),
        ("0.5", 0.5),
        (0, 0.0),
        (-1, None),
        (True, None),
        (None, None),
        ("free", None),
        (float("inf"), None),
        ({"usd": 1}, None),
    ],
)
def test_parse_cost(value: object, expected: float | None) -> None:
    assert parse_cost(value) == expected


def test_cost_source_order() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=1000)
    unknown = (None, CostSource.UNKNOWN, None)
    assert resolve_cost(0.1, 0.2, "openai/gpt-4o", usage) == (0.1, CostSource.REPORTED, None)
    assert resolve_cost(None, 0.2, "openai/gpt-4o", usage) == (0.2, CostSource.REPORTED, None)
    usd, source, basis = resolve_cost(None, None, "openai/gpt-4o", usage)
    assert (source, basis) == (CostSource.ESTIMATED, PRICE_TABLE)
    assert usd == pytest.approx(1000 * 2.5e-6 + 1000 * 10e-6)
    assert resolve_cost(None, None, "openai/gpt-4o", None) == unknown
    assert resolve_cost(None, None, None, usage) == unknown
    assert resolve_cost(None, None, "edenai/unknown-9", usage) == unknown
    assert resolve_cost(0.0, None, "openai/gpt-4o", usage) == (0.0, CostSource.REPORTED, None)


def test_the_model_lists_prices_come_before_the_offline_table() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500)
    listed = {"openai/gpt-4o": (2e-6, 8e-6), "acme/new-model": (1e-6, 1e-6)}
    usd, source, basis = resolve_cost(None, None, "openai/gpt-4o", usage, listed.get)
    assert (source, basis) == (CostSource.ESTIMATED, CATALOGUE)
    assert usd == pytest.approx(1000 * 2e-6 + 500 * 8e-6)  # not the table's 2.5/10
    # A model the offline table does not know, priced by the list:
    assert resolve_cost(None, None, "acme/new-model", usage, listed.get)[0] == pytest.approx(1.5e-3)
    # Not in the list: the table, and it says so.
    assert resolve_cost(None, None, "openai/gpt-4o-mini", usage, listed.get)[2] == PRICE_TABLE


@pytest.mark.parametrize(
    ("model", "per_million"),
    [
        ("openai/gpt-4o", (2.50, 10.00)),
        ("openai/gpt-4o-mini", (0.15, 0.60)),
        ("anthropic/claude-sonnet-4-5", (3.00, 15.00)),
        ("anthropic/claude-opus-4-5", (5.00, 25.00)),
        ("anthropic/claude-haiku-4-5", (1.00, 5.00)),
        ("google/gemini-2.0-flash", (0.10, 0.40)),
        ("google/gemini-2.5-pro", (1.25, 10.00)),
    ],
)
def test_estimates_match_the_reference_list_prices(
    model: str, per_million: tuple[float, float]
) -> None:
    usage = Usage(prompt_tokens=100_000, completion_tokens=10_000)
    expected = (100_000 * per_million[0] + 10_000 * per_million[1]) / 1e6
    assert estimate_cost(model, usage) == pytest.approx(expected)


def test_estimate_counts_cached_tokens_cheaper() -> None:
    full = estimate_cost("openai/gpt-4o", Usage(prompt_tokens=1000, completion_tokens=0))
    cached = estimate_cost(
        "openai/gpt-4o", Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=1000)
    )
    assert full is not None
    assert cached is not None
    assert cached < full


def test_estimate_edge_cases() -> None:
    assert estimate_cost("openai/gpt-4o:cost", Usage(1000, 1000)) == pytest.approx(0.0125)
    assert estimate_cost("gpt-4o", Usage(1000, 1000)) == pytest.approx(0.0125)
    assert estimate_cost("openai/", Usage(1, 1)) is None
    assert estimate_cost("openai/gpt-4o", Usage()) is None


def test_price_table_is_imported_lazily() -> None:
    code = (
        "import sys, desktop_app.api.client, desktop_app.api.cost;"
        "print('genai_prices' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- decoder


def test_decoder_direct() -> None:
    decoder = TurnDecoder()
    events = decoder.feed(
        {"model": "x-1", "provider": "mistral", "choices": [{"delta": {"content": "hi"}}]}
    )
    assert events == [RoutedModel("mistral/x-1"), TextDelta("hi")]
    assert decoder.feed({"choices": []}) == []
    assert decoder.feed({"choices": [{"delta": {}, "finish_reason": "stop"}]}) == []
    assert decoder.complete
    result = decoder.result(None)
    assert result.text == "hi"
    assert result.finish_reason == "stop"
    with pytest.raises(DecodeError):
        decoder.feed([])


def test_decoder_picks_choice_zero() -> None:
    decoder = TurnDecoder()
    events = decoder.feed(
        {
            "choices": [
                {"index": 1, "delta": {"content": "other"}},
                {"index": 0, "delta": {"content": "mine"}},
            ]
        }
    )
    assert events == [TextDelta("mine")]
