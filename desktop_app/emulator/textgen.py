"""Deterministic reply text for the emulator: plausible, varied, cheap to produce.

A reply is built from sentence banks and templates, picked by a RNG seeded from the emulator
seed, the answering model and the prompt, so the same request always gets the same words while
different prompts (and different models in a comparison) read differently.

A "token" is a word-ish piece: optional leading whitespace followed by one run of word
characters or one run of punctuation (`" Machine"`, `" learning"`, `"."`, `"\\n\\n```"`). The
pieces partition the text exactly, so joining the streamed chunks gives the reply back, and
`completion_tokens` is the number of content chunks. Prompt tokens are counted the same way.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s]+)|\s+")
_WORD_RE = re.compile(r"[^\W_][\w+#'’\-]*")

# max_tokens at or above this asks for a burst: the reply really has max_tokens tokens
# (benchmarks stream 20,000-token replies). Below it the reply has its natural length, cut to
# max_tokens with finish_reason "length" when it is longer.
BURST_MIN_TOKENS = 10_000

# How many tokens a message costs beyond its text, and a reply's priming (OpenAI-like).
_PER_MESSAGE_TOKENS = 4
_PRIMING_TOKENS = 3


def tokenize(text: str) -> list[str]:
    """Split text into word-ish pieces whose concatenation is the text."""
    return TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return len(TOKEN_RE.findall(text))


def prompt_token_count(texts: Iterable[str], n_messages: int, tools_json: str = "") -> int:
    """Approximate prompt tokens: the pieces of every message and tool schema, plus overhead."""
    total = sum(count_tokens(t) for t in texts) + count_tokens(tools_json)
    return total + _PER_MESSAGE_TOKENS * n_messages + _PRIMING_TOKENS


def rng_for(seed: int, *parts: str) -> random.Random:
    digest = hashlib.blake2b("\x00".join((str(seed), *parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


# --- topic extraction -------------------------------------------------------------------------

_STOP_WORDS = """a an the of to in on at for from by with and or but is are was were be been being
    am do does did can could would should will shall may might must i me my we our you your it
    its this that these those there here what what's whats which who whom whose when where why how
    please tell explain describe give show write make create list define summarize summarise help
    about briefly quickly simple simply some any us let let's lets just really very so quick short
    know need want like into over than then also more most much many few one two as if not no yes
    kindly could you're i'm it's hey hi hello"""
_STOP = frozenset(_STOP_WORDS.split())


def topic_of(prompt: str) -> str:
    """A short noun phrase naming what the prompt is about ("machine learning")."""
    words = _WORD_RE.findall(prompt)
    start = 0
    while start < len(words) and words[start].lower() in _STOP:
        start += 1
    span = words[start : start + 6]
    while span and span[-1].lower() in _STOP:
        span.pop()
    # Stop at the first clause break inside the span.
    for i, w in enumerate(span):
        if i >= 2 and w.lower() in {"and", "but", "so", "because", "using", "with", "that"}:
            span = span[:i]
            break
    if not span:
        return "this"
    kept = [
        w if w.isupper() or (i > 0 and w[:1].isupper()) else w.lower() for i, w in enumerate(span)
    ]
    return " ".join(kept)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# --- sentence banks ---------------------------------------------------------------------------

