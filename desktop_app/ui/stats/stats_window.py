"""The statistics window: filters on top, then the figures, diagnoses, charts and tables.

It shows what the controller gives it and says what the user asked for; it computes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.stats.charts import Bar, BarChart, DayChart
from desktop_app.ui.widgets.theme import ERROR_COLOUR, set_text_colour

KINDS = (
    ("all", "Conversations and comparisons"),
    ("conversations", "Conversations"),
    ("comparisons", "Comparisons"),
)


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    label.setFont(font)
    return label


class StatsWindow(QWidget):
    filters_changed = Signal()
    export_requested = Signal(str)  # "figures" | "turns"
    closed = Signal()

    def __init__(
        self,
        periods: Sequence[tuple[str, str]],
        default_period: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("stats_window")
        self.setWindowTitle("Statistics — RouteChat")
        self.setAccessibleName("Statistics")
        self.resize(980, 760)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)

        filters = QHBoxLayout()
        self.period = QComboBox(self)
        self.period.setObjectName("stats_period")
        self.period.setAccessibleName("Period")
        for key, label in periods:
            self.period.addItem(label, key)
        self.period.setCurrentIndex(max(0, self.period.findData(default_period)))
        period_label = QLabel("&Period:", self)
        period_label.setBuddy(self.period)
        self.first_day = QDateEdit(self)
        self.first_day.setObjectName("stats_first_day")
        self.first_day.setAccessibleName("First day")
        self.last_day = QDateEdit(self)
        self.last_day.setObjectName("stats_last_day")
        self.last_day.setAccessibleName("Last day")
        for edit in (self.first_day, self.last_day):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate.currentDate())
        self.first_day.setDate(QDate.currentDate().addDays(-29))
        self.to_label = QLabel("to", self)
        self.tier = QComboBox(self)
        self.tier.setObjectName("stats_tier")
        self.tier.setAccessibleName("Tier or pool")
        self.tier.addItem("All tiers and pools", None)
        self.tier.setMinimumContentsLength(16)
        tier_label = QLabel("&Tier:", self)
        tier_label.setBuddy(self.tier)
        self.kind = QComboBox(self)
        self.kind.setObjectName("stats_kind")
        self.kind.setAccessibleName("Conversations or comparisons")
        for key, label in KINDS:
            self.kind.addItem(label, key)
        kind_label = QLabel("&Show:", self)
        kind_label.setBuddy(self.kind)
        self.status = QLabel(self)
        self.status.setObjectName("stats_status")
        set_text_colour(self.status, role=QPalette.ColorRole.PlaceholderText)
        self.export = QToolButton(self)
        self.export.setObjectName("stats_export")
        self.export.setText("&Export")
        self.export.setAccessibleName("Export to CSV")
        self.export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export)
        self.export_figures = menu.addAction("The figures as CSV…")
        self.export_figures.triggered.connect(lambda: self.export_requested.emit("figures"))
        self.export_turns = menu.addAction("The turns behind them as CSV…")
        self.export_turns.triggered.connect(lambda: self.export_requested.emit("turns"))
        self.export.setMenu(menu)
        for w in (period_label, self.period, self.first_day, self.to_label, self.last_day):
            filters.addWidget(w)
        filters.addSpacing(12)
        for w in (tier_label, self.tier):
            filters.addWidget(w)
        filters.addSpacing(12)
        for w in (kind_label, self.kind):
            filters.addWidget(w)
        filters.addStretch(1)
        filters.addWidget(self.status)
        filters.addWidget(self.export)
        outer.addLayout(filters)

        scroll = QScrollArea(self)
        scroll.setObjectName("stats_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 6, 8, 12)
        lay.setSpacing(8)
        self.summary = QLabel(body)
        self.summary.setObjectName("stats_summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.summary)
        self.diagnoses = QLabel(body)
        self.diagnoses.setObjectName("stats_diagnoses")
        self.diagnoses.setAccessibleName("Diagnoses")
        self.diagnoses.setTextFormat(Qt.TextFormat.RichText)
        self.diagnoses.setWordWrap(True)
        self.diagnoses.setFrameShape(QFrame.Shape.StyledPanel)
        self.diagnoses.setMargin(8)
        self.diagnoses.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diagnoses.setVisible(False)
        lay.addWidget(self.diagnoses)

        lay.addWidget(_heading("Spend per day", body))
        self.per_day = DayChart("stats_per_day", body)
        self.per_day.setAccessibleName("Spend per day")
        lay.addWidget(self.per_day)
        charts = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(_heading("Spend per tier", body))
        self.per_tier = BarChart("stats_per_tier", body)
        self.per_tier.setAccessibleName("Spend per tier")
        left.addWidget(self.per_tier)
        left.addStretch(1)
        right.addWidget(_heading("Spend per model", body))
        self.per_model = BarChart("stats_per_model", body)
        self.per_model.setAccessibleName("Spend per model")
        right.addWidget(self.per_model)
        right.addStretch(1)
        charts.addLayout(left, 1)
        charts.addSpacing(16)
        charts.addLayout(right, 1)
        lay.addLayout(charts)
        lay.addWidget(_heading("Which models answered, per tier", body))
        self.distribution = BarChart("stats_distribution", body)
        self.distribution.setAccessibleName("Model distribution per tier")
        lay.addWidget(self.distribution)
        lay.addWidget(_heading("Per tier: routing, latency, retries and failures", body))
        self.tiers_table = self._table("stats_tiers_table", "Per tier", body)
        lay.addWidget(self.tiers_table)
        lay.addWidget(_heading("Blind comparisons: win rate per tier", body))
        self.votes_note = QLabel(body)
        self.votes_note.setObjectName("stats_votes_note")
        self.votes_note.setWordWrap(True)
        lay.addWidget(self.votes_note)
        self.votes_table = self._table("stats_votes_table", "Win rates", body)
        lay.addWidget(self.votes_table)
        lay.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self.period.currentIndexChanged.connect(self._period_changed)
        for combo in (self.tier, self.kind):
            combo.currentIndexChanged.connect(lambda _i: self.filters_changed.emit())
        for edit in (self.first_day, self.last_day):
            edit.dateChanged.connect(lambda _d: self.filters_changed.emit())
        self._show_custom()
        closer = QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self)
        closer.activated.connect(self.close)

    @staticmethod
    def _table(name: str, accessible: str, parent: QWidget) -> QTableWidget:
        table = QTableWidget(parent)
        table.setObjectName(name)
        table.setAccessibleName(accessible)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return table

    # --- what the user asked for ------------------------------------------------------------

    def _period_changed(self) -> None:
        self._show_custom()
        self.filters_changed.emit()

    def _show_custom(self) -> None:
        custom = self.period.currentData() == "custom"
        for w in (self.first_day, self.to_label, self.last_day):
            w.setVisible(custom)

    def period_key(self) -> str:
        return str(self.period.currentData())

    def custom_days(self) -> tuple[date, date]:
        return self.first_day.date().toPython(), self.last_day.date().toPython()  # type: ignore[return-value]

    def tier_key(self) -> str | None:
        data = self.tier.currentData()
        return str(data) if data else None

    def kind_key(self) -> str:
        return str(self.kind.currentData())

    def set_tiers(self, tiers: Sequence[tuple[str, str]]) -> None:
        """(key, label) of the tiers in the history; the choice is kept when it is still there."""
        current = self.tier_key()
        self.tier.blockSignals(True)
        while self.tier.count() > 1:
            self.tier.removeItem(1)
        for key, label in tiers:
            self.tier.addItem(label, key)
        self.tier.setCurrentIndex(max(0, self.tier.findData(current)) if current else 0)
        self.tier.blockSignals(False)

    # --- what is shown ----------------------------------------------------------------------

    def set_busy(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        if error:
            set_text_colour(self.status, ERROR_COLOUR)
        else:
            set_text_colour(self.status, role=QPalette.ColorRole.PlaceholderText)

    def set_summary(self, html: str) -> None:
        self.summary.setText(html)

    def set_diagnoses(self, html: str | None) -> None:
        self.diagnoses.setText(html or "")
        self.diagnoses.setVisible(bool(html))

    def set_charts(
        self,
        days: Sequence[tuple[str, float]],
        per_tier: Sequence[Bar],
        per_model: Sequence[Bar],
        distribution: Sequence[Bar],
        money: object,
    ) -> None:
        assert callable(money)
        self.per_day.set_days(days, money)
        self.per_tier.set_bars(per_tier, "No billed replies in this period")
        self.per_model.set_bars(per_model, "No billed replies in this period")
        self.distribution.set_bars(distribution, "No billed replies in this period")

    @staticmethod
    def fill(table: QTableWidget, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        table.clear()
        table.setColumnCount(len(headers))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(list(headers))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(r, c, item)
        table.resizeColumnsToContents()  # once, not at every cell (ResizeToContents)
        rows_height = table.verticalHeader().defaultSectionSize() * len(rows)
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows_height + 4)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self.closed.emit()
