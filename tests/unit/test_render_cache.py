"""The render cache: a hit saves a Markdown render at start-up, and any failure is a miss.

It is only a cache, so an unreadable file, an unwritable folder or a damaged row must never
raise: the message is simply rendered again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop_app import __version__
from desktop_app.render import cache as render_cache
from desktop_app.render.cache import RenderCache
from desktop_app.render.markdown import MarkdownRenderer, RenderedMarkdown

OpenCache = Callable[..., RenderCache]

TEXT = "Intro\n\n```python\nprint('hi')\n```\n"
RENDERED = RenderedMarkdown("<p>Intro</p>\n<table>code</table>", ["print('hi')\n"])


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "rendered.sqlite"


@pytest.fixture
def open_cache(path: Path) -> Iterator[OpenCache]:
    """`RenderCache.open`, defaulting to `path`; every cache it opened is closed afterwards."""
    opened: list[RenderCache] = []

    def opener(at: Path | None = None, salt: str | None = None) -> RenderCache:
        cache = RenderCache.open(at if at is not None else path, salt=salt)
        opened.append(cache)
        return cache

    yield opener
    for cache in opened:
        cache.close()


@pytest.fixture
def cache(open_cache: OpenCache) -> RenderCache:
    cache = open_cache()
    assert cache.enabled
    return cache


def insert_row(path: Path, key: bytes, html: str, codes: str, created: float = 1.0) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT OR REPLACE INTO rendered VALUES (?, ?, ?, ?)", (key, html, codes, created)
        )


def row_count(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM rendered").fetchone()
    assert isinstance(count, int)
    return count


class CountingRender:
    """Wraps `MarkdownRenderer.render`, counting the renders that really happen."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        real = MarkdownRenderer.render

        def render(renderer: MarkdownRenderer, text: str, code_offset: int = 0) -> RenderedMarkdown:
            self.calls.append(text)
            return real(renderer, text, code_offset)

        monkeypatch.setattr(MarkdownRenderer, "render", render)


# --- get and put ------------------------------------------------------------------------------


def test_a_stored_render_comes_back_with_its_html_and_code_blocks(cache: RenderCache) -> None:
    cache.put(TEXT, False, RENDERED)
    hit = cache.get(TEXT, False)
    assert hit is not None
    assert hit.html == RENDERED.html
    assert hit.code_blocks == RENDERED.code_blocks
    assert hit == RENDERED


def test_text_never_stored_is_a_miss(cache: RenderCache) -> None:
    assert cache.get("never rendered", False) is None
    cache.put(TEXT, False, RENDERED)
    assert cache.get(TEXT + " ", False) is None


def test_a_render_without_code_blocks_comes_back_with_an_empty_list(cache: RenderCache) -> None:
    cache.put("plain", True, RenderedMarkdown("<p>plain</p>\n"))
    assert cache.get("plain", True) == RenderedMarkdown("<p>plain</p>\n", [])


def test_storing_the_same_text_again_replaces_the_entry(cache: RenderCache, path: Path) -> None:
    cache.put(TEXT, False, RENDERED)
    cache.put(TEXT, False, RenderedMarkdown("<p>new</p>", []))
    assert cache.get(TEXT, False) == RenderedMarkdown("<p>new</p>", [])
    assert row_count(path) == 1


def test_unusual_text_is_keyed_without_raising(cache: RenderCache) -> None:
    odd = "lone surrogate \ud800, emoji 🎉, nul \0 and ünïcödé"
    cache.put(odd, False, RenderedMarkdown("<p>odd</p>", ["x"]))
    assert cache.get(odd, False) == RenderedMarkdown("<p>odd</p>", ["x"])
    assert cache.get(odd.replace("\ud800", ""), False) is None


def test_html_with_a_lone_surrogate_is_a_miss_not_an_exception(cache: RenderCache) -> None:
    text = "lone \ud800 surrogate"  # json.loads accepts "\\ud800", so a reply can contain it
    out = MarkdownRenderer(dark=False, cache=cache).render_message(text)
    assert out == MarkdownRenderer(dark=False).render(text)


def test_entries_survive_closing_and_reopening_the_file(open_cache: OpenCache, path: Path) -> None:
    first = open_cache()
    first.put(TEXT, True, RENDERED)
    first.close()
    assert not first.enabled
    assert path.is_file()

    again = open_cache()
    assert again.enabled
    assert again.get(TEXT, True) == RENDERED


