"""The comparison view against the emulator: columns side by side, each its own thread, Stop and
Retry per column, the summary strip, blind votes, Continue with this, columns kept across
restarts, the sidebar, narrow windows, and Regenerate's "Compare with…"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton, QTabWidget, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.ui.chat.chat_widgets import TurnBadge
from desktop_app.ui.chat.conversation_controller import ConversationController
from desktop_app.ui.chat.transcript import Entry
from desktop_app.ui.compare.compare_controller import CompareController
from tests.support.gui import quit_app, replies, send, start_with_key, wait_until

CODE = "Write a python function to merge two sorted lists"


async def new_comparison(parts: Composition, qtbot: QtBot) -> CompareController:
    """File → New comparison, by its shortcut (Ctrl+Shift+T)."""
    before = len(parts.tabs.comparisons)
    parts.window.activateWindow()  # shortcuts go to the active window
    await wait_until(parts.window.isActiveWindow)
    qtbot.keyClick(
        parts.window,
        Qt.Key.Key_T,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert len(parts.tabs.comparisons) == before + 1
    ctrl = parts.tabs.comparisons[-1]
    assert isinstance(ctrl, CompareController)
    return ctrl


def send_round(ctrl: CompareController, qtbot: QtBot, text: str) -> None:
    box = ctrl.page.composer.input
    box.setPlainText(text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


async def finish_round(ctrl: CompareController, qtbot: QtBot, text: str) -> None:
    send_round(ctrl, qtbot, text)
    assert ctrl.streaming
    await wait_until(lambda: not ctrl.streaming, timeout=20)


def column_widget(ctrl: CompareController, index: int) -> QWidget:
    found = ctrl.page.findChild(QWidget, f"compare_column_{index}")
    assert found is not None, f"no compare_column_{index}"
    return found


def column_replies(ctrl: CompareController, index: int) -> list[Entry]:
    return [e for e in ctrl.columns[index].transcript.entries if e.role == "assistant"]


def badges(widget: QWidget) -> list[TurnBadge]:
    return widget.findChildren(TurnBadge, "turn_badge")


def candidates_of(request: dict[str, object]) -> tuple[str, ...]:
    found = request.get("router_candidates") or ()
    assert isinstance(found, list | tuple)
    return tuple(str(c) for c in found)


async def test_a_prompt_goes_to_every_column_at_once(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = await new_comparison(parts, qtbot)
    page = parts.window.tabs.currentWidget()
    assert page is ctrl.page and page.objectName() == "compare_view"
    assert [c.spec.tier_id for c in ctrl.columns] == ["budget", "balanced", "premium"]
    for i in range(3):
        selector = column_widget(ctrl, i).findChild(QComboBox, "column_tier_selector")
        assert selector is not None and selector.currentData() == ctrl.columns[i].spec.tier_id
        assert selector.accessibleName()
    assert page.findChild(QWidget, "compare_column_3") is None
    for name in ("blind_toggle", "workload_button", "prompt_input", "send_button", "stop_button"):
        assert page.findChild(QWidget, name) is not None, name
    send_round(ctrl, qtbot, CODE)
    assert all(ctrl.streams.running(c.slot) for c in ctrl.columns)  # each column its own slot
    await wait_until(lambda: emulator.server.peak_in_flight == 3)
    await wait_until(lambda: not ctrl.streaming, timeout=20)
    models = [column_replies(ctrl, i)[0].badge.model for i in range(3)]
    assert models == [
        "anthropic/claude-haiku-4-5",
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-opus-4-5",
    ]  # each pool's strongest coder: the columns differ in model and cost
    for i, model in enumerate(models):
        (badge,) = badges(column_widget(ctrl, i))  # one per answer
        assert model in badge.text() and "$" in badge.text()
        assert "first token" in badge.text() and "total" in badge.text()
        assert " in · " in badge.text()
    users = [m for m in parts.store.load_messages(ctrl.conversation_id or 0) if m.role == "user"]
    assert [u.content for u in users] == [CODE]  # the prompt is stored once
    summary = page.findChild(QWidget, "compare_summary")
    assert summary is not None and summary.isVisible()
    text = summary.accessibleDescription()
    assert text.startswith("Cheapest: ")
    assert "Cheapest: Budget" in text
    assert "Fastest first token: " in text and "Fastest total: " in text
    assert "Budget ×1" in text and "Premium ×" in text
    assert parts.store.get_conversation(ctrl.conversation_id or 0).kind == "comparison"
    assert "$" in ctrl.page.total_label.text()


async def test_each_column_keeps_its_own_thread(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "premium"])
    await finish_round(ctrl, qtbot, "Explain how tides work")
    first = {c.spec.tier_id: column_replies(ctrl, i)[0].content for i, c in enumerate(ctrl.columns)}
    await finish_round(ctrl, qtbot, "And what about the moon?")
    seen = {}
    for request in emulator.server.requests[-2:]:
        pool = candidates_of(request)
        tier = "budget" if "openai/gpt-4o-mini" in pool else "premium"
        seen[tier] = [m["content"] for m in request["messages"]]  # type: ignore[union-attr]
    for tier in ("budget", "premium"):
        assert seen[tier] == ["Explain how tides work", first[tier], "And what about the moon?"]


async def test_a_failing_column_has_its_own_retry_and_the_others_carry_on(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "balanced"])
    broken = ctrl.columns[1]
    broken.widget.tier_selector.select("model:nobody/no-such-model")  # the server says 400
    await finish_round(ctrl, qtbot, "What is the capital of France?")
    good, bad = column_replies(ctrl, 0)[0], column_replies(ctrl, 1)[0]
    assert good.status is TurnStatus.COMPLETE
    assert bad.status is TurnStatus.FAILED
    assert bad.widget is not None and bad.widget.error_label.isVisible()
    assert "Change the request" in bad.widget.error_label.text()
    assert bad.widget.retry_button.isVisible()
    assert not good.widget.retry_button.isVisible()
    assert "1 failed" in ctrl.page.summary.accessibleDescription()
    broken.widget.tier_selector.select("model:openai/gpt-4o")
    qtbot.mouseClick(bad.widget.retry_button, Qt.MouseButton.LeftButton)
    assert ctrl.streams.running(broken.slot) and not ctrl.streams.running(ctrl.columns[0].slot)
    await wait_until(lambda: not ctrl.streaming)
    (retried,) = column_replies(ctrl, 1)
    assert retried.status is TurnStatus.COMPLETE and retried.badge.model == "openai/gpt-4o"
    assert column_replies(ctrl, 0) == [good]  # the other column was left alone
    assert "failed" not in ctrl.page.summary.accessibleDescription()


async def test_stop_one_column_then_all_with_escape(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "balanced", "premium"])
    emulator.queue_faults(*["stall_mid:30@3"] * 3)
    send_round(ctrl, qtbot, "Tell me about the history of the printing press")
    await wait_until(lambda: emulator.server.open_streams == 3)
    await wait_until(lambda: all(column_replies(ctrl, i)[0].badge.ttft_ms for i in range(3)))
    middle = column_widget(ctrl, 1).findChild(QPushButton, "column_stop_button")
    assert middle is not None and middle.isEnabled() and middle.accessibleName()
    qtbot.mouseClick(middle, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not ctrl.streams.running(ctrl.columns[1].slot))
    assert column_replies(ctrl, 1)[0].status is TurnStatus.STOPPED
    assert ctrl.streams.running(ctrl.columns[0].slot) and ctrl.streams.running(ctrl.columns[2].slot)
    assert not middle.isEnabled()
    qtbot.keyClick(ctrl.page.composer.input, Qt.Key.Key_Escape)
    await wait_until(lambda: not ctrl.streaming)
    assert [column_replies(ctrl, i)[0].status for i in range(3)] == [TurnStatus.STOPPED] * 3
    assert all(column_replies(ctrl, i)[0].content for i in range(3))  # what arrived is kept
    await wait_until(lambda: emulator.server.open_streams == 0)


async def test_stop_before_the_columns_ever_ran_ends_the_round(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "balanced"])
    send_round(ctrl, qtbot, "Hello")
    qtbot.keyClick(ctrl.page.composer.input, Qt.Key.Key_Escape)  # before any column's first step
    await wait_until(lambda: not ctrl.streaming and ctrl.page.composer.send_button.isEnabled())
    assert [column_replies(ctrl, i)[0].status for i in range(2)] == [TurnStatus.STOPPED] * 2


async def test_blind_mode_hides_until_the_vote_then_reveals(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "balanced", "premium"])
    await finish_round(ctrl, qtbot, "Explain how tides work")  # a sighted round first
    toggle = ctrl.page.findChild(QCheckBox, "blind_toggle")
    assert toggle is not None
    toggle.click()
    assert ctrl.view.blind
    await finish_round(ctrl, qtbot, "Write a haiku about autumn")
    names = [ctrl.columns[i].widget.name_label.text() for i in range(3)]
    assert names == ["A", "B", "C"]
    page = ctrl.page
    for i in range(3):
        col = column_widget(ctrl, i)
        selector = col.findChild(QComboBox, "column_tier_selector")
        assert selector is not None and not selector.isVisible()
        for badge in badges(col):  # the earlier answers' badges too: they would tell
            text = badge.text()
            assert "Hidden until you vote" in text and "$" not in text
            assert "anthropic/" not in text and "openai/" not in text and "google/" not in text
    assert page.summary.accessibleDescription().startswith("Blind mode: costs")  # not a cost
    continue_button = column_widget(ctrl, 0).findChild(QPushButton, "continue_button")
    assert continue_button is not None and not continue_button.isEnabled()
    vote_bar_buttons = {n: page.findChild(QPushButton, f"vote_{n}") for n in "abcd"}
    assert all(vote_bar_buttons[n].isVisible() for n in "abc")  # type: ignore[union-attr]
    assert not vote_bar_buttons["d"].isVisible()  # type: ignore[union-attr]
    for name in ("vote_tie", "vote_bad"):
        assert page.findChild(QPushButton, name).isVisible()  # type: ignore[union-attr]
    labelled_b = next(
        c for c in ctrl.columns if ctrl.round and ctrl.round.labels[c.spec.column] == "B"
    )
    qtbot.mouseClick(vote_bar_buttons["b"], Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    (vote,) = parts.store.votes()
    assert vote.choice == "b" and vote.winner_column == labelled_b.spec.column
    assert vote.winner_tier == labelled_b.spec.tier_id
    assert vote.winner is not None and vote.winner.model == labelled_b.outcome.model  # type: ignore[union-attr]
    assert sorted(c.tier_id or "" for c in vote.columns) == ["balanced", "budget", "premium"]
    assert not page.vote_bar.isVisible()
    assert page.summary.accessibleDescription().startswith("Cheapest: ")
    for i in range(3):
        col = column_widget(ctrl, i)
        assert col.findChild(QComboBox, "column_tier_selector").isVisible()  # type: ignore[union-attr]
        assert all("Hidden" not in b.text() and "$" in b.text() for b in badges(col))
    assert continue_button.isEnabled()


async def test_continue_with_this_opens_that_columns_thread(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "premium"])
    await finish_round(ctrl, qtbot, "Explain how tides work")
    premium_answer = column_replies(ctrl, 1)[0].content
    button = column_widget(ctrl, 1).findChild(QPushButton, "continue_button")
    assert button is not None and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # one click, no copying
    chat = parts.tabs.current_tab()
    assert isinstance(chat, ConversationController)
    assert chat.tier_id == "premium" and chat.conversation_id != ctrl.conversation_id
    assert [e.content for e in chat.entries] == ["Explain how tides work", premium_answer]
    send(chat, qtbot, "Tell me more")
    await wait_until(lambda: not chat.streaming)
    sent = [m["content"] for m in emulator.server.requests[-1]["messages"]]
    assert sent == ["Explain how tides work", premium_answer, "Tell me more"]
    # The comparison keeps every column's answers.
    assert len(column_replies(ctrl, 0)) == 1 and parts.tabs.comparisons == [ctrl]


async def test_columns_and_options_come_back_after_a_restart(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    first = make_app()
    start_with_key(first)
    sent = first.tabs.new_comparison(["budget", "balanced", "premium"])
    sent.columns[1].widget.tier_selector.select("code")
    sent.move_column(sent.columns[2], -1)  # Budget · Premium · Code
    sent.page.blind_toggle.setChecked(True)
    sent.set_blind(False)
    sent.page.blind_toggle.setChecked(False)
    await finish_round(sent, qtbot, "What is 2 + 2?")
    unsent = first.tabs.new_comparison(["auto", "fast"])
    unsent.add_column("premium")
    assert unsent.page.findChild(QWidget, "compare_column_2") is not None
    await quit_app(first)

    second = make_app()
    start_with_key(second)
    restored = second.tabs.comparisons
    assert len(restored) == 2
    a, b = restored
    assert isinstance(a, CompareController) and isinstance(b, CompareController)
    assert [c.spec.tier_id for c in a.columns] == ["budget", "premium", "code"]
    assert [c.spec.tier_id for c in b.columns] == ["auto", "fast", "premium"]
    assert b.conversation_id is None
    second.window.tabs.setCurrentWidget(a.page)
    assert a.loaded
    assert a.columns[0].transcript.entries[0].content == "What is 2 + 2?"
    assert all(column_replies(a, i) for i in range(3))
    assert a.page.summary.accessibleDescription().startswith("Cheapest: ")
    assert [c.widget.tier_selector.current_tier_id() for c in a.columns] == [
        "budget", "premium", "code",
    ]  # fmt: skip


async def test_add_remove_reorder_and_presets(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "balanced"])
    remove = column_widget(ctrl, 0).findChild(QWidget, "column_remove")
    assert remove is not None and not remove.isEnabled()  # never fewer than two
    qtbot.mouseClick(ctrl.page.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(ctrl.page.add_button, Qt.MouseButton.LeftButton)
    assert [c.spec.tier_id for c in ctrl.columns] == ["budget", "balanced", "premium", "auto"]
    assert not ctrl.page.add_button.isEnabled()  # four at most
    assert [c.spec.column for c in ctrl.columns] == [0, 1, 2, 3]
    right = column_widget(ctrl, 0).findChild(QWidget, "column_right")
    assert right is not None and right.toolTip() and right.accessibleName()
    qtbot.mouseClick(right, Qt.MouseButton.LeftButton)
    assert [c.spec.tier_id for c in ctrl.columns][:2] == ["balanced", "budget"]
    assert column_widget(ctrl, 1) is ctrl.columns[1].widget
    qtbot.mouseClick(
        column_widget(ctrl, 3).findChild(QWidget, "column_remove"), Qt.MouseButton.LeftButton
    )  # type: ignore[arg-type]
    assert len(ctrl.columns) == 3 and ctrl.page.add_button.isEnabled()
    ctrl.add_column()
    assert ctrl.columns[-1].spec.column == 4  # a removed column's number is not reused
    ctrl.apply_preset(2)  # Auto vs Balanced
    assert [c.spec.tier_id for c in ctrl.columns] == ["auto", "balanced"]
    ctrl.apply_preset(1)  # Smart routing vs its fallback model
    assert [c.spec.tier_id for c in ctrl.columns] == ["auto", "model:openai/gpt-4o"]
    ctrl.apply_preset(0)
    assert [c.spec.tier_id for c in ctrl.columns] == ["budget", "balanced", "premium"]


async def test_a_narrow_window_stacks_the_columns_as_tabs_with_their_badges(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "premium"])
    parts.window.resize(1300, 800)
    await wait_until(lambda: ctrl.page.width() > 1000)
    assert ctrl.page.body.currentWidget() is ctrl.page.splitter
    sizes = ctrl.page.splitter.sizes()
    assert max(sizes) - min(sizes) <= 2  # equal widths
    await finish_round(ctrl, qtbot, "Explain how tides work")
    parts.window.resize(820, 800)
    await wait_until(lambda: ctrl.page.narrow)
    tabs = ctrl.page.findChild(QTabWidget, "compare_tabs")
    assert tabs is not None and ctrl.page.body.currentWidget() is tabs and tabs.count() == 2
    model = column_replies(ctrl, 0)[0].badge.model or ""
    assert tabs.tabText(0).startswith("Budget · " + model.split("/")[-1] + " · $")
    parts.window.resize(1300, 800)
    await wait_until(lambda: not ctrl.page.narrow)
    assert ctrl.page.splitter.count() == 2 and ctrl.columns[0].widget.isVisible()


async def test_compare_with_from_a_conversations_regenerate_menu(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    chat = parts.tabs.controllers[0]
    chat.page.tier_selector.select("code")
    send(chat, qtbot, CODE)
    await wait_until(lambda: not chat.streaming)
    reply = replies(chat)[0]
    assert reply.widget is not None
    menu = reply.widget.regen_button.menu()
    assert menu is not None
    (action,) = [a for a in menu.actions() if a.text() == "Compare with…"]
    action.trigger()
    ctrl = parts.tabs.current_tab()
    assert isinstance(ctrl, CompareController)
    assert ctrl.page.composer.input.toPlainText() == CODE  # it starts from that prompt
    assert ctrl.columns[0].spec.tier_id == "code" and len(ctrl.columns) == 3
    assert not ctrl.streaming  # the user picks the other columns, then sends


async def test_the_sidebar_marks_comparisons_finds_and_opens_them(
    make_app: Callable[..., Composition], qtbot: QtBot, tmp_path: Path
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "premium"])
    await finish_round(ctrl, qtbot, "Tell me about narwhals")
    cid = ctrl.conversation_id
    assert cid is not None
    parts.history.toggle()
    await wait_until(lambda: parts.history.panel.tree.topLevelItemCount() > 0)
    items = [
        parts.history.panel.tree.topLevelItem(0).child(i)  # type: ignore[union-attr]
        for i in range(parts.history.panel.tree.topLevelItem(0).childCount())  # type: ignore[union-attr]
    ]
    (item,) = [i for i in items if i.data(0, Qt.ItemDataRole.UserRole) == cid]
    assert not item.icon(0).isNull()
    assert item.toolTip(0).startswith("Comparison: ")
    assert item.text(0) == "Tell me about narwhals"  # no mark in the title itself
    assert {h.conversation_id for h in parts.store.search("narwhals")} == {cid}
    parts.tabs.close(ctrl)
    assert ctrl not in parts.tabs.comparisons
    parts.history.panel.open_requested.emit(cid)
    reopened = parts.tabs.current_tab()
    assert isinstance(reopened, CompareController) and reopened.conversation_id == cid
    assert column_replies(reopened, 1)[0].content
    md, js = tmp_path / "c.md", tmp_path / "c.json"
    assert parts.history.write_export(cid, "markdown", md)
    assert parts.history.write_export(cid, "json", js)
    assert "### Column 1 · Budget" in md.read_text()
    assert json.loads(js.read_text())["conversation"]["kind"] == "comparison"
    new_id = parts.history.read_import(js)
    imported = parts.tabs.current_tab()
    assert isinstance(imported, CompareController) and imported.conversation_id == new_id
    assert [c.spec.tier_id for c in imported.columns] == ["budget", "premium"]


async def test_the_command_line_opens_a_comparison_and_sends_to_it(
    make_app: Callable[..., Composition],
) -> None:
    """`routechat --demo --compare budget,premium --prompt …`, as the entry point starts it."""
    parts = make_app()
    parts.controller.start(demo=True, prompt="What is 2 + 2?", compare=["budget", "premium"])
    await wait_until(lambda: bool(parts.tabs.comparisons), timeout=15)
    ctrl = parts.tabs.comparisons[0]
    assert isinstance(ctrl, CompareController)
    assert parts.tabs.current_tab() is ctrl
    assert [c.spec.tier_id for c in ctrl.columns] == ["budget", "premium"]
    await wait_until(lambda: ctrl.conversation_id is not None and not ctrl.streaming, timeout=15)
    for i in range(2):
        (reply,) = column_replies(ctrl, i)
        assert reply.status is TurnStatus.COMPLETE and reply.badge.demo
    parts.controller.stop_demo()
