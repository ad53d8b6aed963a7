"""The real window against the emulator: tabs, tiers, streaming, badges, stop, close, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.services.history import stored_result
from desktop_app.ui.chat.chat_widgets import TurnBadge
from desktop_app.ui.chat.transcript import Entry
from tests.support.gui import replies, send, start_with_key, wait_until

MIN_USEFUL_WIDTH = 640


async def test_two_tabs_stream_at_once_with_different_tiers(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    c = parts.tabs
    tiers = parts.controller.tiers
    first = c.controllers[0]
    first.page.tier_selector.select("code")
    second = c.new_conversation()
    second.page.tier_selector.select("fast")
    assert parts.window.tabs.count() == 2
    send(first, qtbot, "Write a python function to merge two sorted lists")
    send(second, qtbot, "What's the capital of France?")
    assert first.streaming and second.streaming
    await wait_until(lambda: not first.streaming and not second.streaming)
    a, b = replies(first)[0], replies(second)[0]
    assert a.badge.model == "anthropic/claude-sonnet-4-5"
    assert b.badge.model == "google/gemini-2.0-flash"
    assert a.badge.cost_usd and b.badge.cost_usd and a.badge.cost_usd != b.badge.cost_usd
    badges = parts.window.findChildren(TurnBadge, "turn_badge")
    texts = " | ".join(badge.text() for badge in badges)
    assert "claude-sonnet-4-5" in texts and "gemini-2.0-flash" in texts and "$" in texts
    assert "first token" in texts and "total" in texts
    assert "```" not in a.widget.view.toPlainText()  # rendered, not raw Markdown
    assert "merge" in a.widget.view.toPlainText()
    tip = a.widget.badge.toolTip()
    assert "Tier: Code" in tip
    assert "Candidates: " + ", ".join(tiers.get("code").candidates or ()) in tip
    assert "$" in parts.window.session_label.text()
    assert "$" in first.page.total_label.text()


async def test_stop_midway_keeps_partial_reply(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    emulator.queue_faults("stall_mid:30@5")
    send(ctrl, qtbot, "Tell me about the history of the printing press")
    await wait_until(
        lambda: (
            len(replies(ctrl)[0].widget.view.text) > 0
            and ctrl.page.composer.stop_button.isEnabled()
        )
    )
    await wait_until(lambda: emulator.server.open_streams == 1)
    qtbot.mouseClick(ctrl.page.composer.stop_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not ctrl.streaming)
    reply = replies(ctrl)[0]
    assert reply.status is TurnStatus.STOPPED
    assert reply.content and reply.widget.view.toPlainText().strip()
    assert "stopped" in reply.widget.badge.text()
    assert ctrl.page.composer.send_button.isEnabled()
    await wait_until(lambda: emulator.server.open_streams == 0)


async def test_stop_before_the_reply_ever_ran_ends_it(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    """Send and Esc in the same turn of the event loop: the reply's task is cancelled before
    its first step, and the tab still ends the turn (composer back, reply stored stopped)."""
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "Hello")
    qtbot.keyClick(ctrl.page.composer.input, Qt.Key.Key_Escape)
    await wait_until(lambda: ctrl.page.composer.send_button.isEnabled())
    assert not ctrl.streaming
    reply = replies(ctrl)[0]
    assert reply.status is TurnStatus.STOPPED and "stopped" in reply.widget.badge.text()
    assert ctrl.conversation_id is not None
    stored = parts.store.load_messages(ctrl.conversation_id)[-1]
    assert stored.role == "assistant" and stored_result(stored).status is TurnStatus.STOPPED


async def test_closing_a_streaming_tab_asks_then_cancels(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    c = parts.tabs
    ctrl = c.new_conversation()
    emulator.queue_faults("stall_mid:30@3")
    send(ctrl, qtbot, "Write a long story about a lighthouse keeper")
    await wait_until(lambda: emulator.server.open_streams == 1)
    qtbot.keyClick(parts.window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    box = parts.window.findChild(QMessageBox, "confirm_close_streaming")
    assert box is not None and box.isVisible()
    close_button = box.button(QMessageBox.StandardButton.Close)
    assert isinstance(close_button, QPushButton)
    close_button.click()
    await wait_until(lambda: ctrl not in c.controllers)
    assert parts.window.tabs.count() == 1
    await wait_until(lambda: emulator.server.open_streams == 0)


async def test_first_run_offers_demo_mode(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    parts.controller.start()
    w = parts.window
    assert w.stack.currentWidget() is w.welcome
    qtbot.mouseClick(w.welcome.demo_button, Qt.MouseButton.LeftButton)
    assert parts.session.demo
    assert "DEMO" in w.windowTitle()
    assert w.stack.currentWidget() is w.tabs
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "What is 2 + 2?")
    await wait_until(lambda: bool(replies(ctrl)) and not ctrl.streaming, timeout=15)
    assert "DEMO" in replies(ctrl)[0].widget.badge.text()
    assert "not billed" in w.session_label.text()
    parts.controller.stop_demo()


@pytest.mark.parametrize(
    ("fault", "words", "status"),
    [
        ("status:401", "API key", TurnStatus.FAILED),
        ("status:402", "credits", TurnStatus.FAILED),
        ("drop:4", "partial answer is kept", TurnStatus.INTERRUPTED),
    ],
)
async def test_error_turns_say_what_to_do(
    make_app: Callable[..., Composition],
    qtbot: QtBot,
    emulator: EmulatorThread,
    fault: str,
    words: str,
    status: TurnStatus,
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    emulator.queue_faults(fault)
    send(ctrl, qtbot, "Explain neural networks in detail please")
    await wait_until(lambda: bool(replies(ctrl)) and not ctrl.streaming)
    reply = replies(ctrl)[0]
    assert reply.status is status
    error = reply.widget.error_label
    assert error.isVisible() and words in error.text()
    assert reply.widget.retry_button.isVisible()
    # Retry works once the fault is gone, and replaces the failed reply.
    qtbot.mouseClick(reply.widget.retry_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not ctrl.streaming and replies(ctrl)[0] is not reply)
    await wait_until(lambda: replies(ctrl)[0].status is TurnStatus.COMPLETE)
    assert not replies(ctrl)[0].widget.error_label.isVisible()


async def test_messages_wrap_to_the_window_width(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    """The text width follows the window (it is set by the view, not left to QTextEdit), and
    a message built while its tab is hidden is laid out at its neighbours' width."""
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "Tell me about routing in three paragraphs")
    await wait_until(lambda: len(replies(ctrl)) == 1 and not ctrl.streaming)
    view = replies(ctrl)[0].ui.view

    def fits() -> bool:
        return view.lineWrapColumnOrWidth() == view.contentsRect().width() > 0

    await wait_until(fits)
    wide_height = view.height()
    parts.window.resize(MIN_USEFUL_WIDTH, parts.window.height())
    assert parts.window.minimumSizeHint().width() <= MIN_USEFUL_WIDTH  # half a small screen
    await wait_until(lambda: fits() and view.height() > wide_height)
    assert view.document().textWidth() == view.lineWrapColumnOrWidth()

    prompt_width = ctrl.entries[0].ui.view.lineWrapColumnOrWidth()
    other = parts.tabs.new_conversation()  # the first tab is now hidden
    assert other.page.isVisible() and not ctrl.page.isVisible()
    # As background building does ("show earlier"): a message built in the hidden tab.
    earlier = Entry("user", "An earlier question, built while the tab was hidden", None)
    ctrl.page.chat.insert(0, ctrl.transcript._build_widget(earlier))
    hidden_view = earlier.ui.view
    assert hidden_view.lineWrapColumnOrWidth() == prompt_width  # its neighbour's
    parts.window.tabs.setCurrentWidget(ctrl.page)
    await wait_until(lambda: hidden_view.isVisible() and hidden_view.contentsRect().width() > 0)
    assert hidden_view.contentsRect().width() == prompt_width  # nothing to lay out again


