"""History in the window: tabs come back, interrupted replies are marked, search, undo, export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.config.paths import AppPaths
from desktop_app.emulator.server import EmulatorThread
from desktop_app.services.history import history_from_store
from desktop_app.store import HistoryStore
from tests.support.gui import quit_app, replies, send, start_with_key, wait_until


def stored_conversation(
    paths: AppPaths, turns: int, reply: Callable[[int], str], **result: Any
) -> int:
    """A conversation of `turns` finished turns in the history ("question n", `reply(n)`)."""
    from desktop_app.api.events import TurnResult

    store = HistoryStore.open(paths.database_file)
    try:
        cid = store.create_conversation(tier_id="balanced")
        for n in range(turns):
            uid = store.add_user_message(cid, f"question {n}")
            rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
            store.finish_reply(rid, TurnResult(text=reply(n), model="openai/gpt-4o", **result))
    finally:
        store.close()
    return cid


async def test_tabs_order_selection_and_tiers_come_back(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    first = make_app()
    start_with_key(first)
    a = first.tabs.controllers[0]
    a.page.tier_selector.select("premium")
    send(a, qtbot, "Write a short poem about rivers")
    b = first.tabs.new_conversation("fast")
    send(b, qtbot, "What is the capital of Japan?")
    await wait_until(lambda: not a.streaming and not b.streaming)
    first.tabs.new_conversation("code")  # an empty tab is restored too
    first.window.tabs.setCurrentIndex(1)
    first.window.tabs.tabBar().moveTab(0, 2)  # drag the first tab to the end
    await quit_app(first)

    second = make_app()
    start_with_key(second)
    tabs = second.window.tabs
    assert tabs.count() == 3
    ctrls = [second.tabs.controller_at(i) for i in range(3)]
    assert [c.tier_id for c in ctrls if c] == ["fast", "code", "premium"]
    assert tabs.currentIndex() == 0  # the selected tab moved to index 0 with the drag
    restored = ctrls[2]
    assert restored is not None
    # A tab not on screen loads when first shown; its total comes from the store until then.
    assert not restored.loaded and not restored.entries
    totals = restored.totals()
    assert totals is not None and totals.turns == 1 and totals.cost_usd > 0
    assert "1 reply" in restored.page.total_label.text()
    tabs.setCurrentIndex(2)
    assert restored.loaded
    assert restored.entries[0].content == "Write a short poem about rivers"
    reply = replies(restored)[0]
    assert reply.status is TurnStatus.COMPLETE
    assert reply.badge.model == "anthropic/claude-opus-4-5"
    assert reply.widget.badge is not None
    assert "claude-opus-4-5" in reply.widget.badge.text()
    assert "rivers" in tabs.tabText(2).lower()
    # The restored history is what the next request sends.
    send(restored, qtbot, "Now make it rhyme")
    await wait_until(lambda: not restored.streaming)
    sent = emulator.server.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[0]["content"] == "Write a short poem about rivers"


async def test_interrupted_reply_is_marked_with_retry(
    make_app: Callable[..., Composition], paths: AppPaths, qtbot: QtBot
) -> None:
    # A previous run died mid-stream: the reply row is still 'streaming' with partial text.
    store = HistoryStore.open(paths.database_file)
    cid = store.create_conversation(tier_id="balanced")
    uid = store.add_user_message(cid, "Explain how tides work")
    rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
    store.update_reply_text(rid, "Tides are caused by", routed_model="openai/gpt-4o")
    store.save_open_tabs([], None)
    store._conn.close()  # simulate a kill: no clean close, nothing finished
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.open_conversation(cid)
    assert ctrl is not None
    reply = replies(ctrl)[0]
    assert reply.status is TurnStatus.INTERRUPTED
    assert reply.content == "Tides are caused by"
    await wait_until(reply.widget.error_label.isVisible)
    assert "while this reply was" in reply.widget.error_label.text()
    assert "partial answer is kept" in reply.widget.error_label.text()
    assert reply.widget.retry_button.isVisible()
    assert "interrupted" in parts.window.statusBar().currentMessage()
    assert "Tides are caused by" in reply.widget.view.toPlainText()
    qtbot.mouseClick(reply.widget.retry_button, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not ctrl.streaming and replies(ctrl)[0] is not reply)
    await wait_until(lambda: replies(ctrl)[0].status is TurnStatus.COMPLETE)


async def test_sidebar_search_highlights_and_opens(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "Tell me about the aurora borealis")
    await wait_until(lambda: not ctrl.streaming)
    parts.tabs.close(ctrl)
    from desktop_app.ui.history.history_panel import HistoryPanel

    assert parts.window.findChild(HistoryPanel) is None  # built at first use, not at start-up
    qtbot.keyClick(parts.window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    panel = parts.history.panel
    assert parts.window.findChild(HistoryPanel) is panel
    assert panel.isVisible()
    assert panel.search.hasFocus()
    panel.search.setText("aurora")
    await wait_until(lambda: panel.results.count() > 0)
    label = panel.results.itemWidget(panel.results.item(0))
    assert isinstance(label, QLabel)
    assert "<b style=" in label.text()
    assert "aurora" in label.text().lower()
    panel.results.itemClicked.emit(panel.results.item(0))
    current = parts.tabs.current()
    assert current is not None
    assert current.entries[0].content == "Tell me about the aurora borealis"


async def test_delete_with_undo_and_rename(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "Summarise the plot of Hamlet")
    await wait_until(lambda: not ctrl.streaming)
    cid = ctrl.conversation_id
    assert cid is not None
    parts.history.rename(cid, "Hamlet notes")
    assert parts.window.tabs.tabText(0) == "Hamlet notes"
    store = parts.history.store
    assert store.get_conversation(cid).title == "Hamlet notes"
    parts.history.delete(cid)
    assert all(c.conversation_id != cid for c in parts.tabs.controllers)
    assert cid not in [c.id for c in store.list_conversations()]
    undo = parts.window.statusBar().findChild(QPushButton, "undo_delete")
    assert undo is not None
    undo.click()
    assert cid in [c.id for c in store.list_conversations()]


async def test_export_and_import_roundtrip(
    make_app: Callable[..., Composition], qtbot: QtBot, tmp_path: Path
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "Write a python function that reverses a string")
    await wait_until(lambda: not ctrl.streaming)
    cid = ctrl.conversation_id
    assert cid is not None
    md, js = tmp_path / "c.md", tmp_path / "c.json"
    assert parts.history.write_export(cid, "markdown", md)
    assert parts.history.write_export(cid, "json", js)
    text = md.read_text()
    assert "reverses a string" in text
    assert "anthropic/claude-sonnet-4-5" in text
    data = json.loads(js.read_text())
    assert "sk-test-key-0001" not in js.read_text() + text
    assert data["messages"]
    new_id = parts.history.read_import(js)
    assert new_id is not None and new_id != cid
    current = parts.tabs.current()
    assert current is not None
    assert current.conversation_id == new_id
    assert replies(current)[0].badge.model == "anthropic/claude-sonnet-4-5"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert parts.history.read_import(bad) is None
    assert "Could not import bad.json" in parts.window.statusBar().currentMessage()


async def test_corrupt_settings_and_database_give_messages_not_crashes(
    qapp: object, paths: AppPaths, emulator: object
) -> None:
    from desktop_app.app import compose
    from desktop_app.config.settings import load_settings

    paths.settings_file.write_text("{ this is not json")
    paths.database_file.write_bytes(b"definitely not a database" * 100)
    settings, warnings = load_settings(paths)
    parts = compose(qapp, paths, settings, settings_warnings=warnings)  # type: ignore[arg-type]
    message = parts.window.statusBar().currentMessage()
    assert "settings" in message.lower()
    assert (
        "corrupt" in message.lower() or "damaged" in message.lower() or "moved" in message.lower()
    )
    moved = [p for p in paths.data_dir.iterdir() if ".corrupt" in p.name]
    assert moved, "the damaged database is kept aside, never deleted"
    assert parts.controller.store.list_conversations() == []
    await quit_app(parts)


async def test_a_long_conversation_opens_with_its_latest_messages_built(
    make_app: Callable[..., Composition], paths: AppPaths
) -> None:
    import time

    from desktop_app.api.events import CostSource
    from desktop_app.ui.chat.chat_widgets import MessageWidget
    from desktop_app.ui.chat.transcript import FIRST_SCREEN, PAGE

    cid = stored_conversation(  # 1,000 messages
        paths,
        500,
        lambda n: f"answer {n} with `code` and **bold**",
        cost_usd=0.001,
        cost_source=CostSource.REPORTED,
    )
    parts = make_app()
    start_with_key(parts)
    started = time.perf_counter()
    ctrl = parts.tabs.open_conversation(cid)
    opened_ms = (time.perf_counter() - started) * 1000
    assert ctrl is not None
    assert len(ctrl.entries) == 1000
    stored = parts.store.load_messages(cid)  # the whole conversation goes with the next turn
    assert len(history_from_store(stored, stored[-1].id)) == 1000
    built = ctrl.page.chat.findChildren(MessageWidget)
    assert 2 <= len(built) <= FIRST_SCREEN  # what fills the view; the rest of the page follows
    assert ctrl.entries[-1].widget is not None
    assert ctrl.entries[-2].widget is not None
    await wait_until(lambda: len(ctrl.page.chat.findChildren(MessageWidget)) == PAGE)
    bar = ctrl.page.chat.verticalScrollBar()
    assert bar.value() == bar.maximum()  # still at the latest message
    assert ctrl.entries[0].widget is None
    button = ctrl.page.chat.earlier_button
    await wait_until(button.isVisible)
    assert button.text() == f"Show {1000 - PAGE} earlier messages"
    button.click()
    assert len(ctrl.page.chat.findChildren(MessageWidget)) == 2 * PAGE
    assert "$0.5" in ctrl.page.total_label.text()  # totals count every turn, built or not
    print(f"\n1,000-message conversation opened in the window in {opened_ms:.0f} ms")


async def test_a_conversation_whose_last_reply_is_taller_than_the_view_opens_whole(
    make_app: Callable[..., Composition], paths: AppPaths
) -> None:
    """The reply alone fills the view, but its prompt is built too: it carries Edit, and
    building stopped at the reply once left the prompt without a widget (a crash)."""
    from desktop_app.ui.chat.chat_widgets import MessageWidget

    long_reply = "\n\n".join(f"Paragraph {n}: " + "words that wrap " * 30 for n in range(40))
    cid = stored_conversation(paths, 3, lambda _n: long_reply)
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.open_conversation(cid)
    assert ctrl is not None
    last_prompt, last_reply = ctrl.entries[-2], ctrl.entries[-1]
    assert last_reply.widget is not None and last_prompt.widget is not None
    assert last_reply.widget.height() > ctrl.page.chat.visible_height() > 0
    assert len(ctrl.page.chat.findChildren(MessageWidget)) == 2  # the view needs no more yet
    assert not last_prompt.widget.edit_button.isHidden()
    assert not last_reply.widget.regen_button.isHidden()
    await wait_until(lambda: len(ctrl.page.chat.findChildren(MessageWidget)) == 6)
    assert all(e.widget is not None for e in ctrl.entries)
    bar = ctrl.page.chat.verticalScrollBar()
    assert bar.value() == bar.maximum()  # still at the latest message
    await quit_app(parts)


async def test_a_tab_closed_before_its_earlier_messages_are_built_is_left_alone(
    make_app: Callable[..., Composition], paths: AppPaths
) -> None:
    """Messages above the first screen are built after the first frame; a tab closed (and
    its page deleted) before then must not make that work touch the deleted page."""
    import shiboken6

    cid = stored_conversation(paths, 20, lambda n: f"answer {n}")
    parts = make_app()
    start_with_key(parts)
    later: list[Callable[[], None]] = []
    parts.window.after_first_frame = later.append  # type: ignore[method-assign]
    ctrl = parts.tabs.open_conversation(cid)
    assert ctrl is not None
    assert later, "the earlier messages wait for after the first frame"
    parts.tabs.close(ctrl)
    shiboken6.delete(ctrl.page)
    for work in later:
        work()  # must not raise (RuntimeError: Internal C++ object already deleted)
    await quit_app(parts)
