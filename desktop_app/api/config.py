"""The client's settings, apart from the client: importing httpx costs ~0.1 s at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from desktop_app import __version__
from desktop_app.config.settings import Timeouts, normalize_base_url

DEFAULT_BASE_URL: Final = "https://api.edenai.run/v3"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Where and how the client talks to Eden AI; the key is passed separately."""

    base_url: str = DEFAULT_BASE_URL
    timeouts: Timeouts = field(default_factory=Timeouts)
    user_agent: str = f"RouteChat/{__version__}"


__all__ = ["DEFAULT_BASE_URL", "ClientConfig", "Timeouts", "normalize_base_url"]