def test_the_folder_is_created_when_missing(open_cache: OpenCache, tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c" / "rendered.sqlite"
    cache = open_cache(deep)
    assert cache.enabled
    cache.put("x", False, RenderedMarkdown("<p>x</p>"))
    assert cache.get("x", False) == RenderedMarkdown("<p>x</p>")
    assert deep.is_file()


# --- the key ---------------------------------------------------------------------------------


def test_dark_and_light_renders_are_kept_apart(cache: RenderCache) -> None:
    dark = RenderedMarkdown("<p style='color:white'>x</p>", ["dark code"])
    light = RenderedMarkdown("<p style='color:black'>x</p>", ["light code"])
    cache.put(TEXT, True, dark)
    assert cache.get(TEXT, False) is None  # the dark render is not served to the light theme
    cache.put(TEXT, False, light)
    assert cache.get(TEXT, True) == dark
    assert cache.get(TEXT, False) == light
    assert cache._key(TEXT, True) != cache._key(TEXT, False)


def test_a_different_salt_misses_what_another_salt_stored(open_cache: OpenCache) -> None:
    old = open_cache(salt="0.1/1")
    old.put(TEXT, False, RENDERED)
    old.close()

    other = open_cache(salt="other")
    assert other.enabled
    assert other.get(TEXT, False) is None
    assert other._key(TEXT, False) != RenderCache(None, "0.1/1")._key(TEXT, False)

    other.put(TEXT, False, RenderedMarkdown("<p>other</p>"))
    other.close()
    same = open_cache(salt="0.1/1")
    assert same.get(TEXT, False) == RENDERED  # both versions coexist in one file


def test_the_default_salt_includes_the_app_and_render_versions(open_cache: OpenCache) -> None:
    default = open_cache()
    explicit = RenderCache(None, f"{__version__}/{render_cache.RENDER_VERSION}")
    assert default._key(TEXT, False) == explicit._key(TEXT, False)
    bumped = RenderCache(None, f"{__version__}/{render_cache.RENDER_VERSION + 1}")
    assert default._key(TEXT, False) != bumped._key(TEXT, False)


# --- failures are misses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [os.urandom(4096), b"this is not a database, just some text\n" * 10],
    ids=["random-bytes", "text"],
)
def test_a_file_that_is_not_a_database_is_replaced(
    open_cache: OpenCache, path: Path, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)

    cache = open_cache()
    assert cache.enabled
    assert cache.get(TEXT, False) is None
    cache.put(TEXT, False, RENDERED)
    assert cache.get(TEXT, False) == RENDERED
    assert path.read_bytes()[:16] == b"SQLite format 3\0"
    assert "starting it again" in caplog.text


