"""Pools in the window: the editor, the model picker, the tier selector, a deleted pool."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.api.models import ModelInfo
from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.ui.chat.conversation_page import NEW_POOL, PICK_MODEL
from desktop_app.ui.settings.pools_dialog import PoolsDialog
from desktop_app.ui.widgets.model_picker import ModelPicker
from tests.support.gui import finish_turn, quit_app, start_with_key, wait_until


def huge_catalogue(n: int = 5000) -> tuple[ModelInfo, ...]:
    providers = ("openai", "anthropic", "google", "mistral", "acme")
    return tuple(
        ModelInfo(
            id=f"{providers[i % 5]}/model-{i:04d}",
            name=f"model-{i:04d}",
            provider=providers[i % 5],
            context_length=8000 + i,
            input_per_token=(i % 97) * 1e-7,
            output_per_token=(i % 89) * 4e-7,
            supports_tools=i % 3 == 0,
            input_modalities=("text", "image") if i % 2 else ("text",),
        )
        for i in range(n)
    )


async def test_the_picker_filters_a_huge_list_without_a_widget_per_row(qtbot: QtBot) -> None:
    models = huge_catalogue()
    picker = ModelPicker(models, "prices from just now")
    qtbot.addWidget(picker)
    picker.show()
    assert picker.table_model.rowCount() == 5000
    assert picker.table.findChildren(QPushButton) == []  # rows are drawn, not built
    assert picker.count.text() == "5,000 of 5,000 models"
    picker.search.setText("model-00")
    assert picker.proxy.rowCount() == 100
    picker.tools.setChecked(True)
    assert picker.proxy.rowCount() == 34  # every third of the 100 (0, 3, …, 99)
    picker.provider.setCurrentIndex(picker.provider.findData("acme"))
    picker.modality.setCurrentIndex(picker.modality.findData("image"))
    ids = [picker.proxy.index(r, 0).data() for r in range(picker.proxy.rowCount())]
    assert ids and all(i.startswith("acme/model-00") for i in ids)
    chosen: list[str] = []
    picker.chosen.connect(chosen.append)
    picker.table.selectRow(0)
    qtbot.keyClick(picker.table, Qt.Key.Key_Return)  # Enter chooses, as a double-click does
    assert chosen == [ids[0]]
    assert not picker.isVisible()


async def test_sorting_by_price_compares_numbers(qtbot: QtBot) -> None:
    picker = ModelPicker(huge_catalogue(300), "prices from just now")
    qtbot.addWidget(picker)
    picker.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    first = picker.proxy.index(0, 1).data()
    assert first == "9.60"  # 96 × $0.10 per 1M, not "9.00" sorted as text


async def test_make_a_pool_in_the_editor_and_send_with_it(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    parts.controller.show_pools()
    dialog = parts.window.findChild(PoolsDialog, "pools_dialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.list.currentItem().text().endswith("(built-in)")
    assert not dialog.name.isEnabled()  # presets are read-only
    dialog.new_button.click()
    assert dialog._current is not None and not dialog._current.preset
    dialog.name.setText("Writers")
    dialog.candidates.clear()
    for model in ("anthropic/claude-opus-4-5", "openai/gpt-4o", "openai/gpt-4o-mini"):
        dialog.candidates.addItem(model)
    dialog.quality_first.setChecked(False)
    dialog.knob.setValue(7)
    dialog._edited()
    assert "Price range" in dialog.checks.text()
    dialog.save_button.click()
    assert dialog.message.text() == ""
    pool = parts.pools.find("writers")
    assert pool is not None and pool.quality_cost == 7
    ctrl = parts.tabs.controllers[0]
    selector = ctrl.page.tier_selector
    assert selector.findData("writers") >= 0  # the open tab lists it at once
    selector.select("writers")
    ctrl.page.tier_changed.emit("writers")
    await finish_turn(ctrl, qtbot, "Write a short poem about the sea")
    sent = emulator.server.requests[-1]
    assert sent["router_candidates"] == [
        "anthropic/claude-opus-4-5",
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
    ]
    assert sent["routing"] == {"quality_cost": 7}
    dialog.reject()
    await quit_app(parts)


async def test_the_editor_refuses_what_the_api_would(
    make_app: Callable[..., Composition],
) -> None:
    parts = make_app()
    parts.controller.show_pools()
    dialog = parts.window.findChild(PoolsDialog, "pools_dialog")
    assert dialog is not None
    dialog.new_button.click()
    dialog.tools.setChecked(True)
    dialog.candidates.addItem("perplexity/sonar")
    dialog._edited()
    assert "cannot call tools" in dialog.checks.text()
    assert not dialog.save_button.isEnabled()
    dialog.tools.setChecked(False)
    dialog.name.setText("Premium")  # a preset's name
    dialog.save_button.click()
    assert "built-in" in dialog.message.text()
    dialog.reject()
    await quit_app(parts)


async def test_a_tab_whose_pool_was_deleted_says_so_and_sends_nothing(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    parts.pools.add("Mine", ["openai/gpt-4o", "openai/gpt-4o-mini"])
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("mine")
    ctrl.page.tier_changed.emit("mine")
    assert ctrl.tier_id == "mine"
    told: list[str] = []
    parts.messages.connect(lambda m: told.append(m.text))
    parts.pools.remove("mine")
    assert ctrl.tier_id == "mine"  # never silently switched
    assert "was deleted" in ctrl.page.tier_hint.text()
    assert "Deleted pool" in ctrl.page.tier_selector.currentText()
    before = len(emulator.server.requests)
    ctrl.page.composer.input.setPlainText("Hello?")
    ctrl.page.composer.send_button.click()
    await wait_until(lambda: any("was deleted" in t for t in told))
    assert len(emulator.server.requests) == before
    assert ctrl.page.composer.input.toPlainText() == "Hello?"  # nothing lost
    budget = ctrl.page.tier_selector.findData("budget")
    ctrl.page.tier_selector.setCurrentIndex(budget)
    ctrl.page.tier_selector.activated.emit(budget)
    assert ctrl.tier_id == "budget" and "Deleted" not in ctrl.page.tier_selector.itemText(0)
    await quit_app(parts)


async def test_the_selector_opens_the_picker_and_the_pool_editor(
    make_app: Callable[..., Composition], qapp: QApplication
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    selector = ctrl.page.tier_selector
    pick = selector.findData(PICK_MODEL)
    selector.setCurrentIndex(pick)
    selector.activated.emit(pick)
    picker = parts.window.findChild(ModelPicker, "model_picker")
    assert picker is not None and picker.isVisible()
    assert selector.current_tier_id() == "balanced"  # the action is not a tier
    picker.search.setText("gemini 2.5 pro")
    picker.ok.click()
    assert ctrl.tier_id == "model:google/gemini-2.5-pro"
    assert selector.current_tier_id() == "model:google/gemini-2.5-pro"
    new = selector.findData(NEW_POOL)
    selector.setCurrentIndex(new)
    selector.activated.emit(new)
    assert parts.window.findChild(PoolsDialog, "pools_dialog") is not None
    await quit_app(parts)


async def test_a_comparison_column_whose_pool_was_deleted_sends_nothing(
    make_app: Callable[..., Composition], emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    parts.pools.add("Mine", ["openai/gpt-4o", "openai/gpt-4o-mini"])
    compare = parts.tabs.new_comparison(["budget", "mine"])
    told: list[str] = []
    parts.messages.connect(lambda m: told.append(m.text))
    parts.pools.remove("mine")
    selector = compare.columns[1].widget.tier_selector
    assert "Deleted pool" in selector.currentText()  # the column says so, keeps its choice
    before = len(emulator.server.requests)
    compare.page.composer.input.setPlainText("Hello?")
    compare.page.composer.send_button.click()
    await wait_until(lambda: any("was deleted" in t for t in told))
    assert len(emulator.server.requests) == before
    pick = selector.findData(PICK_MODEL)
    selector.setCurrentIndex(pick)
    selector.activated.emit(pick)  # the column's selector opens the same picker
    picker = parts.window.findChild(ModelPicker, "model_picker")
    assert picker is not None and picker.isVisible()
    picker.search.setText("gemini 2.0 flash")
    picker.ok.click()
    assert compare.columns[1].spec.tier_id == "model:google/gemini-2.0-flash"
    await quit_app(parts)
