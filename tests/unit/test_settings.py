"""Typed settings: defaults, roundtrip, lenient loading with warnings, atomic saves."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from desktop_app.api.client import DEFAULT_BASE_URL
from desktop_app.config.paths import AppPaths, default_paths
from desktop_app.config.settings import (
    SETTINGS_VERSION,
    RetryPolicy,
    Settings,
    SettingsSaveError,
    Timeouts,
    load_settings,
    save_settings,
    settings_from_dict,
    settings_to_dict,
)
from desktop_app.routing.tiers import DEFAULT_TIER_ID, TierCatalogue


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def custom() -> Settings:
    return Settings(
        theme="dark",
        default_tier="budget",
        enter_sends=False,
        confirm_close_streaming=False,
        restore_tabs=False,
        max_tokens=2048,
        base_url="http://127.0.0.1:8765/v3",
        timeouts=Timeouts(connect=3.0, first_byte=20.0, idle=15.0, total=120.0),
        retries=RetryPolicy(max_retries=4, max_total_seconds=12.5),
        demo_mode=True,
        log_level="DEBUG",
    )


def corrupt_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


def field_names(cls: Any, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(cls):
        name = prefix + f.name
        out.append(name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default):
            out += field_names(type(default), name + ".")
    return out


def test_defaults_are_sensible() -> None:
    s = Settings()
    assert s.theme == "system"
    assert s.default_tier == DEFAULT_TIER_ID
    TierCatalogue().get(s.default_tier)
    assert s.enter_sends is True
    assert s.confirm_close_streaming is True
    assert s.base_url == DEFAULT_BASE_URL
    t = s.timeouts
    assert 0 < t.connect <= t.first_byte <= t.total
    assert t.idle <= t.total
    assert Timeouts(t.connect, t.first_byte, t.idle, t.total) == Timeouts()  # same as the client
    assert s.retries.max_retries >= 0
    assert s.demo_mode is False
    assert s.log_level == "INFO"


def test_no_field_can_hold_a_key() -> None:
    for name in field_names(Settings):
        leaf = name.rsplit(".", 1)[-1]
        assert "key" not in leaf
        assert "secret" not in leaf
        assert "password" not in leaf
        assert "token" not in leaf or leaf == "max_tokens"


def test_missing_file_gives_defaults_without_warnings(path: Path) -> None:
    settings, warnings = load_settings(path)
    assert settings == Settings()
    assert warnings == ()
    assert not path.exists()


def test_accepts_app_paths(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "ca", tmp_path / "l")
    save_settings(paths, custom())
    assert paths.settings_file.exists()
    assert load_settings(paths) == (custom(), ())


def test_roundtrip(path: Path) -> None:
    save_settings(path, custom())
    assert load_settings(path).settings == custom()
    assert load_settings(path).warnings == ()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == SETTINGS_VERSION
    assert data["timeouts"]["first_byte"] == 20.0
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temp left
    save_settings(path, Settings())  # overwrite
    assert load_settings(path).settings == Settings()


def test_dict_roundtrip() -> None:
    settings, warnings = settings_from_dict(settings_to_dict(custom()))
    assert settings == custom()
    assert warnings == []


def test_default_paths_location(app_home: Path) -> None:
    assert default_paths().settings_file == app_home / "config" / "settings.json"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"", b"\xff\xfe garbage", b"[1, 2, 3]", b'"just a string"', b"[" * 50_000],
)
def test_corrupt_file_is_kept_aside(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    settings, warnings = load_settings(path)
    assert settings == Settings()
    assert len(warnings) == 1
    (kept,) = corrupt_files(path)
    assert str(kept) in warnings[0]
    assert kept.read_bytes() == content
    assert not path.exists()
    save_settings(path, Settings())  # the next save starts a good file again
    assert load_settings(path).warnings == ()
    assert kept.exists()


def test_two_corrupt_files_in_one_second_keep_both(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{bad")
    load_settings(path)
    path.write_text("{worse")
    load_settings(path)
    assert sorted(p.read_text() for p in corrupt_files(path)) == ["{bad", "{worse"]


def test_wrong_types_fall_back_per_field_with_warnings(path: Path) -> None:
    path.parent.mkdir(parents=True)
    data = {
        "theme": "blue",
        "enter_sends": "yes",
        "default_tier": "  ",
        "max_tokens": 1.5,
        "base_url": "ftp://example.com",
        "timeouts": {"connect": -1, "first_byte": float("nan"), "idle": 5, "total": 1e9},
        "retries": {"max_retries": True, "max_total_seconds": 20},
        "demo_mode": 1,
        "log_level": "debug",
    }
    path.write_text(json.dumps(data))  # json writes NaN, and Python's reader accepts it
    s, warnings = load_settings(path)
    assert s.theme == "system"
    assert s.enter_sends is True
    assert s.default_tier == DEFAULT_TIER_ID
    assert s.max_tokens is None
    assert s.base_url == DEFAULT_BASE_URL
    assert s.timeouts == Timeouts(idle=5.0)
    assert s.retries == RetryPolicy(max_total_seconds=20.0)
    assert s.demo_mode is False
    assert s.log_level == "DEBUG"  # case-insensitive choice
    text = "\n".join(warnings)
    for name in (
        "theme",
        "enter_sends",
        "default_tier",
        "max_tokens",
        "base_url",
        "timeouts.connect",
        "timeouts.first_byte",
        "timeouts.total",
        "retries.max_retries",
        "demo_mode",
    ):
        assert f"Setting {name}:" in text
    assert len(warnings) == 10
    assert 'expected one of "system", "light", "dark", got "blue"; using the default "system"' in (
        text
    )
    assert "expected a number from 0.5 to 300, got -1" in text
    assert corrupt_files(path) == []
    assert path.exists()  # a readable file with bad values is not moved


def test_nested_section_of_the_wrong_shape(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"timeouts": 5, "enter_sends": False}))
    settings, warnings = load_settings(path)
    assert settings.timeouts == Timeouts()
    assert settings.enter_sends is False
    assert warnings == ("timeouts: expected an object; using the defaults.",)


def test_unknown_keys_are_ignored_and_not_saved_back(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "future_option": {"x": 1},
                "enter_sends": False,
                "retries": {"new_thing": True},
                "api_key": "sk-should-not-be-here",
                "timeouts": {"auth_token": "t"},
            }
        )
    )
    result = load_settings(path)
    assert result.settings.enter_sends is False
    assert len(result.warnings) == 2  # only for the key-like names
    assert all("keyring" in w for w in result.warnings)
    assert "sk-should-not-be-here" not in " ".join(result.warnings)
    save_settings(path, result.settings)
    saved = path.read_text()
    for gone in ("future_option", "new_thing", "api_key", "sk-should-not-be-here", "auth_token"):
        assert gone not in saved


def test_newer_version_warns_but_loads(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": SETTINGS_VERSION + 1, "demo_mode": True}))
    result = load_settings(path)
    assert result.settings.demo_mode is True
    assert any("newer version" in w for w in result.warnings)


def test_base_url_normalised_and_validated() -> None:
    s, w = settings_from_dict({"base_url": " https://api.eu.edenai.run/v3/ "})
    assert s.base_url == "https://api.eu.edenai.run/v3"
    assert w == []
    for bad in ("https://user:pw@host/v3", "https://host/v3?x=1", "not a url", ""):
        s, w = settings_from_dict({"base_url": bad})
        assert s.base_url == DEFAULT_BASE_URL
        assert len(w) == 1


def test_unreadable_file_gives_defaults_and_a_warning(path: Path) -> None:
    path.mkdir(parents=True)  # a directory where the file should be
    result = load_settings(path)
    assert result.settings == Settings()
    assert len(result.warnings) == 1
    assert "Could not read" in result.warnings[0]
    assert path.is_dir()


def test_failed_replace_leaves_old_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(path, Settings())
    before = path.read_bytes()

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(SettingsSaveError) as info:
        save_settings(path, custom())
    assert info.value.errno == errno.ENOSPC
    assert "the disk is full" in str(info.value)
    assert str(path) in str(info.value)
    assert "left unchanged" in str(info.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_failed_write_leaves_old_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(path, custom())
    before = path.read_bytes()

    def io_error(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", io_error)
    with pytest.raises(SettingsSaveError, match="Input/output error"):
        save_settings(path, Settings())
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_unwritable_folder_raises_typed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the config folder should be")
    with pytest.raises(SettingsSaveError):
        save_settings(blocker / "settings.json", Settings())


def test_read_only_folder(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(path, Settings())
    before = path.read_bytes()
    path.parent.chmod(0o500)
    if (
        os.name != "posix" or os.geteuid() == 0
    ):  # permissions do not stop root: refuse as they would

        def refused(*args: object, **kwargs: object) -> tuple[int, str]:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path.parent))

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    try:
        with pytest.raises(SettingsSaveError, match="permission denied"):
            save_settings(path, custom())
    finally:
        path.parent.chmod(0o700)
    assert path.read_bytes() == before


def test_settings_are_immutable_values() -> None:
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.demo_mode = True  # type: ignore[misc]
    changed = dataclasses.replace(s, enter_sends=False)
    assert changed.enter_sends is False
    assert s.enter_sends is True
