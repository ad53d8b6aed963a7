""" "Run a workload…": paste prompts or open a .txt / .jsonl file; the dialog checks them
(empty, wrong format, over 500, longer than a column's context) and shows how many requests
the run makes and what it may cost at list prices. Nothing is sent until Run is pressed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop_app.services.compare import (
    MAX_PROMPTS,
    ColumnSpec,
    ModelPrice,
    WorkloadError,
    check_context,
    estimate_range,
    parse_prompts,
    prices_from_models,
    table_prices,
    tier_label,
    tier_of,
)
from desktop_app.ui.chat.context import ChatContext
from desktop_app.ui.compare.icons import error_colour
from desktop_app.ui.widgets.theme import set_text_colour

if TYPE_CHECKING:
    from desktop_app.routing.tiers import Tier

CHECK_DELAY_MS = 250  # after the last keystroke
MAX_SHOWN_PROBLEMS = 3


class WorkloadDialog(QDialog):
    confirmed = Signal(list, int)  # the prompts, requests at once

    def __init__(
        self,
        ctx: ChatContext,
        columns: list[ColumnSpec],
        concurrency: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workload_dialog")
        self.setWindowTitle("Run a workload")
        self.resize(640, 520)
        self._ctx = ctx
        self._tiers: list[tuple[str, Tier]] = [
            (tier_label(ctx.tiers, c.tier_id), tier_of(ctx.tiers, c.tier_id)) for c in columns
        ]
        self._file: tuple[str, list[str]] | None = None  # a file's name and prompts
        self._prompts: list[str] = []
        self._prices: dict[str, ModelPrice] | None = None  # None: still being fetched
        self._whole_pool_priced = True  # the list had every model (auto can be estimated)
        self._price_note = ""
        layout = QVBoxLayout(self)
        names = ", ".join(name for name, _t in self._tiers)
        intro = QLabel(
            f"Each prompt is sent to every column ({names}). Paste prompts, one per line, or "
            'open a .txt file (one prompt per line) or a .jsonl file (one {"prompt": "..."} '
            f"per line). At most {MAX_PROMPTS} prompts; each is sent on its own.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("workload_prompts")
        self.editor.setAccessibleName("Prompts, one per line")
        self.editor.setPlaceholderText("One prompt per line…")
        layout.addWidget(self.editor, 1)
        row = QHBoxLayout()
        self.open_button = QPushButton("&Open file…", self)
        self.open_button.setObjectName("workload_open_file")
        self.open_button.setAccessibleName("Open a prompts file")
        self.open_button.setToolTip("A .txt file (one prompt per line) or .jsonl file")
        row.addWidget(self.open_button)
        self.file_label = QLabel(self)
        self.file_label.setObjectName("workload_file")
        row.addWidget(self.file_label, 1)
        self.clear_file = QPushButton("Type or paste instead", self)
        self.clear_file.setObjectName("workload_clear_file")
        self.clear_file.setAccessibleName("Forget the file; type or paste prompts instead")
        self.clear_file.setVisible(False)
        row.addWidget(self.clear_file)
        layout.addLayout(row)
        form = QFormLayout()
        self.concurrency = QSpinBox(self)
        self.concurrency.setObjectName("workload_concurrency")
        self.concurrency.setAccessibleName("Requests at once")
        self.concurrency.setRange(1, 16)
        self.concurrency.setValue(max(1, min(16, concurrency)))
        self.concurrency.setToolTip("Never more than this many requests in flight")
        form.addRow("&Requests at once:", self.concurrency)
        layout.addLayout(form)
        self.check = QLabel(self)
        self.check.setObjectName("workload_check")
        self.check.setAccessibleName("Workload check")
        self.check.setWordWrap(True)
        layout.addWidget(self.check)
        self.buttons = QDialogButtonBox(self)
        self.run_button = self.buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("workload_run")
        self.run_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("workload_dialog_cancel")
        self.buttons.accepted.connect(self._run)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.validate)
        self.editor.textChanged.connect(self._timer.start)
        self.concurrency.valueChanged.connect(self.validate)
        self.open_button.clicked.connect(self.choose_file)
        self.clear_file.clicked.connect(self.use_pasted)
        self._fetch: asyncio.Task[None] | None = None
        self._start_fetch()
        self.validate()

    # --- prices --------------------------------------------------------------------------------
    def _start_fetch(self) -> None:
        if self._ctx.list_models is None:
            self._use_table("no model list here")
            return
        name = f"workload-prices:{id(self)}"
        self._fetch = self._ctx.runner.start(name, self._fetch_prices(), replace=True)

    async def _fetch_prices(self) -> None:
        assert self._ctx.list_models is not None
        try:
            models = await self._ctx.list_models()
        except Exception as exc:  # offline, a proxy, an old server: the bundled table then
            if isValid(self):
                self._use_table(str(exc) or type(exc).__name__)
            return
        if isValid(self):
            self.set_prices(prices_from_models(models), whole_pool=True)

    def _use_table(self, why: str) -> None:
        wanted = {m for _n, t in self._tiers for m in (t.candidates or ())}
        wanted |= {t.fixed_model for _n, t in self._tiers if t.fixed_model}
        self.set_prices(
            table_prices(sorted(wanted)),
            whole_pool=False,
            note=f"The server's price list could not be read ({why.rstrip('.')}); the "
            "estimate uses RouteChat's own price table, and prompt lengths are not checked.",
        )

    def set_prices(
        self, prices: dict[str, ModelPrice], *, whole_pool: bool, note: str = ""
    ) -> None:
        self._prices = prices
        self._whole_pool_priced = whole_pool
        self._price_note = note
        self.validate()

    # --- input ---------------------------------------------------------------------------------
    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Open a workload")
        dialog.setObjectName("workload_file_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Prompts (*.txt *.jsonl)", "All files (*)"])
        dialog.fileSelected.connect(lambda path: self.load_file(Path(path)))
        dialog.open()

    def load_file(self, path: Path) -> bool:
        """Take the prompts of `path`; a file that cannot be used is said so, and kept out."""
        try:
            prompts = parse_prompts(path.read_bytes(), path.name)
        except OSError as exc:
            self._fail(f"{path.name} could not be read: {exc.strerror or exc}.")
            return False
        except WorkloadError as exc:
            self._fail(str(exc))
            return False
        self._file = (path.name, prompts)
        self.editor.blockSignals(True)
        self.editor.setPlainText("\n".join(" ⏎ ".join(p.splitlines()) for p in prompts))
        self.editor.blockSignals(False)
        self.editor.setReadOnly(True)
        self.file_label.setText(f"{len(prompts):,} prompts from {path.name}")
        self.clear_file.setVisible(True)
        self.validate()
        return True

    def use_pasted(self) -> None:
        self._file = None
        self.editor.setReadOnly(False)
        self.editor.clear()
        self.file_label.clear()
        self.clear_file.setVisible(False)
        self.validate()

    # --- checking ------------------------------------------------------------------------------
    def _fail(self, sentence: str) -> None:
        self._prompts = []
        set_text_colour(self.check, error_colour().name())
        self.check.setText(sentence)
        self.run_button.setEnabled(False)
        self.run_button.setText("Run")

    def validate(self) -> None:
        """Say what the run would be, or what is wrong; Run only for a run that can go."""
        self._timer.stop()
        try:
            if self._file is not None:
                prompts = self._file[1]
            else:
                prompts = parse_prompts(self.editor.toPlainText())
        except WorkloadError as exc:
            self._fail(str(exc))
            return
        prices = self._prices
        problems = check_context(prompts, self._tiers, prices or {})
        if problems:
            more = len(problems) - MAX_SHOWN_PROBLEMS
            lines = problems[:MAX_SHOWN_PROBLEMS] + ([f"… and {more} more."] if more > 0 else [])
            self._fail("\n".join(lines))
            return
        self._prompts = prompts
        columns = len(self._tiers)
        requests = len(prompts) * columns
        lines = [
            f"{len(prompts):,} prompt{'s' if len(prompts) != 1 else ''} × {columns} columns = "
            f"{requests:,} requests, at most {self.concurrency.value()} at once."
        ]
        if prices is None:
            lines.append("Estimating the cost at list prices…")
        else:
            tiers = [t for _n, t in self._tiers]
            if not self._whole_pool_priced:
                tiers = [t for t in tiers if t.fixed_model or t.candidates]
            estimate = estimate_range(prompts, tiers, prices, self._ctx.settings.current.max_tokens)
            lines.append("Estimated cost: " + estimate.describe() + ".")
            if len(tiers) < columns:
                lines.append("The router's whole pool (Auto) is not in RouteChat's price table.")
            if self._price_note:
                lines.append(self._price_note)
        set_text_colour(self.check)
        self.check.setText("\n".join(lines))
        self.run_button.setEnabled(prices is not None)
        self.run_button.setText(f"Run {requests:,} request{'s' if requests != 1 else ''}")

    def _run(self) -> None:
        self.validate()
        if not self.run_button.isEnabled() or not self._prompts:
            return
        self.confirmed.emit(list(self._prompts), self.concurrency.value())
        self.accept()

    def done(self, result: int) -> None:
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()
        super().done(result)