_OPENERS = (
    "Good question. {Topic} is easiest to understand by starting from the problem it solves.",
    "Here is a clear overview of {topic}.",
    "Let's break {topic} down into a few simple parts.",
    "{Topic} sounds complicated, but the core idea fits in a few sentences.",
    "Sure. Here is how I would explain {topic} to a curious colleague.",
    "In a nutshell, {topic} is about turning a messy situation into a few clear decisions.",
    "There are a couple of ways to look at {topic}; the practical view is the most useful.",
)
_BODY = (
    "The key idea behind {topic} is that small, well-defined steps add up to a reliable result.",
    "A common mistake is to treat {topic} as one thing; in practice it is a set of trade-offs.",
    "Teams that use {topic} well usually measure first and optimise second.",
    "It helps to separate what must be true from what is merely convenient.",
    "Most of the value comes from a handful of habits rather than from clever tricks.",
    "When the details get confusing, go back to the original goal and work forward again.",
    "A concrete example makes this clearer: start small, check the outcome, then widen the scope.",
    "The trade-off is usually between speed, cost and quality — you rarely get all three at once.",
    "Experts disagree on some of the finer points, but the fundamentals are well established.",
    "History shows that {topic} evolved gradually, each step fixing a limit of the previous one.",
    "Think of it as a feedback loop: observe, adjust, and observe again.",
    "The naïve approach works for small cases and breaks down as the scale grows.",
    "Good documentation and clear names save more time than any optimisation.",
    "If you remember only one thing, remember that context decides which option is best.",
    "Under the hood, {topic} relies on a few simple rules applied very consistently.",
    "A useful mental model is a map: it leaves out detail on purpose so you can find your way.",
    "The first version does not need to be perfect; it needs to be easy to change.",
    "Numbers help here: compare the before and after instead of relying on impressions.",
    "Beginners often skip the basics, which is exactly where the surprises hide.",
    "In everyday terms, it is like a café that prepares the popular dishes before the rush.",
    "The same pattern shows up in biology, economics and software, which is why it is so robust.",
    "Costs tend to grow with the amount of data, so it pays to keep the inputs lean.",
    "What looks like a single decision is often a series of smaller, reversible ones.",
    "Edge cases matter: they are where most real-world failures begin.",
)
_POINTS = (
    "**Start simple**: get a working baseline before adding features.",
    "**Measure**: decide in advance what success looks like.",
    "**Iterate**: small changes are easier to understand and to undo.",
    "**Document**: write down why, not only what.",
    "**Automate**: repeatable steps belong in a script, not in memory.",
    "**Review**: a second pair of eyes catches what the first one missed.",
    "**Budget**: keep an eye on cost as well as on quality.",
    "**Test the edges**: empty input, huge input and the unexpected.",
)
_CLOSERS = (
    "Would you like me to go deeper into any of these points?",
    "I hope this helps — happy to give a concrete example if you need one.",
    "Let me know if you want a shorter summary or more detail.",
    "If you share more context, I can tailor the advice to your situation.",
)
_SHORT = (
    "In short: {topic} comes down to one main idea and a couple of practical consequences.",
    "The short answer is that it depends on the context, but the usual case is straightforward.",
    "Briefly, {topic} is well documented and widely used.",
    "The most common answer is the simplest one, and it holds in almost every case.",
    "Put simply, {topic} is less mysterious than it first appears.",
)
_GREETINGS = (
    "Hello! How can I help you today?",
    "Hi there 👋 What would you like to talk about?",
    "Hello! Ask me anything — I'm happy to help.",
)
_THANKS = (
    "You're welcome! Let me know if there is anything else.",
    "Glad I could help. Anything else on your mind?",
)
_FACTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), a)
    for p, a in (
        (r"capital of france", "The capital of France is **Paris**."),
        (r"capital of germany", "The capital of Germany is **Berlin**."),
        (r"capital of italy", "The capital of Italy is **Rome**."),
        (r"capital of spain", "The capital of Spain is **Madrid**."),
        (r"capital of japan", "The capital of Japan is **Tokyo**."),
        (r"capital of (the )?(uk|united kingdom|england)", "The capital is **London**."),
        (r"largest planet", "The largest planet in the Solar System is **Jupiter**."),
        (r"speed of light", "The speed of light in vacuum is about **299,792 km/s**."),
        (r"boiling point of water", "Water boils at **100 °C** (212 °F) at sea level."),
        (r"tallest mountain", "The tallest mountain above sea level is **Mount Everest**."),
    )
)
_ARITH = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×÷])\s*(-?\d+(?:\.\d+)?)")

