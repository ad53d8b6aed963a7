"""Which API key the app talks with, where it came from, and demo mode. Qt-free.

At start-up the key may still be on its way from the system keyring (the window does not wait
for it): `begin_lookup()` marks it pending, requests await `ready()`, and `finish_lookup()`
settles it. Demo mode swaps in a key the local server accepts and gives the real one back when
it ends. Listeners hear every change (the status bar, the welcome page).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from desktop_app.logs import register_secret
from desktop_app.secrets import KeyLookup, KeySource

DEMO_KEY = "demo-key"


class KeySession:
    def __init__(self) -> None:
        self.key: str | None = None
        self.source = KeySource.NONE
        self.demo = False
        self._lookup: asyncio.Event | None = None
        self._before_demo: tuple[str | None, KeySource] = (None, KeySource.NONE)
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    @property
    def can_chat(self) -> bool:
        return self.demo or bool(self.key)

    @property
    def pending(self) -> bool:
        """The keyring is being read."""
        return self._lookup is not None and not self._lookup.is_set()

    def current_key(self) -> str | None:
        """What the client sends (asked on every request)."""
        return self.key

    def use(self, key: str, source: KeySource) -> None:
        register_secret(key)  # every log line and crash report redacts it from now on
        if self.demo:
            self._before_demo = (key, source)
        else:
            self.key, self.source = key, source
        self._changed()

    def forget(self) -> None:
        """The stored key was removed (a key from the environment stays for this run)."""
        if self.source is not KeySource.ENVIRONMENT and not self.demo:
            self.key, self.source = None, KeySource.NONE
        self._changed()

    def begin_lookup(self) -> None:
        self._lookup = asyncio.Event()
        self._changed()

    def finish_lookup(self, lookup: KeyLookup) -> bool:
        """The keyring answered; False when it had already (a second answer is ignored).

        A key typed meanwhile, or demo mode, wins over the keyring's.
        """
        if self._lookup is None or self._lookup.is_set():
            return False
        self._lookup.set()
        if lookup.key and not self.can_chat:
            self.use(lookup.key, lookup.source)
        else:
            self._changed()
        return True

    async def ready(self) -> None:
        """Return once the key is known (at once unless the keyring is still being read)."""
        if self._lookup is not None and not self.key:
            await self._lookup.wait()

    def start_demo(self) -> None:
        self._before_demo = (self.key, self.source)
        self.key, self.source, self.demo = DEMO_KEY, KeySource.SESSION, True
        self._changed()

    def stop_demo(self) -> None:
        self.demo = False
        self.key, self.source = self._before_demo
        self._changed()