def test_a_folder_that_cannot_be_written_disables_the_cache(
    open_cache: OpenCache, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = open_cache(blocker / "rendered.sqlite")

    assert not cache.enabled
    assert cache.get(TEXT, False) is None
    cache.put(TEXT, False, RENDERED)
    assert cache.get(TEXT, False) is None
    assert cache.prune(keep=0) == 0
    cache.close()  # closing a disabled cache is harmless too
    assert blocker.read_text() == "a file where the cache folder should be"
    assert "unavailable" in caplog.text


def test_a_file_below_a_file_disables_the_cache(open_cache: OpenCache, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    cache = open_cache(blocker / "deeper" / "rendered.sqlite")
    assert not cache.enabled
    assert cache.get(TEXT, True) is None


@pytest.mark.parametrize(
    "codes",
    ["{not json", '{"a": 1}', '"just a string"', "[1, 2]", '["ok", null]', "null"],
)
def test_a_damaged_row_reads_as_a_miss(cache: RenderCache, path: Path, codes: str) -> None:
    insert_row(path, cache._key(TEXT, False), "<p>damaged</p>", codes)
    assert cache.get(TEXT, False) is None
    assert cache.enabled  # one bad row does not give up on the whole cache

    cache.put(TEXT, False, RENDERED)  # rendering again repairs it
    assert cache.get(TEXT, False) == RENDERED


def test_a_row_written_by_another_process_is_served(cache: RenderCache, path: Path) -> None:
    insert_row(path, cache._key(TEXT, True), "<p>from elsewhere</p>", '["a", "b"]')
    assert cache.get(TEXT, True) == RenderedMarkdown("<p>from elsewhere</p>", ["a", "b"])


def test_a_read_on_a_connection_closed_behind_its_back_is_a_miss(
    cache: RenderCache, caplog: pytest.LogCaptureFixture
) -> None:
    cache.put(TEXT, False, RENDERED)
    assert cache._conn is not None
    cache._conn.close()

    assert cache.get(TEXT, False) is None
    assert "read failed" in caplog.text
    assert not cache.enabled  # a broken connection is given up for the session
    cache.put(TEXT, False, RENDERED)
    assert cache.get(TEXT, False) is None


def test_a_write_on_a_connection_closed_behind_its_back_is_swallowed(
    cache: RenderCache, caplog: pytest.LogCaptureFixture
) -> None:
    assert cache._conn is not None
    cache._conn.close()

    cache.put(TEXT, False, RENDERED)
    assert "write failed" in caplog.text
    assert not cache.enabled
    assert cache.get(TEXT, False) is None
    assert cache.prune(keep=1) == 0


def test_a_write_that_fails_in_sqlite_is_swallowed_and_the_cache_stays_open(
    cache: RenderCache, path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TABLE rendered")

    cache.put(TEXT, False, RENDERED)
    assert cache.get(TEXT, False) is None
    assert cache.prune(keep=1) == 0
    assert "write failed" in caplog.text and "read failed" in caplog.text
    assert cache.enabled  # an operational error (busy, full disk) may pass: keep trying


def test_a_busy_cache_is_skipped_without_waiting(cache: RenderCache, path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another RouteChat holds the write lock
        try:
            cache.put(TEXT, False, RENDERED)
            assert cache.get(TEXT, False) is None
        finally:
            other.execute("ROLLBACK")
    assert cache.enabled
    cache.put(TEXT, False, RENDERED)
    assert cache.get(TEXT, False) == RENDERED


# --- prune -----------------------------------------------------------------------------------


def fill(cache: RenderCache, count: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`count` entries created at times 1, 2, ... in that order; returns their texts."""
    texts = [f"message {i}" for i in range(count)]
    with monkeypatch.context() as m:
        for i, text in enumerate(texts):
            m.setattr("desktop_app.render.cache.time.time", lambda i=i: 1000.0 + i)
            cache.put(text, False, RenderedMarkdown(f"<p>{i}</p>"))
    return texts


def test_prune_keeps_the_newest_entries_and_counts_what_went(
    cache: RenderCache, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = fill(cache, 10, monkeypatch)

    assert cache.prune(keep=4) == 6
    assert row_count(path) == 4
    assert [t for t in texts if cache.get(t, False) is None] == texts[:6]
    assert [cache.get(t, False) for t in texts[6:]] == [
        RenderedMarkdown(f"<p>{i}</p>") for i in range(6, 10)
    ]


def test_prune_keeps_the_newest_even_when_inserted_out_of_order(
    cache: RenderCache, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        for created, text in [(5.0, "e"), (1.0, "a"), (4.0, "d"), (2.0, "b"), (3.0, "c")]:
            m.setattr("desktop_app.render.cache.time.time", lambda created=created: created)
            cache.put(text, False, RenderedMarkdown(text))

    assert cache.prune(keep=2) == 3
    assert {t for t in "abcde" if cache.get(t, False) is not None} == {"d", "e"}


def test_prune_on_a_small_cache_removes_nothing(
    cache: RenderCache, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = fill(cache, 3, monkeypatch)
    assert cache.prune(keep=3) == 0
    assert cache.prune(keep=10) == 0
    assert cache.prune() == 0  # the default, MAX_ENTRIES
    assert row_count(path) == 3
    assert all(cache.get(t, False) is not None for t in texts)


def test_prune_keep_zero_empties_the_cache(
    cache: RenderCache, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(cache, 3, monkeypatch)
    assert cache.prune(keep=0) == 3
    assert row_count(path) == 0


def test_prune_on_an_empty_cache_removes_nothing(cache: RenderCache) -> None:
    assert cache.prune(keep=1) == 0
    assert cache.prune() == 0


def test_prune_then_reopen_keeps_the_survivors(
    open_cache: OpenCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = open_cache()
    texts = fill(cache, 5, monkeypatch)
    assert cache.prune(keep=2) == 3
    cache.close()

    again = open_cache()
    assert [t for t in texts if again.get(t, False) is not None] == texts[3:]


# --- MarkdownRenderer and the cache ----------------------------------------------------------


def test_render_message_renders_once_then_serves_from_the_cache(
    cache: RenderCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingRender(monkeypatch)
    renderer = MarkdownRenderer(dark=False, cache=cache)

    first = renderer.render_message(TEXT)
    assert counter.calls == [TEXT]
    assert first.code_blocks == ["print('hi')\n"]
    assert 'href="copy:0"' in first.html

    second = renderer.render_message(TEXT)
    assert counter.calls == [TEXT]  # not rendered again
    assert second == first
    assert cache.get(TEXT, False) == first


def test_the_cache_serves_a_later_session(
    open_cache: OpenCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_cache()
    rendered = MarkdownRenderer(dark=True, cache=first).render_message(TEXT)
    first.close()

    counter = CountingRender(monkeypatch)
    again = MarkdownRenderer(dark=True, cache=open_cache()).render_message(TEXT)
    assert counter.calls == []
    assert again == rendered


def test_a_renderer_of_the_other_theme_renders_for_itself(
    cache: RenderCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingRender(monkeypatch)
    light = MarkdownRenderer(dark=False, cache=cache).render_message(TEXT)
    dark = MarkdownRenderer(dark=True, cache=cache).render_message(TEXT)
    assert counter.calls == [TEXT, TEXT]
    assert light.html != dark.html  # code colours differ
    assert cache.get(TEXT, False) == light
    assert cache.get(TEXT, True) == dark


def test_remember_stores_a_message_so_render_message_does_not_render(
    cache: RenderCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingRender(monkeypatch)
    renderer = MarkdownRenderer(dark=False, cache=cache)

    renderer.remember(TEXT)
    assert counter.calls == [TEXT]
    stored = cache.get(TEXT, False)
    assert stored is not None

    assert renderer.render_message(TEXT) == stored
    assert counter.calls == [TEXT]

    renderer.remember(TEXT)  # already cached: not rendered again
    assert counter.calls == [TEXT]


def test_render_message_without_a_cache_just_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = CountingRender(monkeypatch)
    renderer = MarkdownRenderer(dark=False, cache=None)

    out = renderer.render_message(TEXT)
    assert out.code_blocks == ["print('hi')\n"]
    assert "<p>Intro</p>" in out.html
    assert renderer.render_message(TEXT) == out
    assert counter.calls == [TEXT, TEXT]  # nothing to serve from
    renderer.remember(TEXT)  # nowhere to keep it: does nothing
    assert counter.calls == [TEXT, TEXT]


def test_render_message_through_a_disabled_cache_still_renders(
    open_cache: OpenCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    disabled = open_cache(blocker / "rendered.sqlite")
    assert not disabled.enabled

    counter = CountingRender(monkeypatch)
    renderer = MarkdownRenderer(dark=False, cache=disabled)
    out = renderer.render_message(TEXT)
    assert out == MarkdownRenderer(dark=False).render(TEXT)
    renderer.remember(TEXT)
    assert len(counter.calls) == 3  # render_message, the reference render, remember


def test_render_message_matches_render(cache: RenderCache) -> None:
    renderer = MarkdownRenderer(dark=True, cache=cache)
    expected = MarkdownRenderer(dark=True).render(TEXT)
    assert renderer.render_message(TEXT) == expected  # the miss
    assert renderer.render_message(TEXT) == expected  # the hit


def test_a_cache_locked_by_another_app_is_skipped_not_deleted(
    open_cache: OpenCache, path: Path
) -> None:
    """Another RouteChat holding the file (here a write lock on a fresh cache) makes this one
    go without a cache for the session; the other's file is left alone."""
    path.parent.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("CREATE TABLE mine (x)")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("INSERT INTO mine VALUES (1)")
        cache = open_cache()
        assert not cache.enabled
        assert path.exists()
        other.execute("COMMIT")
        assert other.execute("SELECT x FROM mine").fetchall() == [(1,)]


def test_damage_found_while_reading_is_dropped_for_the_next_start(
    open_cache: OpenCache, path: Path
) -> None:
    """Damage past what opening checks makes reads fail; the file is removed then, so that
    the next start begins a fresh cache instead of failing the same way each time."""
    first = open_cache()
    first.put(TEXT, False, RENDERED)
    first.close()
    damaged = open_cache()
    assert damaged.enabled
    damaged._fail("read", sqlite3.DatabaseError("database disk image is malformed"))
    assert not damaged.enabled
    assert not path.exists()
    fresh = open_cache()
    assert fresh.enabled
    assert fresh.get(TEXT, False) is None
