"""A workload run's tab: progress, the results table (one row per prompt, sortable by any
column, a double-click opens that answer), each column's totals, and the exports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QShowEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.api.events import CostSource, TurnStatus
from desktop_app.render.markdown import MarkdownRenderer
from desktop_app.services import format as fmt
from desktop_app.services.compare import ColumnTotals, Outcome
from desktop_app.ui.chat.chat_widgets import BadgeState, TurnBadge
from desktop_app.ui.chat.message_view import MessageView
from desktop_app.ui.compare.icons import error_colour
from desktop_app.ui.widgets.theme import set_text_colour

FIELDS = ("model", "cost", "first token", "total", "tokens", "error")
_Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


KEY = int(Qt.ItemDataRole.UserRole)  # what sorting compares (None: not there, always last)
PROMPT = KEY + 1  # the prompt a row is


class WorkloadTableModel(QSortFilterProxyModel):
    """One row per prompt; per column of the run: model, cost, first token, total, tokens,
    error; sortable by any column, answers not there yet (or unknown) last either way.

    The cells live in a `QStandardItemModel`: a view asks for every role of every visible
    cell at each paint, and answering from Python made painting (and so sorting) about twice
    as slow. Each answer's cells are made once, when it arrives.
    """

    def __init__(self, prompts: Sequence[str], names: Sequence[str]) -> None:
        super().__init__()
        self.prompts = list(prompts)
        self.names = list(names)
        self.results: list[list[Outcome | None]] = [[None] * len(names) for _ in prompts]
        self.cells = QStandardItemModel(len(self.prompts), 2 + len(FIELDS) * len(names))
        headers = ["#", "Prompt"] + [f"{n}\n{f}" for n in names for f in FIELDS]
        self.cells.setHorizontalHeaderLabels(headers)
        for i, prompt in enumerate(self.prompts):
            number = QStandardItem(str(i + 1))
            number.setData(i, KEY)
            number.setTextAlignment(RIGHT)
            text = QStandardItem(" ".join(prompt.split()))
            text.setData(prompt.casefold(), KEY)
            text.setToolTip(prompt if len(prompt) < 2000 else prompt[:2000] + "…")
            self.cells.setItem(i, 0, number)
            self.cells.setItem(i, 1, text)
            for c in range(len(names)):
                self._fill(i, c)
        self.setSourceModel(self.cells)
        self.setSortRole(KEY)

    def where(self, column: int) -> tuple[int, str] | None:
        """(column of the run, field) of a table column; None for # and Prompt."""
        if column < 2:
            return None
        run_column, field = divmod(column - 2, len(FIELDS))
        return run_column, FIELDS[field]

    def prompt_at(self, row: int) -> int:
        return int(self.mapToSource(self.index(row, 0)).row())

    def lessThan(self, left: _Index, right: _Index) -> bool:
        a: Any = left.data(KEY)
        b: Any = right.data(KEY)
        if a is None or b is None:  # missing last, whichever way
            if a is None and b is None:
                return bool(left.row() < right.row())
            descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
            return (a is None) == descending
        if a == b:
            return bool(left.row() < right.row())
        return bool(a < b)

    @staticmethod
    def _cells(o: Outcome | None) -> list[tuple[str, Any]]:
        """An answer's six cells as (text, sort key): model, cost, first token, total,
        tokens, error."""
        if o is None:
            return [("…", None), ("", None), ("", None), ("", None), ("", None), ("", None)]
        model = o.model or ("stopped" if o.status == TurnStatus.STOPPED.value else "—")
        if o.prompt_tokens is None and o.completion_tokens is None:
            tokens = "—"
        else:
            tokens = fmt.tokens(o.prompt_tokens, o.completion_tokens)
        error = o.error.kind.value.replace("_", " ") if o.error is not None else ""
        return [
            (model, o.model),
            (fmt.money(o.cost_usd, o.cost_source), o.known_cost),
            (fmt.duration(o.ttft_ms), o.ttft_ms),
            (fmt.duration(o.total_ms), o.total_ms),
            (tokens, o.completion_tokens),
            (error, error or None),
        ]

    def _fill(self, prompt: int, run_column: int) -> None:
        outcome = self.results[prompt][run_column]
        first = 2 + run_column * len(FIELDS)
        tip = "Not answered yet" if outcome is None else "Double-click to open this answer"
        for offset, (text, key) in enumerate(self._cells(outcome)):
            item = QStandardItem(text)
            item.setData(key, KEY)
            item.setToolTip(tip)
            field = FIELDS[offset]
            if field in ("cost", "first token", "total", "tokens"):
                item.setTextAlignment(RIGHT)
            if field == "error" and outcome is not None and outcome.error is not None:
                item.setToolTip(fmt.error_sentence(outcome.error, False))
                if outcome.failed:
                    item.setForeground(error_colour())
            self.cells.setItem(prompt, first + offset, item)

    # --- updates --------------------------------------------------------------------------
    def set_outcome(self, prompt: int, run_column: int, outcome: Outcome) -> None:
        """An answer arrived: its six cells change at once (one signal, one re-sort)."""
        self.results[prompt][run_column] = outcome
        cells = self.cells
        cells.blockSignals(True)
        try:
            self._fill(prompt, run_column)
        finally:
            cells.blockSignals(False)
        first = 2 + run_column * len(FIELDS)
        cells.dataChanged.emit(
            cells.index(prompt, first), cells.index(prompt, first + len(FIELDS) - 1)
        )

    def set_results(self, results: list[list[Outcome | None]]) -> None:
        self.results = results
        for prompt, row in enumerate(results):
            for run_column in range(len(row)):
                self._fill(prompt, run_column)


