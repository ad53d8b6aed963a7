"""`routechat stats` and the command line's turns in the history: recorded in one "Command
line" conversation a day (`--no-history` leaves one out), counted by the statistics, held by
the spending limits (exit code 4, `--ignore-budget`)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from desktop_app import cli
from tests.e2e.conftest import EmulatorProcess, run_cli

STATS_KEYS = {
    "since", "requests", "cost_usd", "estimated_cost_usd", "unknown_cost_requests", "by_tier",
    "by_model", "by_day", "diagnoses",
}  # fmt: skip
TIER_KEYS = {
    "requests", "cost_usd", "models", "ttft_p50_ms", "ttft_p95_ms", "total_p50_ms",
    "total_p95_ms", "selection", "retries", "fallbacks", "failures",
}  # fmt: skip


def ask(emu: EmulatorProcess, home: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_cli(["ask", "--json", "--base-url", emu.base_url, *args], home)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def stats(home: Path, *args: str) -> dict[str, Any]:
    done = run_cli(["stats", "--json", *args], home)
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(body) == STATS_KEYS
    for tier in body["by_tier"].values():
        assert set(tier) == TIER_KEYS
        assert set(tier["selection"]) == {"ranked", "single", "default", "unknown"}
    for model in body["by_model"].values():
        assert set(model) == {"requests", "cost_usd"}
    return body


def history_rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(home / "data" / "routechat.sqlite3")) as conn:
        return conn.execute(sql).fetchall()


def test_the_command_line_turns_are_recorded_and_counted(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    assert ask(emulator_proc, tmp_path, "What is the capital of Peru?")[0] == cli.EXIT_OK
    assert ask(emulator_proc, tmp_path, "--model", "google/gemini-2.5-pro", "Hello")[0] == 0
    pool = "openai/gpt-4o,openai/gpt-4o-mini"
    assert ask(emulator_proc, tmp_path, "--candidates", pool, "Hi")[0] == 0
    assert ask(emulator_proc, tmp_path, "--no-history", "Not recorded")[0] == 0
    emulator_proc.queue_faults("status:500", "status:500", "status:500", "status:500")
    code, failed, _ = ask(emulator_proc, tmp_path, "--model", "openai/gpt-4o", "Fails")
    assert code == cli.EXIT_SERVER and failed["error"]["kind"] == "server"

    today = date.today().isoformat()
    conversations = history_rows(tmp_path, "SELECT title, kind FROM conversations")
    assert conversations == [(f"Command line {today}", "cli")]  # one a day
    prompts = history_rows(tmp_path, "SELECT content FROM messages WHERE role = 'user'")
    assert "Not recorded" not in [p[0] for p in prompts] and len(prompts) == 4
    # Each command-line turn is sent alone: the day's conversation is a record, not a context.
    sent = emulator_proc.last_request()["messages"]
    assert [m["role"] for m in sent] == ["user"] and sent[0]["content"] == "Fails"

    body = stats(tmp_path)
    assert body["since"] == (date.today() - timedelta(days=29)).isoformat()
    assert body["requests"] == 4  # the failed turn counts, --no-history's does not
    assert set(body["by_tier"]) == {
        "balanced", "model:google/gemini-2.5-pro", "custom", "model:openai/gpt-4o",
    }  # fmt: skip
    assert body["by_tier"]["model:openai/gpt-4o"]["failures"] == {"server": 1}
    assert body["by_tier"]["model:openai/gpt-4o"]["requests"] == 1
    assert body["by_tier"]["balanced"]["selection"]["ranked"] == 1
    assert body["by_tier"]["model:google/gemini-2.5-pro"]["selection"]["unknown"] == 1
    assert body["by_tier"]["balanced"]["ttft_p50_ms"] > 0
    assert body["cost_usd"] > 0 and body["unknown_cost_requests"] == 1  # the failed turn
    assert list(body["by_day"]) == [today]
    assert body["by_day"][today] == round(body["cost_usd"], 10)
    assert sum(m["requests"] for m in body["by_model"].values()) == 3  # the failure had none

    only = stats(tmp_path, "--tier", "custom", "--since", "7d")
    assert set(only["by_tier"]) == {"custom"} and only["requests"] == 1
    assert stats(tmp_path, "--since", today)["requests"] == 4
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert stats(tmp_path, "--since", tomorrow)["requests"] == 0

    table = run_cli(["stats"], tmp_path)
    assert table.returncode == 0
    assert "balanced" in table.stdout and "REQUESTS" in table.stdout


def test_stats_without_any_history(tmp_path: Path) -> None:
    body = stats(tmp_path, "--since", "2024-01-01")
    assert body == {
        "since": "2024-01-01", "requests": 0, "cost_usd": 0.0, "estimated_cost_usd": 0.0,
        "unknown_cost_requests": 0, "by_tier": {}, "by_model": {}, "by_day": {},
        "diagnoses": [],
    }  # fmt: skip
    bad = run_cli(["stats", "--since", "last week"], tmp_path)
    assert bad.returncode == cli.EXIT_USAGE
    assert "--since takes" in bad.stderr


def write_settings(home: Path, **spending: Any) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "spending": spending})
    (home / "config" / "settings.json").write_text(text, encoding="utf-8")


def test_a_spending_limit_refuses_the_send(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    # Nothing spent yet, but an answer of up to 1,000 tokens may cost more than $0.01.
    write_settings(tmp_path, daily_limit_usd=0.01, at_limit="refuse")
    code, s, err = ask(emulator_proc, tmp_path, "Hello")
    assert code == cli.EXIT_BUDGET == 4
    assert s["error"]["kind"] == "budget"
    assert "would pass your daily limit of $0.01" in s["error"]["message"]
    assert "--ignore-budget" in err
    assert emulator_proc.stats()["chat_requests"] == 0  # nothing went out
    code, s, _ = ask(emulator_proc, tmp_path, "--ignore-budget", "Hello")
    assert code == cli.EXIT_OK and s["text"]
    assert emulator_proc.stats()["chat_requests"] == 1
    # "Ask before each send" cannot ask without a terminal: it refuses too.
    write_settings(tmp_path, daily_limit_usd=0.01, at_limit="ask")
    code, s, _ = ask(emulator_proc, tmp_path, "Hello again")
    assert code == cli.EXIT_BUDGET and "You have spent $" in s["error"]["message"]
    assert emulator_proc.stats()["chat_requests"] == 1


def test_a_spending_limit_refuses_a_comparison_as_a_whole(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    """`routechat compare` is held by the limits as `ask` is: all its requests as one send."""
    write_settings(tmp_path, daily_limit_usd=0.01, at_limit="refuse")
    base = ["compare", "--json", "--base-url", emulator_proc.base_url, "--tiers", "budget,premium"]
    done = run_cli([*base, "Hello"], tmp_path)
    assert done.returncode == cli.EXIT_BUDGET
    body = json.loads(done.stdout.strip().splitlines()[-1])
    for column in body["columns"]:
        assert column["error"]["kind"] == "budget"
        assert "these 2 requests may cost up to" in column["error"]["message"]
    assert "--ignore-budget" in done.stderr
    assert emulator_proc.stats()["chat_requests"] == 0  # nothing went out
    workload = tmp_path / "prompts.txt"
    workload.write_text("One\nTwo\n", encoding="utf-8")
    done = run_cli([*base, "--workload", str(workload), "--no-history"], tmp_path)
    assert done.returncode == cli.EXIT_BUDGET and "these 4 requests" in done.stderr
    assert emulator_proc.stats()["chat_requests"] == 0
    done = run_cli([*base, "--ignore-budget", "Hello"], tmp_path)
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert emulator_proc.stats()["chat_requests"] == 2


def test_below_the_limit_the_send_goes_out(emulator_proc: EmulatorProcess, tmp_path: Path) -> None:
    write_settings(tmp_path, monthly_limit_usd=100.0, at_limit="refuse", prefer_cheaper=True)
    code, s, _ = ask(emulator_proc, tmp_path, "Hello")
    assert code == cli.EXIT_OK and s["error"] is None
    assert "quality_cost" not in (emulator_proc.last_request().get("routing") or {})


def test_the_command_line_leaves_the_window_s_streaming_reply_alone(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    """The window may be streaming into the same history: `routechat ask` must not take its
    reply for one a crash cut off."""
    from desktop_app.store import HistoryStore

    db = tmp_path / "data" / "routechat.sqlite3"
    with HistoryStore.open(db) as store:
        cid = store.create_conversation()
        uid = store.add_user_message(cid, "a question in the window")
        rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
    assert ask(emulator_proc, tmp_path, "Hello")[0] == cli.EXIT_OK
    assert stats(tmp_path)["requests"] == 1
    status = history_rows(tmp_path, f"SELECT status FROM replies WHERE message_id = {rid}")
    assert status == [("streaming",)]


def test_compare_records_its_columns_and_no_history_leaves_them_out(
    emulator_proc: EmulatorProcess, tmp_path: Path
) -> None:
    url = ["--base-url", emulator_proc.base_url]
    done = run_cli(["compare", *url, "--json", "--tiers", "budget,premium", "Hi there"], tmp_path)
    assert done.returncode == 0, done.stderr
    quiet = ["compare", *url, "--json", "--no-history", "--tiers", "budget,premium", "Hello"]
    assert run_cli(quiet, tmp_path).returncode == 0
    body = stats(tmp_path)
    assert body["requests"] == 2
    assert set(body["by_tier"]) == {"budget", "premium"}
    conversations = history_rows(tmp_path, "SELECT kind FROM conversations")
    assert conversations == [("cli",)]
    columns = history_rows(tmp_path, "SELECT column_index FROM replies ORDER BY column_index")
    assert columns == [(0,), (1,)]  # a comparison's columns: counted under comparisons
