"""A workload run's tab: progress, the results table (one row per prompt, sortable by any
column, a double-click opens that answer), each column's totals, and the exports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
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
from desktop_app.ui.widgets.theme import ERROR_COLOUR, set_text_colour

FIELDS = ("model", "cost", "first token", "total", "tokens", "error")
_Index = QModelIndex | QPersistentModelIndex
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class WorkloadTableModel(QAbstractTableModel):
    """One row per prompt; per column of the run: model, cost, first token, total, tokens,
    error. Sorting keeps answers not there yet (or unknown) last, either way."""

    def __init__(self, prompts: Sequence[str], names: Sequence[str]) -> None:
        super().__init__()
        self.prompts = list(prompts)
        self.names = list(names)
        self.results: list[list[Outcome | None]] = [[None] * len(names) for _ in prompts]
        self.order = list(range(len(prompts)))  # row -> prompt index
        self._row_of = list(range(len(prompts)))  # prompt index -> row

    # --- shape ----------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2 + len(FIELDS) * len(self.names)

    def where(self, column: int) -> tuple[int, str] | None:
        """(column of the run, field) of a table column; None for # and Prompt."""
        if column < 2:
            return None
        run_column, field = divmod(column - 2, len(FIELDS))
        return run_column, FIELDS[field]

    def prompt_at(self, row: int) -> int:
        return self.order[row]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return super().headerData(section, orientation, role)
        if section == 0:
            return "#"
        if section == 1:
            return "Prompt"
        spot = self.where(section)
        assert spot is not None
        return f"{self.names[spot[0]]}\n{spot[1]}"

    # --- cells ----------------------------------------------------------------------------
    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        prompt = self.order[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(prompt, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(prompt, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column != 1:
            spot = self.where(column)
            if spot is None or spot[1] in ("cost", "first token", "total", "tokens"):
                return int(RIGHT)
        if role == Qt.ItemDataRole.ForegroundRole:
            spot = self.where(column)
            outcome = self._outcome(prompt, spot[0]) if spot else None
            if spot and spot[1] == "error" and outcome is not None and outcome.failed:
                from PySide6.QtGui import QColor

                return QColor(ERROR_COLOUR)
        return None

    def _outcome(self, prompt: int, run_column: int) -> Outcome | None:
        return self.results[prompt][run_column]

    def _text(self, prompt: int, column: int) -> str:
        if column == 0:
            return str(prompt + 1)
        if column == 1:
            return " ".join(self.prompts[prompt].split())
        spot = self.where(column)
        assert spot is not None
        o = self._outcome(prompt, spot[0])
        if o is None:
            return "…" if spot[1] == "model" else ""
        field = spot[1]
        if field == "model":
            return o.model or ("stopped" if o.status == TurnStatus.STOPPED.value else "—")
        if field == "cost":
            return fmt.money(o.cost_usd, o.cost_source)
        if field == "first token":
            return fmt.duration(o.ttft_ms)
        if field == "total":
            return fmt.duration(o.total_ms)
        if field == "tokens":
            if o.prompt_tokens is None and o.completion_tokens is None:
                return "—"
            return fmt.tokens(o.prompt_tokens, o.completion_tokens)
        if o.error is None:
            return ""
        return o.error.kind.value.replace("_", " ")

    def _tip(self, prompt: int, column: int) -> str | None:
        if column == 1:
            text = self.prompts[prompt]
            return text if len(text) < 2000 else text[:2000] + "…"
        spot = self.where(column)
        if spot is None:
            return None
        o = self._outcome(prompt, spot[0])
        if o is None:
            return "Not answered yet"
        if spot[1] == "error" and o.error is not None:
            return fmt.error_sentence(o.error, False)
        return "Double-click to open this answer"

    def sort_key(self, prompt: int, column: int) -> tuple[int, Any]:
        """(missing, value): what sorting compares."""
        if column == 0:
            return (0, prompt)
        if column == 1:
            return (0, self.prompts[prompt].casefold())
        spot = self.where(column)
        assert spot is not None
        o = self._outcome(prompt, spot[0])
        if o is None:
            return (1, 0)
        value: Any = {
            "model": o.model,
            "cost": o.known_cost,
            "first token": o.ttft_ms,
            "total": o.total_ms,
            "tokens": o.completion_tokens,
            "error": o.error.kind.value if o.error else None,
        }[spot[1]]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0)
        return (0, value)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.layoutAboutToBeChanged.emit()
        present = [p for p in self.order if self.sort_key(p, column)[0] == 0]
        missing = [p for p in self.order if self.sort_key(p, column)[0] == 1]
        present.sort(key=lambda p: self.sort_key(p, column)[1], reverse=descending)
        missing.sort()
        self.order = present + missing
        self._row_of = [0] * len(self.prompts)
        for row, prompt in enumerate(self.order):
            self._row_of[prompt] = row
        self.layoutChanged.emit()

    # --- updates --------------------------------------------------------------------------
    def set_outcome(self, prompt: int, run_column: int, outcome: Outcome) -> None:
        self.results[prompt][run_column] = outcome
        row = self._row_of[prompt]
        first = 2 + run_column * len(FIELDS)
        self.dataChanged.emit(self.index(row, first), self.index(row, first + len(FIELDS) - 1))

    def set_results(self, results: list[list[Outcome | None]]) -> None:
        self.beginResetModel()
        self.results = results
        self.endResetModel()


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
            set_text_colour(error, ERROR_COLOUR)
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