async def test_regenerate_asks_again_with_the_tab_tier_or_another(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("budget")
    send(ctrl, qtbot, "What's the capital of France?")
    await wait_until(lambda: len(replies(ctrl)) == 1 and not ctrl.streaming)
    first_reply = replies(ctrl)[0]
    button = first_reply.ui.regen_button
    assert button.isVisible()

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not ctrl.streaming and replies(ctrl)[0] is not first_reply)
    assert len(replies(ctrl)) == 1  # the answer was replaced, not added
    again = emulator.server.requests[-1]
    assert again["router_candidates"] == list(parts.controller.tiers.get("budget").candidates)
    assert [m["role"] for m in again["messages"]] == ["user"]  # the old answer is not sent

    menu = replies(ctrl)[0].ui.regen_button.menu()
    assert menu is not None
    premium = next(a for a in menu.actions() if a.text() == "With Premium")
    premium.trigger()
    await wait_until(lambda: not ctrl.streaming and len(emulator.server.requests) == 3)
    await wait_until(lambda: replies(ctrl)[0].status is TurnStatus.COMPLETE)
    premium_request = emulator.server.requests[-1]
    assert premium_request["router_candidates"] == list(
        parts.controller.tiers.get("premium").candidates
    )
    assert replies(ctrl)[0].badge.model in parts.controller.tiers.get("premium").candidates
    assert ctrl.tier_id == "budget"  # the tab keeps its own tier for the next turn


async def test_edit_puts_the_last_prompt_back_and_resends_it(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "What's the capital of Frnace?")
    await wait_until(lambda: len(replies(ctrl)) == 1 and not ctrl.streaming)
    user = ctrl.entries[0]
    assert user.ui.edit_button.isVisible()
    qtbot.mouseClick(user.ui.edit_button, Qt.MouseButton.LeftButton)
    assert ctrl.entries == []  # the turn left the conversation
    box = ctrl.page.composer.input
    assert box.toPlainText() == "What's the capital of Frnace?"
    box.setPlainText(box.toPlainText().replace("Frnace", "France"))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    await wait_until(lambda: len(replies(ctrl)) == 1 and not ctrl.streaming)
    sent = emulator.server.requests[-1]["messages"]
    assert sent == [{"role": "user", "content": "What's the capital of France?"}]
    assert [e.content for e in ctrl.entries if e.role == "user"] == [
        "What's the capital of France?"
    ]


async def test_copy_a_message_and_a_code_block(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QGuiApplication

    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("code")
    send(ctrl, qtbot, "Write a python function to merge two sorted lists")
    await wait_until(lambda: len(replies(ctrl)) == 1 and not ctrl.streaming)
    reply = replies(ctrl)[0]
    clipboard = QGuiApplication.clipboard()
    qtbot.mouseClick(reply.ui.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == reply.content  # the Markdown as it arrived
    codes = reply.ui.view.code_blocks()
    assert codes and "def " in codes[0]
    with qtbot.waitSignal(reply.ui.view.code_copied):
        reply.ui.view.anchorClicked.emit(QUrl("copy:0"))  # the block's "Copy" link
    assert clipboard.text() == codes[0]
