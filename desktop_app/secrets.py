"""The API key lives in the OS keyring only (or the environment for one run), never in a file.

Where no keyring backend exists (headless Linux without Secret Service), callers get a clear
`KeyringUnavailable` with what to install, and may keep the key in memory for the session.

`keyring` is imported inside the functions: importing it and finding the backend costs 50-130 ms
(entry points, every backend module), which the window does not wait for at start-up.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

SERVICE = "RouteChat"  # the name users see in their keyring manager
USERNAME = "eden-ai-api-key"
ENV_VAR = "EDENAI_API_KEY"


class KeySource(StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    SESSION = "session"  # typed in this run only, not stored
    NONE = "none"


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """Where the key came from, or why there is none."""

    key: str | None
    source: KeySource
    problem: str | None = None  # why the keyring could not be read, in words


class KeyringUnavailable(RuntimeError):
    """No usable keyring backend; the message says what to install."""


# Secret Service providers, by the program that runs them.
_PROVIDERS = (
    ("gnome-keyring-daemon", "GNOME Keyring"),
    ("kwalletd6", "KWallet"),
    ("kwalletd5", "KWallet"),
    ("keepassxc", "KeePassXC"),
)
_MEANWHILE = (
    "Until then you can use the key for this session only, or set EDENAI_API_KEY in the "
    "environment."
)


def install_hint(
    platform: str = sys.platform,
    *,
    which: Callable[[str], str | None] = shutil.which,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Why no keyring can be used here, and what to do: install a Secret Service provider, or
    start the one installed (a session without a desktop has none running)."""
    if platform.startswith("linux"):
        installed = next((name for program, name in _PROVIDERS if which(program)), None)
        if installed is None:
            return (
                "No system keyring is available. Install and start a Secret Service provider "
                "(for example GNOME Keyring: `sudo apt install gnome-keyring`, or KeePassXC "
                f"with Secret Service enabled), then restart RouteChat. {_MEANWHILE}"
            )
        if not environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return (
                f"{installed} is installed, but no keyring service is running: this session has "
                "no desktop (no D-Bus session bus), so nothing started it. Log in to your "
                "desktop and start RouteChat there, or start a session with its Secret Service "
                "for this terminal: `dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock "
                f"--components=secrets; routechat'`. {_MEANWHILE}"
            )
        return (
            f"{installed} is installed, but its keyring service (Secret Service) is not "
            "running. Start it (GNOME Keyring: `gnome-keyring-daemon --start "
            "--components=secrets`; KeePassXC: enable Secret Service integration) or log out "
            f"and in again, then restart RouteChat. {_MEANWHILE}"
        )
    return (
        "The system keyring could not be used. Check that your account's keychain/credential "
        "store is unlocked, or set EDENAI_API_KEY in the environment."
    )


def _backend_problem(exc: Exception) -> str:
    import keyring.errors

    if isinstance(exc, keyring.errors.NoKeyringError):
        return install_hint()
    return f"The system keyring refused the request ({type(exc).__name__}). {install_hint()}"


def keyring_available() -> tuple[bool, str | None]:
    """Whether a real backend is configured; keyring falls back to `fail.Keyring` when none is."""
    import keyring
    import keyring.backends.fail

    if isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring):
        return False, install_hint()
    return True, None


def env_key() -> str | None:
    """The key from the environment: cheap, so it is checked before the window shows."""
    return os.environ.get(ENV_VAR, "").strip() or None


def load_key() -> KeyLookup:
    env = env_key()
    if env:
        return KeyLookup(env, KeySource.ENVIRONMENT)
    import keyring

    try:
        stored = keyring.get_password(SERVICE, USERNAME)
    except Exception as exc:  # any backend failure is reported, never raised into the UI
        return KeyLookup(None, KeySource.NONE, _backend_problem(exc))
    if stored:
        return KeyLookup(stored, KeySource.KEYRING)
    return KeyLookup(None, KeySource.NONE)


def store_key(key: str) -> None:
    key = key.strip()
    if not key:
        raise ValueError("The key is empty.")
    import keyring

    try:
        keyring.set_password(SERVICE, USERNAME, key)
    except Exception as exc:
        raise KeyringUnavailable(_backend_problem(exc)) from None


def delete_key() -> bool:
    """Remove the stored key; False when there was none."""
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, USERNAME)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise KeyringUnavailable(_backend_problem(exc)) from None
    return True


def mask(key: str) -> str:
    """What may be shown of a key: its first 4 and last 2 characters."""
    if len(key) <= 8:
        return "•" * len(key)
    return f"{key[:4]}…{key[-2:]}"
