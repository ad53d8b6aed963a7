"""Light or dark, and the Markdown renderer that goes with it (code colours differ).

'system' follows the platform's colour scheme, also when it changes while the app runs. The
renderer and its cache of rendered HTML are made with the first tab (the welcome page needs
neither).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from desktop_app.config.settings import Settings
from desktop_app.services.preferences import SettingsHolder
from desktop_app.ui.widgets.theme import apply_theme, system_is_dark

if TYPE_CHECKING:
    from desktop_app.render.cache import RenderCache
    from desktop_app.render.markdown import MarkdownRenderer

RENDER_CACHE_FILE = "rendered.sqlite3"


class Appearance(QObject):
    changed = Signal()  # dark or light changed: views restyle, messages re-render

    def __init__(
        self,
        app: QApplication,
        settings: SettingsHolder,
        dark: bool,
        cache_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._app = app
        self._settings = settings
        self.dark = dark
        self._cache_dir = cache_dir
        self._renderer: MarkdownRenderer | None = None
        self._cache: RenderCache | None = None
        app.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        settings.subscribe(self._settings_changed)

    def renderer(self) -> MarkdownRenderer:
        if self._renderer is None:
            from desktop_app.render.markdown import MarkdownRenderer

            self._renderer = MarkdownRenderer(dark=self.dark, cache=self.render_cache)
        return self._renderer

    @property
    def render_cache(self) -> RenderCache:
        """HTML of messages from earlier sessions (see render.cache), opened with the first tab."""
        if self._cache is None:
            from desktop_app.render.cache import RenderCache

            self._cache = RenderCache.open(self._cache_dir / RENDER_CACHE_FILE)
        return self._cache

    def _set_dark(self, dark: bool) -> None:
        self.dark, self._renderer = dark, None
        self.changed.emit()

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.theme != new.theme:
            self._set_dark(apply_theme(self._app, new.theme))

    def confirm_colour_scheme(self) -> None:
        """Start-up judged 'system' by the platform's palette (see `theme`); once the window is
        up, the colour scheme itself decides."""
        if self._settings.current.theme == "system" and system_is_dark(self._app) != self.dark:
            self._system_scheme_changed()

    def _system_scheme_changed(self) -> None:
        if self._settings.current.theme == "system":
            self._set_dark(apply_theme(self._app, "system"))

    def close(self) -> None:
        """At shutdown: keep the cache's newest entries and close it."""
        if self._cache is not None:
            self._cache.prune()
            self._cache.close()
            self._cache = None
