"""Markdown to Qt-friendly HTML, and the incremental block splitter that keeps streaming linear.

Qt-free on purpose (unit-testable). Qt's rich text understands a subset of HTML/CSS, so code is
highlighted by Pygments with inline styles, and each fenced block gets a `copy:N` link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported at first use: together ~50 ms the window does not need to start
    from pygments.formatters import HtmlFormatter

    from desktop_app.render.cache import RenderCache


@dataclass
class RenderedMarkdown:
    """HTML for the view, and the code blocks its copy links refer to."""

    html: str
    code_blocks: list[str] = field(default_factory=list)


# Pygments styles whose every token colour reads at least 4.5:1 (WCAG AA) on the style's own
# background, which the code block takes (tests/unit/test_markdown.py measures them).
CODE_STYLES = {False: "default", True: "monokai"}
# The code block's language label and Copy link, 4.5:1 on those backgrounds too.
CODE_LABEL_COLOURS = {False: "#646464", True: "#a0a3aa"}
CODE_LINK_COLOURS = {False: "#1a5fb4", True: "#8ab4f8"}


@lru_cache(maxsize=2)
def _formatter(dark: bool) -> HtmlFormatter[str]:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style=CODE_STYLES[dark], noclasses=True, nowrap=True)


@lru_cache(maxsize=2)
def code_background(dark: bool) -> str:
    """The code block's background: its Pygments style's own."""
    from pygments.styles import get_style_by_name

    return str(get_style_by_name(CODE_STYLES[dark]).background_color)


def _highlight(code: str, lang: str, dark: bool) -> str:
    """Colours for a fence that names its language; an untagged fence stays plain.

    Pygments' `guess_lexer` imports every lexer module to score them (~230 ms the first time,
    blocking the window) and often guesses wrong on short snippets.
    """
    from html import escape  # here, not at import: html.entities costs ~2 ms at start-up

    if not lang:
        return escape(code)
    from pygments import highlight
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return escape(code)
    return str(highlight(code, lexer, _formatter(dark)))


# A block: lines between blank lines. A plain paragraph is one that markdown-it turns into
# exactly `<p>block</p>`: every line starts with a letter (so no list, heading, quote, table,
# indented code or setext underline can begin there), ends without whitespace (no hard
# break), and no character that starts inline syntax, an entity, an escape or needs escaping
# appears (`"` is the one escaped by hand). Blocks are separated by blank lines, so a plain
# paragraph also ends whatever came before it: rendering the runs between plain paragraphs on
# their own gives the same HTML, as long as no fence (blank lines inside) or link reference
# definition (used elsewhere) is in the text; `render` checks that first.
_BLOCK = re.compile(r"[^\n]+(?:\n[^\n]+)*")
_LINE = r"[^\W\d_](?:[^\x00-\x1f\\`*_\[\]<>&~|]*[^\s\x00-\x1f\\`*_\[\]<>&~|])?"
_PLAIN_PARAGRAPH = re.compile(f"{_LINE}(?:\n{_LINE})*")


def is_plain_paragraph(text: str) -> bool:
    """Whether `text` is one paragraph without any markup: shown as it is, words appended to
    it look as they would if it were rendered again."""
    return _PLAIN_PARAGRAPH.fullmatch(text) is not None


# Characters laid out correctly without text shaping: Latin, Greek, Cyrillic and Armenian
# letters, general punctuation, currency, letter-like symbols, arrows and maths. Not combining
# marks, zero-width joiners, right-to-left or Indic scripts, emoji (sequences and flags are
# ligatures) or anything else: Qt's "no shaping" strategy leaves even Arabic unjoined.
_NEEDS_SHAPING = re.compile(r"[^\x00-\u02ff\u0370-\u058f\u2000-\u200b\u200e-\u206f\u20a0-\u22ff]")


def needs_shaping(text: str) -> bool:
    """Whether `text` has a character that only shapes correctly with full text shaping."""
    return _NEEDS_SHAPING.search(text) is not None


class MarkdownRenderer:
    """One per theme; keeps a parser so repeated renders cost only the text."""

    def __init__(self, dark: bool = False, cache: RenderCache | None = None) -> None:
        self.dark = dark
        self.cache = cache
        self._parser: Any = None

    def render_message(self, text: str) -> RenderedMarkdown:
        """A finished message, from the cache when a session before rendered the same text."""
        if self.cache is not None and (hit := self.cache.get(text, self.dark)) is not None:
            return hit
        rendered = self.render(text)
        if self.cache is not None:
            self.cache.put(text, self.dark, rendered)
        return rendered

    def remember(self, text: str) -> None:
        """Put a message shown another way (streamed block by block) in the cache."""
        if self.cache is not None and self.cache.get(text, self.dark) is None:
            self.cache.put(text, self.dark, self.render(text))

    @property
    def _md(self) -> Any:
        if self._parser is None:
            from markdown_it import MarkdownIt

            self._parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
                ["table", "strikethrough"]
            )
        return self._parser

    def render(self, text: str, code_offset: int = 0, streaming: bool = False) -> RenderedMarkdown:
        """HTML for `text`; code blocks are numbered from `code_offset` for their copy links.

        Paragraphs of plain prose (most of a reply) skip the parser: the pure-Python parse
        was a third of the cost of showing a long streamed reply. The output is the same
        HTML markdown-it gives (tests/unit/test_markdown.py compares them).

        `streaming`: `text` is a block still arriving, drawn again at every frame. Its code
        is not coloured (~6 ms per kilobyte) and is drawn as shaded lines rather than in a
        box: Qt lays a table out again whole at each change, so lines appended to a box
        cost the whole block each time, and appended to shaded lines only themselves.
        """
        if "```" in text or "~~~" in text or "]:" in text:  # fences, link definitions
            return self._render_parsed(text, code_offset, streaming)
        parts: list[str] = []
        codes: list[str] = []
        start = end = -1  # text[start:end]: blocks not plain yet to be parsed, as one run
        for m in _BLOCK.finditer(text):
            if _PLAIN_PARAGRAPH.fullmatch(m.group()) is None:
                if start < 0:
                    start = m.start()
                end = m.end()
                continue
            if start >= 0:
                run = self._render_parsed(text[start:end], code_offset + len(codes))
                parts.append(run.html)
                codes.extend(run.code_blocks)
                start = -1
            parts.append("<p>" + m.group().replace('"', "&quot;") + "</p>\n")
        if start >= 0:
            if not parts:  # nothing plain: one parse of the whole text, as it was given
                return self._render_parsed(text, code_offset)
            run = self._render_parsed(text[start:end], code_offset + len(codes))
            parts.append(run.html)
            codes.extend(run.code_blocks)
        return RenderedMarkdown("".join(parts), codes)

    def _render_parsed(
        self, text: str, code_offset: int, streaming: bool = False
    ) -> RenderedMarkdown:
        """`text` through markdown-it, code blocks highlighted and numbered from `code_offset`."""
        from html import escape

        tokens = self._md.parse(text)
        codes: list[str] = []
        link, muted = CODE_LINK_COLOURS[self.dark], CODE_LABEL_COLOURS[self.dark]
        for tok in tokens:
            if tok.type in ("fence", "code_block"):
                bg = code_background(self.dark)  # Pygments' style, only for text with code
                code = tok.content
                shown = code.rstrip("\n")
                index = code_offset + len(codes)
                codes.append(code)
                lang = tok.info.strip().split(" ")[0] if tok.info else ""
                label = escape(lang or "code")
                tok.type = "html_block"
                header = (
                    f'<span style="color:{muted}; font-size:small">{label}</span>&nbsp;&nbsp;'
                    f'<a href="copy:{index}" style="color:{link}; font-size:small">Copy</a>'
                )
                # Streaming: the same look in shaded lines, without margins, which the lines
                # appended next (taking the last one's format) follow seamlessly.
                if streaming:
                    shaded = f"background:{bg}; text-indent:6px"
                    tok.content = (
                        f'<p style="{shaded}; margin:4px 0 0 0">{header}</p>'
                        f'<pre style="{shaded}; margin:0; font-family:monospace; '
                        f'white-space:pre-wrap">'
                        f"{escape(shown)}</pre>"
                    )
                    continue
                body = _highlight(shown, lang, self.dark)
                tok.content = (
                    f'<table width="100%" cellspacing="0" cellpadding="6" '
                    f'style="background:{bg}; margin-top:4px; margin-bottom:4px">'
                    f"<tr><td>{header}</td></tr>"
                    f'<tr><td><pre style="margin:0; font-family:monospace; white-space:pre-wrap">'
                    f"{body}</pre></td></tr>"
                    f"</table>"
                )
        rendered = self._md.renderer.render(tokens, self._md.options, {})
        return RenderedMarkdown(rendered, codes)


# What the splitter recognises at the start of a line. Only a list item at column 0 is split at
# (an indented one may belong to the item above it); `- - -` is a thematic break, no item.
# Groups: the number of an ordered item; the text after the marker.
_ITEM = re.compile(r" {0,3}(?:[-+*]|(\d{1,9})[.)])(?:[ \t]+(\S.*)|[ \t]*$)")
_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])[ \t]*(?:\1[ \t]*){2,}")
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
# A paragraph's line (once lists, headings, rules and fences are ruled out): not indented code,
# a quote or raw HTML. One with a `|` may be a table's header: "other" from then on.
_PARAGRAPH_START = re.compile(r" {0,3}[^\s>|<]")

_NONE, _PARAGRAPH, _LIST, _OTHER = range(4)  # what the open block is, as far as it matters here


class BlockSplitter:
    """Finds where streamed Markdown has become stable, scanning each character only once.

    A boundary is where the text before it renders the same whatever comes after, so it is
    rendered once and only the rest (the tail, the open last block) is drawn again as it grows:
    the end of a blank line outside a code fence, the end of a closing fence line, and, so that
    the tail stays one block short, the start of a list item, heading or fence that ends the
    paragraph or list item above it, and the end of a heading line. Only whole lines are
    examined, so the result does not depend on how the text arrived.
    """

    def __init__(self) -> None:
        self._scanned = 0  # text[:_scanned] consists of whole lines already examined
        self._fence: str | None = None  # the open fence marker, if inside a code block
        self._boundary = 0
        self._kind = _NONE  # the open block since the last boundary
        self._lazy = False  # in a list: a paragraph is open, which a line at column 0 goes on

    @property
    def boundary(self) -> int:
        return self._boundary

    @property
    def in_fence(self) -> bool:
        return self._fence is not None

    def feed(self, text: str) -> int:
        """Scan the new whole lines of `text`; return the latest stable boundary."""
        pos = self._scanned
        while True:
            nl = text.find("\n", pos)
            if nl < 0:
                break
            raw = text[pos:nl]
            line = raw.strip()
            end = nl + 1
            if self._fence is not None:
                if line.startswith(self._fence) and not line[len(self._fence) :].strip("`~"):
                    self._fence = None
                    self._boundary = end
                    self._kind = _NONE
            elif not line:
                self._boundary = end
                self._kind = _NONE
            elif line.startswith(("```", "~~~")):
                if raw[0] not in " \t" and self._kind in (_PARAGRAPH, _LIST):
                    self._boundary = pos  # a fence at column 0 ends the paragraph or list
                self._fence = line[:3]
                self._kind = _OTHER
            else:
                self._line(raw, pos, end)
            pos = end
        self._scanned = pos
        return self._boundary

    def _line(self, raw: str, pos: int, end: int) -> None:
        """One non-blank line outside a fence, starting at `pos` (CommonMark's block rules, as
        far as they decide whether the block before this line is complete)."""
        kind = self._kind
        if kind == _OTHER:  # a table, quote or indented code ends at a blank line
            return
        indented = raw[0] in " \t"
        if kind == _LIST and indented:  # the item's own text, or a nested block
            self._lazy = _opens_paragraph(raw)
            return
        if _THEMATIC_BREAK.fullmatch(raw) or (kind == _PARAGRAPH and _SETEXT.fullmatch(raw)):
            self._boundary = end  # a rule (ending a list before it), or a heading's underline
            self._kind = _NONE
            return
        item = _ITEM.match(raw)
        if item is not None:
            if kind == _PARAGRAPH and not _interrupts(item):
                return  # the paragraph's next line
            # In a list, any item at column 0 ends the item above (markdown-it's reading: the
            # rule that only some items may interrupt a paragraph is not applied there).
            if kind == _LIST or (kind == _PARAGRAPH and not indented):
                self._boundary = pos  # the next item, or a list that ends a paragraph
            self._kind, self._lazy = _LIST, _opens_paragraph(raw)
        elif _HEADING.match(raw):
            self._boundary = end  # a heading is a block of one line, and ends the one above
            self._kind = _NONE
        elif kind == _LIST:
            if "|" in raw:  # perhaps a table's header: stable at the blank line after it
                self._kind = _OTHER
            elif not self._lazy or raw[0] == ">":  # else the open paragraph goes on
                self._boundary = pos  # the list has ended: this line starts another block
                self._kind = _NONE
                self._line(raw, pos, end)
        elif kind == _NONE:
            self._kind = _PARAGRAPH if _paragraph_text(raw) and "|" not in raw else _OTHER
        elif "|" in raw or not _paragraph_text(raw):  # a quote or a table's header, say
            self._kind = _OTHER


def _interrupts(item: re.Match[str]) -> bool:
    """Whether a list item may start right after a paragraph line (else it continues it)."""
    return item.group(2) is not None and item.group(1) in (None, "1")


def _paragraph_text(line: str) -> bool:
    """Whether `line` is text that starts a paragraph or goes on with one."""
    return (
        _PARAGRAPH_START.match(line) is not None
        and _HEADING.match(line) is None
        and _THEMATIC_BREAK.fullmatch(line) is None
        and not line.lstrip().startswith(("```", "~~~"))
    )


def _opens_paragraph(line: str) -> bool:
    """Whether a paragraph is open after `line` in a list item (its text, in nested items or
    quotes too): a line at column 0 may then go on with it."""
    while True:
        item = _ITEM.match(line)
        if item is not None:
            line = item.group(2) or ""
        elif line.lstrip(" ").startswith(">"):
            line = line.lstrip(" ")[1:]
        else:
            return bool(line.strip()) and _paragraph_text(line.lstrip())


# The last line of an open block that is only the start of block syntax: a list marker, a
# heading's hashes, a setext underline, a quote or table start, the start of a fence. Shown
# as it is, it flashes as an empty bullet, a heading or an empty code block for a frame.
_MARKER_LINE = re.compile(
    r"[ \t]*(?:[-+*=#>|_]+|\d{1,9}[.)]?|`{1,2}|~{1,2}|(?:`{3,}|~{3,}).*)[ \t]*"
)
_OPENING_RUN = re.compile(r"(?:^|(?<=\s))[*_`~]+$")  # emphasis or code opened, no text yet


def preview_markdown(tail: str, in_fence: bool) -> str:
    """The open last block of a streaming reply as Markdown to draw now.

    Markup still arriving is drawn as it will end: bold and code spans opened on the last line
    are closed (`**Start sim` shows `Start sim` in bold), a marker with no text after it yet is
    held back. Inside a code fence, the text is code and is left alone: markdown-it runs an
    unclosed fence to the end of the text.
    """
    if in_fence:
        return tail
    cut = tail.rfind("\n") + 1
    head, last = tail[:cut], tail[cut:]
    last = _OPENING_RUN.sub("", last)
    if _MARKER_LINE.fullmatch(last):
        return head
    if last.count("`") % 2:
        return head + last.rstrip() + "`"
    if last.count("**") % 2:
        opened = last[last.rfind("**") + 2 :]
        if opened[:1].strip():
            return head + last.rstrip() + "**"
    return head + last
