"""A streamed reply is shown as Markdown while it arrives, and ends as a finished one looks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QFont, QTextBlock, QTextCursor, QTextDocument, QTextFormat
from PySide6.QtWidgets import QApplication

from desktop_app.render.markdown import MarkdownRenderer, RenderedMarkdown, code_background
from desktop_app.ui.chat.message_view import TAIL_EVERY_FRAME, MessageView

CODE_BACKGROUND = code_background(dark=False)  # light appearance
BOLD_LIST = (
    "Here are the options:\n"
    "- **Start simple**: one process, one queue\n"
    "- **Then scale**: add workers when the queue grows\n"
    "- **Measure** before you tune\n"
)


@pytest.fixture
def view(qapp: QApplication) -> Iterator[MessageView]:
    widget = MessageView(MarkdownRenderer())
    yield widget
    widget.deleteLater()


def stream(view: MessageView, text: str, piece: int = 7) -> None:
    """As the controller does: deltas appended, a frame drawn now and then (here: each)."""
    for i in range(0, len(text), piece):
        view.append_stream(text[i : i + piece])
        view.flush_now()


def blocks(document: QTextDocument) -> Iterator[QTextBlock]:
    block = document.begin()
    while block.isValid():
        yield block
        block = block.next()


def block_with(document: QTextDocument, text: str) -> QTextBlock:
    return next(b for b in blocks(document) if text in b.text())


def weight_at(block: QTextBlock, text: str) -> int:
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index(text) + 1)
    return cursor.charFormat().fontWeight()


def in_code_box(block: QTextBlock) -> bool:
    """A line of a code block: in its box once complete, on the box's shade while streaming."""
    shaded = block.blockFormat().background().color().name() == CODE_BACKGROUND
    return shaded or QTextCursor(block).currentTable() is not None


def shape(document: QTextDocument) -> list[tuple[object, ...]]:
    """What a reader sees of each block: its text, list number, margins, heading, rule, table."""
    out: list[tuple[object, ...]] = []
    for block in blocks(document):
        text_list = block.textList()
        fmt = block.blockFormat()
        out.append(
            (
                block.text().rstrip(),
                text_list.itemText(block) if text_list is not None else None,
                text_list.format().style() if text_list is not None else None,
                fmt.topMargin(),
                fmt.bottomMargin(),
                fmt.headingLevel(),
                fmt.hasProperty(QTextFormat.Property.BlockTrailingHorizontalRulerWidth),
                QTextCursor(block).currentTable() is not None,
            )
        )
    return out


def test_bold_bullets_show_before_the_reply_ends(view: MessageView) -> None:
    """Issue #13: `- **Start simple**` showed as typed until the reply ended."""
    view.begin_stream()
    stream(view, BOLD_LIST + "- **Keep it sh")
    document = view.document()
    for item in ("Start simple", "Then scale", "Measure", "Keep it sh"):
        block = block_with(document, item)
        assert block.textList() is not None, item  # a bullet, not "- " typed out
        assert weight_at(block, item) >= QFont.Weight.DemiBold, item
        assert "**" not in block.text() and not block.text().startswith("-")
    first, second = block_with(document, "Start simple"), block_with(document, "Then scale")
    assert first.next() == second  # one tight list, as when finished
    assert first.blockFormat().bottomMargin() == second.blockFormat().topMargin() == 0
    view.end_stream()
    assert view.text == BOLD_LIST + "- **Keep it sh"


def test_numbering_goes_on_while_a_list_streams(view: MessageView) -> None:
    """Each item is drawn on its own once the next one starts; the numbers go on."""
    view.begin_stream()
    stream(view, "Steps:\n1. First\n1. Second\n1. Thi")
    document = view.document()
    items = [block_with(document, word) for word in ("First", "Second", "Thi")]
    assert [item.textList().itemText(item) for item in items] == ["1.", "2.", "3."]


def test_a_streamed_reply_ends_as_a_finished_one_looks(qapp: QApplication) -> None:
    text = (
        "---\n"
        "Key points:\n\n"
        "- **Start simple**: one process\n"
        "- **Then scale**\n"
        "  - nested, with `code`\n"
        "- Measure\n"
        "Steps:\n"
        "1. First\n"
        "2. Second\n"
        "3. Third\n"
        "# A heading\n"
        "Some *prose* after it.\n"
        "```python\n"
        "def f(x):\n"
        "    return x * 2\n"
        "```\n"
        "Done.\n"
    )
    finished = MessageView(MarkdownRenderer())
    finished.set_markdown(text)
    for piece in (1, 5, 13, 64):
        streamed = MessageView(MarkdownRenderer())
        streamed.begin_stream()
        stream(streamed, text, piece)
        streamed.end_stream()
        assert shape(streamed.document()) == shape(finished.document()), piece
        assert streamed.code_blocks() == finished.code_blocks()
        streamed.deleteLater()
    finished.deleteLater()


