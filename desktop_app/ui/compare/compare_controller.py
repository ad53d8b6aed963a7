"""One comparison tab's behaviour: a prompt to every column at once, each column streaming in
its own slot; Stop one or all; Retry a failed column; the summary strip after each round;
blind mode and votes; Continue with this; columns added, removed, reordered and re-tiered.

Each column is its own thread: its replies carry the column in the store and the service
reads its history through `ColumnThreadRecorder`. The comparison's view (its columns and
options) is saved with the conversation at every change, so it is the same after a restart.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import isValid

from desktop_app.api.errors import ErrorKind
from desktop_app.api.events import (
    CostReport,
    RoutedModel,
    TextDelta,
    TurnStatus,
    UsageReport,
)
from desktop_app.routing.plan import TurnPlan, plan_for
from desktop_app.services import format as fmt
from desktop_app.services.compare import (
    DEFAULT_TIERS,
    LABELS,
    MAX_COLUMNS,
    MIN_COLUMNS,
    PRESETS,
    ColumnSpec,
    ColumnThreadRecorder,
    ComparisonView,
    Outcome,
    describe_round,
    start_round,
    summarize,
    thread_of,
    tier_label,
    tier_of,
)
from desktop_app.services.tasks import StreamGroup
from desktop_app.store import StoredMessage, StoreError, VoteColumn
from desktop_app.ui.chat.context import ChatContext
from desktop_app.ui.chat.spending_gate import SpendingGate
from desktop_app.ui.chat.transcript import Actions, Entry, Transcript
from desktop_app.ui.compare.compare_page import BLIND_NOTE, CompareColumn, ComparePage

if TYPE_CHECKING:
    from desktop_app.render.markdown import MarkdownRenderer
    from desktop_app.services.budget import CostEstimate
    from desktop_app.services.chat import ChatService, Turn, TurnEvent
    from desktop_app.services.resilience import RetryNotice

DRAFT_SAVE_MS = 800
COLUMNS_KEY = "compare_columns"  # app state: the last comparison's tiers, for the next one
SPARE_TIERS = ("auto", "code", "fast", "creative")  # what an added column starts with
WAITING = "The summary comes when every column has answered."


@dataclass(eq=False)
class Column:
    """A column on screen: what it sends, its widget and thread, and its current answer."""

    spec: ColumnSpec
    widget: CompareColumn
    transcript: Transcript
    reply: Entry | None = None  # the latest round's answer
    outcome: Outcome | None = None  # ... once it has ended

    @property
    def slot(self) -> str:
        return f"column:{self.spec.column}"


@dataclass
class Round:
    """The latest prompt and, in blind mode, how its answers were labelled."""

    prompt_id: int
    labels: dict[int, str] = field(default_factory=dict)  # stored column -> "A".."D"
    hidden: bool = False  # blind and not voted on yet
    vote: str | None = None


class CompareController(QObject):
    kind = "comparison"
    streaming_changed = Signal(bool)
    turn_finished = Signal()
    title_changed = Signal(str)
    reachable = Signal(bool)
    continued = Signal(int)  # a new conversation holds one column's thread: open it
    workload_requested = Signal(object)  # the columns (list[ColumnSpec]) to run a workload on
    view_changed = Signal()  # columns or options changed (the tab's saved state)

    def __init__(
        self,
        conversation_id: int | None,
        page: ComparePage,
        ctx: ChatContext,
        view: ComparisonView,
        parent: QObject | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(parent)
        self.conversation_id = conversation_id
        self.page = page
        self._ctx = ctx
        self.view = view
        self._rng = rng or random.Random()
        self.streams = StreamGroup(ctx.runner, f"compare:{id(self)}")
        self.pending_title = ""
        self.columns: list[Column] = []
        self.round: Round | None = None
        self._live: set[int] = set()  # stored columns whose answer is arriving
        self._used: set[int] = {c.column for c in view.columns}  # stored columns ever seen
        self._service: ChatService | None = None
        self._loader: Callable[[], list[StoredMessage] | None] | None = None
        self.spending = SpendingGate(page.composer, ctx, lambda: [])
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        for spec in view.columns:
            self.columns.append(self._build(spec))
        page.blind_toggle.setChecked(view.blind)
        page.blind_toggle.toggled.connect(self.set_blind)
        page.composer.send.connect(self.send)
        page.stop_all.connect(self.stop)
        page.composer.input.textChanged.connect(self._draft_timer.start)
        page.vote_bar.voted.connect(self.vote)
        page.preset_chosen.connect(self.apply_preset)
        page.add_column.connect(self.add_column)
        page.workload_requested.connect(
            lambda: (
                None
                if self._missing_tier()
                else self.workload_requested.emit([c.spec for c in self.columns])
            )
        )
        page.narrow_toggled.connect(lambda _n: self._refresh())
        page.shown.connect(self._refresh_appearance)
        self._relayout(save=False)
        self.update_total()

    # --- building ------------------------------------------------------------------------------
    def _build(self, spec: ColumnSpec) -> Column:
        ctx = self._ctx
        widget = CompareColumn(ctx.tiers, self.page)
        widget.tier_selector.select(spec.tier_id)
        selector = widget.tier_selector
        selector.pick_model_requested.connect(
            lambda: ctx.pick_model(lambda model_id: selector.select(f"model:{model_id}"))
        )
        selector.new_pool_requested.connect(ctx.edit_pools)
        holder: list[Column] = []
        transcript = Transcript(
            widget.chat,
            ctx.renderer(),
            Actions(
                self.edit_last_prompt,
                lambda entry, _tier: self.retry(holder[0], entry),
                lambda: [],  # a column answers with its own tier: no "with another tier"
                ctx.tier_label,
            ),
            ctx.after_first_frame,
            on_reply_shown=self._mask,
        )
        column = Column(spec, widget, transcript)
        holder.append(column)
        widget.tier_changed.connect(lambda tier_id: self.set_tier(column, tier_id))
        widget.move_requested.connect(lambda step: self.move_column(column, step))
        widget.remove_requested.connect(lambda: self.remove_column(column))
        widget.stop_requested.connect(lambda: self.streams.cancel(column.slot))
        widget.continue_requested.connect(lambda: self.continue_with(column))
        return column

    def _relayout(self, save: bool = True) -> None:
        self.view.columns = [c.spec for c in self.columns]
        self.page.set_columns([c.widget for c in self.columns])
        self._refresh()
        if save:
            self._save_view()

    # --- state ---------------------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        return self.streams.running()

    @property
    def entries(self) -> list[Entry]:
        """Every column's messages (for "is this tab empty?")."""
        return [e for c in self.columns for e in c.transcript.entries]

    @property
    def service(self) -> ChatService:
        if self._service is None:
            base = self._ctx.service()
            self._service = base.with_recorder(ColumnThreadRecorder(base.recorder, self._ctx.store))
        return self._service

    def name_of(self, column: Column) -> str:
        """How the column is called now: its tier, its letter while blind, both after."""
        label = tier_label(self._ctx.tiers, column.spec.tier_id)
        letter = self.round.labels.get(column.spec.column) if self.round else None
        if letter is None:
            return label
        return letter if self.round is not None and self.round.hidden else f"{letter} · {label}"

    def _hidden(self) -> bool:
        return self.round is not None and self.round.hidden

    def _busy(self) -> bool:
        return bool(self._live)

    def _refresh(self, busy: bool | None = None) -> None:
        """Buttons, names and tabs from the state (`busy`: a column is streaming)."""
        busy = self._busy() if busy is None else busy
        hidden = self._hidden()
        count = len(self.columns)
        for i, c in enumerate(self.columns):
            w = c.widget
            w.set_position(i, count, busy)
            letter = self.round.labels.get(c.spec.column) if self.round else None
            w.set_name(letter, self.name_of(c))
            w.set_hidden(hidden)
            w.tier_selector.setEnabled(not busy)
            w.stop_button.setEnabled(c.spec.column in self._live)
            self._plain_regenerate(c)
            answered = any(
                e.role == "assistant" and e.status is not None for e in c.transcript.entries
            )
            w.continue_button.setEnabled(
                self.conversation_id is not None and answered and not busy and not hidden
            )
            self.page.set_tab_text(w, self._tab_text(c))
        page = self.page
        page.add_button.setEnabled(count < MAX_COLUMNS and not busy)
        page.add_action.setEnabled(count < MAX_COLUMNS and not busy)
        page.presets_button.setEnabled(not busy)
        page.blind_toggle.setEnabled(not busy)
        page.vote_bar.set_count(count)
        page.vote_bar.setVisible(hidden and not busy and self.round is not None)

    @staticmethod
    def _plain_regenerate(column: Column) -> None:
        """A column's Regenerate asks that column again: a plain button, no menu arrow."""
        from PySide6.QtWidgets import QToolButton

        last = next((e for e in reversed(column.transcript.entries) if e.role == "assistant"), None)
        if last is not None and last.widget is not None and last.widget.regen_button.isVisible():
            last.widget.regen_button.setPopupMode(QToolButton.ToolButtonPopupMode.DelayedPopup)

    def _tab_text(self, column: Column) -> str:
        """A stacked column's tab: its name and, unless hidden, its latest badge in short."""
        name = self.name_of(column)
        reply = column.reply
        if reply is None:
            return name
        if self._hidden():
            return f"{name} · …" if reply.badge.streaming else name
        if reply.badge.streaming:
            model = (reply.badge.model or "routing").split("/")[-1]
            return f"{name} · {model} · …"
        o = column.outcome
        if o is None:
            return name
        model = (o.model or "no answer").split("/")[-1]
        return f"{name} · {model} · {fmt.money(o.cost_usd, o.cost_source)}"

    # --- loading -------------------------------------------------------------------------------
    def load_later(self, loader: Callable[[], list[StoredMessage] | None]) -> None:
        self._loader = loader

    @property
    def loaded(self) -> bool:
        return self._loader is None

    def ensure_loaded(self) -> None:
        if self._loader is None:
            return
        loader, self._loader = self._loader, None
        messages = loader()
        if messages is not None:
            self.load(messages)

    def load(self, messages: list[StoredMessage]) -> None:
        """Show a stored comparison: each column's thread, the last round's answers, its vote."""
        self._used |= {m.reply.column for m in messages if m.reply and m.reply.column is not None}
        for c in self.columns:
            c.transcript.load(thread_of(messages, c.spec.column))
        prompt = next((m for m in reversed(messages) if m.role == "user"), None)
        if prompt is None:
            self._refresh()
            return
        answers = {
            m.reply.column: m for m in messages if m.reply is not None and m.parent_id == prompt.id
        }
        for c in self.columns:
            stored = answers.get(c.spec.column)
            c.reply = next(
                (e for e in c.transcript.entries if stored and e.db_id == stored.id), None
            )
            c.outcome = Outcome.from_stored(c.spec.tier_id, stored) if stored else None
        vote = None
        if self.conversation_id is not None:
            try:
                vote = self._ctx.store.vote_for(prompt.id)
            except StoreError as exc:
                self._ctx.messages.error(f"Could not read the vote: {exc}")
        self.round = Round(prompt.id)
        if vote is not None:
            self.round.labels = {v.column: v.label for v in vote.columns}
            self.round.vote = vote.choice
        elif self.view.blind and answers:
            self.round.labels = {c.spec.column: LABELS[i] for i, c in enumerate(self.columns)}
            self.round.hidden = True
            for c in self.columns:
                self._mask_column(c)
        self._round_over()

    # --- sending -------------------------------------------------------------------------------
    def _plan(self, column: Column) -> TurnPlan:
        return plan_for(tier_of(self._ctx.tiers, column.spec.tier_id), demo=self._ctx.session.demo)

    def _missing_tier(self) -> bool:
        """A column names a pool that was deleted: say which, send nothing (never a silent
        switch to another tier); the selector shows it and waits for a choice."""
        for column in self.columns:
            try:
                self._ctx.tiers.get(column.spec.tier_id)
            except KeyError:
                self._ctx.messages.error(
                    f"The pool “{column.spec.tier_id}” of column {column.spec.column + 1} was "
                    "deleted. Choose a tier or pool for it, then send again."
                )
                return True
        return False

    def tiers_changed(self) -> None:
        """Pools were added, renamed or deleted: every column's selector follows."""
        for column in self.columns:
            selector = column.widget.tier_selector
            selector.set_tiers(self._ctx.tiers)
            selector.select(column.spec.tier_id)

    def send(self, prompt: str) -> None:
        """The prompt to every column at once, once the spending limits allow the round (at
        the limit the user is asked, or told why not)."""
        if self.streaming or not prompt.strip() or self._missing_tier():
            return
        if self.spending.dialog is not None:  # the last question is still open
            return
        plans = [self._plan(c) for c in self.columns]
        histories = [[e.content for e in c.transcript.entries] for c in self.columns]
        self.spending.check_round(
            plans, lambda: self._estimates(plans, histories, prompt), lambda: self._send(prompt)
        )

    def _estimates(
        self, plans: list[TurnPlan], histories: list[list[str]], prompt: str
    ) -> list[CostEstimate | None]:
        """Each request's likely cost: a column's plan with the thread it carries."""
        assert self._ctx.spending is not None
        guard = self._ctx.spending()
        return [
            guard.estimate(plan, history, prompt)
            for plan, history in zip(plans, histories, strict=True)
        ]

    def _send(self, prompt: str) -> None:
        """The prompt to every column at once (blind mode: shuffled and labelled first)."""
        if self.streaming or self._missing_tier():  # things may have changed while asked
            return
        if self._hidden():  # the last round was never voted on: show it as it was
            self._reveal()
        store = self._ctx.store
        first = self.conversation_id is None
        if self.view.blind:
            self._rng.shuffle(self.columns)
            self._relayout(save=False)
        plans = [(c.spec.column, self._plan(c)) for c in self.columns]
        try:
            if self.conversation_id is None:
                self.conversation_id = store.create_conversation(
                    self.pending_title,
                    tier_id=self.columns[0].spec.tier_id,
                    kind="comparison",
                    view=self.view.to_json(self._ctx.tiers),
                )
            turns = start_round(self.service, self.conversation_id, prompt, plans)
        except StoreError as exc:
            self._ctx.messages.error(f"Not sent: your message could not be saved ({exc}).")
            return
        self._save_view()
        self.page.composer.input.clear()
        self.save_draft()
        prompt_id = turns[0].user_message_id
        self.round = Round(prompt_id)
        self.page.set_summary(None, WAITING)
        if self.view.blind:
            self.round.labels = {c.spec.column: LABELS[i] for i, c in enumerate(self.columns)}
            self.round.hidden = True
            for c in self.columns:
                self._mask_column(c)
        for column, turn in zip(self.columns, turns, strict=True):
            column.transcript.add_user(prompt, prompt_id)
            column.reply = column.transcript.add_reply(turn.plan, turn.reply_id)
            column.outcome = None
            self._launch(column, column.reply, turn)
        if first:
            self.title_changed.emit(store.get_conversation(self.conversation_id).display_title)
        self.streaming_changed.emit(True)
        self._refresh(busy=True)

    def retry(self, column: Column, reply: Entry) -> None:
        """Ask that column again for the prompt `reply` answered (its Retry or Regenerate),
        once the spending limits allow it."""
        if self.streams.running(column.slot) or reply not in column.transcript.entries:
            return
        if self.spending.dialog is not None:
            return
        entries = column.transcript.entries
        idx = entries.index(reply)
        user = next((e for e in reversed(entries[:idx]) if e.role == "user"), None)
        if user is None or user.db_id is None or self.conversation_id is None:
            return
        plan = self._plan(column)
        history = [e.content for e in entries[:idx]]
        self.spending.check_round(
            [plan],
            lambda: self._estimates([plan], [history], ""),
            lambda: self._retry(column, reply, user, plan),
        )

    def _retry(self, column: Column, reply: Entry, user: Entry, plan: TurnPlan) -> None:
        if self.streams.running(column.slot) or reply not in column.transcript.entries:
            return
        assert self.conversation_id is not None and user.db_id is not None
        try:
            turn = self.service.start_turn(
                self.conversation_id, None, plan, parent_id=user.db_id, column=column.spec.column
            )
        except StoreError as exc:
            self._ctx.messages.error(f"Could not start the reply: {exc}")
            return
        column.transcript.remove(reply)
        entry = column.transcript.add_reply(plan, turn.reply_id)
        if reply is column.reply:
            column.reply, column.outcome = entry, None
            self.page.set_summary(None, WAITING)
        was_busy = self.streaming
        self._launch(column, entry, turn)
        if not was_busy:
            self.streaming_changed.emit(True)
        self._refresh(busy=True)

    def _launch(self, column: Column, entry: Entry, turn: Turn) -> None:
        self._live.add(column.spec.column)
        column.transcript.begin_stream(entry)
        self.page.composer.set_streaming(True)
        self.streams.start(
            column.slot,
            self._run(column, entry, turn),
            lambda: self._settle(column, entry, turn),
        )
        column.transcript.refresh_actions(busy=True)
        column.widget.chat.scroll_to_end()

    async def _run(self, column: Column, entry: Entry, turn: Turn) -> None:
        try:
            await self.service.run(
                turn,
                lambda event: self._on_event(column, entry, turn, event),
                max_tokens=self._ctx.settings.current.max_tokens,
                on_retry=lambda notice: self._on_retry(column, entry, notice),
            )
        finally:
            self._settle(column, entry, turn)

    def _settle(self, column: Column, entry: Entry, turn: Turn) -> None:
        """Stored as it ended; shown unless the tab was closed meanwhile (see the chat tab's)."""
        self.service.settle(turn)
        if isValid(self) and isValid(self.page):
            self._ended(column, entry, turn)

    def _on_event(self, column: Column, entry: Entry, turn: Turn, event: TurnEvent) -> None:
        b = entry.badge
        if isinstance(event, TextDelta):
            entry.ui.view.append_stream(event.text)
            if b.ttft_ms is None:
                b.ttft_ms = turn.ttft_ms
                self._show_badge(column, entry)
        elif isinstance(event, RoutedModel):
            b.model = event.model
            self._show_badge(column, entry)
            self.page.set_tab_text(column.widget, self._tab_text(column))
        elif isinstance(event, UsageReport):
            b.prompt_tokens = event.usage.prompt_tokens
            b.completion_tokens = event.usage.completion_tokens
        elif isinstance(event, CostReport):
            b.cost_usd, b.cost_source = event.usd, event.source

    def _on_retry(self, column: Column, entry: Entry, notice: RetryNotice) -> None:
        entry.badge.retries = notice.attempt
        if notice.fallback_model:
            entry.badge.fallback = True
        entry.badge.model = None
        self._show_badge(column, entry)
        entry.ui.show_error(None)
        entry.ui.status_note(notice.describe() + "…")

    def _ended(self, column: Column, entry: Entry, turn: Turn) -> None:
        result = turn.result
        self._live.discard(column.spec.column)
        busy = self._busy()
        if result is not None:
            column.transcript.finish_reply(
                entry, result, retries=turn.retries, fallback=turn.fallback_used, busy=busy
            )
            if entry is column.reply:
                column.outcome = Outcome.from_result(
                    column.spec.tier_id, turn.plan, result, turn.reply_id
                )
            failed = result.error is not None and result.error.kind is ErrorKind.CONNECT
            self.reachable.emit(not failed)
        if not busy:
            self.page.composer.set_streaming(False)
            for c in self.columns:
                c.transcript.refresh_actions(busy=False)
            self.streaming_changed.emit(False)
            self._round_over()
            self.update_total()
            self.turn_finished.emit()
        else:
            self._refresh(busy=busy)

    def _round_over(self) -> None:
        """Every column has ended: the summary strip (a note while blind), or the vote bar."""
        if self.round is None:
            self.page.set_summary(None)
        elif self._hidden():
            self.page.set_summary(None, BLIND_NOTE)
        else:
            outcomes = [c.outcome for c in self.columns]
            if any(o is not None for o in outcomes):
                names = [self.name_of(c) for c in self.columns]
                self.page.set_summary(describe_round(summarize(outcomes), outcomes, names))
        self._refresh(busy=False)
        if self._hidden():
            self.page.vote_bar.buttons["a"].setFocus()

    def stop(self) -> None:
        self.streams.cancel_all()

    # --- blind mode and votes ------------------------------------------------------------------
    def _show_badge(self, column: Column, entry: Entry) -> None:
        badge = entry.ui.badge
        assert badge is not None
        badge.show_state(entry.badge)
        self._mask(entry)

    def _mask_column(self, column: Column) -> None:
        for entry in column.transcript.entries:
            self._mask(entry)

    def _mask(self, entry: Entry) -> None:
        """While blind, every badge of the columns (their earlier answers would tell them
        apart) keeps its tokens and times, not who answered nor what it cost."""
        if not self._hidden() or entry.role != "assistant" or entry.widget is None:
            return
        badge = entry.widget.badge
        assert badge is not None
        s = entry.badge
        parts = ["<b>Hidden until you vote</b>"]
        if s.prompt_tokens is not None or s.completion_tokens is not None:
            parts.append(fmt.tokens(s.prompt_tokens, s.completion_tokens))
        if s.ttft_ms is not None:
            parts.append(f"first token {fmt.duration(s.ttft_ms)}")
        if not s.streaming:
            parts.append(f"total {fmt.duration(s.total_ms)}")
        if s.status in (TurnStatus.STOPPED, TurnStatus.INTERRUPTED):
            parts.append(s.status.value)
        badge.setText(" · ".join(parts))
        badge.setToolTip("Model, tier and cost are shown once you vote")
        badge.setAccessibleDescription(badge.toolTip())

    def _reveal(self) -> None:
        if self.round is None:
            return
        self.round.hidden = False
        for c in self.columns:
            for entry in c.transcript.entries:
                widget = entry.widget
                if entry.role == "assistant" and widget is not None and widget.badge is not None:
                    widget.badge.show_state(entry.badge)
        self._round_over()

    def set_blind(self, on: bool) -> None:
        if self.view.blind == on:
            return
        self.view.blind = on
        self._save_view()
        if not on and self._hidden():
            self._reveal()
        elif on:
            self._ctx.messages.info(
                "Blind mode: the next answers are shuffled and labelled A–D; models, tiers and "
                "costs show once you vote.",
                seconds=8,
            )

    def vote(self, choice: str) -> None:
        """Record which answer was better (or a tie, or all bad), then reveal everything."""
        round_ = self.round
        if round_ is None or not round_.hidden or self.streaming or self.conversation_id is None:
            return
        columns = [
            VoteColumn(
                c.spec.column,
                round_.labels.get(c.spec.column, ""),
                c.spec.tier_id,
                c.outcome.model if c.outcome else None,
                c.reply.db_id if c.reply else None,
            )
            for c in self.columns
        ]
        try:
            vote = self._ctx.store.add_vote(self.conversation_id, round_.prompt_id, choice, columns)
        except (StoreError, ValueError) as exc:
            self._ctx.messages.error(f"Could not save your vote: {exc}")
            return
        round_.vote = choice
        self._reveal()
        winner = vote.winner
        if winner is None:
            said = "a tie" if choice == "tie" else "all bad"
            self._ctx.messages.info(f"Vote saved: {said}.")
        else:
            name = tier_label(self._ctx.tiers, winner.tier_id or "")
            model = winner.model or "no answer"
            self._ctx.messages.info(f"Vote saved: {winner.label} was {name} ({model}).")

    # --- Continue with this -------------------------------------------------------------------
    def continue_with(self, column: Column) -> None:
        """The column's thread as a normal conversation in a new tab; the comparison stays."""
        if self.conversation_id is None or self.streaming or self._hidden():
            return
        store = self._ctx.store
        label = tier_label(self._ctx.tiers, column.spec.tier_id)
        try:
            title = store.get_conversation(self.conversation_id).display_title
            new_id = store.continue_column(
                self.conversation_id,
                column.spec.column,
                title=f"{title} ({label})",
                tier_id=column.spec.tier_id,
            )
        except StoreError as exc:
            self._ctx.messages.error(f"Could not continue with {label}: {exc}")
            return
        self.continued.emit(new_id)
        self._ctx.messages.info(
            f"Continuing with {label} in a new conversation; the comparison keeps every column."
        )

    # --- columns -------------------------------------------------------------------------------
    def set_tier(self, column: Column, tier_id: str) -> None:
        if column.spec.tier_id == tier_id:
            return
        column.spec = ColumnSpec(column.spec.column, tier_id)
        self._relayout()

    def add_column(self, tier_id: str | None = None) -> Column | None:
        if len(self.columns) >= MAX_COLUMNS or self.streaming:
            return None
        in_use = {c.spec.tier_id for c in self.columns}
        tier_id = tier_id or next(
            (t for t in (*DEFAULT_TIERS, *SPARE_TIERS) if t not in in_use), "balanced"
        )
        spec = ColumnSpec(self.view.next_column(self._used), tier_id)
        self._used.add(spec.column)
        column = self._build(spec)
        self.columns.append(column)
        self._relayout()
        return column

    def remove_column(self, column: Column) -> None:
        """Take a column off the view; its answers stay stored (and in the Markdown export)."""
        if len(self.columns) <= MIN_COLUMNS or self.streaming or column not in self.columns:
            return
        self.columns.remove(column)
        column.widget.setParent(None)
        column.widget.deleteLater()
        self._relayout()
        self._round_over()

    def move_column(self, column: Column, step: int) -> None:
        if self.streaming or column not in self.columns:
            return
        i = self.columns.index(column)
        j = i + step
        if not 0 <= j < len(self.columns):
            return
        self.columns[i], self.columns[j] = self.columns[j], self.columns[i]
        self._relayout()
        self._round_over()

    def apply_preset(self, index: int) -> None:
        """A preset's tiers, keeping the columns (and their threads) that are there."""
        if self.streaming or not 0 <= index < len(PRESETS):
            return
        first = self.columns[0].spec.tier_id if self.columns else "balanced"
        tiers = PRESETS[index].tiers(self._ctx.tiers, first)
        while len(self.columns) > max(len(tiers), MIN_COLUMNS):
            self.remove_column(self.columns[-1])
        for column, tier_id in zip(self.columns, tiers, strict=False):
            column.widget.tier_selector.select(tier_id)  # emits tier_changed
        for tier_id in tiers[len(self.columns) :]:
            self.add_column(tier_id)

    def _save_view(self) -> None:
        data = self.view.to_json(self._ctx.tiers)
        store = self._ctx.store
        try:
            if self.conversation_id is not None:
                store.set_view(self.conversation_id, data)
            store.set_state(COLUMNS_KEY, [c.tier_id for c in self.view.columns])
        except StoreError as exc:
            self._ctx.messages.error(f"Could not save the comparison's columns: {exc}")
        self.view_changed.emit()

    # --- edits ---------------------------------------------------------------------------------
    def edit_last_prompt(self, user: Entry) -> None:
        """Put the last prompt back in the composer and take its round off every column."""
        if self.streaming or user.db_id is None:
            return
        for c in self.columns:
            mine = next((e for e in c.transcript.entries if e.db_id == user.db_id), None)
            if mine is not None:
                c.transcript.remove_from(mine)
                c.transcript.refresh_actions()
            c.reply, c.outcome = None, None
        self.service.recorder.remove_messages([user.db_id])  # its answers and vote go with it
        self.round = None
        self.page.set_summary(None)
        self.page.composer.input.setPlainText(user.content)
        self.page.composer.input.setFocus()
        self.update_total()
        self._refresh()

    # --- the tab -------------------------------------------------------------------------------
    def update_total(self) -> None:
        if self.conversation_id is None:
            self.page.total_label.setText("This comparison: no replies yet")
            return
        try:
            totals = self._ctx.store.totals(self.conversation_id)
        except StoreError as exc:
            self._ctx.messages.error(f"Could not read this comparison's total: {exc}")
            return
        self.page.total_label.setText(
            f"This comparison: {fmt.spend(totals)} · {fmt.replies(totals.turns)}"
        )

    def save_draft(self) -> None:
        self._draft_timer.stop()
        if self.conversation_id is None:
            return
        try:
            self._ctx.store.save_draft(self.conversation_id, self.page.composer.input.toPlainText())
        except StoreError as exc:
            self._ctx.messages.error(f"Could not save your unsent message: {exc}")

    def close(self) -> None:
        self.stop()
        self.save_draft()

    def view_json(self) -> dict[str, object]:
        return self.view.to_json(self._ctx.tiers)

    def restyle(self) -> None:
        for c in self.columns:
            c.widget.chat.restyle()

    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        for c in self.columns:
            c.transcript.set_renderer(renderer, self.page.isVisible())

    def _refresh_appearance(self) -> None:
        for c in self.columns:
            c.transcript.refresh_appearance()