_HEROES = ("Ada", "Milo", "Noor", "Tomas", "Iris", "Kenji", "Zara", "Oskar", "Lena", "Ravi")
_PLACES = (
    "a harbour town where the fog never quite lifted",
    "the last station on a forgotten railway line",
    "a workshop full of half-finished clocks",
    "a city that only woke up at night",
    "a lighthouse at the edge of the map",
    "a quiet village between two rivers",
)
_STORY = (
    "{Hero} had always believed that {thing} was more than it seemed.",
    "Every morning began the same way, with the smell of rain and the hum of old machines.",
    "Nobody in {place} paid much attention, which suited {Hero} perfectly.",
    "Then, one evening, something changed: a light flickered where no light should be.",
    '"Are you sure about this?" asked a voice from the shadows.',
    "{Hero} hesitated, then stepped forward, heart pounding like a drum.",
    "The answer was hidden in plain sight, written in a language of small gestures.",
    "For a long moment the world seemed to hold its breath.",
    "It was not courage that moved {Hero}, but curiosity — stubborn and bright.",
    "By the time the sun rose, nothing looked different, and yet everything was.",
    "Some stories end with a victory; this one ended with an understanding.",
    "The wind carried the news across {place} faster than any messenger.",
    "Years later, people would still argue about what really happened that night.",
    "{Hero} smiled, because some secrets are better kept than told.",
)
_POEM = (
    "Beneath the quiet weight of {topic},",
    "the hours fold like paper birds,",
    "a lantern hums in the dark of the morning,",
    "and every silence finds its words.",
    "We measure time in small returns,",
    "in footsteps echoing down the hall,",
    "the river keeps what the mountain learns,",
    "and answers softly to its call.",
    "So let the evening gather slowly,",
    "let the stars keep their distant vow,",
    "what once was strange becomes the holy,",
    "ordinary, shining now.",
)
_CODE_INTROS = (
    "Here is a clean, well-commented implementation:",
    "Sure — here is one way to do it:",
    "Here's a straightforward solution you can adapt:",
    "A compact and readable version looks like this:",
)
_BUG_INTROS = (
    "The problem is most likely an off-by-one error in the loop. Here is a corrected version:",
    "I see the issue: the function mutates its input while iterating. A safer version:",
    "The bug comes from comparing values of different types. Here is a fix:",
)
_CODE_NOTES = (
    "It runs in linear time and uses no extra libraries.",
    "The input is validated first, so bad data fails early with a clear message.",
    "Names are explicit, which makes the intent easy to follow.",
    "Edge cases such as empty input are handled explicitly.",
    "Add a few unit tests around the boundaries before using it in production.",
    "The function is pure: same input, same output, no side effects.",
)

_PY_TEMPLATES = (
    '''def {name}(left: list[int], right: list[int]) -> list[int]:
    """Return the elements of both inputs, merged in ascending order."""
    result: list[int] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    result.extend(left[i:])
    result.extend(right[j:])
    return result


print({name}([1, 4, 9], [2, 3, 10]))  # [1, 2, 3, 4, 9, 10]''',
    '''from collections import Counter


def {name}(items: list[str]) -> dict[str, int]:
    """Count how often each item occurs, most frequent first."""
    if not items:
        return {{}}
    counts = Counter(item.strip().lower() for item in items)
    return dict(counts.most_common())


print({name}(["apple", "Pear", "apple "]))  # {{'apple': 2, 'pear': 1}}''',
    '''class {cls}:
    """A small, typed helper with a clear single responsibility."""

    def __init__(self, limit: int = 10) -> None:
        if limit <= 0:
            raise ValueError("limit must be positive")
        self.limit = limit
        self._items: list[str] = []

    def add(self, item: str) -> None:
        self._items.append(item)
        del self._items[: -self.limit]

    def latest(self) -> list[str]:
        return list(reversed(self._items))''',
)
_JS_TEMPLATE = """function {camel}(items) {{
  if (!Array.isArray(items)) {{
    throw new TypeError("expected an array");
  }}
  return items
    .filter((item) => item != null)
    .map((item) => String(item).trim())
    .sort((a, b) => a.localeCompare(b));
}}

console.log({camel}([" pear", "apple", null]));"""
_SQL_TEMPLATE = """SELECT c.id,
       c.name,
       COUNT(o.id)        AS order_count,
       SUM(o.total_cents) AS revenue_cents
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
WHERE o.created_at >= DATE '2025-01-01'
GROUP BY c.id, c.name
ORDER BY revenue_cents DESC
LIMIT 10;"""
_RUST_TEMPLATE = """fn {name}(values: &[i64]) -> Option<i64> {{
    if values.is_empty() {{
        return None;
    }}
    Some(values.iter().copied().max().unwrap_or_default())
}}

fn main() {{
    println!("{{:?}}", {name}(&[3, 9, 4]));
}}"""
_BASH_TEMPLATE = """#!/usr/bin/env bash
set -euo pipefail

for file in "$@"; do
  if [[ -f "$file" ]]; then
    printf '%s: %s lines\\n' "$file" "$(wc -l < "$file")"
  fi
done"""


@dataclass(frozen=True, slots=True)
class Reply:
    tokens: list[str]
    finish_reason: str  # "stop" | "length"

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def _pick(rng: random.Random, bank: Sequence[str], k: int) -> list[str]:
    return rng.sample(list(bank), min(k, len(bank)))


def _fill(s: str, **kw: str) -> str:
    for key, value in kw.items():
        s = s.replace("{" + key + "}", value)
    return s


_ID_STOP_WORDS = "a an the of to and or in on for with that which me my it its"
_ID_STOP = frozenset(_ID_STOP_WORDS.split())


