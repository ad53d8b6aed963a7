"""A conversation tab's spending checks: the composer's likely cost of the next message, and
the spending limit before a send (ask, or refuse with the figures). The rules are the core's
(`services.budget`); the dialogs are opened with open(), never exec()."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from desktop_app.store import StoreError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

    from desktop_app.routing.plan import TurnPlan
    from desktop_app.services.budget import CostEstimate, Verdict
    from desktop_app.ui.chat.chat_widgets import Composer
    from desktop_app.ui.chat.context import ChatContext

NO_PRICES = "No list prices are known for this tier's models, so no estimate."


class SpendingGate:
    def __init__(
        self,
        composer: Composer | None,
        ctx: ChatContext,
        history: Callable[[], list[str]],
        parent: QWidget | None = None,
    ) -> None:
        """`composer`: where the likely cost is shown (None: nowhere, e.g. for a workload run
        started from its dialog; then the questions open over `parent`)."""
        self._composer = composer
        self._parent = parent
        self._ctx = ctx
        self._history = history  # the text of the messages the next request carries
        self.dialog: QMessageBox | None = None  # the question or refusal on screen

    def estimate(self, plan: TurnPlan, prompt: str) -> CostEstimate | None:
        if self._ctx.spending is None or plan.demo:
            return None
        return self._ctx.spending().estimate(plan, self._history(), prompt)

    def show_estimate(self, plan: TurnPlan | None, prompt: str) -> None:
        """The composer's "≈ $0.0004–$0.006" for what is typed (nothing in demo mode, or
        while the tab's pool is missing)."""
        if self._composer is None:
            return
        label = self._composer.estimate
        if plan is None or not prompt.strip() or plan.demo or self._ctx.spending is None:
            label.setText("")
            label.setToolTip("")
            return
        estimate = self.estimate(plan, prompt)
        label.setText(estimate.text() if estimate is not None else "≈ ?")
        label.setToolTip(estimate.tooltip() if estimate is not None else NO_PRICES)
        label.setAccessibleDescription(label.toolTip())

    def check(self, plan: TurnPlan, prompt: str, go: Callable[[TurnPlan], None]) -> None:
        """Send with `go(plan)` when the limits allow it (the plan may ask for cheaper models);
        at the limit ask first, or refuse, as Preferences → Spending says."""
        if self._ctx.spending is None or plan.demo or not self._ctx.spending().limited:
            go(plan)
            return
        try:
            verdict, plan = self._ctx.spending().before_send(plan, self.estimate(plan, prompt))
        except StoreError as exc:
            self._ctx.messages.error(f"Your spending could not be checked ({exc}); sent anyway.")
            go(plan)
            return
        self._act(verdict, lambda: go(plan))

    def check_round(
        self,
        plans: Sequence[TurnPlan],
        estimates: Callable[[], list[CostEstimate | None]],
        go: Callable[[], None],
    ) -> None:
        """A comparison round: every column's request checked as one send (their estimates
        added up); at the limit ask first, or refuse. Demo rounds always go."""
        guard = self._ctx.spending
        if guard is None or all(p.demo for p in plans) or not guard().limited:
            go()
            return
        try:
            verdict = guard().before_round(estimates())
        except StoreError as exc:
            self._ctx.messages.error(f"Your spending could not be checked ({exc}); sent anyway.")
            go()
            return
        self._act(verdict, go)

    def _act(self, verdict: Verdict, go: Callable[[], None]) -> None:
        if verdict.action == "send":
            go()
        elif verdict.action == "ask":
            self._open(verdict.message, go)
        else:
            self._open(verdict.message, None)

    def _open(self, message: str, on_yes: Callable[[], None] | None) -> None:
        from PySide6.QtWidgets import QMessageBox  # its enums: built when first needed

        box = QMessageBox(self._composer.window() if self._composer is not None else self._parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Spending limit")
        box.setText(message)
        if on_yes is None:
            box.setObjectName("spending_refused")
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
        else:
            box.setObjectName("spending_ask")
            send = box.addButton("Send anyway", QMessageBox.ButtonRole.AcceptRole)
            send.setObjectName("send_anyway")
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)

            def answered() -> None:
                if box.clickedButton() is send:
                    on_yes()

            box.accepted.connect(answered)
            box.rejected.connect(answered)
        box.finished.connect(lambda _r: self._closed(box))
        self.dialog = box
        box.open()

    def _closed(self, box: QMessageBox) -> None:
        if self.dialog is box:
            self.dialog = None
        box.deleteLater()
