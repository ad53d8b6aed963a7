"""Settings → Preferences: appearance, chat defaults, connection, retries. Opened with open()."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.config.settings import RetrySettings, Settings, TimeoutSettings, settings_from_dict
from desktop_app.config.settings import settings_to_dict as to_dict
from desktop_app.routing.tiers import Tier
from desktop_app.ui.widgets.theme import ERROR_COLOUR, set_text_colour


def _seconds(value: float, lo: float, hi: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(1)
    box.setSuffix(" s")
    box.setValue(value)
    return box


class PreferencesDialog(QDialog):
    saved = Signal(object)  # the new Settings

    def __init__(
        self, settings: Settings, tiers: list[Tier], key_stored: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferences_dialog")
        self.setWindowTitle("Preferences")
        self._settings = settings
        self._key_stored = key_stored
        form = QFormLayout()
        self.theme = QComboBox()
        for value, label in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        form.addRow("&Appearance:", self.theme)
        self.tier = QComboBox()
        for tier in tiers:
            self.tier.addItem(tier.label, tier.id)
        self.tier.setCurrentIndex(max(0, self.tier.findData(settings.default_tier)))
        form.addRow("Default &tier for new tabs:", self.tier)
        self.enter_sends = QCheckBox("Enter sends (Shift+Enter for a new line)")
        self.enter_sends.setChecked(settings.enter_sends)
        form.addRow("", self.enter_sends)
        self.restore = QCheckBox("Reopen my tabs at start")
        self.restore.setChecked(settings.restore_tabs)
        form.addRow("", self.restore)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(0, 1_000_000)
        self.max_tokens.setSpecialValueText("No limit")
        self.max_tokens.setValue(settings.max_tokens or 0)
        self.max_tokens.setToolTip("Caps every answer's length (and cost); the seed advises it")
        form.addRow("&Max tokens per answer:", self.max_tokens)
        self.base_url = QLineEdit(settings.base_url)
        self.base_url.setObjectName("base_url_field")
        form.addRow("API &base URL:", self.base_url)
        t = settings.timeouts
        self.connect_timeout = _seconds(t.connect, 0.5, 300)
        self.first_byte_timeout = _seconds(t.first_byte, 1, 1800)
        self.idle_timeout = _seconds(t.idle, 1, 1800)
        self.total_timeout = _seconds(t.total, 1, 7200)
        form.addRow("Connect timeout:", self.connect_timeout)
        form.addRow("Routing timeout (first token):", self.first_byte_timeout)
        form.addRow("Idle timeout between chunks:", self.idle_timeout)
        form.addRow("Total timeout:", self.total_timeout)
        r = settings.retries
        self.retries = QSpinBox()
        self.retries.setRange(0, 10)
        self.retries.setValue(r.max_retries)
        self.retry_budget = _seconds(r.max_total_seconds, 0, 600)
        form.addRow("Automatic retries:", self.retries)
        form.addRow("Retry time budget:", self.retry_budget)
        self.log_level = QComboBox()
        for level in ("DEBUG", "INFO", "WARNING", "ERROR"):
            self.log_level.addItem(level, level)
        self.log_level.setCurrentIndex(max(0, self.log_level.findData(settings.log_level)))
        form.addRow("Log level:", self.log_level)
        self.message = QLabel()
        self.message.setWordWrap(True)
        set_text_colour(self.message, ERROR_COLOUR)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(buttons)

    def collect(self) -> Settings:
        """The dialog's values as Settings (validated by the settings module itself)."""
        data = to_dict(self._settings)
        data.update(
            theme=self.theme.currentData(),
            default_tier=self.tier.currentData(),
            enter_sends=self.enter_sends.isChecked(),
            restore_tabs=self.restore.isChecked(),
            max_tokens=self.max_tokens.value() or None,
            base_url=self.base_url.text().strip(),
            log_level=self.log_level.currentData(),
        )
        data["timeouts"] = dataclasses.asdict(
            TimeoutSettings(
                self.connect_timeout.value(),
                self.first_byte_timeout.value(),
                self.idle_timeout.value(),
                self.total_timeout.value(),
            )
        )
        data["retries"] = dataclasses.asdict(
            RetrySettings(self.retries.value(), self.retry_budget.value())
        )
        settings, problems = settings_from_dict(data)
        if problems:
            raise ValueError(" ".join(problems))
        return settings

    def _save(self) -> None:
        try:
            settings = self.collect()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        old_host = urlsplit(self._settings.base_url).hostname
        new_host = urlsplit(settings.base_url).hostname
        if self._key_stored and old_host != new_host:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Send your key to another server?",
                f"Your API key will be sent to {new_host} instead of {old_host}. "
                "Only continue if you trust that server.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.setObjectName("confirm_host_change")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(
                lambda b: self._finish(settings) if b == QMessageBox.StandardButton.Yes else None
            )
            box.open()
            return
        self._finish(settings)

    def _finish(self, settings: Settings) -> None:
        self.saved.emit(settings)
        self.accept()
