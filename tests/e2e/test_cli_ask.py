"""`routechat ask --json` against `routechat emulator`, each in its own process, over loopback."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli
from desktop_app.routing.tiers import PRESETS
from tests.e2e.conftest import EmulatorProcess, run_cli

FIELDS = {
    "text", "model", "tier", "candidates", "cost_usd", "cost_source", "prompt_tokens",
    "completion_tokens", "ttft_ms", "total_ms", "finish_reason", "error", "routing",
}  # fmt: skip


def ask(emu: EmulatorProcess, home: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli(["ask", "--json", "--base-url", emu.base_url, *args], home)
    last = done.stdout.strip().splitlines()[-1]
    summary = json.loads(last)
    assert set(summary) == FIELDS
    return done.returncode, summary, done.stderr


def test_a_normal_turn(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    code, s, _ = ask(emulator_proc, tmp_path, "Write a python function to merge two sorted lists")
    assert code == cli.EXIT_OK
    assert s["error"] is None
    assert s["tier"] == "balanced"
    assert s["model"] == "anthropic/claude-sonnet-4-5"  # code goes to the strongest coder
    assert "```python" in s["text"]
    assert s["cost_source"] == "reported"
    assert s["cost_usd"] > 0
    assert s["prompt_tokens"] > 0
    assert s["completion_tokens"] > 0
    assert 0 < s["ttft_ms"] <= s["total_ms"]
    assert s["finish_reason"] == "stop"
    assert s["routing"] == {
        "selection": "ranked",
        "chosen": "anthropic/claude-sonnet-4-5",
        "dropped": [],
        "attempt": 1,
    }
    sent = emulator_proc.last_request()
    assert sent["_headers"]["x-edenai-metadata"] == "enabled"
    assert sent["_headers"]["x-edenai-tags"] == "app=routechat,tier=balanced"


def test_streams_text_and_summary_without_json(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    done = run_cli(["ask", "--base-url", emulator_proc.base_url, "What is 2 + 2?"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip()
    assert "[routed to " in done.stderr
    assert "first token" in done.stderr


@pytest.mark.parametrize("tier", [t for t in PRESETS], ids=lambda t: t.id)
def test_each_tier_routes_within_its_pool(
    emulator_proc: EmulatorProcess, tmp_path: Path, tier: Any
) -> None:
    code, s, _ = ask(emulator_proc, tmp_path, "--tier", tier.id, "Tell me about tides")
    assert code == 0
    assert s["tier"] == tier.id
    if tier.candidates:
        assert s["candidates"] == list(tier.candidates)
        assert s["model"] in tier.candidates
    else:
        assert s["candidates"] is None
        assert s["model"]
    body = emulator_proc.last_request()
    assert body["model"] == "@edenai"
    assert body.get("router_candidates") == (list(tier.candidates) if tier.candidates else None)
    assert body["stream"] is True


def test_fixed_model(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    code, s, _ = ask(emulator_proc, tmp_path, "--model", "google/gemini-2.5-pro", "Hello there")
    assert code == 0
    assert s["model"] == "google/gemini-2.5-pro"
    assert s["tier"] is None
    # The request named its model: the server sends `auto: null`, so nothing was chosen.
    assert s["routing"] == {"selection": None, "chosen": None, "dropped": [], "attempt": 1}


def test_candidates_the_router_cannot_rank_are_reported(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    pool = "openai/gpt-4o,acme/not-a-model,openai/gpt-4o-mini"
    code, s, _ = ask(emulator_proc, tmp_path, "--candidates", pool, "Hello there")
    assert code == 0
    assert s["routing"]["dropped"] == ["acme/not-a-model"]
    assert s["routing"]["chosen"] in ("openai/gpt-4o", "openai/gpt-4o-mini")


def test_rate_limited_reports_retry_after(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    # A Retry-After longer than the retry budget (30 s): no retry, the wait is reported.
    emulator_proc.queue_faults("status:429:retry=45")
    code, s, err = ask(emulator_proc, tmp_path, "Hello")
    assert code == cli.EXIT_RATE_LIMITED
    assert s["error"]["kind"] == "rate_limited"
    assert s["error"]["status"] == 429
    assert "Retry after 45 s" in s["error"]["message"]
    assert "Retry after 45 s" in err
    assert s["text"] == ""
    assert emulator_proc.stats()["chat_requests"] == 1


def test_the_command_line_retries_like_the_window(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    """The CLI runs turns through the same service: a 429 is retried after its Retry-After,
    and the turn's total time covers the wait."""
    emulator_proc.queue_faults("status:429:retry=1")
    code, s, _err = ask(emulator_proc, tmp_path, "Hello")
    assert code == cli.EXIT_OK
    assert s["error"] is None and s["text"]
    assert emulator_proc.stats()["chat_requests"] == 2
    assert s["total_ms"] >= 1000 and s["ttft_ms"] >= 1000  # from the send, across the wait


