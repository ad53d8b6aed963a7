"""An in-memory keyring backend so tests never touch the developer's real keyring.

Priority 0 (not positive): a KeyringBackend subclass registers itself on import, and must not
win over a real backend in processes that merely import this module.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

_STORE: dict[tuple[str, str], str] = {}


class MemoryKeyring(KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return _STORE.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        _STORE[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del _STORE[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


def clear() -> None:
    _STORE.clear()
