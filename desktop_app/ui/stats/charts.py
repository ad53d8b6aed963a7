"""The statistics window's charts, drawn with QPainter: horizontal bars (spend per tier and
per model, the model distribution of each tier) and columns over days (spend per day).

PySide6-Essentials has no QtCharts (it is in the 59 MB Addons wheel, and deprecated since Qt
6.10), and a plotting library would add far more than the 10 MB allowed (see
docs/architecture.md). Each chart also says its values in words (`accessibleDescription`,
tooltips), so a screen reader gets what the picture shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

BAR_HEIGHT = 18
ROW_GAP = 6
SECTION_GAP = 10
LABEL_GAP = 8
MAX_LABEL_WIDTH = 260
PALETTE = ("#3b82c4", "#d9822b", "#2f9e6e", "#b0479a", "#7a6ad8", "#c24b4b", "#6b8e23")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value, and the text shown at its end ("$0.42", "38 · 45 %")."""

    label: str
    value: float
    text: str
    section: str = ""  # bars of one section are drawn under its heading


def colour(index: int) -> QColor:
    return QColor(PALETTE[index % len(PALETTE)])


class _Chart(QWidget):
    """A chart drawn with QPainter; the painter always ends, even when drawing fails."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        """Each chart draws itself here."""


class BarChart(_Chart):
    """Horizontal bars, longest value full width; optional section headings."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.bars: list[Bar] = []
        self._empty = "Nothing to show"
        self._rows: list[tuple[QRect, Bar]] = []  # where each bar was drawn (tooltips)

    def set_bars(self, bars: Sequence[Bar], empty: str = "Nothing to show") -> None:
        self.bars = list(bars)
        self._empty = empty
        self.setAccessibleDescription(describe(self.bars) or empty)
        self.setMinimumHeight(self._height())
        self.updateGeometry()
        self.update()

    def _height(self) -> int:
        if not self.bars:
            return BAR_HEIGHT + 2 * ROW_GAP
        sections = len({b.section for b in self.bars if b.section})
        heading = QFontMetrics(self.font()).height() + SECTION_GAP
        return len(self.bars) * (BAR_HEIGHT + ROW_GAP) + sections * heading + ROW_GAP

    def sizeHint(self) -> QSize:
        return QSize(480, self._height())

    def _paint(self, painter: QPainter) -> None:
        pal = self.palette()
        text_colour = pal.color(QPalette.ColorRole.WindowText)
        metrics = QFontMetrics(self.font())
        painter.setPen(text_colour)
        if not self.bars:
            painter.drawText(QPoint(0, metrics.ascent() + ROW_GAP), self._empty)
            return
        widest = max(metrics.horizontalAdvance(b.label) for b in self.bars) + 4
        label_w = min(MAX_LABEL_WIDTH, widest)
        text_w = max(metrics.horizontalAdvance(b.text) for b in self.bars)
        track = max(10, self.width() - label_w - text_w - 3 * LABEL_GAP)
        top = max((b.value for b in self.bars), default=0.0) or 1.0
        y = ROW_GAP
        section = None
        self._rows = []
        colours: dict[str, int] = {}  # one colour per label: a model keeps its colour
        for bar in self.bars:
            if bar.section and bar.section != section:
                section = bar.section
                font = painter.font()
                font.setBold(True)
                painter.setFont(font)
                painter.drawText(QPoint(0, y + metrics.ascent()), section)
                font.setBold(False)
                painter.setFont(font)
                y += metrics.height() + SECTION_GAP
            label = metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, label_w)
            baseline = y + (BAR_HEIGHT + metrics.ascent() - metrics.descent()) // 2
            painter.drawText(QPoint(0, baseline), label)
            x = label_w + LABEL_GAP
            width = max(1.0, track * max(bar.value, 0.0) / top) if bar.value > 0 else 0.0
            painter.fillRect(
                QRectF(x, y, width, BAR_HEIGHT), colour(colours.setdefault(bar.label, len(colours)))
            )
            painter.drawText(QPoint(int(x + width) + LABEL_GAP, baseline), bar.text)
            self._rows.append((QRect(0, y, self.width(), BAR_HEIGHT), bar))
            y += BAR_HEIGHT + ROW_GAP

    def tip_at(self, pos: QPoint) -> str | None:
        """What the bar under `pos` says (its tooltip)."""
        for rect, bar in self._rows:
            if rect.contains(pos):
                return f"{bar.label}: {bar.text}"
        return None

    def event(self, e: object) -> bool:
        if isinstance(e, QHelpEvent):
            _show_tip(e, self.tip_at(e.pos()), self)
            return True
        return super().event(e)  # type: ignore[arg-type]


class DayChart(_Chart):
    """A column per day (spend per day), the days in order left to right."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.days: list[tuple[str, float]] = []
        self._text: Callable[[float], str] = str
        self._columns: list[tuple[QRectF, str, float]] = []

    def set_days(self, days: Sequence[tuple[str, float]], text: Callable[[float], str]) -> None:
        self.days = list(days)
        self._text = text
        self.setAccessibleDescription(
            "; ".join(f"{d}: {text(v)}" for d, v in self.days) or "No days with replies"
        )
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 160)

    def _paint(self, painter: QPainter) -> None:
        metrics = QFontMetrics(self.font())
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        self._columns = []
        if not self.days:
            painter.drawText(QPoint(0, metrics.ascent() + ROW_GAP), "No days with replies")
            return
        top = max(v for _d, v in self.days) or 1.0
        axis = self.height() - metrics.height() - 4
        plot_h = axis - metrics.height() - 4
        step = self.width() / len(self.days)
        bar_w = max(1.0, step * 0.8)
        painter.drawText(QPoint(0, metrics.ascent()), f"max {self._text(top)}")
        for i, (day, value) in enumerate(self.days):
            h = plot_h * max(value, 0.0) / top
            rect = QRectF(i * step + (step - bar_w) / 2, axis - h, bar_w, h)
            painter.fillRect(rect, colour(0))
            self._columns.append((QRectF(i * step, 0, step, self.height()), day, value))
        painter.drawLine(0, axis, self.width(), axis)
        first, last = self.days[0][0], self.days[-1][0]
        baseline = self.height() - metrics.descent()
        painter.drawText(QPoint(0, baseline), first)
        if last != first:
            painter.drawText(QPoint(self.width() - metrics.horizontalAdvance(last), baseline), last)

    def tip_at(self, pos: QPoint) -> str | None:
        """What the column under `pos` says (its tooltip)."""
        for rect, day, value in self._columns:
            if rect.contains(pos.toPointF()):
                return f"{day}: {self._text(value)}"
        return None

    def event(self, e: object) -> bool:
        if isinstance(e, QHelpEvent):
            _show_tip(e, self.tip_at(e.pos()), self)
            return True
        return super().event(e)  # type: ignore[arg-type]


def _show_tip(event: QHelpEvent, text: str | None, widget: QWidget) -> None:
    if text is None:
        QToolTip.hideText()
    else:
        QToolTip.showText(event.globalPos(), text, widget)


def describe(bars: Sequence[Bar]) -> str:
    """The bars in words, for screen readers and tests."""
    parts = []
    section = None
    for bar in bars:
        prefix = ""
        if bar.section and bar.section != section:
            section = bar.section
            prefix = f"{section}: "
        parts.append(f"{prefix}{bar.label} {bar.text}")
    return "; ".join(parts)
