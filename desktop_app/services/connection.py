"""The one HTTP client of the app, for the server it talks to now. Qt-free.

The client is made at the first request (importing httpx costs ~0.1 s at start-up) and
replaced, with the old one closed in the background, when the base URL or the timeouts change
or demo mode starts or stops. Demo mode runs the bundled local server (`emulator_factory`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from desktop_app.api.config import ClientConfig
from desktop_app.config.settings import Settings
from desktop_app.services.tasks import TaskRunner

if TYPE_CHECKING:
    from desktop_app.api.client import EdenClient
    from desktop_app.services.catalogue import ModelCatalogue, RefreshResult

log = logging.getLogger(__name__)


class DemoServer(Protocol):
    """The bundled emulator as demo mode uses it (`emulator.server.EmulatorThread`)."""

    def start(self) -> str: ...
    def stop(self) -> None: ...


class Connection:
    def __init__(
        self,
        settings: Settings,
        key: Callable[[], str | None],
        runner: TaskRunner,
        *,
        cache_dir: Path,
        base_url_override: str | None = None,
        emulator_factory: Callable[[], DemoServer] | None = None,
    ) -> None:
        self._cache_dir = cache_dir
        self._catalogue: ModelCatalogue | None = None
        self._settings = settings
        self._key = key
        self._runner = runner
        self._override = base_url_override
        self._emulator_factory = emulator_factory
        self._emulator: DemoServer | None = None
        self._demo_url: str | None = None
        self._client: EdenClient | None = None
        self.config = self._config()

    def _config(self) -> ClientConfig:
        s = self._settings
        return ClientConfig(
            base_url=self._demo_url or self._override or s.base_url, timeouts=s.timeouts
        )

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def host(self) -> str:
        return self.base_url.split("//", 1)[-1].split("/", 1)[0]

    @property
    def demo_server(self) -> DemoServer | None:
        """The local server demo mode is talking to (None outside demo mode)."""
        return self._emulator

    @property
    def can_demo(self) -> bool:
        return self._emulator_factory is not None

    def client(self) -> EdenClient:
        if self._client is None:
            from desktop_app.api.client import EdenClient

            self._client = EdenClient(self.config, self._key, prices=self.catalogue.prices)
        return self._client

    @property
    def catalogue(self) -> ModelCatalogue:
        """The model list of the server in use (each server has its own, cached on disk)."""
        if self._catalogue is None:
            from desktop_app.services.catalogue import ModelCatalogue, cache_file

            self._catalogue = ModelCatalogue(cache_file(self._cache_dir, self.base_url))
        return self._catalogue

    async def refresh_catalogue(self, force: bool = False) -> RefreshResult:
        """Ask the server for its model list when the cached one is an hour old (or `force`)."""
        catalogue = self.catalogue
        return await catalogue.refresh(self.client().fetch_model_list, force=force)

    def _replace_client(self) -> None:
        old, self._client = self._client, None
        self._catalogue = None  # another server: its own list
        self.config = self._config()
        if old is not None:
            self._runner.start(f"close-client:{id(old)}", old.aclose(), cleanup=True)

    def apply(self, settings: Settings) -> None:
        """New preferences: the next request uses the new address and timeouts."""
        old, self._settings = self._settings, settings
        if (old.base_url, old.timeouts) != (settings.base_url, settings.timeouts):
            self._replace_client()

    def start_demo(self) -> str:
        """Start the local server and talk to it; returns its base URL."""
        assert self._emulator_factory is not None, "demo mode needs the bundled server"
        emulator = self._emulator_factory()
        self._demo_url = emulator.start()
        self._emulator = emulator
        self._replace_client()
        return self._demo_url

    def stop_demo(self) -> None:
        emulator, self._emulator, self._demo_url = self._emulator, None, None
        self._replace_client()
        if emulator is not None:
            emulator.stop()

    async def aclose(self) -> None:
        """At shutdown: close the client, stop the demo server."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        emulator, self._emulator = self._emulator, None
        if emulator is not None:
            emulator.stop()


def demo_server_factory(**config: Any) -> Callable[[], DemoServer]:
    """The bundled emulator, imported only when demo mode starts (aiohttp costs ~0.2 s)."""

    def make() -> DemoServer:
        from desktop_app.emulator.server import EmulatorConfig, EmulatorThread

        return EmulatorThread(EmulatorConfig(**config))

    return make
