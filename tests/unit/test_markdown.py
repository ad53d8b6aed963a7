import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.render.markdown import (
    BlockSplitter,
    MarkdownRenderer,
    needs_shaping,
    preview_markdown,
)


def test_code_blocks_are_highlighted_with_copy_links() -> None:
    out = MarkdownRenderer().render("Intro\n\n```python\ndef f():\n    return 1\n```\n", 3)
    assert out.code_blocks == ["def f():\n    return 1\n"]
    assert 'href="copy:3"' in out.html
    assert "<pre" in out.html and "style=" in out.html
    assert "<p>Intro</p>" in out.html


def test_an_untagged_fence_stays_plain_and_escaped() -> None:
    """No guessing: Pygments' guesser loads every lexer (~230 ms) and often guesses wrong."""
    out = MarkdownRenderer().render("```\nif a < b:\n    print(a)\n```\n")
    assert out.code_blocks == ["if a < b:\n    print(a)\n"]
    code = out.html.split("<pre", 1)[1]
    assert "if a &lt; b:" in code
    assert "<span" not in code  # no token colouring
    assert 'href="copy:0"' in out.html


def test_an_unknown_language_stays_plain() -> None:
    out = MarkdownRenderer().render("```nosuchlanguage\nx = 1 < 2\n```\n")
    code = out.html.split("<pre", 1)[1]
    assert "x = 1 &lt; 2" in code and "<span" not in code


def test_raw_html_is_escaped() -> None:
    out = MarkdownRenderer().render("<script>alert(1)</script>")
    assert "<script>" not in out.html


def test_splitter_waits_for_closing_fence() -> None:
    s = BlockSplitter()
    text = "para one\n\n```\ncode\n\nmore code\n"
    assert s.feed(text) == len("para one\n\n")
    assert s.in_fence
    text += "```\n"
    assert s.feed(text) == len(text)
    assert not s.in_fence


_SPLITTER_PIECES = ["a", " ", "\n", "```", "~~~", "x\n\n", "`", "- ", "1. ", "2) ", "# ", "  ", "-"]


@given(st.lists(st.sampled_from(_SPLITTER_PIECES), max_size=60))
def test_splitter_is_chunking_independent(parts: list[str]) -> None:
    text = "".join(parts)
    whole = BlockSplitter()
    expected = whole.feed(text)
    pieces = BlockSplitter()
    got = 0
    for i in range(1, len(text) + 1):
        got = pieces.feed(text[:i])
    assert got == expected
    assert expected <= len(text)


def _boundaries(text: str) -> list[int]:
    """Every boundary the splitter reports while `text` arrives a character at a time."""
    splitter = BlockSplitter()
    found: list[int] = []
    for i in range(1, len(text) + 1):
        b = splitter.feed(text[:i])
        if b and (not found or found[-1] != b):
            found.append(b)
    return found


def test_a_list_item_is_stable_once_the_next_one_starts() -> None:
    """The open last block stays one item long, however long the list: drawing it again at
    every frame costs the item, not the list."""
    text = "Here are the options:\n- **Start simple**: one process\n- **Then scale**\n- Third"
    assert _boundaries(text) == [
        len("Here are the options:\n"),  # a list can end a paragraph without a blank line
        len("Here are the options:\n- **Start simple**: one process\n"),
    ]
    assert _boundaries(text + "\n")[-1] == len(text) - len("- Third")  # its line is complete
    numbered = "1. one\n2. two\n10. ten\n"
    assert _boundaries(numbered) == [len("1. one\n"), len("1. one\n2. two\n")]


@pytest.mark.parametrize(
    "text",
    [
        "- item\n  - nested item\n  - another\n",  # nested items belong to the item above
        "- item\n  # a heading inside the item\n  ---\n",
        "The year was\n1986. A good year\n",  # only 1. may start a list inside a paragraph
        "| a | b |\n|---|---|\n- x\n",  # a table (or anything not a paragraph) is left alone
        "> quote\n- item\n",
        "- item\n    indented code? no: the item's text\n",
    ],
)
def test_no_boundary_inside_a_block(text: str) -> None:  # (each line examined once complete)
    assert _boundaries(text) == []


