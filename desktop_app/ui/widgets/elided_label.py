"""A one-line label that ends in "…" when it is too narrow, instead of a letter cut in half."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ELLIPSIS = "…"


class ElidedLabel(QLabel):
    """Plain text on one line, elided at the end to the width it is given. It never widens
    its window (its width is the layout's to give); its accessible name is the whole text,
    so a screen reader reads what the eye may not see.

    Elided by hand with the font's advances: `QFontMetrics.elidedText` needs the `Qt`
    namespace, which the first frame goes without (see enum_props).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self.setAccessibleName(text)
        self._fit()

    def _fit(self) -> None:
        text, width = self._full, self.contentsRect().width()
        metrics = self.fontMetrics()
        if width > 0 and metrics.horizontalAdvance(text) > width:
            room = width - metrics.horizontalAdvance(ELLIPSIS)
            lo, hi = 0, len(text)  # the longest prefix that fits beside the ellipsis
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if metrics.horizontalAdvance(text[:mid]) <= room:
                    lo = mid
                else:
                    hi = mid - 1
            text = text[:lo].rstrip() + ELLIPSIS
        if super().text() != text:
            super().setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()