TOTALS_HEADERS = (
    "Column", "Requests", "Failures", "Cost", "Unknown costs", "First token p50",
    "First token p95", "Total p50", "Total p95", "Models",
)  # fmt: skip


class WorkloadPage(QWidget):
    """The workload tab's page."""

    shown = Signal()
    cancel_requested = Signal()
    export_requested = Signal(str)  # "csv" | "json"

    def __init__(self, title: str, model: WorkloadTableModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workload_view")
        self.setAccessibleName("Workload run")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title_label = QLabel(title, self)
        self.title_label.setObjectName("workload_title")
        set_text_colour(self.title_label, bold=True)
        layout.addWidget(self.title_label)
        row = QHBoxLayout()
        self.progress = QProgressBar(self)
        self.progress.setObjectName("workload_progress")
        self.progress.setAccessibleName("Workload progress")
        self.progress.setFormat("%v of %m")
        row.addWidget(self.progress, 1)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("workload_cancel")
        self.cancel_button.setAccessibleName("Cancel the workload run")
        self.cancel_button.setToolTip("Stop sending; the answers that finished are kept")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.status = QLabel(self)
        self.status.setObjectName("workload_status")
        self.status.setAccessibleName("Workload status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.table = QTableView(split)
        self.table.setObjectName("workload_table")
        self.table.setAccessibleName("Workload results: one row per prompt")
        self.table.setModel(model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setDefaultSectionSize(92)
        self.table.setColumnWidth(0, 44)
        self.table.setColumnWidth(1, 260)
        widths = {"model": 190, "tokens": 110, "error": 84}
        for c in range(2, model.columnCount()):
            field = FIELDS[(c - 2) % len(FIELDS)]
            if field in widths:
                self.table.setColumnWidth(c, widths[field])
        self.totals = QTableWidget(0, len(TOTALS_HEADERS), split)
        self.totals.setObjectName("workload_totals")
        self.totals.setAccessibleName("Totals per column")
        self.totals.setHorizontalHeaderLabels(list(TOTALS_HEADERS))
        self.totals.verticalHeader().setVisible(False)
        self.totals.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.totals.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.totals.horizontalHeader().setStretchLastSection(True)
        split.addWidget(self.table)
        split.addWidget(self.totals)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        bottom = QHBoxLayout()
        hint = QLabel("Double-click a cell to open that answer · click a header to sort", self)
        bottom.addWidget(hint, 1)
        self.export_csv = QPushButton("Export &CSV…", self)
        self.export_csv.setObjectName("workload_export_csv")
        self.export_csv.setAccessibleName("Export the table as CSV")
        self.export_csv.clicked.connect(lambda: self.export_requested.emit("csv"))
        self.export_json = QPushButton("Export &JSON…", self)
        self.export_json.setObjectName("workload_export_json")
        self.export_json.setAccessibleName("Export the table and totals as JSON")
        self.export_json.clicked.connect(lambda: self.export_requested.emit("json"))
        bottom.addWidget(self.export_csv)
        bottom.addWidget(self.export_json)
        layout.addLayout(bottom)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def show_totals(self, totals: Sequence[ColumnTotals], names: Sequence[str]) -> None:
        self.totals.setRowCount(len(totals))
        for r, (t, name) in enumerate(zip(totals, names, strict=True)):
            cost = fmt.money(t.cost_usd, "estimated" if t.estimated else "reported")
            cells = (
                name,
                f"{t.requests:,}",
                f"{t.failures:,}",
                cost if t.requests else "—",
                f"{t.unknown_costs:,}",
                fmt.duration(t.ttft_p50_ms),
                fmt.duration(t.ttft_p95_ms),
                fmt.duration(t.total_p50_ms),
                fmt.duration(t.total_p95_ms),
                t.models_text(),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 0 < c < 9:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.totals.setItem(r, c, item)
        self.totals.resizeColumnsToContents()


class AnswerDialog(QDialog):
    """One answer of a workload run: its prompt, badge and text."""

    def __init__(
        self,
        title: str,
        prompt: str,
        outcome: Outcome,
        text: str,
        renderer: MarkdownRenderer,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workload_answer")
        self.setWindowTitle(title)
        self.resize(720, 600)
        layout = QVBoxLayout(self)
        asked = QLabel("Prompt", self)
        set_text_colour(asked, bold=True)
        layout.addWidget(asked)
        self.prompt = QLabel(prompt, self)
        self.prompt.setWordWrap(True)
        self.prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt.setAccessibleName("Prompt")
        layout.addWidget(self.prompt)
        self.badge = TurnBadge(self)
        state = BadgeState(
            model=outcome.model,
            tier_label=title,
            candidates=outcome.candidates,
            cost_usd=outcome.cost_usd,
            cost_source=CostSource(outcome.cost_source),
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            ttft_ms=outcome.ttft_ms,
            total_ms=outcome.total_ms,
            status=TurnStatus(outcome.status),
        )
        self.badge.show_state(state)
        layout.addWidget(self.badge)
        if outcome.error is not None and outcome.failed:
            error = QLabel(fmt.error_sentence(outcome.error, bool(text)), self)
            error.setWordWrap(True)
            set_text_colour(error, error_colour().name())
            layout.addWidget(error)
        scroll = QScrollArea(self)  # the view is as tall as its text: the area scrolls it
        scroll.setWidgetResizable(True)
        inner = QWidget(scroll)
        inner_layout = QVBoxLayout(inner)
        self.view = MessageView(renderer, inner)
        self.view.setAccessibleName("Answer")
        inner_layout.addWidget(self.view)
        inner_layout.addStretch(1)
        scroll.setWidget(inner)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.text = text

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.view.text:
            self.view.set_markdown(self.text)
