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

    def render(self, text: str, code_offset: int = 0) -> RenderedMarkdown:
        """HTML for `text`; code blocks are numbered from `code_offset` for their copy links.

        Paragraphs of plain prose (most of a reply) skip the parser: the pure-Python parse
        was a third of the cost of showing a long streamed reply. The output is the same
        HTML markdown-it gives (tests/unit/test_markdown.py compares them).
        """
        if "```" in text or "~~~" in text or "]:" in text:  # fences, link definitions
            return self._render_parsed(text, code_offset)
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

    def _render_parsed(self, text: str, code_offset: int) -> RenderedMarkdown:
        """`text` through markdown-it, code blocks highlighted and numbered from `code_offset`."""
        from html import escape

        tokens = self._md.parse(text)
        codes: list[str] = []
        link, muted = CODE_LINK_COLOURS[self.dark], CODE_LABEL_COLOURS[self.dark]
        for tok in tokens:
            if tok.type in ("fence", "code_block"):
                bg = code_background(self.dark)  # Pygments' style, only for text with code
                code = tok.content
                index = code_offset + len(codes)
                codes.append(code)
                lang = tok.info.strip().split(" ")[0] if tok.info else ""
                body = _highlight(code.rstrip("\n"), lang, self.dark)
                label = escape(lang or "code")
                tok.type = "html_block"
                tok.content = (
                    f'<table width="100%" cellspacing="0" cellpadding="6" '
                    f'style="background:{bg}; margin-top:4px; margin-bottom:4px">'
                    f'<tr><td><span style="color:{muted}; font-size:small">{label}</span>'
                    f'&nbsp;&nbsp;<a href="copy:{index}" style="color:{link}; font-size:small">'
                    f"Copy</a></td></tr>"
                    f'<tr><td><pre style="margin:0; font-family:monospace; white-space:pre-wrap">'
                    f"{body}</pre></td></tr>"
                    f"</table>"
                )
        rendered = self._md.renderer.render(tokens, self._md.options, {})
        return RenderedMarkdown(rendered, codes)


class BlockSplitter:
    """Finds where streamed Markdown has become stable, scanning each character only once.

    A boundary is the end of a blank line outside a code fence, or the end of a closing fence
    line: text before it renders the same whatever comes after, so it is rendered once and the
    rest (the tail) is shown as plain text until it becomes stable too.
    """

    def __init__(self) -> None:
        self._scanned = 0  # text[:_scanned] consists of whole lines already examined
        self._fence: str | None = None  # the open fence marker, if inside a code block
        self._boundary = 0

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
            line = text[pos:nl].strip()
            end = nl + 1
            if self._fence is not None:
                if line.startswith(self._fence) and not line[len(self._fence) :].strip("`~"):
                    self._fence = None
                    self._boundary = end
            elif line.startswith(("```", "~~~")):
                marker = line[:3]
                self._fence = marker
            elif not line:
                self._boundary = end
            pos = end
        self._scanned = pos
        return self._boundary
