"""Statistics figures, the guide's diagnoses at their thresholds, `routechat stats --json`'s
object, the CSV export, periods."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from desktop_app.api.models import ModelInfo
from desktop_app.services import stats
from desktop_app.services.stats import (
    Figures,
    ModelFigures,
    StatsJob,
    TierFigures,
    diagnose,
    parse_since,
    period_filter,
    premium_models,
    to_json,
)
from desktop_app.store import HistoryStore
from desktop_app.store.stats import LongReply, StatsFilter, StatsReader, local_midnight
from tests.support.turns import Clock, add_turn

TODAY = date(2025, 6, 15)
NOON = local_midnight(TODAY) + 12 * 3600
JSON_KEYS = {
    "since", "requests", "cost_usd", "estimated_cost_usd", "unknown_cost_requests", "by_tier",
    "by_model", "by_day", "diagnoses",
}  # fmt: skip
TIER_KEYS = {
    "requests", "cost_usd", "models", "ttft_p50_ms", "ttft_p95_ms", "total_p50_ms",
    "total_p95_ms", "selection", "retries", "fallbacks", "failures",
}  # fmt: skip


def history(tmp_path: Path) -> Path:
    clock = Clock(NOON)
    store = HistoryStore.open(tmp_path / "h.sqlite3", clock=clock)
    cid = store.create_conversation()
    add_turn(store, cid, cost=0.01, ttft=400.0, total=1000.0)
    add_turn(store, cid, cost=0.02, source="estimated", ttft=600.0, total=3000.0, retries=2)
    add_turn(store, cid, cost=None, source="unknown", selection="default", fallback=True)
    add_turn(store, cid, model=None, cost=None, source="unknown", status="failed",
             error="server", ttft=None, selection=None)  # fmt: skip
    add_turn(store, cid, status="interrupted", error="interrupted", cost=0.005)
    add_turn(store, cid, tier="model:openai/gpt-4o", selection=None, cost=0.03)
    add_turn(store, cid, tier="custom", model="google/gemini-2.0-flash", cost=0.001)
    add_turn(store, cid, demo=True, cost=9.0)
    clock.now = NOON - 86400
    add_turn(store, cid, tier="budget", model="openai/gpt-4o-mini", cost=0.004,
             selection="single")  # fmt: skip
    store.close()
    return tmp_path / "h.sqlite3"


def figures_of(db: Path, f: StatsFilter, premium: frozenset[str] = frozenset()) -> Figures:
    with StatsReader(db) as reader:
        return stats.compute(reader, f, premium)


def test_figures_of_a_small_history(tmp_path: Path) -> None:
    db = history(tmp_path)
    fig = figures_of(db, StatsFilter())
    assert fig.requests == 8  # failed turns count, demo replies never
    assert fig.cost_usd == pytest.approx(0.01 + 0.02 + 0.005 + 0.03 + 0.001 + 0.004)
    assert fig.cost_estimated == pytest.approx(0.02)
    assert fig.unknown_cost == 2  # counted apart, never as $0
    balanced = fig.by_tier["balanced"]
    assert balanced.requests == 5
    assert balanced.failures == {"interrupted": 1, "server": 1}
    assert balanced.selection == {"ranked": 3, "single": 0, "default": 1, "unknown": 1}
    assert (balanced.retries, balanced.fallbacks) == (2, 1)
    assert balanced.models["openai/gpt-4o"].requests == 4  # the failed turn had no model
    assert balanced.ttft_p50 == 300.0 and balanced.ttft_p95 == 600.0
    assert fig.by_tier["model:openai/gpt-4o"].selection["unknown"] == 1
    assert set(fig.by_day) == {TODAY.isoformat(), (TODAY - timedelta(days=1)).isoformat()}
    assert fig.by_day[(TODAY - timedelta(days=1)).isoformat()] == pytest.approx(0.004)
    assert fig.requests_by_day[TODAY.isoformat()] == 7
    assert fig.by_model["openai/gpt-4o"].requests == 5
    assert fig.failures == {"interrupted": 1, "server": 1}
    assert "of unknown cost" in fig.spend_line() and "estimated" in fig.spend_line()
    today = figures_of(db, period_filter("today", TODAY))
    assert today.requests == 7 and "budget" not in today.by_tier


def test_the_json_object_is_exactly_the_documented_one(tmp_path: Path) -> None:
    fig = figures_of(history(tmp_path), StatsFilter())
    out = to_json(fig, "2025-05-17")
    assert set(out) == JSON_KEYS
    assert out["since"] == "2025-05-17"
    assert set(out["by_tier"]) == {"balanced", "model:openai/gpt-4o", "custom", "budget"}
    for tier in out["by_tier"].values():
        assert set(tier) == TIER_KEYS
        assert set(tier["selection"]) == {"ranked", "single", "default", "unknown"}
        assert sum(tier["selection"].values()) == tier["requests"]
    assert out["by_tier"]["custom"]["models"] == {"google/gemini-2.0-flash": 1}
    assert out["by_tier"]["balanced"]["failures"] == {"interrupted": 1, "server": 1}
    assert out["by_tier"]["budget"]["ttft_p50_ms"] == 300.0
    assert all(set(m) == {"requests", "cost_usd"} for m in out["by_model"].values())
    assert out["cost_usd"] == pytest.approx(out["estimated_cost_usd"] + 0.05)
    assert out["unknown_cost_requests"] == 2
    assert all(isinstance(v, float) for v in out["by_day"].values())
    assert out["diagnoses"] == []


def test_an_empty_history_has_empty_figures(tmp_path: Path) -> None:
    HistoryStore.open(tmp_path / "h.sqlite3").close()
    out = to_json(figures_of(tmp_path / "h.sqlite3", StatsFilter()), "x")
    assert out == {
        "since": "x", "requests": 0, "cost_usd": 0.0, "estimated_cost_usd": 0.0,
        "unknown_cost_requests": 0, "by_tier": {}, "by_model": {}, "by_day": {},
        "diagnoses": [],
    }  # fmt: skip


# --- diagnoses at their thresholds ------------------------------------------------------------


def pool(tier: str, models: dict[str, int], **kw: object) -> TierFigures:
    t = TierFigures(tier, requests=sum(models.values()))
    t.models = {m: ModelFigures(n, 0.01 * n) for m, n in models.items()}
    for key, value in kw.items():
        setattr(t, key, value)
    return t


def ids(figures: Figures, premium: frozenset[str] = frozenset()) -> list[str]:
    return [d.id for d in diagnose(figures, premium)]


def with_tiers(*tiers: TierFigures) -> Figures:
    return Figures(StatsFilter(), by_tier={t.tier: t for t in tiers})


@pytest.mark.parametrize(
    ("models", "applies"),
    [
        ({"a/x": 18, "b/y": 2}, True),  # 90 % of 20
        ({"a/x": 17, "b/y": 3}, False),  # 85 %
        ({"a/x": 19}, False),  # fewer than 20 requests
    ],
)
def test_same_model_diagnosis(models: dict[str, int], applies: bool) -> None:
    figures = with_tiers(pool("balanced", models))
    assert ("same_model" in ids(figures)) is applies
    if applies:
        (d,) = diagnose(figures)
        assert "a/x answered 18 of 20 requests (90 %)" in d.message
        assert "expand the candidate pool" in d.message
    fixed = with_tiers(pool("model:a/x", {"a/x": 50}))
    assert ids(fixed) == []  # a fixed model is not routing


@pytest.mark.parametrize(
    ("p50", "requests", "applies"), [(1001.0, 5, True), (1000.0, 5, False), (1500.0, 4, False)]
)
def test_high_latency_diagnosis(p50: float, requests: int, applies: bool) -> None:
    t = pool("premium", {"a/x": requests}, ttft_p50=p50, ttft_p95=3000.0)
    figures = with_tiers(t)
    assert ("high_latency" in ids(figures)) is applies
    if applies:
        message = diagnose(figures)[0].message
        assert "1.0 s at the median (p95 3.0 s)" in message
        assert "reduce the candidates to 3–5 models" in message


@pytest.mark.parametrize(
    ("defaults", "told", "applies"), [(4, 20, True), (3, 20, False), (4, 19, False)]
)
def test_default_fallback_diagnosis(defaults: int, told: int, applies: bool) -> None:
    t = pool("code", {"a/x": 10, "b/y": 10})
    t.selection = {"ranked": told - defaults, "single": 0, "default": defaults, "unknown": 0}
    figures = with_tiers(t)
    assert ("default_fallback" in ids(figures)) is applies
    if applies:
        assert "4 of 20 routed requests (20 %)" in diagnose(figures)[0].message


@pytest.mark.parametrize(("times", "applies"), [(3, True), (2, False)])
def test_never_ranked_diagnosis(times: int, applies: bool) -> None:
    figures = with_tiers(pool("code", {"a/x": 5, "b/y": 5}))
    figures.dropped = [("code", "acme/old", times)]
    assert ("unranked_candidates" in ids(figures)) is applies
    if applies:
        assert "acme/old was dropped from 3 requests in code" in diagnose(figures)[0].message


def test_unexpected_costs_diagnosis() -> None:
    premium = frozenset({"anthropic/opus"})
    cheap = pool("balanced", {"anthropic/opus": 5, "google/flash": 15})
    cheap.models["anthropic/opus"].cost_usd = 0.9
    cheap.models["google/flash"].cost_usd = 0.1
    cheap.cost_reported = 1.0
    figures = with_tiers(cheap)
    figures.longest = [LongReply(7, 1, NOON, "balanced", "anthropic/opus", 4000, 0.3)]
    (d,) = diagnose(figures, premium)
    assert d.id == "unexpected_costs"
    assert "Premium models took 90 % of the routed spend ($0.9 of $1" in d.message
    assert "4,000 tokens (anthropic/opus, $0.3)" in d.message
    assert "Max tokens per answer" in d.message and "Spending" in d.message
    assert ids(figures) == []  # nothing is premium
    cheap.models["anthropic/opus"].cost_usd = 0.4
    assert ids(figures, premium) == []  # 40 % of the spend
    chosen = with_tiers(pool("premium", {"anthropic/opus": 10, "a/x": 10}, cost_reported=1.0))
    assert ids(chosen, premium) == []  # the premium tier is chosen on purpose


def test_premium_models_by_list_price() -> None:
    def model(mid: str, out: float | None) -> ModelInfo:
        return ModelInfo(mid, mid, "p", None, 1e-6, out, False)

    models = [model("a/big", 15e-6), model("a/edge", 10e-6), model("a/small", 4e-7),
              model("a/unpriced", None)]  # fmt: skip
    assert premium_models(models) == {"a/big", "a/edge"}


def test_diagnoses_from_stored_turns(tmp_path: Path) -> None:
    clock = Clock(NOON)
    store = HistoryStore.open(tmp_path / "h.sqlite3", clock=clock)
    cid = store.create_conversation()
    for _ in range(20):
        add_turn(store, cid, tier="code", ttft=1500.0, dropped=["acme/old"])
    store.close()
    found = figures_of(tmp_path / "h.sqlite3", StatsFilter())
    assert [d.id for d in found.diagnoses] == ["same_model", "high_latency", "unranked_candidates"]


# --- export ----------------------------------------------------------------------------------


def test_figures_csv(tmp_path: Path) -> None:
    fig = figures_of(history(tmp_path), StatsFilter())
    rows = list(csv.reader(io.StringIO(stats.figures_csv(fig))))
    assert rows[0] == ["section", "key", "metric", "value"]
    as_dict = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert as_dict[("total", "", "requests")] == "8"
    assert as_dict[("total", "", "unknown_cost_requests")] == "2"
    assert as_dict[("tier", "balanced", "failures_server")] == "1"
    assert as_dict[("tier", "budget", "ttft_p50_ms")] == "300.0"
    assert as_dict[("tier", "custom", "total_p95_ms")] == "900.0"
    assert as_dict[("day", TODAY.isoformat(), "requests")] == "7"


def test_turns_csv_from_a_job_on_a_worker_thread(tmp_path: Path) -> None:
    db = history(tmp_path)
    job = StatsJob(db, StatsFilter(tier="balanced"))
    target = tmp_path / "turns.csv"
    written: list[int] = []
    worker = threading.Thread(target=lambda: written.append(job.write_turns(target)))
    worker.start()
    worker.join()
    assert written == [5]
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5
    assert rows[0]["started_at"].startswith(TODAY.isoformat() + "T12:00")
    assert {r["status"] for r in rows} == {"complete", "failed", "interrupted"}
    assert rows[3]["error_kind"] == "server" and rows[3]["model"] == ""


def test_a_job_computes_on_a_worker_thread_and_can_be_cancelled(tmp_path: Path) -> None:
    db = history(tmp_path)
    job = StatsJob(db, StatsFilter())
    found: list[Figures] = []
    worker = threading.Thread(target=lambda: found.append(job.run()))
    worker.start()
    worker.join()
    assert found[0].requests == 8
    job.cancel()  # after the fact: nothing to interrupt
    assert job.cancelled


# --- periods ---------------------------------------------------------------------------------


def test_periods_are_local_days() -> None:
    assert period_filter("today", TODAY) == StatsFilter(TODAY)
    assert period_filter("7d", TODAY).first == date(2025, 6, 9)
    assert period_filter("30d", TODAY).first == date(2025, 5, 17)
    assert period_filter("month", TODAY).first == date(2025, 6, 1)
    assert period_filter("all", TODAY, tier="code") == StatsFilter(None, None, "code")
    custom = period_filter("custom", TODAY, first=date(2025, 6, 3), last=date(2025, 6, 1))
    assert (custom.first, custom.end) == (date(2025, 6, 1), date(2025, 6, 4))
    with pytest.raises(ValueError, match="custom"):
        period_filter("custom", TODAY)
    with pytest.raises(ValueError, match="period"):
        period_filter("yesterday", TODAY)


def test_since_on_the_command_line() -> None:
    assert parse_since("7d", TODAY) == date(2025, 6, 9)
    assert parse_since("30d", TODAY) == date(2025, 5, 17)
    assert parse_since("2025-01-31", TODAY) == date(2025, 1, 31)
    for bad in ("0d", "week", "2025-13-01", ""):
        with pytest.raises(ValueError, match="--since takes"):
            parse_since(bad, TODAY)
