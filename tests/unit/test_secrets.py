"""The key lives in the keyring (or the environment), never in a file."""

from __future__ import annotations

import os
from collections.abc import Iterator

import keyring
import keyring.backend
import pytest

from desktop_app import secrets


def test_environment_overrides_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.store_key("sk-stored-123456")
    assert secrets.load_key() == secrets.KeyLookup("sk-stored-123456", secrets.KeySource.KEYRING)
    monkeypatch.setenv(secrets.ENV_VAR, "sk-env-abcdef")
    assert secrets.load_key().source is secrets.KeySource.ENVIRONMENT
    assert secrets.load_key().key == "sk-env-abcdef"


def test_store_delete_and_empty() -> None:
    assert secrets.load_key().source is secrets.KeySource.NONE
    with pytest.raises(ValueError, match="empty"):
        secrets.store_key("   ")
    secrets.store_key("  sk-trimmed-0001 ")
    assert secrets.load_key().key == "sk-trimmed-0001"
    assert secrets.delete_key() is True
    assert secrets.delete_key() is False


def test_mask_shows_little() -> None:
    assert secrets.mask("sk-1234567890") == "sk-1…90"
    assert secrets.mask("short") == "•••••"


@pytest.fixture
def no_backend() -> Iterator[None]:
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.mark.usefixtures("no_backend")
def test_without_a_backend_the_user_is_told_what_to_install() -> None:
    available, hint = secrets.keyring_available()
    assert available is False
    assert hint is not None and ("Secret Service" in hint or "keyring service" in hint)
    lookup = secrets.load_key()
    assert lookup.key is None and lookup.problem and "EDENAI_API_KEY" in lookup.problem
    with pytest.raises(secrets.KeyringUnavailable, match="for this session only"):
        secrets.store_key("sk-never-written")


@pytest.mark.keyring_real
def test_real_secret_service_roundtrip() -> None:
    """Against GNOME Keyring over D-Bus, as `./dev test` (and CI) run it."""
    if os.environ.get("ROUTECHAT_REAL_KEYRING") != "1":
        pytest.skip("needs the D-Bus session with GNOME Keyring that `./dev test` starts")
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    backend: keyring.backend.KeyringBackend = SecretService.Keyring()
    keyring.set_keyring(backend)
    try:
        secrets.store_key("sk-real-keyring-42")
        assert secrets.load_key() == secrets.KeyLookup(
            "sk-real-keyring-42", secrets.KeySource.KEYRING
        )
        assert backend.get_password(secrets.SERVICE, secrets.USERNAME) == "sk-real-keyring-42"
        assert secrets.delete_key() is True
        assert secrets.load_key().key is None
    finally:
        keyring.set_keyring(previous)


def test_no_provider_installed_says_what_to_install() -> None:
    hint = secrets.install_hint("linux", which=lambda _p: None, environ={})
    assert "sudo apt install gnome-keyring" in hint and "for this session only" in hint


def test_an_installed_keyring_without_a_session_says_how_to_start_one() -> None:
    """GNOME Keyring installed, no desktop session: not 'install it' but 'start it'."""
    hint = secrets.install_hint(
        "linux",
        which=lambda p: "/usr/bin/" + p if p == "gnome-keyring-daemon" else None,
        environ={},
    )
    assert "GNOME Keyring is installed, but no keyring service is running" in hint
    assert "dbus-run-session" in hint and "--unlock --components=secrets" in hint
    assert "sudo apt install" not in hint
    assert "for this session only" in hint


def test_an_installed_keyring_not_started_in_a_desktop_session() -> None:
    hint = secrets.install_hint(
        "linux",
        which=lambda p: "/usr/bin/" + p if p == "gnome-keyring-daemon" else None,
        environ={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"},
    )
    assert "is not running" in hint and "gnome-keyring-daemon --start" in hint
    assert "sudo apt install" not in hint
