"""Pure text helpers: titles from prompts, FTS5 queries from what the user typed, snippets.

Search snippets mark each hit with HIT_START ... HIT_END (the control characters STX and ETX,
which never survive into normal chat text). The UI escapes the snippet for display first and
then turns the markers into highlight, e.g. with `split_snippet`:

    for text, is_hit in split_snippet(hit.snippet):
        html += f"<b>{escape(text)}</b>" if is_hit else escape(text)
"""

from __future__ import annotations

import re

HIT_START = "\x02"
HIT_END = "\x03"
ELLIPSIS = "…"
TITLE_MAX = 60
# The last word matches as a prefix from this length on (the FTS table has a 3-character
# prefix index); "a*" or "th*" would merge the doclists of thousands of words.
PREFIX_MIN_CHARS = 3

_SPACE = re.compile(r"\s+")
_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')


def make_title(text: str, limit: int = TITLE_MAX) -> str:
    """A one-line title from a prompt: whitespace collapsed, cut at a word boundary + '…'."""
    flat = _SPACE.sub(" ", text.replace(HIT_START, "").replace(HIT_END, "")).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:  # a word boundary not too far back
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + ELLIPSIS


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """A safe FTS5 MATCH expression: every word (or "quoted phrase") must occur.

    The user's text is never passed to FTS5 as syntax, so `AND`, `(`, `-`, `*` or an odd quote
    cannot raise a syntax error. With `prefix_last`, the last bare word of 3 or more characters
    also matches as a prefix (search-as-you-type). None when there is nothing to search for.
    """
    parts: list[tuple[str, bool]] = []
    for m in _QUERY_PART.finditer(text):
        phrase, word = m.group(1), m.group(2)
        value = phrase if phrase is not None else word
        if value is None or not any(ch.isalnum() for ch in value):
            continue
        parts.append((value, phrase is None))
    if not parts:
        return None
    out = []
    for i, (value, bare) in enumerate(parts):
        quoted = '"' + value.replace('"', '""') + '"'
        if prefix_last and bare and i == len(parts) - 1 and len(value) >= PREFIX_MIN_CHARS:
            quoted += "*"
        out.append(quoted)
    return " ".join(out)


def split_snippet(snippet: str) -> list[tuple[str, bool]]:
    """[(text, is_hit), ...] from a snippet with HIT_START/HIT_END markers."""
    out: list[tuple[str, bool]] = []
    rest = snippet
    while rest:
        start = rest.find(HIT_START)
        if start < 0:
            out.append((rest, False))
            break
        if start:
            out.append((rest[:start], False))
        end = rest.find(HIT_END, start + 1)
        if end < 0:
            out.append((rest[start + 1 :], True))
            break
        out.append((rest[start + 1 : end], True))
        rest = rest[end + 1 :]
    return [(t, hit) for t, hit in out if t]
