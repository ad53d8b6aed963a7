"""Scroll bars of the message lists, painted as the style paints them, at a fraction of the cost.

Fusion fills a scroll bar's groove with a gradient on every paint: about 1 ms of the 1.3 ms a
465 px bar takes (measured here, offscreen raster). A streaming message list repaints its bar
on every frame, because the range grows with the text; four comparison columns paid it four
times a frame. The groove only varies across the bar, so it is drawn once as a one-pixel strip
and stretched along it (the result differs from Fusion's by at most 9 levels of 255, where
the arrows meet the groove); the style draws the rest (handle, arrows, hover and pressed
states) as before, from the same style option Qt built. Only vertical bars: reading
`option.orientation` would build PySide's whole `Qt` enum namespace (37 ms measured).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleOptionComplex,
    QStyleOptionSlider,
    QWidget,
)
from shiboken6 import isValid

_SAMPLE = 48  # length at which the groove is drawn once; its middle line is the strip


class GrooveCachingStyle(QProxyStyle):
    """The application's style, with vertical scroll bar grooves drawn from a cached strip."""

    def __init__(self, base: str) -> None:
        super().__init__(base)  # by name: with none, Qt picks the desktop's, not the app's
        self._strips: dict[tuple[int, ...], QPixmap] = {}

    def drawComplexControl(
        self,
        control: QStyle.ComplexControl,
        option: QStyleOptionComplex,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if control != QStyle.ComplexControl.CC_ScrollBar or not isinstance(
            option, QStyleOptionSlider
        ):
            super().drawComplexControl(control, option, painter, widget)
            return
        groove = QStyle.SubControl.SC_ScrollBarGroove
        rect = option.rect
        if option.subControls & groove and 0 < rect.width() <= rect.height():  # vertical
            painter.drawPixmap(option.rect, self._strip(option, painter, widget))
            option = QStyleOptionSlider(option)
            option.subControls &= ~groove
        super().drawComplexControl(control, option, painter, widget)

    def _strip(
        self, option: QStyleOptionSlider, painter: QPainter, widget: QWidget | None
    ) -> QPixmap:
        device = painter.device()
        dpr = device.devicePixelRatio() if device is not None else 1.0
        across = option.rect.width()
        key = (
            across,
            round(dpr * 100),
            option.palette.cacheKey(),
            int(option.state.value),
        )
        strip = self._strips.get(key)
        if strip is not None:
            return strip
        if len(self._strips) > 64:  # palettes and sizes come and go: keep it small
            self._strips.clear()
        size = QSize(across, _SAMPLE)
        w, h = round(size.width() * dpr), round(size.height() * dpr)
        # Transparent from zeroed bytes: QImage.fill's overloads would build `Qt` too.
        image = QImage(bytes(w * h * 4), w, h, QImage.Format.Format_ARGB32_Premultiplied).copy()
        image.setDevicePixelRatio(dpr)
        sample = QStyleOptionSlider(option)
        sample.rect = QRect(QPoint(0, 0), size)
        sample.subControls = QStyle.SubControl.SC_ScrollBarGroove
        p = QPainter(image)
        super().drawComplexControl(QStyle.ComplexControl.CC_ScrollBar, sample, p, widget)
        p.end()
        middle = h // 2
        line = image.copy(0, middle, image.width(), 1)
        line.setDevicePixelRatio(dpr)
        strip = QPixmap.fromImage(line)
        self._strips[key] = strip
        return strip


_style: GrooveCachingStyle | None = None


def groove_caching_style() -> GrooveCachingStyle:
    """The app's one `GrooveCachingStyle`, for the scroll bars of streaming message lists.

    Made when the first reply streams, not at start-up: QStyle's classes cost the first
    frame several milliseconds (a start-up test keeps them out).
    """
    global _style
    app = QApplication.instance()
    if _style is None or not isValid(_style):  # a style dies with its app
        assert isinstance(app, QApplication)
        _style = GrooveCachingStyle(app.style().name())
        _style.setParent(app)
    return _style