def test_headings_rules_and_fences_end_the_block_before_them() -> None:
    text = "Intro\n# Title\nBody\n- - -\n- item\n```py\nx = 1\n```\n"
    assert _boundaries("Intro\n# Tit") == []
    assert _boundaries(text) == [
        len("Intro\n# Title\n"),  # (before it too, known when its line is complete)
        len("Intro\n# Title\nBody\n- - -\n"),  # a rule, not an item
        len("Intro\n# Title\nBody\n- - -\n- item\n"),  # a fence ends the list
        len(text),
    ]


# Lines (no blank ones: a blank line in a list makes it loose, which only the whole text shows).
_LINES = [
    "Intro:",
    "plain words",
    "- item **bold**",
    "* star item",
    "+ plus item",
    "1. one",
    "2) two",
    "7. seven",
    "  - nested",
    "   continued",
    "# Head",
    "## Sub",
    "---",
    "- - -",
    "===",
    "> quote",
    "| a | b |",
    "|---|---|",
    "```",
    "~~~ py",
    "code = 1",
    "-",
    "1986. a year",
    "   - three spaces",
    "    four spaces",
    "1) one",
    "* * *",
    "<b>html is text</b>",
    "#hashtag",
    "- > quoted item",
    "- # heading item",
]
_LIST_SEAM = re.compile(r'</(ul|ol)>\n<\1(?: start="\d+")?>\n')


@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=14))
def test_stable_parts_render_as_the_whole_text_does(lines: list[str]) -> None:
    """Each part between boundaries is rendered on its own: together they must give the HTML of
    the whole text, but for a list split between two items, which the view joins again."""
    text = "\n".join(lines) + "\n"
    renderer = MarkdownRenderer()
    cuts = [0, *_boundaries(text), len(text)]
    parts, codes = "", 0
    for a, b in itertools.pairwise(cuts):
        rendered = renderer.render(text[a:b], codes)
        parts += rendered.html
        codes += len(rendered.code_blocks)
    whole = renderer.render(text).html
    assert _LIST_SEAM.sub("", parts) == _LIST_SEAM.sub("", whole)


@pytest.mark.parametrize(
    ("tail", "shown"),
    [
        ("- **Start sim", "- **Start sim**"),  # bold as it arrives
        ("Use the `retry", "Use the `retry`"),
        ("**Bold** and **more ", "**Bold** and **more**"),
        ("2 ** 3 is", "2 ** 3 is"),  # not an opening: left as it is
        ("Intro\n- ", "Intro\n"),  # a marker with no text yet is held back
        ("Intro\n- **", "Intro\n"),
        ("A title\n-", "A title\n"),  # not a heading underline for a frame
        ("Intro\n```py", "Intro\n"),  # nor an empty code block
        ("Intro\n12", "Intro\n"),
        ("A title\n-\n", "A title\n-\n"),  # a complete line is what it says
        ("Done.\n", "Done.\n"),
    ],
)
def test_the_open_block_is_previewed_as_it_will_end(tail: str, shown: str) -> None:
    assert preview_markdown(tail, in_fence=False) == shown


def test_an_open_code_block_is_previewed_as_code() -> None:
    tail = "```python\ndef f(**kwargs):\n    return `x"
    assert preview_markdown(tail, in_fence=True) == tail
    out = MarkdownRenderer().render(tail, 4, streaming=True)
    assert out.code_blocks == ["def f(**kwargs):\n    return `x"]  # open: to the end
    assert 'href="copy:4"' in out.html and ">python<" in out.html
    code = out.html.split("<pre", 1)[1]
    assert "<span" not in code and "<table" not in out.html  # coloured, boxed once complete
    assert "def f(**kwargs):\n    return `x</pre>" in code


