"""Spending limits: what counts, the check before a send (ask or refuse, with the figures), the
notice once per period, cheaper models near the limit, the next message's likely cost; and
the command line's conversation of the day."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from desktop_app.api.models import ModelInfo
from desktop_app.config.settings import Settings, Spending
from desktop_app.routing.plan import TurnPlan, plan_for
from desktop_app.routing.tiers import PRESETS, custom_tier, fixed_model_tier
from desktop_app.services import budget
from desktop_app.services.budget import (
    DEFAULT_OUTPUT_TOKENS,
    SpendingGuard,
    cheaper_plan,
    check,
    estimate_cost,
    estimate_tokens,
    status_text,
)
from desktop_app.services.catalogue import Snapshot
from desktop_app.services.cli_history import (
    command_line_recorder,
    conversation_for_today,
)
from desktop_app.store import HistoryStore, Totals
from tests.support.turns import Clock, add_turn

TODAY = date(2025, 6, 15)
NOON = budget.day_start(TODAY) + 12 * 3600
BALANCED = plan_for(PRESETS[0])


def model(mid: str, per_m_in: float, per_m_out: float) -> ModelInfo:
    return ModelInfo(mid, mid, mid.split("/")[0], None, per_m_in / 1e6, per_m_out / 1e6, True)


CATALOGUE = Snapshot(
    (
        model("openai/gpt-4o", 2.5, 10.0),
        model("anthropic/claude-sonnet-4-5", 3.0, 15.0),
        model("google/gemini-2.0-flash", 0.1, 0.4),
        model("openai/gpt-4o-mini", 0.15, 0.6),
    ),
    0.0,
    "bundled",
)


def spent(usd: float, unknown: int = 0) -> Totals:
    return Totals(3 + unknown, usd, 3, False, 0, 0)


def status(
    day: float,
    month: float,
    *,
    daily: float | None = 1.0,
    monthly: float | None = None,
    warn: int = 80,
    unknown: int = 0,
) -> budget.SpendStatus:
    return budget.SpendStatus(
        budget.PeriodSpend("day", "2025-06-15", spent(day, unknown), daily),
        budget.PeriodSpend("month", "2025-06", spent(month), monthly),
        warn / 100,
    )


# --- the check before a send -------------------------------------------------------------------


def test_without_limits_everything_goes_out() -> None:
    st = status(50.0, 900.0, daily=None)
    assert not st.limited
    assert check(st, Spending(), 10.0).action == "send"
    assert status_text(st)[0] == "Today: $50 · This month: $900"


@pytest.mark.parametrize(
    ("day", "next_usd", "action"),
    [
        (0.5, 0.4, "send"),  # 0.9 stays under 1.00
        (0.5, 0.5, "send"),  # exactly at the limit is still within it
        (0.5, 0.6, "ask"),  # would pass it
        (1.0, 0.0, "ask"),  # reached
        (1.2, None, "ask"),  # over, the next cost unknown
    ],
)
def test_ask_at_the_daily_limit(day: float, next_usd: float | None, action: str) -> None:
    verdict = check(status(day, day), Spending(daily_limit_usd=1.0), next_usd)
    assert verdict.action == action
    if action == "ask":
        assert verdict.message.endswith("Send it anyway?")
        assert "daily limit of $1.00" in verdict.message


def test_refuse_says_when_sending_resumes() -> None:
    spending = Spending(daily_limit_usd=1.0, monthly_limit_usd=20.0, at_limit="refuse")
    st = status(0.5, 19.9, monthly=20.0)
    verdict = check(st, spending, 0.2)
    assert verdict.action == "refuse"
    assert verdict.message.startswith("Not sent: You have spent $19.9 this month")
    assert "may cost up to $0.2, which would pass your monthly limit of $20.00" in verdict.message
    assert "Sending resumes next month" in verdict.message
    assert "Preferences → Spending" in verdict.message and "--ignore-budget" not in verdict.message
    both = check(status(1.5, 25.0, monthly=20.0), spending, 0.0, command_line=True)
    assert "resumes tomorrow and next month" in both.message
    assert both.message.endswith("or pass --ignore-budget.")


def test_unknown_costs_are_named_in_the_figures() -> None:
    verdict = check(status(1.0, 1.0, unknown=2), Spending(daily_limit_usd=1.0), 0.0)
    assert "(2 replies of unknown cost are not included)" in verdict.message
    text, tip = status_text(status(0.42, 3.1, unknown=1))
    assert text == "Today $0.42 of $1.00 + 1 reply of unknown cost · This month: $3.1"
    assert "42 % of the daily limit" in tip and "Demo replies are not counted" in tip


def test_status_text_against_both_limits() -> None:
    text, _ = status_text(status(0.42, 3.1, monthly=20.0))
    assert text == "Today $0.42 of $1.00 · This month $3.1 of $20.00"
    demo_text, _ = status_text(status(0, 0), demo_today=spent(0.0))
    assert demo_text.startswith("Demo replies today:") and "not billed" in demo_text


# --- cheaper models near the limit ---------------------------------------------------------------


def test_cheaper_models_as_the_limit_nears() -> None:
    spending = Spending(daily_limit_usd=1.0, prefer_cheaper=True)
    assert cheaper_plan(BALANCED, status(0.79, 0.79), spending, 0.0) is BALANCED
    near = cheaper_plan(BALANCED, status(0.80, 0.80), spending, 0.0)
    assert (near.quality_cost, near.budget_knob) == (8, True)
    at = cheaper_plan(BALANCED, status(0.95, 0.95), spending, 0.1)
    assert (at.quality_cost, at.budget_knob) == (10, True)
    off = dataclasses.replace(spending, prefer_cheaper=False)
    assert cheaper_plan(BALANCED, status(0.95, 0.95), off, 0.1) is BALANCED
    fixed = plan_for(fixed_model_tier("openai/gpt-4o"))
    assert cheaper_plan(fixed, status(0.95, 0.95), spending, 0.1) is fixed  # no router
    already = dataclasses.replace(BALANCED, quality_cost=9)
    assert cheaper_plan(already, status(0.85, 0.85), spending, 0.0) is already
    demo = dataclasses.replace(BALANCED, demo=True)
    assert cheaper_plan(demo, status(0.95, 0.95), spending, 0.1) is demo


# --- the likely cost of the next message ---------------------------------------------------------


def test_estimate_over_the_pool_candidates() -> None:
    assert estimate_tokens(400, 1) == 104  # 100 tokens of text and the message's overhead
    est = estimate_cost(BALANCED, CATALOGUE, 1000, None)
    assert est is not None
    # gemini-2.0-flash is the cheapest candidate, claude-sonnet-4-5 the dearest.
    assert est.low == pytest.approx(1000 * 0.1e-6 + DEFAULT_OUTPUT_TOKENS * 0.4e-6)
    assert est.high == pytest.approx(1000 * 3e-6 + DEFAULT_OUTPUT_TOKENS * 15e-6)
    assert est.text() == "≈ $0.0005–$0.018"
    assert est.output_assumed and "1,000 tokens are assumed" in est.tooltip()
    capped = estimate_cost(BALANCED, CATALOGUE, 1000, 100)
    assert capped is not None and not capped.output_assumed
    assert capped.high == pytest.approx(1000 * 3e-6 + 100 * 15e-6)
    assert "Max tokens" not in capped.tooltip()


def test_estimate_of_a_fixed_model_custom_pool_and_the_whole_pool() -> None:
    fixed = estimate_cost(plan_for(fixed_model_tier("openai/gpt-4o")), CATALOGUE, 0, 1000)
    assert fixed is not None and fixed.low == fixed.high == pytest.approx(0.01)
    assert fixed.text() == "≈ $0.01"
    custom = plan_for(custom_tier(("openai/gpt-4o-mini", "acme/unknown")))
    est = estimate_cost(custom, CATALOGUE, 0, 1000)
    assert est is not None and est.unpriced == ("acme/unknown",)
    assert "No list price for acme/unknown" in est.tooltip()
    everything = estimate_cost(plan_for(PRESETS[3]), CATALOGUE, 0, 1000)  # auto
    assert everything is not None and everything.priced == 4
    nothing = plan_for(custom_tier(("acme/unknown",)))
    assert estimate_cost(nothing, CATALOGUE, 0, 1000) is None


# --- over a real history -------------------------------------------------------------------------


def guard_for(
    tmp_path: Path, clock: Clock, **spending: object
) -> tuple[HistoryStore, SpendingGuard]:
    store = HistoryStore.open(tmp_path / "h.sqlite3", clock=clock)
    settings = Settings(spending=Spending(**spending))  # type: ignore[arg-type]
    return store, SpendingGuard(store, lambda: settings, lambda: CATALOGUE, today=lambda: TODAY)


def test_the_guard_counts_billed_replies_of_the_day_and_month(tmp_path: Path) -> None:
    clock = Clock(NOON)
    store, guard = guard_for(tmp_path, clock, daily_limit_usd=1.0, monthly_limit_usd=5.0)
    cid = store.create_conversation()
    add_turn(store, cid, cost=0.3)
    add_turn(store, cid, cost=None, source="unknown")
    add_turn(store, cid, cost=9.0, demo=True)  # never counts
    clock.now = NOON - 86400 * 3
    add_turn(store, cid, cost=2.0)
    clock.now = budget.day_start(TODAY.replace(day=1)) - 3600  # last month
    add_turn(store, cid, cost=7.0)
    st = guard.status()
    assert st.day.usd == pytest.approx(0.3) and st.day.spent.unknown_cost_turns == 1
    assert st.month.usd == pytest.approx(2.3)
    est = guard.estimate(BALANCED, ["earlier question", "earlier answer"], "and now?")
    assert est is not None and est.prompt_tokens == estimate_tokens(40, 3)
    verdict, plan = guard.before_send(BALANCED, est)
    assert verdict.action == "send" and plan is BALANCED
    store.close()


def test_the_guard_leaves_demo_turns_and_unlimited_spend_alone(tmp_path: Path) -> None:
    clock = Clock(NOON)
    store, guard = guard_for(tmp_path, clock, daily_limit_usd=0.01, at_limit="refuse")
    add_turn(store, store.create_conversation(), cost=1.0)
    demo = dataclasses.replace(BALANCED, demo=True)
    assert guard.before_send(demo, None)[0].action == "send"
    assert guard.before_send(BALANCED, None)[0].action == "refuse"
    store.close()
    clock2 = Clock(NOON)
    store2, unlimited = guard_for(tmp_path / "2", clock2)
    assert unlimited.before_send(BALANCED, None) == (budget.Verdict("send"), BALANCED)
    store2.close()


def test_a_comparison_round_is_checked_as_one_send(tmp_path: Path) -> None:
    """Each column alone fits under the limit; the round, all columns together, does not."""
    clock = Clock(NOON)
    store, guard = guard_for(tmp_path, clock, daily_limit_usd=1.0, at_limit="refuse")
    add_turn(store, store.create_conversation(), cost=0.7)
    column = budget.CostEstimate(0.05, 0.2, 100, 1000, False, 3)
    assert guard.before_send(BALANCED, column)[0].action == "send"
    assert guard.before_round([column]).action == "send"
    verdict = guard.before_round([column, column])  # 0.7 + 0.4 passes 1.0
    assert verdict.action == "refuse"
    assert "these 2 requests may cost up to $0.4, which would pass" in verdict.message
    assert guard.before_round([column, None]).action == "send"  # unknown prices add nothing
    assert "--ignore-budget" in guard.before_round([column] * 3, command_line=True).message
    store.close()
    clock2 = Clock(NOON)
    store2, unlimited = guard_for(tmp_path / "2", clock2)
    assert unlimited.before_round([column] * 4) == budget.Verdict("send")
    store2.close()


def test_the_threshold_notice_comes_once_per_period(tmp_path: Path) -> None:
    clock = Clock(NOON)
    store, guard = guard_for(tmp_path, clock, daily_limit_usd=1.0, monthly_limit_usd=100.0)
    cid = store.create_conversation()
    add_turn(store, cid, cost=0.79)
    assert guard.notices(guard.status()) == []  # 79 %
    add_turn(store, cid, cost=None, source="unknown")
    add_turn(store, cid, cost=0.01)
    (notice,) = guard.notices(guard.status())
    assert notice == (
        "You have spent $0.8 today, 80 % of your daily limit of $1.00 "
        "(1 reply of unknown cost is not included)."
    )
    assert guard.notices(guard.status()) == []  # once per day, also after a restart
    store.close()
    store, guard = guard_for(tmp_path, clock, daily_limit_usd=1.0, monthly_limit_usd=100.0)
    assert guard.notices(guard.status()) == []
    later = SpendingGuard(store, lambda: Settings(spending=Spending(daily_limit_usd=1.0)),
                          lambda: CATALOGUE, today=lambda: TODAY + timedelta(days=1))  # fmt: skip
    assert later.notices(later.status()) == []  # a new day: nothing spent yet
    store.close()


# --- the command line's conversation of the day --------------------------------------------------


def test_one_command_line_conversation_a_day(tmp_path: Path) -> None:
    clock = Clock(NOON)
    store = HistoryStore.open(tmp_path / "h.sqlite3", clock=clock)
    first = conversation_for_today(store, TODAY)
    assert conversation_for_today(store, TODAY) == first
    conv = store.get_conversation(first)
    assert (conv.kind, conv.title) == ("cli", "Command line 2025-06-15")
    clock.now = NOON + 86400
    assert conversation_for_today(store, TODAY + timedelta(days=1)) != first
    store.delete_conversation(first)  # in the trash: the day starts a new one
    clock.now = NOON
    assert conversation_for_today(store, TODAY) != first
    store.close()


def test_the_command_line_recorder_sends_only_the_turn(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    cid = conversation_for_today(store)
    recorder = command_line_recorder(store, system="Be brief.")
    first = recorder.record_user_message(cid, "one")
    second = recorder.record_user_message(cid, "two")
    assert recorder.history(cid, second) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "two"},
    ]
    assert recorder.history(cid, first)[-1]["content"] == "one"
    roles = [m.role for m in store.load_messages(cid)]
    assert roles == ["system", "user", "system", "user"]  # the record keeps what was sent
    plain = command_line_recorder(store)
    third = plain.record_user_message(cid, "three")
    assert plain.history(cid, third) == [{"role": "user", "content": "three"}]
    reply = plain.begin_reply(cid, third, TurnPlan("balanced", "Balanced", "@edenai", None))
    assert store.get_message(reply).reply is not None
    store.close()


def test_a_raised_knob_is_kept_with_the_reply(tmp_path: Path) -> None:
    from desktop_app.api.events import CostSource, TurnResult
    from desktop_app.routing.plan import BUDGET_KNOB
    from desktop_app.services.recorder import StoreRecorder

    store = HistoryStore.open(tmp_path / "h.sqlite3")
    recorder = StoreRecorder(store)
    cid = store.create_conversation()
    uid = recorder.record_user_message(cid, "q")
    plan = dataclasses.replace(BALANCED, quality_cost=8, budget_knob=True)
    rid = recorder.begin_reply(cid, uid, plan)
    result = TurnResult(
        text="a", cost_usd=0.1, cost_source=CostSource.ESTIMATED, cost_basis="catalogue"
    )
    recorder.finish_reply(rid, result)
    stored = store.get_message(rid)
    assert stored.meta == {BUDGET_KNOB: 8, "cost_basis": "catalogue"}
    assert stored.reply is not None and stored.reply.quality_cost == 8
    plain = recorder.begin_reply(cid, uid, BALANCED)
    recorder.finish_reply(plain, result)
    assert store.get_message(plain).meta == {"cost_basis": "catalogue"}
    store.close()
