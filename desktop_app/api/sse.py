"""An incremental Server-Sent Events parser tuned for token streams.

Follows the WHATWG "event stream interpretation": lines end with CRLF, LF or CR (a CR at the
end of one network read may be the first half of a CRLF); lines starting with ":" are comments
(keep-alives); `data:` lines accumulate (joined with "\\n") until a blank line dispatches the
event; `event:` names it; `id:` and `retry:` are accepted and ignored (the client never
reconnects); an event still incomplete when the stream ends is discarded.

Why not `httpx_sse.EventSource.aiter_sse()`: it runs a Python-level decode call and builds a
`ServerSentEvent` for every line, behind two extra async-generator hops, which alone makes
reading a fast stream about 1.3× slower than a bare line reader. This parser handles a whole
network read in one call and takes a two-comparison fast path for `data:` and blank lines.
Its output is checked against httpx-sse's in the property tests. Text decoding (UTF-8 split
anywhere across reads) is httpx's incremental decoder (`Response.aiter_text`).
"""

from __future__ import annotations

__all__ = ["SSEParser"]

_NO_EVENTS: list[tuple[str, str]] = []  # never mutated: returned when a read completes no event


class SSEParser:
    """Feed decoded text as it arrives; get `(event_type, data)` for each dispatched event.

    `event_type` is "message" when the event named none (the spec's default).
    """

    __slots__ = ("_cr", "_data", "_event", "_partial")

    def __init__(self) -> None:
        self._partial: list[str] = []  # the current line so far, when a read ended inside it
        self._cr = False  # the last read ended with CR: maybe half of a CRLF
        self._data: list[str] = []
        self._event = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        if self._cr:
            text = "\r" + text
            self._cr = False
        if text.endswith("\r"):
            self._cr = True
            text = text[:-1]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            if text:
                self._partial.append(text)
            return _NO_EVENTS
        if self._partial:
            self._partial.append(text)
            text = "".join(self._partial)
            self._partial = []
        events: list[tuple[str, str]] = []
        blocks = text.split("\n\n")
        last = blocks.pop()  # after the last blank line: lines of an event still open
        if blocks:
            # The first block may continue the event the previous read left open.
            self._lines([*blocks[0].split("\n"), ""], events)
            for i in range(1, len(blocks)):
                block = blocks[i]
                # A whole event in one `data: ` line, the usual case: no per-line work.
                if block.startswith("data: ") and "\n" not in block:
                    events.append(("message", block[6:]))
                else:
                    self._lines([*block.split("\n"), ""], events)
        lines = last.split("\n")
        tail = lines.pop()
        if tail:
            self._partial.append(tail)
        if lines:
            self._lines(lines, events)
        return events if events else _NO_EVENTS

    def flush(self) -> list[tuple[str, str]]:
        """End of stream: a pending CR still terminates the last line; the rest is discarded."""
        events: list[tuple[str, str]] = []
        if self._cr:
            self._cr = False
            self._lines(["".join(self._partial)], events)
        self._partial = []
        self._data = []
        self._event = ""
        return events if events else _NO_EVENTS

    def _lines(self, lines: list[str], events: list[tuple[str, str]]) -> None:
        """Whole lines, in order, the slow general way; dispatched events go to `events`."""
        data = self._data
        event = self._event
        for line in lines:
            if line:
                if line.startswith("data:"):
                    value = line[5:]
                    data.append(value[1:] if value[:1] == " " else value)
                    continue
                if line[0] == ":":
                    continue  # comment, keep-alive
                field, _, value = line.partition(":")
                if value[:1] == " ":
                    value = value[1:]
                if field == "data":
                    data.append(value)
                elif field == "event":
                    event = value
                # "id", "retry" and unknown fields are ignored.
            else:  # blank line: dispatch
                if data:
                    events.append((event or "message", "\n".join(data)))
                    data = []
                event = ""
        self._data = data
        self._event = event
