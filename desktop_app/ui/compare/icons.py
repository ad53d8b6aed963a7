"""The sidebar's marks for comparisons (columns side by side) and workload runs (a table),
painted in the text colour so they read in light and dark appearances alike, and the error
colour these views use on either appearance."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap

SIZE = 16
KIND_NAMES = {"comparison": "Comparison", "workload": "Workload run"}
_cache: dict[tuple[str, str], QIcon] = {}


def kind_icon(kind: str) -> QIcon:
    """The mark of a conversation `kind` ("comparison" or "workload"); a null icon otherwise."""
    if kind not in KIND_NAMES:
        return QIcon()
    colour = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
    key = (kind, colour.name())
    icon = _cache.get(key)
    if icon is None:
        icon = _cache[key] = QIcon(_paint(kind, colour))
    return icon


def _paint(kind: str, colour: QColor) -> QPixmap:
    ratio = 2.0  # sharp on high-density screens too
    pixmap = QPixmap(int(SIZE * ratio), int(SIZE * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour)
    pen.setWidthF(1.2)
    painter.setPen(pen)
    if kind == "comparison":  # three columns side by side
        for i in range(3):
            painter.drawRoundedRect(QRectF(1.5 + i * 4.6, 2.5, 3.6, 11), 1.0, 1.0)
    else:  # a table: a frame, a header row and two columns
        painter.drawRoundedRect(QRectF(1.5, 2.5, 13, 11), 1.5, 1.5)
        for x1, y1, x2, y2 in ((2, 6, 14, 6), (2, 9.5, 14, 9.5), (6.5, 3, 6.5, 13)):
            painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))
    painter.end()
    return pixmap


def error_colour() -> QColor:
    """Error text at 4.5:1 or more on the background in use (the theme's shade for it)."""
    from desktop_app.ui.widgets.theme import Tone

    base = QGuiApplication.palette().color(QPalette.ColorRole.Base)
    return QColor(Tone.ERROR.shade(dark=base.lightness() < 128))
