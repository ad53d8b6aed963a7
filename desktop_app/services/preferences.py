"""The settings in use, saved atomically, with listeners for changes. Qt-free.

Every part that depends on a preference (the connection, the tabs, the appearance, the
status bar) subscribes here instead of being told by a controller that knows them all.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.config.paths import AppPaths
from desktop_app.config.settings import Settings, save_settings

Listener = Callable[[Settings, Settings], None]  # (old, new)


class SettingsHolder:
    def __init__(self, paths: AppPaths, settings: Settings) -> None:
        self.paths = paths
        self.current = settings
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def apply(self, settings: Settings) -> None:
        """Use `settings` from now on (listeners hear old and new)."""
        old, self.current = self.current, settings
        for listener in list(self._listeners):
            listener(old, settings)

    def save(self, settings: Settings) -> str | None:
        """Save and apply; a sentence for the user when saving failed (they still apply to
        this session), else None."""
        from desktop_app.config.settings import SettingsSaveError

        problem = None
        try:
            save_settings(self.paths, settings)
        except SettingsSaveError as exc:
            problem = f"{exc} Your preferences apply to this session only."
        self.apply(settings)
        return problem
