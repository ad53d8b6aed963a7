"""What totals and timings say: unknown costs named (never $0), totals named by what they
cover, a turn's time from the send across its retries, and "—" for what is not known."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.store import HistoryStore
from tests.support.gui import finish_turn, quit_app, replies, start_with_key


async def test_an_unknown_cost_is_never_counted_as_free(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "What is the capital of Peru?")  # cost reported
    emulator.queue_faults("no_usage")  # no usage, no cost: nothing to estimate from
    await finish_turn(ctrl, qtbot, "And of Chile?")
    assert "—" in replies(ctrl)[-1].ui.badge.text()  # type: ignore[union-attr]
    total = ctrl.page.total_label.text()
    assert total.startswith("This conversation: $")
    assert "+ 1 reply of unknown cost · 2 replies" in total
    parts.status.update_spend()
    spend = parts.window.session_label.text()
    assert spend.startswith("Today: $") and "+ 1 reply of unknown cost" in spend
    assert "This month: $" in spend
    assert "Session" not in spend  # named by what it covers
    await quit_app(parts)


async def test_totals_cover_their_period_not_the_session(
    make_app: Callable[..., Composition], paths: object
) -> None:
    """A reply of last month counts in neither today's nor this month's total."""
    import time

    from desktop_app.api.events import CostSource, TurnResult

    parts = make_app()
    store: HistoryStore = parts.store
    cid = store.create_conversation()
    uid = store.add_user_message(cid, "old question")
    rid = store.begin_reply(cid, parent_id=uid)
    store.finish_reply(rid, TurnResult(text="old", cost_usd=5.0, cost_source=CostSource.REPORTED))
    store._conn.execute(  # type: ignore[union-attr]
        "UPDATE replies SET started_at = ?", (time.time() - 40 * 86400,)
    )
    parts.status.update_spend()
    assert parts.window.session_label.text() == "Today: $0 · This month: $0"
    await quit_app(parts)


async def test_a_retried_turn_is_timed_from_the_send(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    emulator.queue_faults("status:429:retry=1")
    await finish_turn(ctrl, qtbot, "Hello")
    badge = replies(ctrl)[-1].badge
    assert badge.retries == 1
    assert badge.total_ms is not None and badge.total_ms >= 1000  # the wait counts
    assert badge.ttft_ms is not None and badge.ttft_ms >= 1000  # from the user's send
    text = replies(ctrl)[-1].ui.badge.text()  # type: ignore[union-attr]
    assert "retried 1×" in text and "total 1." in text
    await quit_app(parts)


async def test_a_reply_cut_off_by_a_crash_shows_its_total_as_unknown(
    make_app: Callable[..., Composition], paths: object
) -> None:
    from desktop_app.config.paths import AppPaths

    assert isinstance(paths, AppPaths)
    with HistoryStore.open(paths.database_file) as store:
        cid = store.create_conversation(tier_id="balanced")
        uid = store.add_user_message(cid, "Tell me a story")
        rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
        store.update_reply_text(rid, "Once upon", routed_model="openai/gpt-4o")
        store._conn.close()  # type: ignore[union-attr]  # the app dies: no finish_reply
        store._conn = None
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.open_conversation(cid)
    assert ctrl is not None
    text = replies(ctrl)[-1].ui.badge.text()  # type: ignore[union-attr]
    assert "total —" in text and "total 0 ms" not in text
    assert "interrupted" in text
    await quit_app(parts)


async def test_demo_replies_are_recorded_apart_and_never_billed(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    parts.controller.start_demo()
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "hi")
    (reply,) = [m for m in parts.store.load_messages(ctrl.conversation_id or 0) if m.reply]
    assert reply.reply is not None and reply.reply.demo and reply.reply.cost_usd
    parts.status.update_spend()
    assert parts.window.session_label.text().startswith("Demo replies today: $")
    assert parts.window.session_label.text().endswith("(not billed)")
    assert parts.store.totals(demo=False).turns == 0  # spend, budgets and statistics skip it
    await quit_app(parts)
