"""The statistics charts drawn with QPainter: bar lengths follow the values, sections get their
headings, days are columns in order, the values are said in words and tooltips."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from desktop_app.ui.stats.charts import BAR_HEIGHT, ROW_GAP, Bar, BarChart, DayChart, colour


def painted(widget: BarChart | DayChart, width: int = 400) -> QImage:
    widget.resize(width, max(widget.minimumHeight(), widget.sizeHint().height()))
    return widget.grab().toImage()


def run_of(image: QImage, y: int, wanted: QColor) -> int:
    """How many pixels of row `y` have the colour `wanted`."""
    return sum(1 for x in range(image.width()) if image.pixelColor(x, y) == wanted)


def test_bars_are_as_long_as_their_values(qtbot: QtBot) -> None:
    chart = BarChart("chart")
    qtbot.addWidget(chart)
    chart.set_bars([Bar("big", 4.0, "$4"), Bar("half", 2.0, "$2"), Bar("none", 0.0, "$0")])
    image = painted(chart)
    middle = ROW_GAP + BAR_HEIGHT // 2
    step = BAR_HEIGHT + ROW_GAP
    big = run_of(image, middle, colour(0))
    half = run_of(image, middle + step, colour(1))
    assert big > 200  # the largest value fills the track
    assert abs(half - big / 2) <= 2
    assert run_of(image, middle + 2 * step, colour(2)) == 0  # nothing for zero
    assert chart.accessibleDescription() == "big $4; half $2; none $0"
    assert chart.minimumHeight() == 3 * step + ROW_GAP


def test_sections_and_an_empty_chart(qtbot: QtBot) -> None:
    chart = BarChart("chart")
    qtbot.addWidget(chart)
    chart.set_bars([])
    assert chart.accessibleDescription() == "Nothing to show"
    painted(chart)  # says so instead of drawing
    chart.set_bars(
        [
            Bar("a/x", 9, "9 · 90 %", "Code"),
            Bar("a/y", 1, "1 · 10 %", "Code"),
            Bar("a/x", 5, "5 · 100 %", "Budget"),
        ]
    )
    assert chart.accessibleDescription() == (
        "Code: a/x 9 · 90 %; a/y 1 · 10 %; Budget: a/x 5 · 100 %"
    )
    assert chart.minimumHeight() > 3 * (BAR_HEIGHT + ROW_GAP)  # room for two headings


def test_a_bar_and_a_day_say_their_value_on_hover(qtbot: QtBot) -> None:
    chart = BarChart("chart")
    qtbot.addWidget(chart)
    chart.set_bars([Bar("openai/gpt-4o", 1.0, "$1.20")])
    painted(chart)
    assert chart.tip_at(QPoint(5, ROW_GAP + 2)) == "openai/gpt-4o: $1.20"
    assert chart.tip_at(QPoint(5, ROW_GAP + BAR_HEIGHT + 3)) is None
    days = DayChart("days")
    qtbot.addWidget(days)
    days.set_days([("2025-06-01", 1.0), ("2025-06-02", 3.0)], lambda v: f"${v:g}")
    painted(days, 200)
    assert days.tip_at(QPoint(150, 50)) == "2025-06-02: $3"


def test_days_are_columns_in_order(qtbot: QtBot) -> None:
    chart = DayChart("days")
    qtbot.addWidget(chart)
    chart.set_days([], str)
    assert chart.accessibleDescription() == "No days with replies"
    chart.set_days(
        [("2025-06-01", 1.0), ("2025-06-02", 0.0), ("2025-06-03", 2.0)], lambda v: f"${v:g}"
    )
    assert chart.accessibleDescription() == "2025-06-01: $1; 2025-06-02: $0; 2025-06-03: $2"
    image = painted(chart, 300)
    column = colour(0)
    heights = []
    for third in range(3):
        x = int(300 * (third + 0.5) / 3)
        heights.append(sum(1 for y in range(image.height()) if image.pixelColor(x, y) == column))
    assert heights[1] == 0
    assert heights[2] > heights[0] > 0
    assert abs(heights[2] - 2 * heights[0]) <= 2
