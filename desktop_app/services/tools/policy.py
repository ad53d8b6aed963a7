"""Who may run which tool without asking: the rules, in one place.

- A safe built-in tool runs without asking, unless the user asks to approve those too.
- A tool the user always allows (kept in tools.json) runs without asking; so does one allowed
  for the rest of a conversation (kept while the app runs).
- Everything else asks: MCP tools (they may write, delete or reach the network), and
  `read_file`, which asks for every exact path and can never be always allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from desktop_app.services.tools.specs import Decision, ToolSpec

SAFE = "built in, safe: runs without asking"
ALWAYS = "your policy: always allowed"
IN_CONVERSATION = "your policy: allowed in this conversation"


@dataclass(frozen=True, slots=True)
class Grant:
    """A standing permission: `conversation_id` None for "always"."""

    key: str
    conversation_id: int | None

    @property
    def scope(self) -> str:
        if self.conversation_id is None:
            return "always"
        return f"in conversation {self.conversation_id}"


class ToolPolicy:
    def __init__(
        self,
        always: Iterable[str] = (),
        *,
        ask_for_builtin: Callable[[], bool] = lambda: False,
        on_change: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        """`on_change` is told the new "always" set (to save it) whenever it changes."""
        self._always = set(always)
        self._conversations: dict[int, set[str]] = {}
        self._ask_for_builtin = ask_for_builtin
        self._on_change = on_change

    @property
    def always(self) -> frozenset[str]:
        return frozenset(self._always)

    def allowed_without_asking(self, spec: ToolSpec, conversation_id: int | None) -> str | None:
        """Why `spec` may run without asking (a sentence for its block), or None: ask."""
        if spec.confirm_path:
            return None
        if spec.safe and not self._ask_for_builtin():
            return SAFE
        if spec.key in self._always:
            return ALWAYS
        if conversation_id is not None and spec.key in self._conversations.get(conversation_id, ()):
            return IN_CONVERSATION
        return None

    @staticmethod
    def choices(spec: ToolSpec) -> tuple[Decision, ...]:
        """What the approval panel offers for this tool."""
        if spec.confirm_path:
            return (Decision.ALLOW_ONCE, Decision.DENY)
        return (
            Decision.ALLOW_ONCE,
            Decision.ALLOW_CONVERSATION,
            Decision.ALLOW_ALWAYS,
            Decision.DENY,
        )

    def remember(self, spec: ToolSpec, decision: Decision, conversation_id: int | None) -> None:
        if spec.confirm_path:
            return
        if decision is Decision.ALLOW_ALWAYS and spec.key not in self._always:
            self._always.add(spec.key)
            self._changed()
        elif decision is Decision.ALLOW_CONVERSATION and conversation_id is not None:
            self._conversations.setdefault(conversation_id, set()).add(spec.key)

    def grants(self) -> list[Grant]:
        """Every standing permission: "always" ones first, then per conversation."""
        out = [Grant(k, None) for k in sorted(self._always)]
        for cid in sorted(self._conversations):
            out += [Grant(k, cid) for k in sorted(self._conversations[cid])]
        return out

    def revoke(self, grant: Grant) -> None:
        if grant.conversation_id is None:
            if grant.key in self._always:
                self._always.discard(grant.key)
                self._changed()
            return
        keys = self._conversations.get(grant.conversation_id)
        if keys is not None:
            keys.discard(grant.key)
            if not keys:
                del self._conversations[grant.conversation_id]

    def forget_server(self, name: str) -> None:
        """A server was removed: its tools' permissions go with it."""
        prefix = f"mcp:{name}/"
        before = set(self._always)
        self._always = {k for k in self._always if not k.startswith(prefix)}
        for keys in self._conversations.values():
            keys.difference_update({k for k in keys if k.startswith(prefix)})
        if before != self._always:
            self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(frozenset(self._always))
