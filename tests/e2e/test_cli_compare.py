"""`routechat compare` against `routechat emulator`, each in its own process, over loopback:
the exact JSON and CSV shapes, exit codes, and the concurrency bound (the emulator's own count
of requests in flight)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli
from desktop_app.routing.tiers import TierCatalogue
from tests.e2e.conftest import EmulatorProcess, run_cli

ROUND_KEYS = ["prompt", "columns", "cheapest", "fastest_first_token"]
COLUMN_KEYS = [
    "tier", "candidates", "model", "text", "cost_usd", "cost_source", "prompt_tokens",
    "completion_tokens", "ttft_ms", "total_ms", "finish_reason", "error",
]  # fmt: skip
TOTALS_KEYS = [
    "tier", "requests", "failures", "cost_usd", "unknown_costs", "ttft_p50_ms", "ttft_p95_ms",
    "total_p50_ms", "total_p95_ms", "models",
]  # fmt: skip
CSV_HEADER = (
    "prompt_index,prompt,column,tier,model,cost_usd,cost_source,prompt_tokens,"
    "completion_tokens,ttft_ms,total_ms,error_kind"
)
TIERS = TierCatalogue()


def compare(
    emu: EmulatorProcess, home: Path, *args: str, key: str | None = "sk-e2e-test-key-0001"
) -> tuple[int, dict[str, Any] | None, str, str]:
    """Run the command; the JSON object of the last stdout line (when --json)."""
    done = run_cli(["compare", "--base-url", emu.base_url, *args], home, key)
    lines = done.stdout.strip().splitlines()
    data = json.loads(lines[-1]) if "--json" in args and lines else None
    return done.returncode, data, done.stdout, done.stderr


def test_one_prompt_three_tiers_as_json(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    emulator_proc.queue_faults(*["stall_first:0.4"] * 3)  # each request is held a moment...
    code, data, stdout, _ = compare(
        emulator_proc, tmp_path, "--tiers", "budget,balanced,premium", "--json",
        "Write a python function to merge two sorted lists",
    )  # fmt: skip
    assert code == cli.EXIT_OK
    assert stdout.count("\n") == 1  # exactly one JSON object, the last line
    assert data is not None and list(data) == ROUND_KEYS
    assert data["prompt"] == "Write a python function to merge two sorted lists"
    columns = data["columns"]
    assert [c["tier"] for c in columns] == ["budget", "balanced", "premium"]
    for c in columns:
        assert list(c) == COLUMN_KEYS
        tier = TIERS.get(c["tier"])
        assert c["candidates"] == list(tier.candidates or ())
        assert c["model"] in (tier.candidates or ())
        assert "```python" in c["text"]
        assert c["cost_source"] == "reported" and c["cost_usd"] > 0
        assert c["prompt_tokens"] > 0 and c["completion_tokens"] > 0
        assert 0 < c["ttft_ms"] <= c["total_ms"]
        assert c["finish_reason"] == "stop" and c["error"] is None
    # Code goes to each pool's strongest coder: the columns differ in model and cost.
    assert [c["model"] for c in columns] == [
        "anthropic/claude-haiku-4-5",
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-opus-4-5",
    ]
    costs = {c["tier"]: c["cost_usd"] for c in columns}
    assert data["cheapest"] == min(costs, key=lambda t: costs[t]) == "budget"
    ttfts = {c["tier"]: c["ttft_ms"] for c in columns}
    assert data["fastest_first_token"] == min(ttfts, key=lambda t: ttfts[t])
    # ... so the three were in flight together: the columns go out concurrently.
    assert emulator_proc.stats()["peak_in_flight"] == 3


def test_fixed_model_and_custom_pool_columns(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    code, data, _, _ = compare(
        emulator_proc, tmp_path, "--model", "openai/gpt-4o", "--tiers", "auto",
        "--candidates", "openai/gpt-4o-mini,google/gemini-2.0-flash", "--max-tokens", "20",
        "--json", "Tell me about tides",
    )  # fmt: skip
    assert code == cli.EXIT_OK and data is not None
    tiers = [c["tier"] for c in data["columns"]]
    assert tiers == ["model:openai/gpt-4o", "auto", "custom"]  # in the order given
    fixed, auto, custom = data["columns"]
    assert fixed["model"] == "openai/gpt-4o" and fixed["candidates"] is None
    assert auto["candidates"] is None and auto["model"]
    assert custom["candidates"] == ["openai/gpt-4o-mini", "google/gemini-2.0-flash"]
    assert custom["model"] in custom["candidates"]
    assert all(c["completion_tokens"] <= 20 for c in data["columns"])
    assert data["cheapest"] in tiers and data["fastest_first_token"] in tiers


def test_streamed_lines_are_prefixed_by_column(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    code, _, stdout, stderr = compare(
        emulator_proc, tmp_path, "--tiers", "fast,premium", "Tell me about the history of tea"
    )
    assert code == cli.EXIT_OK
    lines = stdout.splitlines()
    assert lines and all(ln.startswith(("[fast]", "[premium]")) for ln in lines)
    assert {ln.split("]")[0] for ln in lines} == {"[fast", "[premium"}
    assert "[fast] routed to " in stderr and "[premium] routed to " in stderr
    assert "Cheapest: " in stderr and "Fastest first token: " in stderr


def test_one_failing_column_does_not_fail_the_command(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    code, data, _, _ = compare(
        emulator_proc, tmp_path, "--model", "nobody/no-such-model", "--tiers", "budget",
        "--json", "Hello",
    )  # fmt: skip
    assert code == cli.EXIT_OK and data is not None
    bad, good = data["columns"]
    assert bad["error"]["kind"] == "bad_request" and bad["error"]["status"] == 400
    assert bad["text"] == "" and bad["cost_usd"] is None and bad["cost_source"] == "unknown"
    assert good["error"] is None
    assert data["cheapest"] == "budget" and data["fastest_first_token"] == "budget"


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        (["status:402", "status:400"], cli.EXIT_CREDITS),
        (["status:400", "status:402"], cli.EXIT_REJECTED),
    ],
)
def test_when_every_column_fails_the_first_columns_error_decides(
    emulator_proc: EmulatorProcess, tmp_path: Path, faults: list[str], code: int
) -> None:
    emulator_proc.queue_faults(*faults)  # one request at a time: column 0 gets the first
    got, data, _, stderr = compare(
        emulator_proc, tmp_path, "--tiers", "budget,premium", "--concurrency", "1", "--json",
        "Hello",
    )  # fmt: skip
    assert got == code and data is not None
    assert [c["error"]["status"] for c in data["columns"]] == [int(f[-3:]) for f in faults]
    assert data["cheapest"] is None and data["fastest_first_token"] is None
    assert "routechat:" in stderr
    assert emulator_proc.stats()["peak_in_flight"] == 1


def test_no_key_means_no_request(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    code, data, _, _ = compare(
        emulator_proc, tmp_path, "--tiers", "budget,premium", "--json", "Hi", key=None
    )
    assert code == cli.EXIT_AUTH and data is not None
    assert [c["error"]["kind"] for c in data["columns"]] == ["auth", "auth"]
    assert emulator_proc.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tiers", "budget", "Hi"], "2 to 4 columns"),
        (["--tiers", "budget,balanced,premium,auto", "--model", "openai/gpt-4o", "Hi"], "5 given"),
        (["--tiers", "budget,nope", "Hi"], "unknown tier 'nope'"),
        (["--tiers", "budget,budget", "Hi"], "given twice"),
        (["--tiers", "budget,premium"], "give a PROMPT"),
        (["--tiers", "budget,premium", "--concurrency", "0", "Hi"], "--concurrency"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli(["compare", *args], tmp_path)
    assert done.returncode == cli.EXIT_USAGE
    assert message in done.stderr


# --- workloads ---------------------------------------------------------------------------------

PROMPTS = [
    "What is 2 + 2?",
    'Write a python function called "merge", please',
    "Tell me a story about a fox, in two lines",
    "Explain how tides work",
    "What is the capital of France?",
]


def test_workload_csv_and_summary(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    workload = tmp_path / "prompts.jsonl"
    workload.write_text("\n".join(json.dumps({"prompt": p}) for p in PROMPTS) + "\n\n")
    out = tmp_path / "results.csv"
    emulator_proc.queue_faults(*["stall_first:0.2"] * 4, "status:402")
    code, data, stdout, _ = compare(
        emulator_proc, tmp_path, "--tiers", "budget,premium", "--workload", str(workload),
        "--concurrency", "2", "--csv", str(out), "--json",
    )  # fmt: skip
    assert code == cli.EXIT_OK
    assert stdout.count("\n") == 1
    assert data is not None and list(data) == ["prompts", "columns"]
    assert data["prompts"] == 5
    for column in data["columns"]:
        assert list(column) == TOTALS_KEYS
        assert column["requests"] == 5
    assert [c["tier"] for c in data["columns"]] == ["budget", "premium"]
    assert sum(c["failures"] for c in data["columns"]) == 1  # the 402
    assert sum(c["unknown_costs"] for c in data["columns"]) == 1
    for column in data["columns"]:
        assert column["cost_usd"] > 0
        assert 0 < column["ttft_p50_ms"] <= column["ttft_p95_ms"]
        assert 0 < column["total_p50_ms"] <= column["total_p95_ms"]
        pool = TIERS.get(column["tier"]).candidates or ()
        assert set(column["models"]) <= set(pool)
        assert sum(column["models"].values()) == 5 - column["failures"]
    # Never more than --concurrency requests in flight, and the bound is used.
    assert emulator_proc.stats()["peak_in_flight"] == 2
    assert emulator_proc.stats()["requests"] == 10

    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["prompt_index"], r["column"]) for r in rows] == [
        (str(p), str(c)) for p in range(5) for c in range(2)
    ]
    assert [r["prompt"] for r in rows[::2]] == PROMPTS  # quotes and commas survive
    assert '"Write a python function called ""merge"", please"' in text
    failed = [r for r in rows if r["error_kind"]]
    assert len(failed) == 1 and failed[0]["error_kind"] == "credits"
    assert failed[0]["model"] == "" and failed[0]["cost_usd"] == ""  # null: an empty cell
    assert failed[0]["cost_source"] == "unknown" and failed[0]["ttft_ms"] == ""
    for r in rows:
        if not r["error_kind"]:
            assert float(r["cost_usd"]) > 0 and float(r["ttft_ms"]) <= float(r["total_ms"])
            assert r["tier"] in ("budget", "premium") and r["cost_source"] == "reported"
            assert int(r["prompt_tokens"]) > 0 and int(r["completion_tokens"]) > 0


def test_workload_default_bound_is_four(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    workload = tmp_path / "prompts.txt"
    workload.write_text("\n".join(PROMPTS[:3]) + "\n")
    emulator_proc.queue_faults(*["stall_first:0.3"] * 9)
    code, _, stdout, _ = compare(
        emulator_proc, tmp_path, "--tiers", "budget,balanced,premium", "--workload", str(workload)
    )
    assert code == cli.EXIT_OK
    assert emulator_proc.stats()["peak_in_flight"] == 4
    table = stdout.splitlines()
    assert table[0].split()[:3] == ["column", "requests", "failed"]
    assert [ln.split()[:2] for ln in table[1:4]] == [
        ["budget", "3"], ["balanced", "3"], ["premium", "3"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "has no prompts"),
        ("prompts.csv", b"a,b\n", "is not a workload file"),
        ("bad.jsonl", b'{"prompt": "ok"}\n[1, 2]\n', "line 2"),
        ("big.txt", b"hello\n" * 501, "at most 500"),
    ],
)
def test_bad_workloads_send_nothing(
    emulator_proc: EmulatorProcess, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    workload = tmp_path / name
    workload.write_bytes(content)
    code, _, _, stderr = compare(
        emulator_proc, tmp_path, "--tiers", "budget,premium", "--workload", str(workload)
    )
    assert code == cli.EXIT_USAGE
    assert message in stderr
    assert emulator_proc.stats()["requests"] == 0
