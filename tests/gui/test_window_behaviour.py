"""Window behaviour: keyboard, renaming tabs, the tier of each turn, following the stream,
where the key comes from, and the names that tests and screen readers rely on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.secrets import KeySource, load_key, store_key
from desktop_app.ui.chat.chat_widgets import TurnBadge
from desktop_app.ui.settings.account_dialog import AccountDialog
from tests.support.gui import finish_turn, replies, send, start_with_key, wait_until

ENV_KEY = "sk-from-the-environment-0042"
TYPED_KEY = "sk-typed-on-the-welcome-page-0007"


def keys(action: QAction) -> list[str]:
    return [s.toString() for s in action.shortcuts()]


# --- 1. keyboard --------------------------------------------------------------------------------
async def test_tab_shortcuts_are_the_documented_keys_and_do_what_they_say(
    make_app: Callable[..., Composition],
) -> None:
    """Shortcuts are driven through their actions (offscreen key events to shortcuts are not
    reliable); the actions' key sequences and their place on the window are checked apart."""
    parts = make_app()
    start_with_key(parts)
    w, c = parts.window, parts.tabs
    assert w.new_tab_action.shortcuts() == [QKeySequence("Ctrl+T")]
    assert w.close_tab_action.shortcuts() == [QKeySequence("Ctrl+W")]
    assert w.next_tab_action.shortcuts()[0] == QKeySequence("Ctrl+Tab")
    assert w.prev_tab_action.shortcuts()[0] == QKeySequence("Ctrl+Shift+Tab")
    assert keys(w.next_tab_action) == ["Ctrl+Tab", "Ctrl+PgDown"]
    assert keys(w.prev_tab_action) == ["Ctrl+Shift+Tab", "Ctrl+PgUp"]
    for action in (w.new_tab_action, w.close_tab_action, w.next_tab_action, w.prev_tab_action):
        assert action in w.actions()  # on the window: they work with the menu bar closed

    w.new_tab_action.trigger()
    w.new_tab_action.trigger()
    assert w.tabs.count() == 3 and w.tabs.currentIndex() == 2
    newest = c.controllers[-1]
    assert w.tabs.currentWidget() is newest.page
    assert w.focusWidget() is newest.page.composer.input  # ready to type

    w.next_tab_action.trigger()
    assert w.tabs.currentIndex() == 0  # wraps from the last to the first
    w.next_tab_action.trigger()
    assert w.tabs.currentIndex() == 1
    w.prev_tab_action.trigger()
    w.prev_tab_action.trigger()
    assert w.tabs.currentIndex() == 2  # wraps from the first to the last
    assert w.focusWidget() is c.current().page.composer.input  # type: ignore[union-attr]

    w.tabs.setCurrentIndex(1)
    middle = c.controllers[1]
    w.close_tab_action.trigger()  # nothing streams: no question
    assert w.findChild(QMessageBox, "confirm_close_streaming") is None
    assert middle not in c.controllers and w.tabs.count() == 2
    assert w.tabs.indexOf(middle.page) == -1


