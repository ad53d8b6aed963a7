"""A keyring backend holding a fixed key: the benchmark's returning user has a stored key."""

from __future__ import annotations

from keyring.backend import KeyringBackend


class FixedKeyring(KeyringBackend):
    priority = -1  # type: ignore[assignment]  # never chosen unless named in the environment

    def get_password(self, service: str, username: str) -> str | None:
        return "sk-bench-returning-user-0001"

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass
