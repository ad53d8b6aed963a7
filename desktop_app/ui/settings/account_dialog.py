"""Settings → Account: replace or remove the stored key. Opened with open(), never exec()."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.secrets import KeyringUnavailable, KeySource, delete_key, mask


class AccountDialog(QDialog):
    key_saved = Signal(str, bool)
    key_removed = Signal()

    def __init__(self, source: KeySource, key: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("account_dialog")
        self.setWindowTitle("Account and API key")
        self.setMinimumWidth(480)
        lay = QVBoxLayout(self)
        status = {
            KeySource.KEYRING: "A key is stored in the system keyring",
            KeySource.ENVIRONMENT: "The key comes from the EDENAI_API_KEY environment variable "
            "for this run; it overrides the keyring",
            KeySource.SESSION: "A key is in use for this session only (not stored)",
            KeySource.NONE: "No key is set",
        }[source]
        if key and source is not KeySource.NONE:
            status += f": {mask(key)}"
        self.status_label = QLabel(status + ".")
        self.status_label.setWordWrap(True)
        lay.addWidget(self.status_label)
        self.field = QLineEdit(self)
        self.field.setObjectName("account_key_field")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setPlaceholderText("Paste a new Eden AI API key to replace it")
        self.field.setAccessibleName("New API key")
        lay.addWidget(self.field)
        self.remember = QCheckBox("Remember in the system keyring", self)
        self.remember.setChecked(True)
        lay.addWidget(self.remember)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.save_button = QPushButton("Save key", self)
        self.remove_button = QPushButton("Remove stored key", self)
        self.remove_button.setEnabled(source is KeySource.KEYRING)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ApplyRole)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self._save)
        self.remove_button.clicked.connect(self._remove)
        lay.addWidget(buttons)

    def _save(self) -> None:
        key = self.field.text().strip()
        if not key:
            self.message.setText("Paste a key first.")
            return
        self.key_saved.emit(key, self.remember.isChecked())
        self.accept()

    def _remove(self) -> None:
        try:
            removed = delete_key()
        except KeyringUnavailable as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("The stored key was removed." if removed else "No key was stored.")
        self.remove_button.setEnabled(False)
        self.key_removed.emit()