def test_dropped_stream_keeps_partial_text(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    emulator_proc.queue_faults("drop:5")
    code, s, err = ask(emulator_proc, tmp_path, "Explain how tides work in detail")
    assert code == cli.EXIT_INTERRUPTED
    assert s["error"]["kind"] == "interrupted"
    assert s["text"]  # what arrived before the drop is handed on
    assert s["finish_reason"] is None
    assert "routechat:" in err


def test_no_key_means_no_request(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    done = run_cli(["ask", "--json", "--base-url", emulator_proc.base_url, "Hi"], tmp_path, None)
    assert done.returncode == cli.EXIT_AUTH
    s = json.loads(done.stdout.strip().splitlines()[-1])
    assert s["error"]["kind"] == "auth"
    assert emulator_proc.stats()["requests"] == 0


def test_unknown_tier_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli(["ask", "--tier", "nope", "Hi"], tmp_path)
    assert done.returncode == cli.EXIT_USAGE
    assert "unknown tier" in done.stderr


MODEL_KEYS = {"id", "input_per_mtok", "output_per_mtok", "context_length", "supports_tools"}


def models_json(home: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = run_cli(["models", "--json", *args], home, env=env)
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(body) == {"fetched_at", "source", "models"}
    assert all(set(m) == MODEL_KEYS for m in body["models"])
    return body


def test_models_lists_prices_and_keeps_the_list_for_an_hour(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    url = ["--base-url", emulator_proc.base_url]
    first = models_json(tmp_path, *url)
    assert first["source"] == "server"
    datetime.fromisoformat(first["fetched_at"])  # ISO 8601
    rows = {r["id"]: r for r in first["models"]}
    assert rows["openai/gpt-4o"]["input_per_mtok"] == pytest.approx(2.5)
    assert rows["anthropic/claude-opus-4-5"]["output_per_mtok"] == pytest.approx(25.0)
    assert rows["perplexity/sonar"]["supports_tools"] is False
    assert rows["openai/gpt-4o"]["context_length"] == 128_000
    asked = emulator_proc.stats()["http_requests"]
    again = models_json(tmp_path, *url)  # within the hour: from the cache, no request
    assert again["source"] == "cache" and again["fetched_at"] == first["fetched_at"]
    assert again["models"] == first["models"]
    assert emulator_proc.stats()["http_requests"] == asked + 1  # this stats call only
    assert models_json(tmp_path, "--refresh", *url)["source"] == "server"
    tools = models_json(tmp_path, "--tools", "--search", "gpt 4o", *url)["models"]
    assert [m["id"] for m in tools] == ["openai/gpt-4o", "openai/gpt-4o-mini"]


def test_models_offline_uses_the_cache_then_the_bundled_list(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    env = {"EDENAI_BASE_URL": emulator_proc.base_url}  # as for `ask`
    fetched = models_json(tmp_path, env=env)
    assert fetched["source"] == "server"
    emulator_proc.proc.terminate()
    emulator_proc.proc.wait(10)
    refused = run_cli(["models", "--json", "--refresh"], tmp_path, env=env)
    assert refused.returncode == cli.EXIT_NETWORK
    assert "could not be fetched" in refused.stderr
    kept = json.loads(refused.stdout.strip().splitlines()[-1])
    assert kept["source"] == "cache" and kept["models"] == fetched["models"]
    elsewhere = models_json(tmp_path / "new", "--base-url", "http://127.0.0.1:9/v3")
    assert elsewhere["source"] == "bundled"  # never fetched from there, and nothing answers
    assert any(m["id"] == "openai/gpt-4o" for m in elsewhere["models"])
