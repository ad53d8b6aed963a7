"""The messages of one thread on screen: a conversation tab's, or one comparison column's.

Builds the message widgets (the latest first, the rest a few per event-loop turn or on
"Show earlier"), fills each reply's badge from its `TurnResult`, and shows the Edit,
Regenerate and Retry actions on the last prompt and reply only. It decides nothing: what the
actions do is the controller's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer
from shiboken6 import isValid

from desktop_app.api.events import TurnResult, TurnStatus
from desktop_app.render.markdown import MarkdownRenderer
from desktop_app.routing.plan import BUDGET_KNOB, TurnPlan
from desktop_app.services import format as fmt
from desktop_app.services.history import stored_result, tool_rounds
from desktop_app.store import StoredMessage
from desktop_app.ui.chat.chat_widgets import BadgeState, ChatView, MessageWidget

PAGE = 40  # messages built when a stored conversation opens, and per "Show earlier"
FIRST_SCREEN = 6  # at most, of those, built before the tab is shown (those that fill the view)
CHUNK = 2  # messages built per event-loop turn after it (a turn stays short)


@dataclass
class Entry:
    """A message as shown: what its widget (when built) and badge display."""

    role: str
    content: str
    widget: MessageWidget | None  # None: not built yet (an earlier message of a long history)
    db_id: int | None = None
    plan: TurnPlan | None = None
    status: TurnStatus | None = None
    result: TurnResult | None = None
    badge: BadgeState = field(default_factory=BadgeState)
    # A reply's tool loop: (what the model said, its calls as `ToolOutcome`s) per round.
    tool_rounds: list[tuple[str, list[Any]]] = field(default_factory=list)

    @property
    def ui(self) -> MessageWidget:
        """The widget of a message that has one (live turns, the last messages)."""
        assert self.widget is not None, "this message's widget was never built"
        return self.widget


class Actions:
    """What the message buttons ask for; the controller provides them."""

    __slots__ = ("compare", "edit", "regenerate", "tier_label", "tiers")

    def __init__(
        self,
        edit: Callable[[Entry], None],
        regenerate: Callable[[Entry, str | None], None],
        tiers: Callable[[], list[tuple[str, str]]],
        tier_label: Callable[[str | None], str],
        compare: Callable[[Entry], None] | None = None,
    ) -> None:
        self.edit = edit
        self.regenerate = regenerate  # (reply, another tier's id or None)
        self.tiers = tiers  # (id, label) for Regenerate's "with another tier" menu
        self.tier_label = tier_label  # a stored reply's tier id as its label
        self.compare = compare  # Regenerate's "Compare with…" (None: not offered)


class Transcript:
    def __init__(
        self,
        chat: ChatView,
        renderer: MarkdownRenderer,
        actions: Actions,
        after_first_frame: Callable[[Callable[[], None]], None],
        on_reply_shown: Callable[[Entry], None] | None = None,
    ) -> None:
        self.chat = chat
        self._renderer = renderer
        self._actions = actions
        # Called each time a reply's badge is filled (a comparison's blind mode masks it).
        self._on_reply_shown = on_reply_shown
        self._after_first_frame = after_first_frame  # the window's: work for after start-up
        self.entries: list[Entry] = []
        self._with_actions: list[Entry] = []
        self._appearance_stale = False  # messages were rendered for the previous appearance
        chat.earlier_requested.connect(self.show_earlier)

    # --- building --------------------------------------------------------------------------
    def _build_widget(self, entry: Entry, fill: bool = True) -> MessageWidget:
        """`fill=False`: the caller sets the text once the widget has its width."""
        w = MessageWidget(entry.role, self._renderer, self.chat)
        w.view.assume_width(self._text_width(entry.role))
        if entry.role == "user":
            if fill:
                w.view.set_plain(entry.content)
            w.edit_requested.connect(lambda: self._actions.edit(entry))
        else:
            w.regenerate_requested.connect(lambda: self._actions.regenerate(entry, None))
            w.regenerate_with.connect(lambda tier_id: self._actions.regenerate(entry, tier_id))
            w.retry_requested.connect(lambda: self._actions.regenerate(entry, None))
            compare = self._actions.compare
            if compare is not None:
                w.compare_requested.connect(lambda: compare(entry))
        entry.widget = w
        return w

    def _text_width(self, role: str) -> float:
        """The text width of the other built messages of `role` (built ones are a suffix)."""
        for e in reversed(self.entries):
            if e.widget is None:
                break
            if e.role == role and (width := e.widget.view.document().textWidth()) > 0:
                return width
        return -1.0

    def add_user(self, text: str, db_id: int | None = None) -> Entry:
        entry = Entry("user", text, None, db_id)
        self.chat.add(self._build_widget(entry))
        self.entries.append(entry)
        return entry

    @staticmethod
    def reply_entry(plan: TurnPlan, db_id: int | None) -> Entry:
        entry = Entry("assistant", "", None, db_id, plan)
        entry.badge = BadgeState(
            tier_label=plan.tier_label,
            candidates=plan.candidates,
            requested_model=plan.model,
            demo=plan.demo,
            budget_knob=plan.quality_cost if plan.budget_knob else None,
        )
        return entry

    def add_reply(self, plan: TurnPlan, db_id: int | None = None) -> Entry:
        entry = self.reply_entry(plan, db_id)
        self.chat.add(self._build_widget(entry))
        self.entries.append(entry)
        return entry

    def remove(self, entry: Entry) -> None:
        self.entries.remove(entry)
        if entry.widget is not None:
            self.chat.remove(entry.widget)

    def remove_from(self, entry: Entry) -> list[Entry]:
        """Take `entry` and everything after it off the screen; returns them."""
        idx = self.entries.index(entry)
        removed = self.entries[idx:]
        for e in removed:
            if e.widget is not None:
                self.chat.remove(e.widget)
        del self.entries[idx:]
        return removed

    # --- replies ---------------------------------------------------------------------------
    def finish_reply(
        self,
        entry: Entry,
        result: TurnResult,
        *,
        retries: int | None = None,
        fallback: bool | None = None,
        refresh: bool = True,
        busy: bool = False,
        requests: int | None = None,
    ) -> None:
        """Fill a reply from its result (live or restored from history).

        `refresh=False` while loading a whole conversation: actions are refreshed once at
        the end, not once per reply (which made restoring quadratic).
        """
        entry.content = result.text
        entry.status = result.status
        entry.result = result
        b = entry.badge
        b.streaming = False
        b.model = result.model or b.model
        b.cost_usd, b.cost_source = result.cost_usd, result.cost_source
        if result.usage:
            b.prompt_tokens = result.usage.prompt_tokens
            b.completion_tokens = result.usage.completion_tokens
        b.ttft_ms, b.total_ms = result.ttft_ms, result.total_ms
        b.status = result.status
        b.routing = result.routing or b.routing
        if retries is not None:
            b.retries = retries
        if fallback is not None:
            b.fallback = fallback
        if requests is not None:
            b.requests = requests
        if entry.widget is not None:
            self._render_reply(entry)
        if refresh:
            self.refresh_actions(busy)

    def _render_reply(self, entry: Entry) -> None:
        result, w = entry.result, entry.widget
        assert result is not None and w is not None
        if entry.tool_rounds:
            from desktop_app.ui.chat.tool_block import tool_panel

            if tool_panel(w, create=False) is None:  # a stored reply: its blocks, once
                panel = tool_panel(w)
                assert panel is not None
                for text, outcomes in entry.tool_rounds:
                    panel.add_round(text, outcomes)
        if w.view.text != result.text or not result.text:
            w.view.set_markdown(result.text)
        else:
            w.view.end_stream()
        w.view.setVisible(bool(result.text))
        assert w.badge is not None
        w.badge.show_state(entry.badge)
        if self._on_reply_shown is not None:
            self._on_reply_shown(entry)
        error = result.error if result.status is not TurnStatus.COMPLETE else None
        if error is not None and result.status is TurnStatus.STOPPED:
            w.show_error(None)
        else:
            w.show_error(fmt.error_sentence(error, bool(result.text)) if error else None)

    def begin_stream(self, entry: Entry) -> None:
        entry.badge.streaming = True
        assert entry.ui.badge is not None
        entry.ui.badge.show_state(entry.badge)
        if self._on_reply_shown is not None:
            self._on_reply_shown(entry)
        entry.ui.view.begin_stream()
        entry.ui.view.setVisible(True)
        self.chat.streaming()

    # --- appearance ------------------------------------------------------------------------
    def set_renderer(self, renderer: MarkdownRenderer, visible: bool) -> None:
        """The appearance changed. Messages on screen take its code colours now; a thread not
        on screen re-renders when it is next shown (`refresh_appearance`)."""
        self._renderer = renderer
        self._appearance_stale = True
        if visible:
            self.refresh_appearance()

    def refresh_appearance(self) -> None:
        if not self._appearance_stale:
            return
        self._appearance_stale = False
        for entry in self.entries:
            if entry.widget is not None and entry.role == "assistant":
                entry.widget.view.set_renderer(self._renderer)

    # --- a stored thread -------------------------------------------------------------------
    def load(self, messages: list[StoredMessage]) -> None:
        """Show a stored thread. Widgets are built for the last `PAGE` messages only, and
        "Show earlier messages" builds more on request."""
        rounds = tool_rounds(messages)
        for m in messages:
            if m.role == "user":
                self.entries.append(Entry("user", m.content, None, m.id))
            elif m.role == "assistant" and m.reply is not None:
                info = m.reply
                plan = TurnPlan(
                    info.requested_tier_id or "custom",
                    self._actions.tier_label(info.requested_tier_id),
                    info.requested_model or "@edenai",
                    info.candidates,
                    demo=info.demo,
                )  # the fallback does not matter for a finished reply
                entry = self.reply_entry(plan, m.id)
                knob = m.meta.get(BUDGET_KNOB) if m.meta else None
                entry.badge.budget_knob = knob if isinstance(knob, int) else None
                if m.id in rounds:
                    from desktop_app.services.tools.specs import stored_rounds

                    entry.tool_rounds = stored_rounds(rounds[m.id])
                self.entries.append(entry)
                self.finish_reply(
                    entry,
                    stored_result(m),
                    retries=info.retry_count,
                    fallback=info.fallback_used,
                    refresh=False,
                    requests=info.requests,
                )
        built = self.show_earlier(FIRST_SCREEN, fill=self.chat.visible_height())
        self._build_in_background(PAGE - built)

    def show_earlier(self, count: int = PAGE, fill: int = 0) -> int:
        """Build the widgets of up to `count` earlier messages, latest first (a long history
        opens fast); `fill`: stop once they are that many pixels tall and the last prompt and
        reply (which carry the actions) are built. Returns how many.

        Each message gets its width before its text (the first of its role here is laid out
        for it), so its text is laid out once.
        """
        unbuilt = [e for e in self.entries if e.widget is None]  # always a prefix
        built = height = 0
        for entry in reversed(unbuilt[-count:]):
            known = self._text_width(entry.role) > 0  # from the messages below it
            w = self._build_widget(entry, fill=False)
            self.chat.insert(0, w)
            if not known:
                self.chat.lay_out_now(w)
            if entry.role == "user":
                w.view.set_plain(entry.content)
            elif entry.result is not None:
                self._render_reply(entry)
            built += 1
            height += w.sizeHint().height()
            if fill and height >= fill and self._last_turn_built():
                break
        self.chat.set_earlier(len(unbuilt) - built)
        if built:
            self.chat.settle()
            self.refresh_actions()  # the last prompt or reply may be among them
        return built

    def _last_turn_built(self) -> bool:
        for role in ("user", "assistant"):
            last = next((e for e in reversed(self.entries) if e.role == role), None)
            if last is not None and last.widget is None:
                return False
        return True

    def _build_in_background(self, remaining: int, first: bool = True) -> None:
        """Build the rest of the opening page a few messages per event-loop turn.

        Markdown, code colouring and widget layout cost ~5-15 ms a message; a whole page at
        once kept the window from showing (or answering) for a quarter of a second.
        """
        if remaining <= 0 or all(e.widget is not None for e in self.entries):
            return
        chat = self.chat

        def step() -> None:
            if not chat.window().isVisible():  # the app is quitting: nothing to show
                return
            count = min(CHUNK, remaining)
            self.show_earlier(count)
            self._build_in_background(remaining - count, first=False)

        if first:  # a restored tab's: messages above the first screen wait for the first frame

            def start() -> None:
                if isValid(chat):  # the tab may have been closed meanwhile
                    QTimer.singleShot(0, chat, step)

            self._after_first_frame(start)
        else:
            QTimer.singleShot(0, chat, step)  # the view as context: a closed tab stops it

    # --- actions ---------------------------------------------------------------------------
    def refresh_actions(self, busy: bool = False) -> None:
        """Show the actions that belong to the last prompt and reply only.

        Only the entries that had them and the new last ones are touched, so the cost does
        not grow with the conversation; the Regenerate menu lives on the last reply alone.
        """
        last_reply = next((e for e in reversed(self.entries) if e.role == "assistant"), None)
        last_user = next((e for e in reversed(self.entries) if e.role == "user"), None)
        for e in self._with_actions:
            if e is not last_reply and e is not last_user and e.widget is not None:
                e.widget.hide_actions()
        # Not built yet (only just above what is built): its actions come when it is.
        if last_reply is not None and last_reply.widget is None:
            last_reply = None
        if last_user is not None and last_user.widget is None:
            last_user = None
        if last_reply is not None:
            w = last_reply.ui
            if w.regen_button.menu() is None:
                tiers = self._actions.tiers()
                compare = self._actions.compare is not None
                if tiers or compare:  # no menu at all rather than an empty one
                    w.set_regenerate_tiers(tiers, compare)
            w.regen_button.setVisible(not busy and last_reply.status is not TurnStatus.FAILED)
            w.retry_button.setVisible(
                not busy and last_reply.status in (TurnStatus.FAILED, TurnStatus.INTERRUPTED)
            )
        if last_user is not None:
            last_user.ui.edit_button.setVisible(not busy)
        self._with_actions = [e for e in (last_reply, last_user) if e is not None]
