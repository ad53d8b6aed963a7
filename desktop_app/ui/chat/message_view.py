"""One message's text: Markdown rendered once per stable block, the open last block redrawn.

Rendering cost grows with the new text only (architecture rule 9): stable blocks are converted
to HTML once and never touched again; the open last block (the tail: one paragraph, list item,
heading or code block, see `BlockSplitter`) is drawn as Markdown again at each frame, so the
formatting shows as the text arrives, and the view is refreshed at most once per frame. A tail
grown long is redrawn less and less often, with the text in between appended as it is, so
showing it costs a bounded multiple of its length.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QSize, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QTextEdit, QWidget

from desktop_app.render.markdown import (
    BlockSplitter,
    MarkdownRenderer,
    is_plain_paragraph,
    needs_shaping,
    preview_markdown,
)
from desktop_app.ui.widgets.enum_props import set_enum_property

if TYPE_CHECKING:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import (
        QResizeEvent,
        QTextBlock,
        QTextBlockFormat,
        QTextCharFormat,
        QTextCursor,
        QTextList,
    )

FRAME_MS = 33  # ~30 redraws a second while streaming
# The open last block is drawn as Markdown at every frame up to this many characters (~2 ms),
# then each time it has grown by a quarter (the text in between appended as it is), and past
# TAIL_MAX (~10-20 ms to draw) not again until it is complete. Drawn at most once per frame,
# the tail costs at most ~5x its length over its life (a geometric series), not its square.
TAIL_EVERY_FRAME = 2_000
TAIL_MAX = 8_000
# Starts each piece of HTML added at the end of the document, and is deleted at once: it is
# what Qt merges into the block at the cursor, so the piece's own first block keeps its format.
# Inserted as it is, a paragraph lost its margins, and a list came after an empty line (the
# gap above a list that was still streaming when the reply ended, issue #13).
_JUNCTION_TEXT = "\u2063"  # invisible separator
_JUNCTION = f"<p>{_JUNCTION_TEXT}</p>"
INITIAL_WIDTH = 600  # pixels, until the first resize or an assumed width
REMEMBER_DELAY_MS = 1500  # a finished reply goes to the render cache once the window is idle
REMEMBER_LIMIT = 40_000  # characters; longer replies (a one-off ~40 ms render) are not kept
_SETTLE_PASSES = 6  # view -> message -> list -> scroll area (-> its scroll bar, on first show)


@functools.cache
def _streaming_classes() -> tuple[type[QTextCharFormat], type[QTextCursor], type[QTextBlockFormat]]:
    """Imported when the first reply streams: these classes' enums (~3 ms to build) stay out of
    a restored start, and the import runs once, not at every streamed frame."""
    from PySide6.QtGui import QTextBlockFormat, QTextCharFormat, QTextCursor

    return QTextCharFormat, QTextCursor, QTextBlockFormat


def settle_layouts() -> None:
    """Apply the layout changes a frame caused now, before the frame is painted.

    A taller message otherwise resizes the message, the list, the scroll range and the scroll
    position one posted event at a time, and Qt paints the window between them: two or three
    full paints per streaming frame instead of one. Each pass handles one level of widgets.
    """
    for _ in range(_SETTLE_PASSES):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def _after_blank_line(text: str, at: int) -> bool:
    """Whether the line before `text[at:]` is blank (a list going on after it is loose)."""
    start = text.rfind("\n", 0, max(at - 1, 0)) + 1
    return at > 0 and not text[start:at].strip()


def _top_list(block: QTextBlock) -> QTextList | None:
    """The outermost list `block` ends, through the nested lists it may be in."""
    while block.isValid():
        text_list: QTextList | None = block.textList()  # None outside lists (not in the stubs)
        if text_list is None:
            return None
        if text_list.format().indent() == 1:
            return text_list
        block = block.previous()
    return None


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
        self._codes: list[str] = []
        self._plain: QTextCharFormat | None = None  # text appended as it is, made at first use
        self._code_plain: QTextCharFormat | None = None  # the same inside a code block
        self._restart_stream()
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
        """The code blocks the Copy links refer to (one still streaming included)."""
        return self._codes + self._tail_codes

    def _restart_stream(self) -> None:
        """Forget the streaming state: the document is about to be replaced or cleared."""
        self._splitter = BlockSplitter()
        self._rendered_upto = 0  # text[:_rendered_upto] is in the document as stable HTML
        self._shown_upto = 0  # text[:_shown_upto] is drawn (stable, the tail, appended text)
        self._checked_upto = 0  # text[:_checked_upto] was checked for text shaping
        self._has_stable = False  # some stable part is in the document
        self._tail_pos = 0  # document position where the tail starts (the stable part's end)
        self._tail_block: tuple[QTextBlockFormat, QTextCharFormat, bool] | None = None
        self._append_pos: int | None = None  # where text arriving goes; None: tail is empty
        self._tail_drawn = 0  # the tail's length when last drawn as Markdown (0: not yet)
        self._tail_again = False  # that drawing held text back: draw the next frame too
        self._tail_plain = False  # that drawing was of plain words, which text is added to
        self._tail_codes: list[str] = []

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
        self._restart_stream()
        self._rendered_upto = self._shown_upto = len(text)
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
        self._restart_stream()
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
        self._fit_font(text[self._checked_upto :], whole=False)
        self._checked_upto = len(text)
        QTextCharFormat, QTextCursor, _ = _streaming_classes()  # noqa: N806  (imported once)
        cursor = QTextCursor(self.document())
        # One edit block: the document is laid out once per frame, not once per edit.
        cursor.beginEditBlock()
        tail = text[boundary:]
        stable = boundary > self._rendered_upto
        drawn = False
        if stable or (tail and self._tail_due(tail)):
            self._drop_tail(cursor)
            if stable:  # what became stable is drawn once, for good
                part_at = self._rendered_upto
                part = text[part_at:boundary]
                rendered = self._renderer.render(part, len(self._codes))
                self._codes.extend(rendered.code_blocks)
                if self._insert_html(cursor, rendered.html, _after_blank_line(text, part_at)):
                    self._has_stable = True
                self._mark_tail_start(cursor)
                self._rendered_upto = self._shown_upto = boundary
            if tail and len(tail) <= TAIL_MAX:
                self._draw_tail(cursor, tail, _after_blank_line(text, boundary))
                self._shown_upto = boundary + len(tail.rstrip())
                if self._tail_again:  # held back or closed markup: shown, in its way
                    self._shown_upto = len(text)
                drawn = True
        if not drawn and len(text) > self._shown_upto:  # a long tail between drawings: appended
            in_code = self._splitter.in_fence
            if self._append_pos is None:  # nothing of the tail is drawn: a line of its own
                cursor.movePosition(QTextCursor.MoveOperation.End)
                if not self.document().isEmpty():
                    _, _, QTextBlockFormat = _streaming_classes()  # noqa: N806
                    cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
                self._append_pos = cursor.position()
            added = text[self._shown_upto :]
            if self._tail_plain:  # a line break in a paragraph is a space
                added = added.replace("\n", " ")
            cursor.setPosition(self._append_pos)
            cursor.insertText(added, self._appended_format(in_code))
            self._append_pos = cursor.position()
            self._shown_upto = len(text)
        cursor.endEditBlock()
        self._fit_height()
        settle_layouts()

    def _tail_due(self, tail: str) -> bool:
        """Whether the tail is drawn again now (see TAIL_EVERY_FRAME). Plain words added to
        plain words are not: appended, they look the same (most of a reply, at less cost)."""
        if self._tail_plain and is_plain_paragraph(tail.rstrip()):
            return False
        length = len(tail)
        if length <= TAIL_EVERY_FRAME or self._tail_again:
            return True
        return length <= TAIL_MAX and 4 * length >= 5 * self._tail_drawn

    def _draw_tail(self, cursor: QTextCursor, tail: str, after_blank: bool) -> None:
        """The open last block as Markdown, after the stable part (a code block in it as
        shaded lines, uncoloured, which the text arriving next can be appended to)."""
        in_code = self._splitter.in_fence
        source = preview_markdown(tail, in_code) if len(tail) <= TAIL_EVERY_FRAME else tail
        rendered = self._renderer.render(source, len(self._codes), streaming=True)
        self._tail_codes = rendered.code_blocks
        self._tail_drawn = len(tail)
        self._tail_again = source != tail
        self._tail_plain = not in_code and is_plain_paragraph(tail.rstrip())
        if self._insert_html(cursor, rendered.html, after_blank):
            self._append_pos = self.document().characterCount() - 1

    def _drop_tail(self, cursor: QTextCursor) -> None:
        """Remove what is drawn of the tail; the stable part's last block is as it was."""
        QTextCharFormat, QTextCursor, QTextBlockFormat = _streaming_classes()  # noqa: N806
        self._tail_codes = []
        self._append_pos = None
        self._tail_plain = False
        cursor.setPosition(self._tail_pos)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        if not cursor.hasSelection():
            return
        block_format, char_format, in_list = self._tail_block or (
            QTextBlockFormat(),
            QTextCharFormat(),
            False,
        )
        if self.document().findBlock(self._tail_pos).length() == 1:
            # An empty block (the document's first, or the one after a table or rule) takes
            # the format of the last block removed after it. Changing it back afterwards
            # would lay out the table above it again (its format sits in the table's end),
            # at every frame: the last block is given its format instead.
            last = QTextCursor(self.document().lastBlock())
            text_list: QTextList | None = last.currentList()
            if text_list is not None and not in_list:
                text_list.remove(last.block())
            last.setBlockFormat(block_format)
            last.setBlockCharFormat(char_format)
        cursor.removeSelectedText()
        if cursor.blockFormat() != block_format:  # a list the tail went on with, ended again
            cursor.setBlockFormat(block_format)

    def _mark_tail_start(self, cursor: QTextCursor) -> None:
        _, QTextCursor, _ = _streaming_classes()  # noqa: N806
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._tail_pos = cursor.position()
        block = cursor.block()
        self._tail_block = (block.blockFormat(), block.charFormat(), block.textList() is not None)

    def _insert_html(self, cursor: QTextCursor, html: str, after_blank: bool) -> bool:
        """Add `html` at the end as blocks of their own; whether there was anything to add.

        Through `_JUNCTION` (see there). A list split across two insertions goes on: its
        numbering continues, and without a blank line in between (`after_blank`), the two
        items have no space between them either.
        """
        html = html.rstrip()  # a line break after the last tag ends its block with a space
        if not html:
            return False
        QTextCharFormat, QTextCursor, QTextBlockFormat = _streaming_classes()  # noqa: N806
        cursor.movePosition(QTextCursor.MoveOperation.End)
        start = cursor.position()
        at_start = start == 0 and not self._has_stable  # (a rule alone is an empty line)
        kept = cursor.blockFormat()  # Qt gives HTML inserted at 0 the first block's format
        cursor.insertHtml(_JUNCTION + html)
        cursor.setPosition(start)
        if at_start:  # an empty document: the junction's whole line goes, if it can
            cursor.setPosition(2, QTextCursor.MoveMode.KeepAnchor)
            if cursor.selectedText() == _JUNCTION_TEXT + "\u2029":  # else a table follows
                cursor.removeSelectedText()
                return True
            cursor.setPosition(0)
        cursor.setPosition(start + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if at_start:  # the line Qt keeps above a table at the start, as in a whole message
            cursor.setBlockFormat(QTextBlockFormat())
            cursor.setBlockCharFormat(QTextCharFormat())
        elif start == 0:  # after a rule that starts the message
            cursor.setBlockFormat(kept)
        self._continue_list(self.document().findBlock(start + 1), after_blank)
        return True

    def _continue_list(self, first: QTextBlock, after_blank: bool) -> None:
        """`first` starts a list that goes on with the list the block before it ends."""
        new: QTextList | None = first.textList()
        if new is None or new.format().indent() != 1:
            return
        previous = _top_list(first.previous())
        if previous is None or previous.format().style() != new.format().style():
            return
        if not after_blank:  # one tight list: no space between the two items
            _, QTextCursor, _ = _streaming_classes()  # noqa: N806
            last_item = previous.item(previous.count() - 1)  # the item a nested list ends
            for block, top in ((last_item, False), (first.previous(), False), (first, True)):
                block_format = block.blockFormat()
                if top:
                    block_format.setTopMargin(0)
                else:
                    block_format.setBottomMargin(0)
                QTextCursor(block).setBlockFormat(block_format)
        list_format = new.format()
        list_format.setStart(previous.format().start() + previous.count())
        new.setFormat(list_format)

    def _appended_format(self, in_code: bool) -> QTextCharFormat:
        """The format of text appended as it is: plain, or monospace inside a code block."""
        QTextCharFormat, _, _ = _streaming_classes()  # noqa: N806
        if in_code:
            if self._code_plain is None:
                self._code_plain = QTextCharFormat()
                self._code_plain.setFontFamilies(["monospace"])
            return self._code_plain
        if self._plain is None:
            self._plain = QTextCharFormat()
        return self._plain

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
            codes = self.code_blocks()
            if 0 <= index < len(codes):
                QGuiApplication.clipboard().setText(codes[index])
                self.code_copied.emit(index)
        elif url.scheme() in ("http", "https", "mailto"):
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(url)
