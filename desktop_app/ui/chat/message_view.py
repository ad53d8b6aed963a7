"""One message's text: Markdown rendered once per stable block, the streaming tail appended.

Rendering cost grows with the new text only (architecture rule 9): stable blocks are converted
to HTML once, the unstable tail is plain text extended by the delta, and the whole view is
refreshed at most once per frame.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QSize, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QTextEdit, QWidget

from desktop_app.render.markdown import BlockSplitter, MarkdownRenderer, needs_shaping
from desktop_app.ui.widgets.enum_props import set_enum_property

if TYPE_CHECKING:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QResizeEvent, QTextCharFormat, QTextCursor

FRAME_MS = 33  # ~30 redraws a second while streaming
INITIAL_WIDTH = 600  # pixels, until the first resize or an assumed width
REMEMBER_DELAY_MS = 1500  # a finished reply goes to the render cache once the window is idle
REMEMBER_LIMIT = 40_000  # characters; longer replies (a one-off ~40 ms render) are not kept
_SETTLE_PASSES = 6  # view -> message -> list -> scroll area (-> its scroll bar, on first show)


@functools.cache
def _streaming_classes() -> tuple[type[QTextCharFormat], type[QTextCursor]]:
    """Imported when the first reply streams: these classes' enums (~3 ms to build) stay out of
    a restored start, and the import runs once, not at every streamed frame."""
    from PySide6.QtGui import QTextCharFormat, QTextCursor

    return QTextCharFormat, QTextCursor


def settle_layouts() -> None:
    """Apply the layout changes a frame caused now, before the frame is painted.

    A taller message otherwise resizes the message, the list, the scroll range and the scroll
    position one posted event at a time, and Qt paints the window between them: two or three
    full paints per streaming frame instead of one. Each pass handles one level of widgets.
    """
    for _ in range(_SETTLE_PASSES):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


class MessageView(QTextBrowser):
    """A read-only, auto-height text view for one message."""

    code_copied = Signal(int)

    def __init__(self, renderer: MarkdownRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self._finished_markdown = False  # shows a whole rendered message (not streaming, not plain)
        self._rerender_at_end = False  # the appearance changed while this message streamed
        self._text = ""
        self._pending: list[str] = []  # deltas not yet joined: joining per token is quadratic
        self._rendered_upto = 0  # text[:_rendered_upto] is in the document as HTML
        self._shown_upto = 0  # text[:_shown_upto] is in the document (HTML + plain tail)
        self._tail_pos = 0  # document position where the plain tail starts
        self._splitter = BlockSplitter()
        self._codes: list[str] = []
        self._plain: QTextCharFormat | None = None  # the streaming tail's format, made at first use
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        self.setOpenLinks(False)
        # The wrap width is ours to set (on resize, or assumed from the other messages): in
        # the default mode QTextEdit resets it to the viewport's width on every setHtml, which
        # for a widget not yet shown is a placeholder width, laid out twice.
        self.setLineWrapMode(QTextEdit.LineWrapMode.FixedPixelWidth)
        self.setLineWrapColumnOrWidth(INITIAL_WIDTH)
        self.setFrameShape(QFrame.Shape.NoFrame)
        set_enum_property(self, "verticalScrollBarPolicy", "ScrollBarAlwaysOff")
        set_enum_property(self, "horizontalScrollBarPolicy", "ScrollBarAlwaysOff")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        set_enum_property(
            self, "textInteractionFlags", "TextBrowserInteraction|TextSelectableByKeyboard"
        )
        self.document().setDocumentMargin(2)
        self.document().setUndoRedoEnabled(False)  # read-only: no copies of replaced text
        self._fast_text = False
        self._fit_font("", whole=True)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.anchorClicked.connect(self._on_anchor)
        # Transparent: the message's frame shows through. Through the palette, not viewport():
        # PySide6 cannot tell the viewport's class, and loads every QWidget subclass to find
        # it the first time (~16 ms, 68 classes) - a cost for after the first frame.
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor(0, 0, 0, 0))
        self.setPalette(palette)

    # --- content -----------------------------------------------------------------------------
    @property
    def text(self) -> str:
        if self._pending:
            self._text += "".join(self._pending)
            self._pending.clear()
        return self._text

    def code_blocks(self) -> list[str]:
        return list(self._codes)

    def set_markdown(self, text: str) -> None:
        """Show a finished message: one render."""
        self._timer.stop()
        self._pending.clear()
        self._text = text
        rendered = self._renderer.render_message(text)
        self._finished_markdown, self._rerender_at_end = True, False
        self._fit_font(text, whole=True)
        self._codes = rendered.code_blocks
        self.setHtml(rendered.html)
        self._rendered_upto = self._shown_upto = len(text)
        self._splitter = BlockSplitter()
        self._fit_height()

    def assume_width(self, width: float) -> None:
        """Lay text out for `width` (its siblings' width) from the start. A message built in a
        tab that is not on screen gets no size until the tab is shown, and laying out all of
        them at once then made the switch slow; at the width assumed, nothing is redone."""
        if width > 0:
            self.setLineWrapColumnOrWidth(int(width))

    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        """Another appearance: a finished message is shown again in its code colours; one
        still streaming takes them from its next block on, and all of it when it ends."""
        self._renderer = renderer
        if self._finished_markdown:
            self.set_markdown(self.text)
        elif self._rendered_upto:
            self._rerender_at_end = True

    def set_plain(self, text: str) -> None:
        """User messages are shown as typed."""
        self._finished_markdown = False
        self._timer.stop()
        self._pending.clear()
        self._text = text
        self._fit_font(text, whole=True)
        self.setPlainText(text)
        self._fit_height()

    def begin_stream(self, initial: str = "") -> None:
        self._finished_markdown = self._rerender_at_end = False
        self._fit_font("", whole=True)
        self._timer.stop()
        self.clear()
        self._text = ""
        self._pending.clear()
        self._codes = []
        self._rendered_upto = self._shown_upto = self._tail_pos = 0
        self._splitter = BlockSplitter()
        if initial:
            self.append_stream(initial)

    def append_stream(self, delta: str) -> None:
        self._pending.append(delta)
        if not self._timer.isActive():
            self._timer.start()

    def end_stream(self) -> None:
        """The stream ended: render the tail too (only what was not rendered yet).

        A little later, when the window is idle, the whole reply is rendered once more for
        the render cache, so the next start shows it without the Markdown machinery.
        """
        self._timer.stop()
        if self._rerender_at_end:  # the appearance changed mid-stream: one whole render
            self.set_markdown(self.text)
        else:
            self._flush(final=True)
            self._fit_height()
        self._finished_markdown = True
        text = self.text
        cache = self._renderer.cache
        if cache is not None and cache.enabled and len(text) <= REMEMBER_LIMIT:
            QTimer.singleShot(REMEMBER_DELAY_MS, self, lambda: self._renderer.remember(text))

    def flush_now(self) -> None:
        self._timer.stop()
        self._flush()

    def _flush(self, final: bool = False) -> None:
        text = self.text
        boundary = len(text) if final else self._splitter.feed(text)
        if boundary <= self._rendered_upto and len(text) <= self._shown_upto:
            return
        self._fit_font(text[self._shown_upto :], whole=False)
        QTextCharFormat, QTextCursor = _streaming_classes()  # noqa: N806  (imported once)
        if self._plain is None:
            self._plain = QTextCharFormat()
        cursor = QTextCursor(self.document())
        # One edit block: the document is laid out once per frame, not once per edit.
        cursor.beginEditBlock()
        if boundary > self._rendered_upto:
            # Replace the plain tail with the HTML of what became stable, then re-add the tail.
            cursor.setPosition(self._tail_pos)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            rendered = self._renderer.render(text[self._rendered_upto : boundary], len(self._codes))
            self._codes.extend(rendered.code_blocks)
            cursor.insertHtml(rendered.html)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            if rendered.html and not final:  # room for the tail; a finished reply needs none
                cursor.insertBlock()
            self._tail_pos = cursor.position()
            self._rendered_upto = boundary
            self._shown_upto = boundary
        if len(text) > self._shown_upto:
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(text[self._shown_upto :], self._plain)
            self._shown_upto = len(text)
        cursor.endEditBlock()
        self._fit_height()
        settle_layouts()

    def _fit_font(self, text: str, *, whole: bool) -> None:
        """Shape text only when it needs it. Shaping (kerning, ligatures, joining) took ~45%
        of the time to lay out a long reply; while the message is all in scripts that lay out
        right without it (`needs_shaping`), the view goes without. Qt's own "only where
        needed" left Arabic unjoined, so the choice is made here. `whole`: `text` is all of
        the message; else it was added to it (once shaped, a message stays shaped)."""
        fast = not needs_shaping(text) and (whole or self._fast_text)
        if fast != self._fast_text:
            self._fast_text = fast
            font = self.font()
            font.setStyleStrategy(
                QFont.StyleStrategy.PreferNoShaping if fast else QFont.StyleStrategy.PreferDefault
            )
            self.setFont(font)

    # --- geometry ----------------------------------------------------------------------------
    def _fit_height(self) -> None:
        height = int(self.document().size().height()) + 6
        if self.height() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        width = self.contentsRect().width()  # the viewport's: no scroll bars, no frame
        if self.lineWrapColumnOrWidth() != width:  # a height change needs no new layout
            self.setLineWrapColumnOrWidth(width)
            self._fit_height()

    def sizeHint(self) -> QSize:
        return QSize(400, max(24, int(self.document().size().height()) + 6))

    # --- links -------------------------------------------------------------------------------
    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == "copy":
            index = int(url.path() or url.toString().partition(":")[2] or "0")
            if 0 <= index < len(self._codes):
                QGuiApplication.clipboard().setText(self._codes[index])
                self.code_copied.emit(index)
        elif url.scheme() in ("http", "https", "mailto"):
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(url)
