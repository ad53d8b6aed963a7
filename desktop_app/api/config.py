"""The client's settings, apart from the client: importing httpx costs ~0.1 s at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from desktop_app import __version__

DEFAULT_BASE_URL: Final = "https://api.edenai.run/v3"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds; none infinite. Routing adds 100–500 ms before the first token."""

    connect: float = 10.0
    first_byte: float = 30.0
    idle: float = 30.0
    total: float = 600.0

    def __post_init__(self) -> None:
        for name in ("connect", "first_byte", "idle", "total"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValueError(f"timeout {name} must be a positive finite number of seconds")


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Where and how the client talks to Eden AI; the key is passed separately."""

    base_url: str = DEFAULT_BASE_URL
    timeouts: Timeouts = field(default_factory=Timeouts)
    user_agent: str = f"RouteChat/{__version__}"


__all__ = ["DEFAULT_BASE_URL", "ClientConfig", "Timeouts"]
