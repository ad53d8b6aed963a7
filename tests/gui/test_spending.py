"""Spending in the window: the status bar against the limits with one notice per period, the
composer's likely cost, ask or refuse at the limit (dialogs opened with open()), cheaper models
near the limit shown on the badge; and how the badge tells the router's choice."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.api.events import RoutingInfo
from desktop_app.app import Composition
from desktop_app.config.settings import Spending
from desktop_app.emulator.server import EmulatorThread
from desktop_app.routing.plan import BUDGET_KNOB
from desktop_app.ui.chat.badge_routing import DEFAULT_TIP
from desktop_app.ui.chat.chat_widgets import BadgeState, TurnBadge
from tests.support.gui import finish_turn, quit_app, replies, send, start_with_key, wait_until
from tests.support.turns import add_turn


def spend(parts: Composition, *costs: float) -> None:
    cid = parts.store.create_conversation()
    for cost in costs:
        add_turn(parts.store, cid, cost=cost)


async def test_the_status_bar_shows_spend_against_the_limits(
    make_app: Callable[..., Composition],
) -> None:
    parts = make_app(spending=Spending(daily_limit_usd=1.0, monthly_limit_usd=20.0))
    spend(parts, 0.42)
    parts.status.update_spend()
    label = parts.window.session_label
    assert label.text() == "Today $0.42 of $1.00 · This month $0.42 of $20.00"
    assert "42 % of the daily limit" in label.toolTip()
    assert parts.window.statusBar().currentMessage() == ""
    spend(parts, 0.4)  # 82 %: the warning threshold (80 %) is passed
    parts.status.update_spend()
    notice = parts.window.statusBar().currentMessage()
    assert notice == "You have spent $0.82 today, 82 % of your daily limit of $1.00."
    parts.window.statusBar().clearMessage()
    parts.status.update_spend()
    assert parts.window.statusBar().currentMessage() == ""  # once per period
    # Limits off again: the plain totals, named by what they cover.
    parts.settings.apply(parts.settings.current.__class__())
    parts.status.update_spend()
    assert label.text() == "Today: $0.82 · This month: $0.82"
    await quit_app(parts)


async def test_the_composer_shows_the_likely_cost(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    label = ctrl.page.composer.estimate
    assert label.text() == ""
    ctrl.page.composer.input.setPlainText("How do tides work? " * 20)
    await wait_until(lambda: label.text() != "")
    assert label.text().startswith("≈ $") and "–" in label.text()  # the pool's range
    assert "1,000 tokens are assumed" in label.toolTip()
    ctrl.page.tier_selector.select("model:openai/gpt-4o")
    assert "–" not in label.text()  # one model, one price
    parts.settings.apply(parts.settings.current.__class__(max_tokens=50))
    ctrl.update_estimate()
    assert "answer of up to 50 tokens" in label.toolTip()
    assert "assumed" not in label.toolTip()
    ctrl.page.composer.input.clear()
    await wait_until(lambda: label.text() == "")
    await quit_app(parts)


async def test_at_the_limit_the_composer_asks_first(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app(spending=Spending(daily_limit_usd=0.01))
    start_with_key(parts)
    spend(parts, 0.02)
    ctrl = parts.tabs.controllers[0]
    sent = len(emulator.server.requests)
    send(ctrl, qtbot, "Hello")
    box = parts.window.findChild(QMessageBox, "spending_ask")
    assert box is not None and box.isVisible()
    assert "You have spent $0.02 today, which reaches your daily limit of $0.01." in box.text()
    assert box.text().endswith("Send it anyway?")
    assert ctrl.page.composer.input.toPlainText() == "Hello"  # nothing sent yet
    box.button(QMessageBox.StandardButton.Cancel).click()
    await wait_until(lambda: parts.window.findChild(QMessageBox, "spending_ask") is None)
    assert not ctrl.entries and len(emulator.server.requests) == sent
    send(ctrl, qtbot, "Hello")
    box = parts.window.findChild(QMessageBox, "spending_ask")
    assert box is not None
    anyway = box.findChild(QPushButton, "send_anyway")
    assert anyway is not None
    anyway.click()
    await wait_until(lambda: len(replies(ctrl)) == 1 and not ctrl.streaming)
    assert replies(ctrl)[0].result is not None and replies(ctrl)[0].result.text
    await quit_app(parts)


async def test_at_the_limit_refuse_says_why_and_sends_nothing(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app(spending=Spending(daily_limit_usd=0.01, at_limit="refuse"))
    start_with_key(parts)
    spend(parts, 0.02)
    ctrl = parts.tabs.controllers[0]
    sent = len(emulator.server.requests)
    send(ctrl, qtbot, "Hello")
    box = parts.window.findChild(QMessageBox, "spending_refused")
    assert box is not None and box.isVisible()
    assert box.text().startswith("Not sent: You have spent $0.02 today")
    assert "Sending resumes tomorrow" in box.text()
    assert "Preferences → Spending" in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    await wait_until(lambda: parts.window.findChild(QMessageBox, "spending_refused") is None)
    assert not ctrl.entries and len(emulator.server.requests) == sent
    assert ctrl.page.composer.input.toPlainText() == "Hello"  # kept for later
    await quit_app(parts)


async def test_cheaper_models_near_the_limit_are_shown_on_the_badge(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app(spending=Spending(daily_limit_usd=10.0, prefer_cheaper=True))
    start_with_key(parts)
    spend(parts, 8.5)  # above the 80 % threshold, well under the limit
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "Tell me about tides")
    assert emulator.server.requests[-1]["routing"] == {"quality_cost": 8}
    badge = replies(ctrl)[0].ui.badge
    assert badge is not None
    assert "cheaper models (quality/cost 8)" in badge.text()
    assert "spending limit is near" in badge.toolTip()
    stored = parts.store.get_message(replies(ctrl)[0].db_id or 0)
    assert stored.meta is not None and stored.meta[BUDGET_KNOB] == 8
    # Restored from the history, the badge says the same.
    cid = ctrl.conversation_id
    assert cid is not None
    parts.tabs.close(ctrl)
    reopened = parts.tabs.open_conversation(cid)
    assert reopened is not None
    restored = replies(reopened)[0].ui.badge
    assert restored is not None and "cheaper models (quality/cost 8)" in restored.text()
    await quit_app(parts)


async def test_the_badge_tells_how_the_model_was_chosen(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "Hello there")  # ranked: nothing extra
    first = replies(ctrl)[0].ui.badge
    assert first is not None
    assert "default" not in first.text() and "single" not in first.text()
    emulator.queue_faults("router_fail")
    await finish_turn(ctrl, qtbot, "And again")
    badge = replies(ctrl)[1].ui.badge
    assert badge is not None
    assert "default" in badge.text() and DEFAULT_TIP in badge.toolTip()
    cid = ctrl.conversation_id
    assert cid is not None
    parts.tabs.close(ctrl)
    reopened = parts.tabs.open_conversation(cid)
    assert reopened is not None
    restored = replies(reopened)[1].ui.badge
    assert restored is not None and "default" in restored.text()
    await quit_app(parts)


def test_badge_routing_words(qtbot: QtBot) -> None:
    badge = TurnBadge()
    qtbot.addWidget(badge)
    info = RoutingInfo(selection="single", dropped=("acme/a", "acme/b"), attempt=2)
    badge.show_state(BadgeState(model="openai/gpt-4o", routing=info))
    text = badge.text()
    assert "single" in text
    assert "⚠ 2 of your candidates could not be ranked: acme/a, acme/b" in text
    assert "provider retried" in text
    assert "Eden AI's attempt 2 answered" in badge.toolTip()
    assert "could not rank acme/a, acme/b" in badge.toolTip()
    spoken = badge.accessibleName()  # what a screen reader says
    assert "warning: 2 of your candidates could not be ranked: acme/a, acme/b" in spoken
    assert "the provider was retried" in spoken and "single candidate" in spoken
    badge.show_state(BadgeState(model="openai/gpt-4o", routing=RoutingInfo(selection="ranked")))
    assert "single" not in badge.text() and "retried" not in badge.text()
    assert "⚠" not in badge.text()


async def test_preferences_has_a_spending_section(make_app: Callable[..., Composition]) -> None:
    from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

    from desktop_app.config.settings import load_settings
    from desktop_app.ui.settings.preferences import PreferencesDialog

    parts = make_app()
    parts.controller.show_preferences()
    dialog = parts.window.findChild(PreferencesDialog, "preferences_dialog")
    assert dialog is not None
    tabs = [dialog.sections.tabText(i) for i in range(dialog.sections.count())]
    assert "Spending" in tabs
    daily = dialog.field("spending.daily_limit_usd")
    assert isinstance(daily, QDoubleSpinBox)
    assert daily.text() == "Off" and daily.suffix() == " USD"  # off by default
    daily.setValue(1.5)
    warn = dialog.field("spending.warn_percent")
    assert isinstance(warn, QSpinBox) and warn.value() == 80
    at_limit = dialog.field("spending.at_limit")
    assert isinstance(at_limit, QComboBox) and at_limit.currentData() == "ask"
    at_limit.setCurrentIndex(at_limit.findData("refuse"))
    cheaper = dialog.field("spending.prefer_cheaper")
    assert isinstance(cheaper, QCheckBox) and not cheaper.isChecked()
    dialog._save()
    saved = load_settings(parts.settings.paths).settings.spending
    assert (saved.daily_limit_usd, saved.monthly_limit_usd, saved.at_limit) == (1.5, None, "refuse")
    parts.status.update_spend()
    assert parts.window.session_label.text().startswith("Today $0 of $1.50")
    await quit_app(parts)


async def test_a_comparison_round_at_the_limit_asks_then_refuses(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    """A round's columns are checked as one send: asked first (Cancel sends nothing, Send
    anyway sends every column), and with "refuse" nothing goes out and the prompt stays."""
    from tests.gui.test_compare import column_replies, send_round

    parts = make_app(spending=Spending(daily_limit_usd=0.01))
    start_with_key(parts)
    spend(parts, 0.02)
    ctrl = parts.tabs.new_comparison(["budget", "premium"])
    sent = len(emulator.server.requests)
    send_round(ctrl, qtbot, "Explain how tides work")
    box = parts.window.findChild(QMessageBox, "spending_ask")
    assert box is not None and box.isVisible()
    assert "You have spent $0.02 today, which reaches your daily limit of $0.01." in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await wait_until(lambda: parts.window.findChild(QMessageBox, "spending_ask") is None)
    assert not ctrl.streaming and len(emulator.server.requests) == sent
    assert ctrl.page.composer.input.toPlainText() == "Explain how tides work"
    send_round(ctrl, qtbot, "Explain how tides work")
    box = parts.window.findChild(QMessageBox, "spending_ask")
    assert box is not None
    anyway = box.findChild(QPushButton, "send_anyway")
    assert anyway is not None
    anyway.click()
    await wait_until(lambda: not ctrl.streaming and len(emulator.server.requests) == sent + 2)
    assert all(column_replies(ctrl, i) for i in range(2))
    parts.settings.apply(
        parts.settings.current.__class__(spending=Spending(daily_limit_usd=0.01, at_limit="refuse"))
    )
    send_round(ctrl, qtbot, "And the moon?")
    box = parts.window.findChild(QMessageBox, "spending_refused")
    assert box is not None and box.text().startswith(
        "Not sent: You have spent $0.02"
    )  # + the round
    box.button(QMessageBox.StandardButton.Ok).click()
    await wait_until(lambda: parts.window.findChild(QMessageBox, "spending_refused") is None)
    assert len(emulator.server.requests) == sent + 2
    assert ctrl.page.composer.input.toPlainText() == "And the moon?"
    await quit_app(parts)
