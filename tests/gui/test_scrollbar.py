"""A streaming message list's scroll bar looks as the style draws it, from a cached groove."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication, QScrollBar, QWidget

from desktop_app.ui.chat.chat_widgets import ChatView
from desktop_app.ui.widgets.scrollbar import GrooveCachingStyle, groove_caching_style


def bar_image(bar: QScrollBar) -> QImage:
    bar.setRange(0, 5000)
    bar.setPageStep(465)
    bar.setValue(1200)
    bar.resize(14, 465)
    return bar.grab().toImage()


def largest_difference(a: QImage, b: QImage) -> int:
    assert a.size() == b.size()
    worst = 0
    for y in range(a.height()):
        for x in range(a.width()):
            p, q = a.pixelColor(x, y), b.pixelColor(x, y)
            worst = max(worst, abs(p.red() - q.red()), abs(p.green() - q.green()))
            worst = max(worst, abs(p.blue() - q.blue()))
    return worst


def test_a_bar_with_the_cached_groove_looks_as_the_style_draws_it(qapp: QApplication) -> None:
    holder = QWidget()
    plain = QScrollBar(Qt.Orientation.Vertical, holder)
    cached = QScrollBar(Qt.Orientation.Vertical, holder)
    style = groove_caching_style()
    cached.setStyle(style)
    assert style.baseStyle().name() == qapp.style().name()  # the app's, not the desktop's
    # Measured: at most 9 levels of 255, on the arrows' edges (drawn over the groove's ends).
    assert largest_difference(bar_image(plain), bar_image(cached)) <= 10
    holder.deleteLater()


def test_the_groove_is_drawn_once_per_width_and_palette(qapp: QApplication) -> None:
    style = GrooveCachingStyle(qapp.style().name())
    bar = QScrollBar(Qt.Orientation.Vertical)
    bar.setStyle(style)
    bar_image(bar)
    bar.setValue(3000)  # the handle moves: the groove is the same
    bar.grab()
    assert len(style._strips) == 1
    dark = QPalette(bar.palette())
    dark.setColor(QPalette.ColorRole.Button, dark.color(QPalette.ColorRole.Dark))
    bar.setPalette(dark)
    bar.grab()
    assert len(style._strips) == 2  # another appearance, another strip
    bar.deleteLater()
    style.deleteLater()


def test_a_message_list_takes_the_cached_bar_when_a_reply_streams(qapp: QApplication) -> None:
    view = ChatView()
    bar = view.verticalScrollBar()
    assert not isinstance(bar.style(), GrooveCachingStyle)  # start-up builds no style
    view.streaming()
    view.streaming()
    assert bar.style() is groove_caching_style()
    view.deleteLater()