# --- 2. rename ----------------------------------------------------------------------------------
async def test_renaming_a_tab_in_place_stores_the_title_and_escape_cancels(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    c, tabs = parts.tabs, parts.window.tabs
    conversation_id = parts.store.create_conversation(tier_id="balanced")
    ctrl = c.open_conversation(conversation_id)  # a saved conversation, as from the history
    assert ctrl is not None
    index = tabs.indexOf(ctrl.page)

    tabs.start_rename(index)
    editor = tabs.findChild(QLineEdit, "tab_rename_editor")
    assert editor is not None and editor.isVisible()
    assert editor.text() == "New conversation" and editor.selectedText() == editor.text()
    qtbot.keyClicks(editor, "Trip to Lisbon")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # editingFinished
    assert tabs.tabText(index) == "Trip to Lisbon"
    assert tabs.tabToolTip(index) == "Trip to Lisbon"
    assert parts.store.get_conversation(conversation_id).title == "Trip to Lisbon"
    await wait_until(lambda: tabs.findChild(QLineEdit, "tab_rename_editor") is None)

    tabs.start_rename(index)
    editor = tabs.findChild(QLineEdit, "tab_rename_editor")
    assert editor is not None and editor.text() == "Trip to Lisbon"
    qtbot.keyClicks(editor, "Something else")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    await wait_until(lambda: tabs.findChild(QLineEdit, "tab_rename_editor") is None)
    assert tabs.tabText(index) == "Trip to Lisbon"
    assert parts.store.get_conversation(conversation_id).title == "Trip to Lisbon"


async def test_a_new_tab_renamed_before_its_first_message_keeps_its_title(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    """The usual order: Ctrl+T, name the tab, then ask (the title used to give way to the
    first prompt: the conversation did not exist yet when the tab was renamed)."""
    parts = make_app()
    start_with_key(parts)
    tabs = parts.window.tabs
    ctrl = parts.tabs.controllers[0]
    tabs.start_rename(0)
    editor = tabs.findChild(QLineEdit, "tab_rename_editor")
    assert editor is not None
    qtbot.keyClicks(editor, "Trip to Lisbon")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert tabs.tabText(0) == "Trip to Lisbon"
    await finish_turn(ctrl, qtbot, "What's the capital of France?")
    assert ctrl.conversation_id is not None
    assert tabs.tabText(0) == "Trip to Lisbon"
    tabs.start_rename(0)
    tabs.start_rename(0)  # a second double-click: still one editor
    await wait_until(lambda: len(tabs.findChildren(QLineEdit, "tab_rename_editor")) == 1)
    assert parts.controller.store.get_conversation(ctrl.conversation_id).title == "Trip to Lisbon"


# --- 3. the tier of each turn -------------------------------------------------------------------
async def test_a_tier_change_applies_from_the_next_turn_and_each_turn_keeps_its_own(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    tiers = parts.controller.tiers
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("fast")
    await finish_turn(ctrl, qtbot, "What's the capital of France?")
    ctrl.page.tier_selector.select("premium")
    assert ctrl.tier_id == "premium"
    await finish_turn(ctrl, qtbot, "And the capital of Italy?")

    first_request, second_request = emulator.server.requests[-2:]
    assert first_request["router_candidates"] == list(tiers.get("fast").candidates or ())
    assert second_request["router_candidates"] == list(tiers.get("premium").candidates or ())
    first, second = replies(ctrl)
    assert first.status is second.status is TurnStatus.COMPLETE
    assert first.plan is not None and first.plan.tier_id == "fast"
    assert second.plan is not None and second.plan.tier_id == "premium"
    assert first.badge.tier_label == tiers.get("fast").label
    assert first.badge.candidates == tiers.get("fast").candidates
    assert first.badge.model in (tiers.get("fast").candidates or ())
    assert second.badge.model in (tiers.get("premium").candidates or ())
    assert first.ui.badge is not None
    assert f"Tier: {tiers.get('fast').label}" in first.ui.badge.toolTip()


# --- 4. following the stream --------------------------------------------------------------------
async def test_scrolling_up_during_a_reply_keeps_the_place_until_jump_to_latest(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    """Made deterministic rather than raced against the fixture's 4 ms token delay: the prompt
    is long enough to make the chat scroll on its own, and the emulator pauses the reply for
    2 s after 5 chunks (time to scroll up) and for 30 s near the end (time to look while the
    reply still streams). A burst (max_tokens >= BURST_MIN_TOKENS, 10,000 tokens) would take
    40 s at this token delay, and 2,000 max_tokens only cuts the natural reply short."""
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    chat = ctrl.page.chat
    bar = chat.verticalScrollBar()
    emulator.queue_faults("stall_mid:2@5+stall_mid:30@60")
    long_prompt = "\n".join(f"Line {i} of the notes I want summarised." for i in range(60))
    send(ctrl, qtbot, "Tell me about the history of the printing press\n" + long_prompt)
    await wait_until(lambda: bool(replies(ctrl)) and bool(replies(ctrl)[0].ui.view.text))
    assert ctrl.streaming and bar.maximum() > 100
    assert bar.value() == bar.maximum()  # following the stream
    assert not chat.jump_button.isVisible()

    bar.setValue(0)  # the user scrolls up to read the prompt (within the 2 s pause)
    reply_view = replies(ctrl)[0].ui.view
    length_when_scrolled = len(reply_view.text)
    maximum_when_scrolled = bar.maximum()
    await wait_until(lambda: len(reply_view.text) > length_when_scrolled)
    await wait_until(lambda: bar.maximum() > maximum_when_scrolled)
    assert ctrl.streaming
    assert bar.value() == 0  # the view stays where the user put it
    assert chat.jump_button.isVisible()

    qtbot.mouseClick(chat.jump_button, Qt.MouseButton.LeftButton)
    assert bar.value() == bar.maximum()
    assert not chat.jump_button.isVisible()
    ctrl.stop()
    await wait_until(lambda: not ctrl.streaming and emulator.server.open_streams == 0)


# --- 5. where the key comes from ----------------------------------------------------------------
async def test_a_key_in_the_environment_is_used_and_named_in_the_status_line(
    make_app: Callable[..., Composition],
    qtbot: QtBot,
    emulator: EmulatorThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDENAI_API_KEY", ENV_KEY)
    monkeypatch.setattr(emulator.server.config, "api_key", ENV_KEY)  # any other key: 401
    parts = make_app()
    parts.controller.start()
    w = parts.window
    assert w.stack.currentWidget() is w.tabs  # no keyring lookup, no welcome page
    assert not parts.session.pending
    assert "from EDENAI_API_KEY" in w.mode_label.text()
    assert "sk-f…42" in w.mode_label.text() and ENV_KEY not in w.mode_label.text()
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "What is 2 + 2?")
    assert replies(ctrl)[0].status is TurnStatus.COMPLETE
    assert load_key().key == ENV_KEY and load_key().source is KeySource.ENVIRONMENT


@pytest.mark.parametrize("remember", [True, False])
async def test_the_welcome_page_saves_the_key_in_the_keyring_only_when_asked(
    make_app: Callable[..., Composition], qtbot: QtBot, remember: bool
) -> None:
    parts = make_app()
    parts.controller.start()
    w = parts.window
    await wait_until(lambda: not parts.session.pending)
    assert w.stack.currentWidget() is w.welcome
    welcome = w.welcome
    assert not welcome.save_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(welcome.key_field, TYPED_KEY)
    welcome.remember.setChecked(remember)
    qtbot.mouseClick(welcome.save_button, Qt.MouseButton.LeftButton)
    assert w.stack.currentWidget() is w.tabs
    lookup = load_key()
    if remember:
        assert (lookup.key, lookup.source) == (TYPED_KEY, KeySource.KEYRING)
        assert "from the system keyring" in w.mode_label.text()
    else:
        assert (lookup.key, lookup.source) == (None, KeySource.NONE)
        assert "for this session only" in w.mode_label.text()


async def test_the_account_dialog_removes_the_stored_key_and_the_welcome_page_returns(
    make_app: Callable[..., Composition],
) -> None:
    store_key("sk-from-the-keyring-0001")
    parts = make_app()
    parts.controller.start()
    w = parts.window
    await wait_until(lambda: not parts.session.pending)
    assert w.stack.currentWidget() is w.tabs
    parts.controller.keys.show_account()  # Settings → Account and API key…
    dialog = w.findChild(AccountDialog, "account_dialog")
    assert dialog is not None and dialog.isVisible()
    assert "system keyring" in dialog.status_label.text()
    assert "sk-f…01" in dialog.status_label.text()
    assert dialog.remove_button.isEnabled()
    dialog.remove_button.click()
    assert load_key().key is None
    assert dialog.message.text() == "The stored key was removed."
    assert not dialog.remove_button.isEnabled()
    assert w.stack.currentWidget() is w.welcome
    assert "No API key yet" in w.mode_label.text()
    dialog.reject()


# --- 6. object and accessible names -------------------------------------------------------------
async def test_stable_object_names_and_accessible_names_of_the_controls(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    w = parts.window
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "What's the capital of France?")
    page = ctrl.page
    assert w.findChild(QTabWidget, "conversation_tabs") is w.tabs
    assert page.findChild(QComboBox, "tier_selector") is page.tier_selector
    assert page.findChild(QPlainTextEdit, "prompt_input") is page.composer.input
    assert page.findChild(QPushButton, "send_button") is page.composer.send_button
    assert page.findChild(QPushButton, "stop_button") is page.composer.stop_button
    reply = replies(ctrl)[0].ui
    assert reply.findChild(TurnBadge, "turn_badge") is reply.badge

    controls = [page.tier_selector, page.composer.input]
    controls += [page.composer.send_button, page.composer.stop_button, w.tabs]
    copy_buttons = [m.copy_button for m in page.chat.messages()]
    assert len(copy_buttons) == 2
    for control in controls + copy_buttons:
        assert control.accessibleName().strip(), control.objectName() or type(control).__name__
    for button in page.findChildren(QToolButton):  # Copy, Edit, Regenerate on the messages
        assert button.accessibleName().strip(), button.text()
    assert reply.badge is not None
    model = replies(ctrl)[0].badge.model
    assert model and reply.badge.accessibleName().startswith(f"Model {model}, cost ")
    assert reply.view.accessibleDescription() == reply.badge.accessibleName()