def _identifier(prompt: str, default: str) -> str:
    """A snake_case name from what the prompt asks ("... to merge two lists" -> merge_two_lists)."""
    m = re.search(r"\b(?:to|that|which|for)\s+((?:[A-Za-z]+\s*){1,4})", prompt)
    words = _WORD_RE.findall(m.group(1)) if m else []
    words = [w.lower() for w in words if w.lower() not in _ID_STOP][:4]
    name = "_".join(re.sub(r"\W", "", w) for w in words)
    return name if name and name[0].isalpha() else default


def _language(prompt: str) -> str:
    p = prompt.lower()
    if re.search(r"\bsql\b|\bquery\b|\bselect\b|\bpostgres|\bsqlite\b|\bmysql\b", p):
        return "sql"
    if re.search(r"javascript|typescript|\bjs\b|\bnode\b|\breact\b", p):
        return "javascript"
    if re.search(r"\brust\b|\bcargo\b", p):
        return "rust"
    if re.search(r"\bbash\b|\bshell\b|\bscript\b", p) and "python" not in p:
        return "bash"
    return "python"


def _code_reply(prompt: str, rng: random.Random) -> str:
    lang = _language(prompt)
    name = _identifier(prompt, "process_items")
    camel = name.split("_")[0] + "".join(_cap(w) for w in name.split("_")[1:])
    cls = "".join(_cap(w) for w in name.split("_")) or "Helper"
    if lang == "sql":
        code = _SQL_TEMPLATE
    elif lang == "javascript":
        code = _fill(_JS_TEMPLATE, camel=camel)
    elif lang == "rust":
        code = _fill(_RUST_TEMPLATE, name=name)
    elif lang == "bash":
        code = _BASH_TEMPLATE
    else:
        code = _fill(rng.choice(_PY_TEMPLATES), name=name, cls=cls)
    code = code.replace("{{", "{").replace("}}", "}")
    buggy = "```" in prompt or re.search(r"\bbug\b|\berror\b|\bfix\b|traceback", prompt, re.I)
    intro = rng.choice(_BUG_INTROS if buggy else _CODE_INTROS)
    notes = "\n".join(f"- {n}" for n in _pick(rng, _CODE_NOTES, rng.randint(2, 4)))
    return f"{intro}\n\n```{lang}\n{code}\n```\n\n**How it works**\n\n{notes}"


def _simple_reply(prompt: str, topic: str, rng: random.Random) -> str:
    low = prompt.lower().strip()
    if re.fullmatch(r"(hi|hello|hey|good (morning|evening|afternoon))\b.{0,20}", low):
        return rng.choice(_GREETINGS)
    if re.match(r"(thanks|thank you|thx)\b", low):
        return rng.choice(_THANKS)
    m = _ARITH.search(prompt)
    if m:
        a, op, b = float(m.group(1)), m.group(2), float(m.group(3))
        if op in "x×*":
            value = a * b
        elif op in "/÷":
            value = a / b if b else float("nan")
        else:
            value = a + b if op == "+" else a - b
        shown = f"{value:g}" if value == value else "undefined (division by zero)"
        return f"{m.group(0).strip()} = **{shown}**."
    for pattern, answer in _FACTS:
        if pattern.search(prompt):
            extra = rng.choice(("", " Let me know if you need more detail.", ""))
            return answer + extra
    sentences = _pick(rng, _SHORT, rng.randint(1, 2)) + _pick(rng, _BODY, rng.randint(0, 1))
    t = {"topic": topic, "Topic": _cap(topic)}
    return " ".join(_fill(s, **t) for s in sentences)


