"""View → Statistics: opened from the menu, figures computed off the GUI thread, filters,
diagnoses, charts described in words, CSV export, catching up after a reply."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop_app.app import Composition
from desktop_app.store import HistoryStore
from desktop_app.ui.stats.stats_controller import StatsController
from desktop_app.ui.stats.stats_window import StatsWindow
from tests.support.gui import finish_turn, quit_app, start_with_key, wait_until
from tests.support.turns import add_turn


def seed(store: HistoryStore) -> None:
    """22 turns of `code` all answered by one model (a diagnosis), a budget turn, a
    comparison with a vote, a demo reply that never counts."""
    cid = store.create_conversation()
    for _ in range(21):
        add_turn(store, cid, tier="code", model="openai/gpt-4o", cost=0.02, ttft=1400.0)
    add_turn(store, cid, tier="code", model=None, cost=None, source="unknown",
             status="failed", error="server", ttft=None)  # fmt: skip
    add_turn(store, cid, tier="budget", model="openai/gpt-4o-mini", cost=0.001, ttft=300.0)
    add_turn(store, cid, tier="budget", cost=5.0, demo=True)
    comparison = store.create_conversation(kind="comparison")
    prompt = store.add_user_message(comparison, "which?")
    for column, tier in enumerate(("code", "budget")):
        add_turn(store, comparison, tier=tier, column=column, parent_id=prompt, cost=0.01)
    conn = store._conn
    assert conn is not None
    conn.execute(
        "INSERT INTO votes (conversation_id, prompt_id, choice, winner_column, columns, "
        "created_at) VALUES (?, ?, 'column', 1, '[]', strftime('%s', 'now'))",
        (comparison, prompt),
    )


async def open_stats(parts: Composition) -> tuple[StatsController, StatsWindow]:
    parts.window.statistics_requested.emit()  # modules now, the window in the next turn
    await wait_until(lambda: parts.controller.stats is not None)
    stats = parts.controller.stats
    assert stats is not None and stats.window is not None
    await wait_until(lambda: stats.figures is not None and not stats.window.status.text())
    return stats, stats.window


async def test_the_window_shows_the_figures_of_the_history(
    make_app: Callable[..., Composition],
) -> None:
    parts = make_app()
    seed(parts.store)
    action = next(a for a in parts.window.actions() if a.text() == "S&tatistics")
    assert action.shortcuts() == [QKeySequence("Ctrl+Shift+S")]
    stats, window = await open_stats(parts)
    assert window.isVisible() and window.period_key() == "30d"
    assert stats.figures is not None and stats.figures.requests == 25  # demo never counts
    summary = window.summary.text()
    assert "25" in summary and "1 reply of unknown cost" in summary
    assert "server 1" in summary
    assert window.diagnoses.isVisible()
    assert "Routing always selects the same model" in window.diagnoses.text()
    assert "High routing latency" in window.diagnoses.text()
    assert "Code" in window.per_tier.accessibleDescription()
    assert "openai/gpt-4o" in window.per_model.accessibleDescription()
    assert "Code: openai/gpt-4o 22 · 100 %" in window.distribution.accessibleDescription()
    assert date.today().isoformat() in window.per_day.accessibleDescription()
    table = window.tiers_table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    code = rows["Code"]
    assert table.item(code, 1).text() == "23"
    assert table.item(code, 3).text() == "1.4 s"  # first token p50
    assert table.item(code, 12).text() == "server 1"
    assert window.votes_table.isVisible() and window.votes_table.rowCount() == 2
    tiers = [window.tier.itemData(i) for i in range(window.tier.count())]
    assert tiers == [None, "budget", "code"]
    await quit_app(parts)


async def test_filters_change_the_figures(make_app: Callable[..., Composition]) -> None:
    parts = make_app()
    seed(parts.store)
    stats, window = await open_stats(parts)
    window.tier.setCurrentIndex(window.tier.findData("budget"))
    await wait_until(lambda: stats.figures is not None and stats.figures.filter.tier == "budget")
    await wait_until(lambda: not window.status.text())
    assert stats.figures.requests == 2
    assert not window.diagnoses.isVisible()
    window.tier.setCurrentIndex(0)
    window.kind.setCurrentIndex(window.kind.findData("comparisons"))
    await wait_until(
        lambda: stats.figures is not None and stats.figures.filter.kind == "comparisons"
    )
    await wait_until(lambda: not window.status.text())
    assert stats.figures.requests == 2
    window.period.setCurrentIndex(window.period.findData("custom"))
    assert window.first_day.isVisible() and window.last_day.isVisible()
    future = date.today() + timedelta(days=3)
    window.first_day.setDate(future)
    window.last_day.setDate(future)
    await wait_until(lambda: stats.figures is not None and stats.figures.filter.first == future)
    await wait_until(lambda: not window.status.text())
    assert stats.figures.requests == 0
    assert "No billed replies" in window.summary.text()
    assert "No blind-comparison votes" in window.votes_note.text()
    await quit_app(parts)


async def test_export_the_figures_and_the_turns(
    make_app: Callable[..., Composition], tmp_path: Path
) -> None:
    parts = make_app()
    seed(parts.store)
    stats, window = await open_stats(parts)
    window.export_requested.emit("figures")
    dialog = window.findChild(QFileDialog, "stats_export_dialog")
    assert dialog is not None and dialog.isVisible()  # opened with open(): no nested loop
    dialog.reject()
    target = tmp_path / "figures.csv"
    stats.write_export("figures", target)
    with target.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["total", "", "requests", "25"] in rows
    turns = tmp_path / "turns.csv"
    stats.write_export("turns", turns)
    await wait_until(lambda: "Exported 25 turns" in parts.window.statusBar().currentMessage())
    with turns.open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 25
    await quit_app(parts)


async def test_the_open_window_catches_up_after_a_reply(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    stats, window = await open_stats(parts)
    assert stats.figures is not None and stats.figures.requests == 0
    await finish_turn(parts.tabs.controllers[0], qtbot, "What is the capital of Peru?")
    await wait_until(lambda: stats.figures is not None and stats.figures.requests == 1, 10)
    assert "balanced" in stats.figures.by_tier
    window.close()
    assert not window.isVisible()
    parts.window.statistics_requested.emit()  # opens again, the same window
    assert stats.window is window and window.isVisible()
    await quit_app(parts)
