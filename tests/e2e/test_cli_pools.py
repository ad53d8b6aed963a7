"""`routechat pools …` and a saved pool used by `routechat ask --tier NAME`, in real processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from desktop_app import cli
from tests.e2e.conftest import EmulatorProcess, run_cli

POOL_KEYS = {
    "id", "name", "description", "candidates", "quality_cost", "fallback", "requires_tools",
    "preset",
}  # fmt: skip


def pools_json(home: Path) -> list[dict[str, Any]]:
    done = run_cli(["pools", "list", "--json"], home)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(body) == {"pools"}
    assert all(set(p) == POOL_KEYS for p in body["pools"])
    pools: list[dict[str, Any]] = body["pools"]
    return pools


def test_list_add_remove(tmp_path: Path) -> None:
    presets = pools_json(tmp_path)
    assert all(p["preset"] for p in presets)
    assert {p["id"] for p in presets} >= {"budget", "balanced", "premium", "code"}
    added = run_cli(
        [
            "pools", "add", "Research",
            "--candidates", "openai/gpt-4o,google/gemini-2.5-pro,openai/gpt-4o-mini",
            "--quality-cost", "6", "--fallback", "openai/gpt-4o-mini",
        ],
        tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    mine = [p for p in pools_json(tmp_path) if not p["preset"]]
    assert mine == [
        {
            "id": "research",
            "name": "Research",
            "description": "",
            "candidates": ["openai/gpt-4o", "google/gemini-2.5-pro", "openai/gpt-4o-mini"],
            "quality_cost": 6,
            "fallback": "openai/gpt-4o-mini",
            "requires_tools": False,
            "preset": False,
        }
    ]
    assert run_cli(["pools", "remove", "research"], tmp_path).returncode == 0
    assert [p for p in pools_json(tmp_path) if not p["preset"]] == []


def test_a_refused_add_exits_2_with_the_reason(tmp_path: Path) -> None:
    for args, why in (
        (["Budget", "--candidates", "openai/gpt-4o"], "built-in"),
        (["Bad/Name", "--candidates", "openai/gpt-4o"], "1 to 40"),
        (["Tools", "--candidates", "perplexity/sonar", "--tools"], "cannot call tools"),
        (["Knob", "--candidates", "openai/gpt-4o", "--quality-cost", "12"], "0 to 10"),
    ):
        done = run_cli(["pools", "add", *args], tmp_path)
        assert done.returncode == cli.EXIT_USAGE, args
        assert why in done.stderr
    assert [p for p in pools_json(tmp_path) if not p["preset"]] == []


def test_export_and_a_bad_import(tmp_path: Path) -> None:
    run_cli(["pools", "add", "Writing", "--candidates", "openai/gpt-4o"], tmp_path)
    out = tmp_path / "pools-export.json"
    assert run_cli(["pools", "export", str(out)], tmp_path).returncode == 0
    exported = json.loads(out.read_text())
    assert set(exported) == {"routechat_pools", "pools"} and exported["routechat_pools"] == 1
    assert [p["name"] for p in exported["pools"]] == ["Writing"]  # presets left out
    other = tmp_path / "other-home"
    assert run_cli(["pools", "import", str(out)], other).returncode == 0
    assert [p["name"] for p in pools_json(other) if not p["preset"]] == ["Writing"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"routechat_pools": 1, "pools": [\n  {"name": "X",\n   "candidates": 5}\n]}\n')
    done = run_cli(["pools", "import", str(bad)], other)
    assert done.returncode == cli.EXIT_USAGE
    assert 'line 3, field "candidates"' in done.stderr
    assert [p["name"] for p in pools_json(other) if not p["preset"]] == ["Writing"]


def test_ask_uses_a_saved_pool_by_name(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    run_cli(
        [
            "pools", "add", "Cheap Fast",
            "--candidates", "openai/gpt-4o,openai/gpt-4o-mini,google/gemini-2.0-flash",
            "--quality-cost", "9",
        ],
        tmp_path,
    )  # fmt: skip
    done = run_cli(
        ["ask", "--json", "--base-url", emulator_proc.base_url, "--tier", "cheap fast", "Hi"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["tier"] == "cheap-fast"
    sent = emulator_proc.last_request()
    assert sent["router_candidates"] == [
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "google/gemini-2.0-flash",
    ]  # in the pool's order
    assert sent["routing"] == {"quality_cost": 9}
    assert sent["_headers"]["x-edenai-tags"] == "app=routechat,tier=cheap-fast"


def test_compare_takes_saved_pools_by_name(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    run_cli(["pools", "add", "Mini Pool", "--candidates", "openai/gpt-4o-mini"], tmp_path)
    done = run_cli(
        [
            "compare", "--json", "--base-url", emulator_proc.base_url,
            "--tiers", "budget,mini pool", "What is the capital of Spain?",
        ],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert [c["tier"] for c in summary["columns"]] == ["budget", "mini-pool"]
    assert summary["columns"][1]["candidates"] == ["openai/gpt-4o-mini"]
    unknown = run_cli(["compare", "--tiers", "budget,nope", "Hi"], tmp_path)
    assert unknown.returncode == cli.EXIT_USAGE and "mini-pool" in unknown.stderr