@pytest.mark.parametrize("between", ["\n", "\n\n"])
def test_no_gap_above_a_list_after_a_colon(view: MessageView, between: str) -> None:
    """The list came after an empty line when it was still streaming as the reply ended."""
    text = f"Key points:{between}- first point\n- second point"
    view.begin_stream()
    stream(view, text)
    view.end_stream()
    document = view.document()
    intro, first = block_with(document, "Key points:"), block_with(document, "first point")
    assert intro.next() == first  # no empty line between them
    finished = QTextDocument()
    finished.setHtml(MarkdownRenderer().render(text).html)
    finished.setTextWidth(document.textWidth())
    layout, whole = document.documentLayout(), finished.documentLayout()
    gap = layout.blockBoundingRect(first).top() - layout.blockBoundingRect(intro).bottom()
    expected = whole.blockBoundingRect(block_with(finished, "first point")).top() - (
        whole.blockBoundingRect(block_with(finished, "Key points:")).bottom()
    )
    assert gap == expected


def test_text_after_a_list_is_no_list_item(view: MessageView) -> None:
    """The line after a list used to take the list's format, and all that followed it."""
    view.begin_stream()
    stream(view, "Key points:\n\n- a\n- b\n\nAfter the list.\n\nMore", piece=5)
    for moment in ("streaming", "ended"):
        document = view.document()
        for text in ("After the list.", "More"):
            assert block_with(document, text).textList() is None, (moment, text)
        view.end_stream()


def test_a_code_block_streams_as_code_and_is_coloured_once_complete(view: MessageView) -> None:
    view.begin_stream()
    stream(view, "Here:\n\n```python\ndef f(x):\n    return x")
    document = view.document()
    assert in_code_box(block_with(document, "def f(x):"))  # not "```python" typed out
    assert in_code_box(block_with(document, "return x"))
    assert "```" not in document.toPlainText()
    assert view.code_blocks() == ["def f(x):\n    return x"]  # Copy takes what is there
    assert "#008000" not in document.toHtml()  # colouring waits for the end of the block
    stream(view, " * 2\n```\n")
    view.end_stream()
    assert view.code_blocks() == ["def f(x):\n    return x * 2\n"]
    assert QTextCursor(block_with(document, "return x * 2")).currentTable() is not None
    assert "#008000" in document.toHtml()  # `def` in the default style's green


def test_a_long_code_block_goes_on_as_code(view: MessageView) -> None:
    """Past TAIL_EVERY_FRAME the open block is no longer drawn at every frame: the lines in
    between are appended, as code lines too."""
    lines = [f"value_{i} = compute({i})" for i in range(2 * TAIL_EVERY_FRAME // 20)]
    view.begin_stream()
    stream(view, "```python\n" + "\n".join(lines), piece=40)
    document = view.document()
    assert document.toPlainText().count("value_") == len(lines)
    for line in (lines[0], lines[-2], lines[-1]):
        block = block_with(document, line)
        assert block.text() == line and in_code_box(block), line
        assert QTextCursor(block).charFormat().fontFamilies() == ["monospace"], line
    view.end_stream()
    assert in_code_box(block_with(document, lines[-1]))


class CountingRenderer(MarkdownRenderer):
    def __init__(self) -> None:
        super().__init__()
        self.rendered = 0

    def render(self, text: str, code_offset: int = 0, streaming: bool = False) -> RenderedMarkdown:
        self.rendered += len(text)
        return super().render(text, code_offset, streaming)


@pytest.mark.parametrize(
    "text",
    [
        "".join(f"- item {i} with **bold** words\n" for i in range(400)),  # one long list
        " ".join(f"word{i} **bold**" for i in range(3000)),  # one long paragraph
        "```\n" + "".join(f"line {i}\n" for i in range(3000)),  # one long code block
    ],
)
def test_showing_a_long_block_costs_a_multiple_of_its_length(qapp: QApplication, text: str) -> None:
    """The open block is drawn again as it grows; over a whole reply that must stay linear."""
    renderer = CountingRenderer()
    view = MessageView(renderer)
    view.begin_stream()
    stream(view, text, piece=20)
    view.end_stream()
    assert view.text == text
    assert renderer.rendered <= 8 * len(text)  # redrawn at every frame, it was ~len/40 times
    view.deleteLater()


def test_plain_words_are_appended_to_a_plain_paragraph(qapp: QApplication) -> None:
    """Most of a reply: redrawing it would show the same, so the words are only appended."""
    text = "Plain words that go on\nafter a line break " * 40
    renderer = CountingRenderer()
    view = MessageView(renderer)
    view.begin_stream()
    stream(view, text, piece=10)
    assert renderer.rendered < 20  # drawn once, when it had one word
    fresh = MessageView(MarkdownRenderer())
    fresh.begin_stream(text)
    fresh.flush_now()
    shown = view.document().toPlainText()
    assert shown.rstrip() == fresh.document().toPlainText()  # (a trailing space is not seen)
    assert view.document().blockCount() == 1
    for widget in (view, fresh):
        widget.deleteLater()
