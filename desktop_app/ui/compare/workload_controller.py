"""A workload run's tab: it runs the prompts through the columns (at most N in flight, stored
as they go), fills the table and totals, cancels keeping what finished, exports the table, and
reopens a stored run from history."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal

from desktop_app.api.errors import ErrorKind
from desktop_app.routing.plan import plan_for
from desktop_app.services import format as fmt
from desktop_app.services.compare import (
    ColumnSpec,
    ComparisonView,
    Job,
    Outcome,
    PromptOnlyRecorder,
    RunColumn,
    WorkloadRun,
    column_totals,
    rows_json,
    tier_label,
    tier_of,
    workload_summary,
    write_csv,
)
from desktop_app.store import Conversation, StoreError
from desktop_app.ui.chat.context import ChatContext
from desktop_app.ui.compare.workload_page import AnswerDialog, WorkloadPage, WorkloadTableModel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog

    from desktop_app.render.markdown import MarkdownRenderer

TOTALS_EVERY_MS = 1000  # the totals, status bar spend and history refresh while it runs
PROGRESS_EVERY_MS = 100  # the progress bar repaints at once when set: not at every answer
STATES = {
    "finished": "Finished",
    "cancelled": "Cancelled: the answers that finished are kept",
    "failed": "Stopped by an error",
    "interrupted": "Stopped when RouteChat closed: the answers that finished are kept",
}


class WorkloadController(QObject):
    kind = "workload"
    streaming_changed = Signal(bool)
    turn_finished = Signal()
    title_changed = Signal(str)
    reachable = Signal(bool)

    def __init__(
        self,
        conversation_id: int,
        ctx: ChatContext,
        columns: list[ColumnSpec],
        prompts: list[str],
        title: str,
        view: dict[str, Any],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.conversation_id: int | None = conversation_id
        self._ctx = ctx
        self.columns = columns
        self.prompts = prompts
        self.title = title
        self._view = view
        self.names = [tier_label(ctx.tiers, c.tier_id) for c in columns]
        self.model = WorkloadTableModel(prompts, self.names)
        self.page = WorkloadPage(title, self.model)
        self.run: WorkloadRun | None = None
        self.concurrency = int((view.get("workload") or {}).get("concurrency") or 4)
        self._task_name = f"workload:{conversation_id}"
        self._started = 0.0
        self._renderer: MarkdownRenderer | None = None
        self._dialogs: list[Any] = []  # open answer and file dialogs (kept alive)
        self._totals_timer = QTimer(self)
        self._totals_timer.setSingleShot(True)
        self._totals_timer.setInterval(TOTALS_EVERY_MS)
        self._totals_timer.timeout.connect(self._tick)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_EVERY_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        self.page.cancel_requested.connect(self.cancel)
        self.page.export_requested.connect(self.export)
        self.page.table.doubleClicked.connect(self.open_answer)
        self.page.progress.setRange(0, max(1, len(prompts) * len(columns)))

    # --- starting and reopening ---------------------------------------------------------------
    @classmethod
    def start(
        cls,
        ctx: ChatContext,
        columns: list[ColumnSpec],
        prompts: list[str],
        concurrency: int,
        parent: QObject | None = None,
    ) -> WorkloadController | None:
        """Store a new run, ready to `begin`; None (and a message) when it cannot be stored."""
        names = [tier_label(ctx.tiers, c.tier_id) for c in columns]
        count = f"{len(prompts)} prompt{'s' if len(prompts) != 1 else ''}"
        title = f"Workload: {count} · {', '.join(names)}"
        view = ComparisonView(list(columns)).to_json(ctx.tiers)
        view["workload"] = {"prompts": len(prompts), "concurrency": concurrency}
        view["workload"]["state"] = "running"
        try:
            cid = ctx.store.create_conversation(title, kind="workload", view=view)
        except StoreError as exc:
            ctx.messages.error(f"The workload could not be saved, so it was not run: {exc}")
            return None
        ctrl = cls(cid, ctx, columns, prompts, title, view, parent)
        ctrl.concurrency = concurrency
        return ctrl

    @classmethod
    def load(
        cls, ctx: ChatContext, conv: Conversation, parent: QObject | None = None
    ) -> WorkloadController | None:
        """A stored run, as it ended (or as far as it got)."""
        view = dict(conv.view or {})
        columns = ComparisonView.from_json(view).columns
        try:
            messages = ctx.store.load_messages(conv.id)
        except StoreError as exc:
            ctx.messages.error(f"Could not open the workload run: {exc}")
            return None
        users = [m for m in messages if m.role == "user"]
        index = {m.id: i for i, m in enumerate(users)}
        position = {c.column: i for i, c in enumerate(columns)}
        results: list[list[Outcome | None]] = [[None] * len(columns) for _ in users]
        for m in messages:
            info = m.reply
            if info is None or m.parent_id not in index or info.column not in position:
                continue
            c = position[info.column]
            results[index[m.parent_id]][c] = Outcome.from_stored(columns[c].tier_id, m, text=False)
        prompts = [m.content for m in users]
        ctrl = cls(conv.id, ctx, columns, prompts, conv.display_title, view, parent)
        ctrl.model.set_results(results)
        found = view.get("workload")
        meta: dict[str, Any] = found if isinstance(found, dict) else {}
        state = str(meta.get("state") or "finished")
        if state == "running":  # the app closed while it ran
            state = "interrupted"
        total = int(meta.get("prompts") or len(users)) * len(columns)
        ctrl._show_end(state, sum(1 for row in results for o in row if o is not None), total)
        return ctrl

    def begin(self) -> None:
        """Start sending (once the tab is there to show it)."""
        ctx = self._ctx
        base = ctx.service()
        service = base.with_recorder(PromptOnlyRecorder(base.recorder, ctx.store))
        demo = ctx.session.demo
        run_columns = [
            RunColumn(c.column, c.tier_id, plan_for(tier_of(ctx.tiers, c.tier_id), demo=demo))
            for c in self.columns
        ]
        cid = self.conversation_id
        assert cid is not None
        self.run = WorkloadRun(
            service,
            self.prompts,
            run_columns,
            concurrency=self.concurrency,
            conversation_of=lambda _i: cid,
            max_tokens=ctx.settings.current.max_tokens,
            on_finished=self._finished,
            keep_text=False,
        )
        self._started = time.monotonic()
        self.page.cancel_button.setEnabled(True)
        self._show_progress()
        ctx.runner.start(self._task_name, self._go())
        self.streaming_changed.emit(True)

    async def _go(self) -> None:
        run = self.run
        assert run is not None
        state = "finished"
        try:
            await run.run()
        except BaseException as exc:
            state = "cancelled" if _cancelled(exc) else "failed"
            if state == "failed":
                self._ctx.messages.error(f"The workload run stopped: {_reason(exc)}")
            if not isinstance(exc, Exception):
                raise  # cancellation goes on (the runner reports real failures itself)
        finally:
            self._ended(state)

    # --- progress ------------------------------------------------------------------------------
    def _finished(self, job: Job, outcome: Outcome) -> None:
        self.model.set_outcome(job.prompt_index, job.column, outcome)
        if not self._progress_timer.isActive():
            self._progress_timer.start()
        if outcome.error is not None and outcome.error.kind is ErrorKind.CONNECT:
            self.reachable.emit(False)
        if not self._totals_timer.isActive():
            self._totals_timer.start()

    def _tick(self) -> None:
        self._show_totals()
        self.turn_finished.emit()  # the status bar's spend and the history list

    def _show_progress(self) -> None:
        run = self.run
        if run is None:
            return
        self.page.progress.setValue(run.progress.finished)
        self.page.status.setText(run.progress.describe())

    def _show_totals(self) -> None:
        results = self.model.results
        totals = [
            column_totals(c.tier_id, [row[i] for row in results if row[i] is not None])  # type: ignore[misc]
            for i, c in enumerate(self.columns)
        ]
        self.page.show_totals(totals, self.names)

    def _ended(self, state: str) -> None:
        self._totals_timer.stop()
        self._progress_timer.stop()
        run = self.run
        finished = run.progress.finished if run else 0
        self._show_end(state, finished, len(self.prompts) * len(self.columns))
        self._view["workload"]["state"] = state
        if self.conversation_id is not None:
            try:
                self._ctx.store.set_view(self.conversation_id, self._view)
            except StoreError as exc:
                self._ctx.messages.error(f"Could not save the workload's state: {exc}")
        if state == "finished" and run is not None:
            seconds = time.monotonic() - self._started
            self._ctx.messages.info(
                f"Workload finished: {finished:,} requests in {fmt.duration(seconds * 1000)}."
            )
        self.streaming_changed.emit(False)
        self.turn_finished.emit()

    def _show_end(self, state: str, finished: int, total: int) -> None:
        self.page.progress.setRange(0, max(1, total))
        self.page.progress.setValue(finished)
        self.page.cancel_button.setEnabled(False)
        failures = sum(1 for row in self.model.results for o in row if o is not None and o.failed)
        known = [o.known_cost for row in self.model.results for o in row if o is not None]
        spent = fmt.money(sum(c for c in known if c is not None), "reported")
        words = STATES.get(state, state)
        text = f"{words} · {finished:,} of {total:,} requests · spent {spent}"
        if failures:
            text += f" · {failures} failed"
        self.page.status.setText(text)
        self._show_totals()

    # --- the tab -------------------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        return self._ctx.runner.running(self._task_name) and self.run is not None

    def cancel(self) -> None:
        """Stop sending: what is in flight ends as stopped, what finished is kept."""
        self._ctx.runner.cancel(self._task_name)

    def close(self) -> None:
        self.cancel()
        for dialog in self._dialogs:
            dialog.close()

    def save_draft(self) -> None:
        """Nothing is typed here."""

    def ensure_loaded(self) -> None:
        """Loaded when opened."""

    def restyle(self) -> None:
        """The table follows the palette by itself."""

    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        self._renderer = renderer

    # --- answers and exports -------------------------------------------------------------------
    def open_answer(self, index: QModelIndex) -> None:
        """A double-clicked cell: that answer (the row's first column's for # and Prompt)."""
        prompt = self.model.prompt_at(index.row())
        spot = self.model.where(index.column())
        column = spot[0] if spot is not None else 0
        outcome = self.model.results[prompt][column]
        if outcome is None:
            self._ctx.messages.info("That answer has not arrived yet.")
            return
        text = ""
        if outcome.reply_id is not None:
            try:
                text = self._ctx.store.get_message(outcome.reply_id).content
            except StoreError as exc:
                self._ctx.messages.error(f"Could not read the answer: {exc}")
                return
        renderer = self._renderer or self._ctx.renderer()
        title = f"Prompt {prompt + 1} · {self.names[column]}"
        dialog = AnswerDialog(title, self.prompts[prompt], outcome, text, renderer, self.page)
        self._keep(dialog)
        dialog.open()

    def _keep(self, dialog: Any) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._dialogs.remove(dialog))

    def export(self, kind: str) -> None:
        from PySide6.QtWidgets import QFileDialog

        dialog: QFileDialog = QFileDialog(self.page, "Export the workload table")
        dialog.setObjectName("workload_export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV (*.csv)" if kind == "csv" else "JSON (*.json)")
        dialog.setDefaultSuffix(kind)
        dialog.selectFile(str(Path.home() / f"workload-{self.conversation_id}.{kind}"))
        dialog.fileSelected.connect(lambda path: self.write_export(kind, Path(path)))
        self._keep(dialog)
        dialog.open()

    def export_text(self, kind: str) -> str:
        """The table as CSV (the command line's columns) or JSON (totals and rows)."""
        results = self.model.results
        if kind == "csv":
            import io

            out = io.StringIO()
            write_csv(out, self.prompts, results)
            return out.getvalue()
        totals = [
            column_totals(c.tier_id, [row[i] for row in results if row[i] is not None])  # type: ignore[misc]
            for i, c in enumerate(self.columns)
        ]
        data = workload_summary(len(self.prompts), totals)
        data["rows"] = rows_json(self.prompts, results)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def write_export(self, kind: str, path: Path) -> bool:
        try:
            part = path.with_name(path.name + ".part")
            part.write_text(self.export_text(kind), encoding="utf-8", newline="")
            part.replace(path)
        except OSError as exc:
            self._ctx.messages.error(f"Could not export to {path}: {exc.strerror or exc}")
            return False
        self._ctx.messages.info(f"Exported to {path}")
        return True


def _cancelled(exc: BaseException) -> bool:
    import asyncio

    if isinstance(exc, asyncio.CancelledError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_cancelled(e) for e in exc.exceptions)
    return False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_reason(e) for e in exc.exceptions)
    return str(exc) or type(exc).__name__
