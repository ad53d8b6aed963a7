"""Markdown to Qt-friendly HTML, and the incremental block splitter that keeps streaming linear.

Qt-free on purpose (unit-testable). Qt's rich text understands a subset of HTML/CSS, so code is
highlighted by Pygments with inline styles, and each fenced block gets a `copy:N` link.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported at first use: together ~50 ms the window does not need to start
    from pygments.formatters import HtmlFormatter


@dataclass
class RenderedMarkdown:
    html: str
    code_blocks: list[str] = field(default_factory=list)


@lru_cache(maxsize=2)
def _formatter(dark: bool) -> HtmlFormatter[str]:
    from pygments.formatters import HtmlFormatter

    style = "monokai" if dark else "default"
    return HtmlFormatter(style=style, noclasses=True, nowrap=True)


def _highlight(code: str, lang: str, dark: bool) -> str:
    """Colours for a fence that names its language; an untagged fence stays plain.

    Pygments' `guess_lexer` imports every lexer module to score them (~230 ms the first time,
    blocking the window) and often guesses wrong on short snippets.
    """
    if not lang:
        return html.escape(code)
    from pygments import highlight
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return html.escape(code)
    return str(highlight(code, lexer, _formatter(dark)))


class MarkdownRenderer:
    """One per theme; keeps a parser so repeated renders cost only the text."""

    def __init__(self, dark: bool = False) -> None:
        self.dark = dark
        self._parser: Any = None

    @property
    def _md(self) -> Any:
        if self._parser is None:
            from markdown_it import MarkdownIt

            self._parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
                ["table", "strikethrough"]
            )
        return self._parser

    def render(self, text: str, code_offset: int = 0) -> RenderedMarkdown:
        """HTML for `text`; code blocks are numbered from `code_offset` for their copy links."""
        tokens = self._md.parse(text)
        codes: list[str] = []
        bg = "#272822" if self.dark else "#f4f4f6"
        link = "#8ab4f8" if self.dark else "#1a5fb4"
        for tok in tokens:
            if tok.type in ("fence", "code_block"):
                code = tok.content
                index = code_offset + len(codes)
                codes.append(code)
                lang = tok.info.strip().split(" ")[0] if tok.info else ""
                body = _highlight(code.rstrip("\n"), lang, self.dark)
                label = html.escape(lang or "code")
                tok.type = "html_block"
                tok.content = (
                    f'<table width="100%" cellspacing="0" cellpadding="6" '
                    f'style="background:{bg}; margin-top:4px; margin-bottom:4px">'
                    f'<tr><td><span style="color:#888888; font-size:small">{label}</span>'
                    f'&nbsp;&nbsp;<a href="copy:{index}" style="color:{link}; font-size:small">'
                    f"Copy</a></td></tr>"
                    f'<tr><td><pre style="margin:0; font-family:monospace">{body}</pre></td></tr>'
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