def _general_reply(prompt: str, topic: str, rng: random.Random, history: int) -> str:
    t = {"topic": topic, "Topic": _cap(topic)}
    words = len(prompt.split())
    parts = [_fill(rng.choice(_OPENERS), **t)]
    if history:
        parts[0] = rng.choice(("Building on what we discussed, ", "Following up: ")) + (
            parts[0][:1].lower() + parts[0][1:]
        )
    n_paragraphs = 1 + min(3, words // 12) + rng.randint(0, 1)
    body = _pick(rng, _BODY, n_paragraphs * 3)
    for i in range(n_paragraphs):
        chunk = body[i * 3 : i * 3 + rng.randint(2, 3)]
        if chunk:
            parts.append(" ".join(_fill(s, **t) for s in chunk))
    if rng.random() < 0.6:
        points = _pick(rng, _POINTS, rng.randint(3, 4))
        parts.insert(min(2, len(parts)), "Key points:\n\n" + "\n".join(f"- {p}" for p in points))
    if rng.random() < 0.7:
        parts.append(rng.choice(_CLOSERS))
    return "\n\n".join(parts)


def _creative_reply(prompt: str, topic: str, rng: random.Random) -> str:
    low = prompt.lower()
    if re.search(r"poem|haiku|verse|sonnet|lyrics|limerick", low):
        n_stanzas = rng.randint(2, 3)
        start = rng.randrange(0, len(_POEM), 4)
        lines = [_POEM[(start + i) % len(_POEM)] for i in range(4 * n_stanzas)]
        stanzas = ["\n".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
        title = f"**{_cap(topic)}**"
        return title + "\n\n" + "\n\n".join(_fill(s, topic=topic) for s in stanzas)
    m = re.search(r"\babout\s+((?:an?|the)\s+)?([\w\- ]{2,40}?)(?:[.,!?]|$| who| that)", prompt)
    thing = (m.group(1) or "") + m.group(2) if m else topic
    thing = thing.strip()
    hero = rng.choice(_HEROES)
    place = rng.choice(_PLACES)
    kw = {"Hero": hero, "place": place, "thing": thing, "topic": topic}
    title = (
        f"**The {rng.choice(('Night', 'Secret', 'Lantern', 'Last Light', 'Promise'))} of {hero}**"
    )
    paragraphs = []
    sentences = _STORY[:1] + tuple(_pick(rng, _STORY[1:], len(_STORY) - 1))
    idx = 0
    for _ in range(rng.randint(4, 6)):
        n = rng.randint(2, 3)
        chunk = [sentences[(idx + k) % len(sentences)] for k in range(n)]
        idx += n
        paragraphs.append(" ".join(_fill(s, **kw) for s in chunk))
    return title + "\n\n" + "\n\n".join(paragraphs)


def compose_text(kind: str, prompt: str, *, seed: int, model: str, history: int = 0) -> str:
    """The natural reply for a request of a given kind (see `router.classify`)."""
    rng = rng_for(seed, model, kind, prompt)
    topic = topic_of(prompt)
    if kind == "code":
        return _code_reply(prompt, rng)
    if kind == "simple":
        return _simple_reply(prompt, topic, rng)
    if kind in {"creative", "long"}:
        if kind == "long" or not re.search(
            r"story|poem|haiku|verse|sonnet|tale|fiction", prompt, re.I
        ):
            text = _general_reply(prompt, topic, rng, history)
            return text + "\n\n" + _general_reply(prompt + " more", topic, rng, 0)
        return _creative_reply(prompt, topic, rng)
    return _general_reply(prompt, topic, rng, history)


def tool_result_text(name: str, result: str, *, seed: int, model: str) -> str:
    """A reply that uses a tool's result."""
    rng = rng_for(seed, model, "tool", name, result)
    shown = " ".join(result.split())
    if len(shown) > 300:
        shown = shown[:297] + "..."
    lead = rng.choice(
        (
            f"I checked with `{name}`. The result: {shown}",
            f"According to `{name}`: {shown}",
            f"Here is what `{name}` returned: {shown}",
        )
    )
    follow = rng.choice(
        (
            "Let me know if you want me to look up anything else.",
            "Based on that, you should have everything you need.",
            "I can run it again with different parameters if that helps.",
        )
    )
    return f"{lead}\n\n{follow}"


@lru_cache(maxsize=1)
def _filler_tokens() -> tuple[str, ...]:
    """A long, fixed run of tokens reused to pad burst replies (computed once)."""
    rng = random.Random(1234)
    paragraphs = []
    for _ in range(60):
        sentences = _pick(rng, _BODY, 4)
        paragraphs.append(
            " ".join(_fill(s, topic="the system", Topic="The system") for s in sentences)
        )
    return tuple(tokenize("\n\n" + "\n\n".join(paragraphs)))


def make_reply(
    text: str, max_tokens: int | None, burst_min_tokens: int = BURST_MIN_TOKENS
) -> Reply:
    """Tokenize a natural reply and apply max_tokens (and the burst convention: from
    `burst_min_tokens` on, the reply has exactly max_tokens tokens)."""
    tokens = tokenize(text)
    if max_tokens is None:
        return Reply(tokens, "stop")
    if max_tokens >= burst_min_tokens:
        filler = _filler_tokens()
        while len(tokens) < max_tokens:
            tokens.extend(filler[: max_tokens - len(tokens)])
        return Reply(tokens[:max_tokens], "length")
    if len(tokens) > max_tokens:
        return Reply(tokens[:max_tokens], "length")
    return Reply(tokens, "stop")
