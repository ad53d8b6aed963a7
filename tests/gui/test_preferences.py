"""Preferences: saved atomically, applied to the next turn, a new key host is confirmed first."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QMessageBox, QSpinBox

from desktop_app.app import Composition
from desktop_app.config.settings import load_settings
from desktop_app.secrets import KeySource
from desktop_app.ui.settings.preferences import PreferencesDialog
from tests.support.gui import start_with_key, wait_until


async def test_preferences_apply_and_persist(make_app: Callable[..., Composition]) -> None:
    parts = make_app()
    start_with_key(parts)
    parts.controller.show_preferences()
    dialog = parts.window.findChild(PreferencesDialog, "preferences_dialog")
    assert dialog is not None
    tier = dialog.field("default_tier")
    assert isinstance(tier, QComboBox)
    tier.setCurrentIndex(tier.findData("premium"))
    enter_sends = dialog.field("enter_sends")
    assert isinstance(enter_sends, QCheckBox)
    enter_sends.setChecked(False)
    max_tokens = dialog.field("max_tokens")
    assert isinstance(max_tokens, QSpinBox)
    max_tokens.setValue(300)
    dialog._save()
    settings, warnings = load_settings(parts.settings.paths)
    assert warnings == ()
    assert settings.default_tier == "premium"
    assert settings.enter_sends is False
    assert settings.max_tokens == 300
    tab = parts.tabs.new_conversation()
    assert tab.tier_id == "premium"
    assert parts.settings.current.max_tokens == 300  # what the next turn is sent with
    assert tab.page.composer.input.enter_sends is False


async def test_a_new_host_for_a_stored_key_is_confirmed(
    make_app: Callable[..., Composition],
) -> None:
    parts = make_app()
    parts.controller.use_key("sk-test-key-0001", KeySource.KEYRING)
    parts.controller.show_preferences()
    dialog = parts.window.findChild(PreferencesDialog, "preferences_dialog")
    assert dialog is not None
    base_url = dialog.field("base_url")
    assert isinstance(base_url, QLineEdit)
    base_url.setText("https://llm.example.org/v3")
    dialog._save()
    box = dialog.findChild(QMessageBox, "confirm_host_change")
    assert box is not None
    assert "llm.example.org" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    await wait_until(lambda: not box.isVisible())
    assert load_settings(parts.settings.paths).settings.base_url != "https://llm.example.org/v3"
    dialog._save()
    box = dialog.findChild(QMessageBox, "confirm_host_change")
    box.button(QMessageBox.StandardButton.Yes).click()
    await wait_until(lambda: parts.settings.current.base_url == "https://llm.example.org/v3")
    assert load_settings(parts.settings.paths).settings.base_url == "https://llm.example.org/v3"


async def test_a_bad_base_url_is_explained(make_app: Callable[..., Composition]) -> None:
    parts = make_app()
    parts.controller.show_preferences()
    dialog = parts.window.findChild(PreferencesDialog, "preferences_dialog")
    assert dialog is not None
    base_url = dialog.field("base_url")
    assert isinstance(base_url, QLineEdit)
    base_url.setText("ftp://nowhere")
    dialog._save()
    assert "http" in dialog.message.text()
    assert dialog.isVisible()
