"""Workload runs in the window against the emulator: the dialog's checks and estimate, the
concurrency bound, progress, the results table (sort, open an answer), totals, exports,
Cancel keeping what finished, and a stored run reopened from history."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QTableView, QTableWidget
from pytestqt.qtbot import QtBot

from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.services.compare import CSV_HEADER
from desktop_app.ui.compare.compare_controller import CompareController
from desktop_app.ui.compare.workload_controller import WorkloadController
from desktop_app.ui.compare.workload_dialog import WorkloadDialog
from desktop_app.ui.compare.workload_page import AnswerDialog
from tests.support.gui import quit_app, start_with_key, wait_until

PROMPTS = [
    "What is the capital of France?",
    "Write a python function to reverse a list",
    "Tell me a story about a fox",
    "Explain how tides work",
]


async def open_dialog(parts: Composition, qtbot: QtBot, tiers: list[str]) -> WorkloadDialog:
    ctrl = parts.tabs.new_comparison(tiers)
    assert isinstance(ctrl, CompareController)
    button = ctrl.page.findChild(QPushButton, "workload_button")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = parts.window.findChild(WorkloadDialog, "workload_dialog")
    assert dialog is not None and dialog.isVisible()
    return dialog


async def run_from_dialog(dialog: WorkloadDialog, parts: Composition) -> WorkloadController:
    await wait_until(dialog.run_button.isEnabled)  # after the list prices came
    before = len(parts.tabs.comparisons)
    dialog.run_button.click()
    assert len(parts.tabs.comparisons) == before + 1
    run = parts.tabs.comparisons[-1]
    assert isinstance(run, WorkloadController)
    assert parts.tabs.current_tab() is run
    return run


async def test_a_workload_runs_with_the_bound_and_fills_the_table(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread, tmp_path: Path
) -> None:
    parts = make_app(workload_concurrency=3)
    start_with_key(parts)
    dialog = await open_dialog(parts, qtbot, ["budget", "balanced", "premium"])
    assert dialog.concurrency.value() == 3  # the setting
    dialog.editor.setPlainText("\n".join(PROMPTS) + "\n\n")
    await wait_until(lambda: "Estimated cost: ≈$" in dialog.check.text())
    assert "4 prompts × 3 columns = 12 requests, at most 3 at once." in dialog.check.text()
    assert "at list prices (answers of 100 to 1,000 tokens)" in dialog.check.text()
    assert dialog.run_button.text() == "Run 12 requests"
    dialog.concurrency.setValue(2)
    assert emulator.server.stats()["chat_requests"] == 0  # nothing before the confirmation
    emulator.queue_faults(*["stall_first:0.15"] * 12)  # every request takes a moment
    run = await run_from_dialog(dialog, parts)
    page = run.page
    assert page.objectName() == "workload_view"
    table = parts.window.findChild(QTableView, "workload_table")
    assert table is page.table
    assert run.streaming and page.cancel_button.isEnabled()
    await wait_until(lambda: not run.streaming, timeout=30)
    assert emulator.server.peak_in_flight == 2  # never more than the bound, and it is used
    assert emulator.server.stats()["chat_requests"] == 12
    model = run.model
    assert model.rowCount() == 4 and model.columnCount() == 2 + 6 * 3
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Budget\nmodel"
    assert all(o is not None and o.succeeded for row in model.results for o in row)
    assert model.index(1, 2).data() == "anthropic/claude-haiku-4-5"  # code: the pool's coder
    assert model.index(1, 3).data().startswith("$")
    assert page.progress.value() == 12 and not page.cancel_button.isEnabled()
    assert page.status.text().startswith("Finished · 12 of 12 requests · spent $")
    totals = parts.window.findChild(QTableWidget, "workload_totals")
    assert totals is not None and totals.rowCount() == 3
    assert [totals.item(r, 1).text() for r in range(3)] == ["4", "4", "4"]
    assert totals.item(0, 3).text().startswith("$") and "ms" in totals.item(0, 5).text()
    assert "×" in totals.item(2, 9).text()
    # Each prompt was sent on its own, and stored with every column's answer.
    assert all(len(r["messages"]) == 1 for r in emulator.server.requests)
    conv = parts.store.get_conversation(run.conversation_id or 0)
    assert conv.kind == "workload" and conv.view is not None
    assert conv.view["workload"]["state"] == "finished"
    # Click the Budget cost header: sorted by it; then by prompt.
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(3) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    costs = [model.results[model.prompt_at(r)][0].known_cost for r in range(4)]  # type: ignore[union-attr]
    assert costs == sorted(costs)  # type: ignore[type-var]
    assert header.sortIndicatorSection() == 3
    model.sort(1, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 1).data() for r in range(4)] == sorted(PROMPTS, key=str.casefold)
    # Double-click a cell: that answer.
    row = next(r for r in range(4) if model.prompt_at(r) == 1)
    table.scrollTo(model.index(row, 2 + 6))
    cell = table.visualRect(model.index(row, 2 + 6)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    answer = page.findChild(AnswerDialog, "workload_answer")
    assert answer is not None and answer.isVisible()
    assert "Balanced" in answer.windowTitle()
    assert "anthropic/claude-sonnet-4-5" in answer.badge.text()
    await wait_until(lambda: "def " in answer.view.toPlainText())
    answer.close()
    # Exports: the command line's CSV, and JSON with totals and rows.
    out_csv, out_json = tmp_path / "w.csv", tmp_path / "w.json"
    assert run.write_export("csv", out_csv) and run.write_export("json", out_json)
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert out_csv.read_text().splitlines()[0] == ",".join(CSV_HEADER)
    assert len(rows) == 12 and {r["tier"] for r in rows} == {"budget", "balanced", "premium"}
    data = json.loads(out_json.read_text())
    assert data["prompts"] == 4 and [c["requests"] for c in data["columns"]] == [4, 4, 4]
    assert len(data["rows"]) == 12


async def test_bad_workloads_say_what_is_wrong_and_send_nothing(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread, tmp_path: Path
) -> None:
    parts = make_app()
    start_with_key(parts)
    dialog = await open_dialog(parts, qtbot, ["budget", "premium"])
    dialog.validate()
    assert "No prompts yet" in dialog.check.text() and not dialog.run_button.isEnabled()
    other = tmp_path / "prompts.csv"
    other.write_text("a,b\n")
    assert not dialog.load_file(other)
    assert "prompts.csv is not a workload file" in dialog.check.text()
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    assert not dialog.load_file(empty)
    assert "empty.txt has no prompts" in dialog.check.text()
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"prompt": f"q{i}"}) + "\n" for i in range(501)))
    assert not dialog.load_file(big)
    assert "501 prompts; a workload run takes at most 500" in dialog.check.text()
    huge = tmp_path / "huge.txt"
    huge.write_text("short question\n" + "word " * 110_000 + "\n")
    await wait_until(lambda: dialog._prices is not None)  # the emulator's context lengths
    assert dialog.load_file(huge)
    assert "Prompt 2 is about 137,500 tokens, over the 128,000-token context" in (
        dialog.check.text()
    )
    assert not dialog.run_button.isEnabled()
    good = tmp_path / "good.jsonl"
    good.write_text('{"prompt": "one"}\n{"prompt": "two\\nlines"}\n')
    assert dialog.load_file(good)
    assert dialog.editor.isReadOnly() and "2 prompts from good.jsonl" in dialog.file_label.text()
    assert dialog.run_button.isEnabled() and dialog.run_button.text() == "Run 4 requests"
    dialog.reject()
    assert emulator.server.stats()["chat_requests"] == 0
    assert len(parts.tabs.comparisons) == 1


async def test_cancel_keeps_what_finished_and_the_run_reopens(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    first = make_app()
    start_with_key(first)
    dialog = await open_dialog(first, qtbot, ["budget", "premium"])
    dialog.editor.setPlainText("\n".join(PROMPTS[:3]))
    dialog.concurrency.setValue(1)
    emulator.queue_faults("none", "stall_first:30")
    run = await run_from_dialog(dialog, first)
    await wait_until(lambda: run.run is not None and run.run.progress.finished == 1)
    await wait_until(lambda: emulator.server.stats()["chat_requests"] == 2)
    cancel = run.page.findChild(QPushButton, "workload_cancel")
    assert cancel is not None and cancel.isEnabled()
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    await wait_until(lambda: not run.streaming)
    statuses = [[o.status if o else None for o in row] for row in run.model.results]
    assert statuses == [["complete", "stopped"], [None, None], [None, None]]
    assert run.page.status.text().startswith("Cancelled: the answers that finished are kept")
    assert emulator.server.stats()["chat_requests"] == 2  # nothing more went out
    cid = run.conversation_id
    await quit_app(first)

    second = make_app()
    start_with_key(second)
    reopened = second.tabs.open_conversation(cid or 0)
    assert isinstance(reopened, WorkloadController)
    assert [[o.status if o else None for o in row] for row in reopened.model.results] == [
        ["complete", "stopped"]
    ]  # the prompts that never started were never stored
    assert reopened.page.status.text().startswith("Cancelled")
    assert reopened.page.progress.maximum() == 6 and reopened.page.progress.value() == 2
    assert reopened.model.index(0, 2).data() == "google/gemini-2.0-flash"


def test_the_table_stays_sorted_as_answers_arrive(qapp: object) -> None:
    from desktop_app.api.events import CostSource, TurnResult, Usage
    from desktop_app.routing.plan import plan_for
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.services.compare import Outcome
    from desktop_app.ui.compare.workload_page import WorkloadTableModel

    plan = plan_for(TierCatalogue().get("budget"))

    def answer(cost: float | None) -> Outcome:
        source = CostSource.REPORTED if cost is not None else CostSource.UNKNOWN
        result = TurnResult("x", "m/x", usage=Usage(1, 2), cost_usd=cost, cost_source=source)
        return Outcome.from_result("budget", plan, result)

    model = WorkloadTableModel(["a", "b", "c", "d"], ["Budget"])
    model.sort(3, Qt.SortOrder.DescendingOrder)  # Budget cost, dearest first
    model.set_outcome(2, 0, answer(0.002))
    model.set_outcome(0, 0, answer(0.005))
    model.set_outcome(3, 0, answer(None))  # unknown: with the missing ones, last
    assert [model.prompt_at(r) for r in range(2)] == [0, 2]
    assert {model.prompt_at(r) for r in range(2, 4)} == {1, 3}
    assert [model.index(r, 3).data() for r in range(2)] == ["$0.005", "$0.002"]
    model.sort(3, Qt.SortOrder.AscendingOrder)
    assert [model.prompt_at(r) for r in range(4)][:2] == [2, 0]
    assert {model.prompt_at(r) for r in range(2, 4)} == {1, 3}
    model.set_outcome(1, 0, answer(0.001))
    assert [model.prompt_at(r) for r in range(4)][:3] == [1, 2, 0]


async def test_a_workload_past_the_spending_limit_is_refused_as_a_whole(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    """All of a run's requests are checked as one send: refused, no tab opens, nothing goes."""
    from PySide6.QtWidgets import QMessageBox

    from desktop_app.config.settings import Spending

    parts = make_app(spending=Spending(daily_limit_usd=0.01, at_limit="refuse"))
    start_with_key(parts)
    dialog = await open_dialog(parts, qtbot, ["budget", "premium"])
    dialog.editor.setPlainText("\n".join(PROMPTS))
    await wait_until(dialog.run_button.isEnabled)
    before = len(parts.tabs.comparisons)
    dialog.run_button.click()
    box = parts.window.findChild(QMessageBox, "spending_refused")
    assert box is not None and box.isVisible()
    assert f"these {len(PROMPTS) * 2} requests may cost up to" in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    await wait_until(lambda: parts.window.findChild(QMessageBox, "spending_refused") is None)
    assert len(parts.tabs.comparisons) == before
    assert emulator.server.stats()["chat_requests"] == 0
    await quit_app(parts)