_FRAGMENTS = [
    "Plain words",
    "more text",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\n\n\n",
    '"quoted"',
    "it's",
    "Ünïcödé",
    "1. ",
    "- ",
    "* ",
    "# ",
    "> ",
    "    ",
    "\t",
    "**bold**",
    "_u_",
    "`code`",
    "```",
    "```py\nx = 1\n```",
    "~~s~~",
    "[a](http://x)",
    "[ref]",
    "[ref]: http://x",
    "<b>",
    "a & b",
    "&amp;",
    "a | b",
    "|---|",
    "---",
    "===",
    "\\",
    "x  \ny",
    "\r\n",
    "\u00a0",
    "!",
    "3 < 4",
    "2 > 1",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40))
def test_the_plain_paragraph_shortcut_gives_markdown_its_html(parts: list[str]) -> None:
    """The shortcut for plain prose must not change a single character of the HTML."""
    text = "".join(parts)
    renderer = MarkdownRenderer()
    fast = renderer.render(text, 2)
    parsed = renderer._render_parsed(text, 2)
    assert fast.html == parsed.html
    assert fast.code_blocks == parsed.code_blocks


def test_plain_prose_and_markdown_mixed_keep_their_order_and_code_numbers() -> None:
    text = (
        'Intro with "quotes".\n\n    indented code\n\n\n    more\n\nMiddle para\nsecond line\n\n'
        "- a list\n- of two\n\nEnd."
    )
    renderer = MarkdownRenderer()
    out = renderer.render(text, 5)
    assert out.html == renderer._render_parsed(text, 5).html
    assert out.code_blocks == ["indented code\n\n\nmore\n"]
    assert 'href="copy:5"' in out.html


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("Plain English, with punctuation — “quotes”, €5 and 3 × 4 → 12.", False),
        ("Ελληνικά και русский текст, Հայերեն", False),
        ("café naïve (precomposed accents)", False),
        ("", False),
        ("cafe\u0301 (a combining accent)", True),
        ("مرحبا بالعالم", True),  # Arabic joins its letters
        ("שלום", True),  # right to left
        ("नमस्ते", True),  # Devanagari
        ("สวัสดี", True),  # Thai
        ("你好，世界", True),  # not in the known-simple ranges: shaped, to be safe
        ("Done ✅", True),
        ("family 👨\u200d👩\u200d👧", True),  # a zero-width-joiner sequence
    ],
)
def test_text_that_needs_shaping_is_recognised(text: str, shaped: bool) -> None:
    assert needs_shaping(text) is shaped


@pytest.mark.parametrize("dark", [False, True])
def test_code_colours_meet_wcag_aa_on_the_code_background(dark: bool) -> None:
    """Every colour Pygments' style gives a token (whitespace is not drawn), the language
    label and the Copy link read at 4.5:1 on the code block's background."""
    from pygments.styles import get_style_by_name
    from pygments.token import Whitespace

    from desktop_app.render.markdown import (
        CODE_LABEL_COLOURS,
        CODE_LINK_COLOURS,
        CODE_STYLES,
        code_background,
    )
    from tests.support.wcag import AA_TEXT, hex_ratio

    bg = code_background(dark)
    style = get_style_by_name(CODE_STYLES[dark])
    low = []
    for token, spec in style:
        if token in Whitespace or not spec["color"]:
            continue
        own = "#" + spec["bgcolor"] if spec["bgcolor"] else bg
        if hex_ratio(spec["color"], own) < AA_TEXT:
            low.append((str(token), spec["color"], round(hex_ratio(spec["color"], own), 2)))
    assert low == []
    assert hex_ratio(CODE_LABEL_COLOURS[dark], bg) >= AA_TEXT
    assert hex_ratio(CODE_LINK_COLOURS[dark], bg) >= AA_TEXT
    html = MarkdownRenderer(dark=dark).render("```python\nx = 1  # one\n```").html
    assert f"background:{bg}" in html and CODE_LABEL_COLOURS[dark] in html
