"""Deterministic reply text for the emulator: curated answers chosen by what the prompt asks.

Demo mode is the first impression for everyone without a key, so a reply must read like a real
assistant's: a complete answer picked by topic (`answers`), correct code picked by task and
language (`snippets`), a short answer for a short question, the right result for arithmetic.
Words of the prompt are only ever matched, never pasted into sentences: filling templates with
fragments of the prompt is what made the replies read as word salad.

A RNG seeded from the emulator seed, the answering model and the prompt picks among the
variants, so the same request always gets the same words while different models in a
comparison read differently; the models with the higher quality scores also say more.

A "token" is a word-ish piece: optional leading whitespace followed by one run of word
characters or one run of punctuation (`" Machine"`, `" learning"`, `"."`, `"\\n\\n```"`). The
pieces partition the text exactly, so joining the streamed chunks gives the reply back, and
`completion_tokens` is the number of content chunks. Prompt tokens are counted the same way.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from desktop_app.emulator import answers, catalogue, snippets

TOKEN_RE = re.compile(r"\s*(?:\w+|[^\w\s]+)|\s+")

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


@dataclass(frozen=True, slots=True)
class Reply:
    tokens: list[str]
    finish_reason: str  # "stop" | "length"

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def detail_level(model: str) -> int:
    """How much a model says: 0 concise, 1 standard, 2 thorough (by its general quality score).

    The cheap models answer in fewer words and the strongest add a paragraph, as their real
    counterparts tend to; a model the catalogue does not know is standard.
    """
    info = catalogue.lookup(model)
    if info is None:
        return 1
    return 2 if info.general >= 88 else 1 if info.general >= 76 else 0


# Only the start and the end of a long prompt are read: that is where the request is (before or
# after pasted text), and some patterns ("cost ... models") would take quadratic time on a huge
# prompt.
READ_CHARS = 1_000


def normalise(prompt: str) -> str:
    """Lower case, straight quotes and single spaces: the form every pattern is matched on."""
    if len(prompt) > 4 * READ_CHARS:
        prompt = prompt[: 2 * READ_CHARS] + "\n\n" + prompt[-2 * READ_CHARS :]
    text = " ".join(prompt.lower().replace("\u2019", "'").replace("\u2018", "'").split())
    if len(text) > 2 * READ_CHARS:
        text = text[:READ_CHARS] + " ... " + text[-READ_CHARS:]
    return text


# --- arithmetic -------------------------------------------------------------------------------

_WORD_OPS = (
    (re.compile(r"\bmultiplied by\b|\btimes\b"), "*"),
    (re.compile(r"\bdivided by\b"), "/"),
    (re.compile(r"\bplus\b"), "+"),
    (re.compile(r"\bminus\b"), "-"),
    (re.compile(r"\bto the power of\b|\braised to\b"), "**"),
    (re.compile(r"\bsquared\b"), "**2"),
    (re.compile(r"\bcubed\b"), "**3"),
)
_EXPR_RE = re.compile(r"[-+*/^().\d ]+")
_NUMBER = r"\d+(?:\.\d+)?"
_PERCENT_RE = re.compile(rf"({_NUMBER}) ?(?:%|percent) of ({_NUMBER})")
_SQRT_RE = re.compile(rf"square root of ({_NUMBER})")
# A calculation is answered only when asked for, and dates or year ranges are not sums.
_MATH_CUE_RE = re.compile(
    r"\b(?:what is|what's|whats|calculate|compute|how much is|evaluate|solve|work out)\b|=|"
    r"^[-+*/^().\d x×÷−]+[?!.=]*$|\bsquare root\b|%|\bpercent\b"
)
_DATE_RE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2,4}\b|"
    r"\b(?:1[5-9]|20)\d\d ?[-–] ?(?:1[5-9]|20)\d\d\b"
)
_SHOW_OPS = {"*": "×", "/": "÷", "**": "^", "+": "+", "-": "−"}
_BINOPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _evaluate(node: ast.AST) -> float:
    """The value of a parsed arithmetic expression; ValueError for anything else."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)  # bool is an int too, but "True" never reaches the parser
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise ValueError("too large")
        if isinstance(node.op, ast.Div) and right == 0:
            raise ZeroDivisionError
        return float(_BINOPS[type(node.op)](left, right))
    raise ValueError("not arithmetic")


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        whole = int(value)
        return f"{whole:,}" if abs(whole) >= 10_000 else str(whole)
    return f"{value:,.6f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.6g}"


def _shown(expr: str) -> str:
    """The expression as people write it: `17 × 23`, `2^10`."""
    out = ""
    previous = ""
    for piece in re.findall(r"\*\*|\d+(?:\.\d+)?|[-+*/()]", expr):
        if piece == "**":
            out += "^"
        elif piece in _SHOW_OPS and previous and previous not in _SHOW_OPS and previous != "(":
            out += f" {_SHOW_OPS[piece]} "
        elif piece in _SHOW_OPS:  # a sign, not an operation
            out += _SHOW_OPS[piece]
        else:
            out += piece
        previous = piece
    return out


def _arithmetic(low: str, rng: random.Random, level: int) -> str | None:
    """The answer to a calculation in the prompt, or None if it asks none."""
    if _DATE_RE.search(low) or not _MATH_CUE_RE.search(low):
        return None
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", low)
    if m := _PERCENT_RE.search(text):
        value = float(m.group(1)) / 100 * float(m.group(2))
        return f"{m.group(1)}% of {m.group(2)} is **{_number(value)}**."
    if m := _SQRT_RE.search(text):
        return f"The square root of {m.group(1)} is **{_number(math.sqrt(float(m.group(1))))}**."
    for pattern, op in _WORD_OPS:
        text = pattern.sub(f" {op} ", text)
    text = text.replace("×", "*").replace("÷", "/").replace("−", "-").replace("^", "**")
    text = " ".join(re.sub(r"(?<=\d) ?x ?(?=\d)", " * ", text).split())
    best = ""
    for m in _EXPR_RE.finditer(text.replace("**", "^")):
        candidate = m.group().strip(" .").replace("^", "**")
        if re.search(r"\d ?(?:\*\*|[-+*/]) ?[\d(]", candidate) and len(candidate) > len(best):
            best = candidate
    if not best or len(best) > 80:
        return None
    expr = re.sub(r"\b0+(?=\d)", "", best)
    try:
        value = _evaluate(ast.parse(expr, mode="eval"))
    except ZeroDivisionError:
        return f"{_shown(expr)} has no answer: division by zero is undefined."
    except (ValueError, SyntaxError, OverflowError, RecursionError):
        return None
    shown, result = _shown(expr), _number(value)
    if level == 2 and (m := re.fullmatch(r"(\d{1,3}) ?\* ?(\d)(\d)", expr)) and m.group(3) != "0":
        a, tens, units = int(m.group(1)), int(m.group(2)) * 10, int(m.group(3))
        if tens:
            return (
                f"{shown} = {a} × {tens} + {a} × {units} = {a * tens} + {a * units} = **{result}**"
            )
    return rng.choice((f"{shown} = **{result}**", f"{shown} = **{result}**.", f"**{result}**"))


# --- what the prompt asks -----------------------------------------------------------------

_GREETING_RE = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening))\b"
    r"(?: there| all| everyone| world)?[\s,!.]*"
)
_THANKS_RE = re.compile(
    r"^(?:thanks|thank you|thx|ty|cheers|many thanks)\b(?: so much| a lot| very much)?[\s,!.]*"
)
_SMALL_TALK: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"^(?:how are you|how's it going|how are things)\b"), answers.HOW_ARE_YOU),
    (re.compile(r"^(?:bye|goodbye|see you|good night|farewell)\b"), answers.GOODBYES),
    (
        re.compile(
            r"\b(?:who|what) are you\b|\bare you (?:a bot|human|an ai|real)\b|"
            r"\bwhat can you do\b|\bwhich model are you\b|\bwhat model are you\b"
        ),
        answers.IDENTITY,
    ),
    (re.compile(r"\bjokes?\b|\bmake me laugh\b|\bsomething funny\b|\bpuns?\b"), answers.JOKES),
    (re.compile(r"^(?:can|could) you help(?: me)?\b[?!.]*$|^i need help[?!.]*$"), answers.HELP),
)  # fmt: skip
_BRIEF_RE = re.compile(
    r"\b(?:in (?:one|a single|1|two|2|a few|three|3) (?:short )?sentences?|briefly|in brief|"
    r"in short|tl;? ?dr|short answer|one-liner|in a nutshell|eli5|in simple terms|concisely|"
    r"short version|in a few words)\b"
)
_ONE_SENTENCE_RE = re.compile(r"\b(?:one|a single|1) (?:short )?sentence\b")
_CAPITAL_RE = re.compile(r"\bcapital(?: city)? of (?:the )?([a-z .]+?)\s*(?:[?!.,]|$)")
_FOLLOW_UP_RES = (
    (
        "example",
        re.compile(r"\b(?:an?|some|concrete|real)(?:[- ]\w+)? examples?\b|\bfor instance\b"),
    ),
    (
        "simpler",
        re.compile(
            r"\bsimpler\b|\bplain(?:er)? (?:words|english)\b|\bdon'?t (?:understand|get it)\b|"
            r"\bconfus\w*\b|\blike i'?m (?:five|5)\b"
        ),
    ),
    ("why", re.compile(r"^why\b")),
    (
        "more",
        re.compile(
            r"^(?:tell me more|more|go on|continue|keep going|and then|elaborate|say more)\b|"
            r"\b(?:elaborate|expand on|more detail|more about (?:that|this|it))\b"
        ),
    ),
)
_EXPLAIN_RE = re.compile(
    r"^(?:what|what's|why|how|explain|describe|when|which|is|are|does|do|tell me|define|"
    r"can you explain|could you explain)\b"
)
_WRITE_RE = re.compile(
    r"\b(?:write|implement|create|build|generate|make|give me|show me|code for|program|"
    r"function|script|snippet|class|query)\b"
)
_WRITE_VERB_RE = re.compile(r"\b(?:write|implement|create|build|generate|give me|show me)\b")
_HELLO_PROGRAM_RE = re.compile(
    r"\bhello,? world\b.*\b(?:program|code|in \w+)\b|\b(?:write|print|program)\b.*\bhello,? world\b"
)
_FORM_RE = re.compile(
    r"\b(?:poems?|poetry|verses?|sonnets?|lyrics|songs?|rhymes?|haikus?|limericks?|stories|story|"
    r"tales?|fables?)\b"
)
_CODE_WORDS_RE = re.compile(
    r"\b(?:function|script|program|snippet|class|method|query|regex|algorithm|hello,? world)\b"
)
_HOW_TO_RE = re.compile(r"^how (?:do|can|should|would) (?:i|we|you)\b|^how to\b")
_ASKS_FOR_PIECE_RE = re.compile(
    r"\b(?:write|compose|create|make|generate|give me|tell me|share|recite|draft|need)\b"
)
_COMPARE_RE = re.compile(
    r"\b(?:vs|versus|faster|slower|better|worse|difference|differences|compare|compared)\b"
)
_FIX_RE = re.compile(
    r"\b(?:bug|bugs|debug|error|errors|fix|traceback|exception|crash\w*|broken|fails?|failing|"
    r"doesn'?t work|does not work|not working)\b"
)


def _wants_code(low: str) -> bool:
    """A request for code in words the router does not count as code ("a hello world in Go")."""
    if _HELLO_PROGRAM_RE.search(low):
        return True
    named = language_of(low) not in (None, "sql")
    return named and (_WRITE_VERB_RE.search(low) or _CODE_WORDS_RE.search(low)) is not None


def find_topic(low: str) -> answers.Topic | None:
    """The first curated topic the (normalised) prompt is about, if any."""
    return next((t for t in answers.TOPICS if t.pattern.search(low)), None)


def _first_sentence(text: str) -> str:
    return text.split(". ", 1)[0].rstrip(".") + "."


def _topic_answer(
    topic: answers.Topic, low: str, rng: random.Random, level: int, *, short: bool
) -> str:
    if short or _BRIEF_RE.search(low):
        text = rng.choice(topic.short)
        return _first_sentence(text) if _ONE_SENTENCE_RE.search(low) else text
    parts = [rng.choice(topic.intros), topic.body]
    if level == 2:
        parts.append(topic.extra)
    if level >= 1 and rng.random() < 0.5:
        parts.append(rng.choice(answers.CLOSERS))
    return "\n\n".join(parts)


def _fact(low: str, rng: random.Random) -> str | None:
    """The answer to a question with one well-known answer, or None if it is not one."""
    if m := _CAPITAL_RE.search(low):
        known = answers.CAPITALS.get(m.group(1).strip(" ."))
        if known is None:
            return rng.choice(answers.UNKNOWN)
        return f"The capital of {known[0]} is **{known[1]}**."
    return next((answer for pattern, answer in answers.FACTS if pattern.search(low)), None)


def _answer(kind: str, low: str, rng: random.Random, level: int, history: int) -> str:
    """A reply in prose: small talk, a calculation, a fact, a topic, or a general answer."""
    if _wants_code(low):
        return _code_reply(low, low, rng, level)  # code the router did not see as code
    prefix = ""
    if m := _GREETING_RE.match(low):
        rest = low[m.end() :]
        if not re.search(r"\w\w", rest):
            return rng.choice(answers.GREETINGS)
        prefix, low = "Hi! ", rest
    if m := _THANKS_RE.match(low):
        rest = low[m.end() :]
        if not re.search(r"\w\w", rest):
            return rng.choice(answers.THANKS)
        prefix, low = "You're welcome! ", rest
    return prefix + _content(kind, low, rng, level, history)


def _content(kind: str, low: str, rng: random.Random, level: int, history: int) -> str:
    for pattern, bank in _SMALL_TALK:
        if pattern.search(low):
            return rng.choice(bank)
    if kind != "long" and (result := _arithmetic(low, rng, level)) is not None:
        return result
    if (fact := _fact(low, rng)) is not None:
        return fact
    topic = find_topic(low)
    if topic is not None:
        return _topic_answer(topic, low, rng, level, short=kind == "simple")
    if history:
        for key, pattern in _FOLLOW_UP_RES:
            if pattern.search(low):
                return rng.choice(answers.FOLLOW_UPS[key])
    if answers.SENSITIVE_RE.search(low):
        return rng.choice(answers.SENSITIVE)
    if kind == "long":
        return rng.choice(answers.LONG)
    if kind == "simple" and not _HOW_TO_RE.match(low):
        return rng.choice(answers.UNKNOWN)
    return rng.choice(answers.GENERAL)


# --- code -----------------------------------------------------------------------------------


def language_of(low: str) -> str | None:
    """The fence tag of the language the prompt names first, if it names one."""
    found = [(m.start(), tag) for tag, _, pat in snippets.LANGUAGES if (m := pat.search(low))]
    return min(found)[1] if found else None


_LANGUAGE_NAMES = {tag: name for tag, name, _ in snippets.LANGUAGES}


def _code(
    code: snippets.Snippet, tag: str, intro: str, extra: str, level: int, note: str = ""
) -> str:
    points = code.points if level >= 1 else code.points[:2]
    parts = [note, intro] if note else [intro]
    parts.append(f"```{tag}\n{code.code}\n```")
    parts.append("\n".join(f"- {p}" for p in points))
    if level == 2 and extra:
        parts.append(extra)
    return "\n\n".join(parts)


def _code_reply(prompt: str, low: str, rng: random.Random, level: int) -> str:
    lang = language_of(low)
    pasted = "```" in prompt
    bug = _FIX_RE.search(low) is not None
    if not pasted and _EXPLAIN_RE.match(low) and not _WRITE_RE.search(low):
        topic = find_topic(low)
        if topic is not None:
            return _topic_answer(topic, low, rng, level, short=False)
        return rng.choice(snippets.COMPARE if _COMPARE_RE.search(low) else snippets.CONCEPT)
    note = ""
    if lang == "sql":
        found = (t for t in snippets.SQL_TASKS if t.pattern.search(low))
        task = next(found, snippets.SQL_GENERAL)
        code = task.snippets["sql"].code
        note = "" if code.startswith("CREATE") else _tables_note(code)
    else:
        found = (t for t in snippets.TASKS if t.pattern.search(low))
        task = next(found, snippets.GENERAL)
        if task is snippets.GENERAL and (pasted or bug):
            return rng.choice(snippets.DEBUG if bug else snippets.REVIEW)
    if lang in task.snippets:
        tag = lang
    else:  # shown in another language, and said so
        tag = "python" if "python" in task.snippets else next(iter(task.snippets))
        note = _other_language(lang, tag)
    intro = rng.choice(snippets.FIX_INTROS if bug or pasted else task.intros)
    return _code(task.snippets[tag], tag, intro, task.extra, level, note)


def _tables_note(code: str) -> str:
    tables = [t for name, t in snippets.SQL_TABLES.items() if re.search(rf"\b{name}\b", code)]
    if len(tables) == 1:
        return f"I've assumed a table {tables[0]}; rename it to match yours."
    listed = ", ".join(tables[:-1]) + " and " + tables[-1]
    return f"I've assumed the tables {listed}; rename them to match yours."


def _other_language(asked: str | None, shown: str) -> str:
    """A sentence saying that the code is not in the language asked for ("" if none was)."""
    if asked is None:
        return ""
    return (
        f"I'll show this one in {_LANGUAGE_NAMES[shown]}; the same steps carry over to "
        f"{_LANGUAGE_NAMES[asked]} directly."
    )


# --- creative writing -----------------------------------------------------------------------


def _verse(text: str) -> str:
    """Markdown hard line breaks (two trailing spaces) inside each stanza of a poem."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        hard = line and following and not line.startswith("**")
        out.append(line + "  " if hard else line)
    return "\n".join(out)


def _theme(low: str) -> str:
    return next((theme for theme, pattern in answers.THEMES if pattern.search(low)), "")


def _creative_reply(low: str, rng: random.Random, level: int, history: int) -> str:
    if _EXPLAIN_RE.match(low) and not _ASKS_FOR_PIECE_RE.search(low):
        kind = "simple" if low.endswith("?") and len(low.split()) <= 15 else "general"
        return _content(kind, low, rng, level, history)  # asks about, not for, a poem
    theme = _theme(low)
    if re.search(r"\bhaikus?\b", low):
        text = rng.choice(answers.HAIKU.get(theme) or answers.HAIKU[""])
    elif re.search(r"\blimericks?\b", low):
        text = answers.LIMERICKS[0 if theme == "code" else 1]
    elif re.search(r"\b(?:poem|poems|poetry|verse|verses|sonnet|lyrics|song|rhyme)\b", low):
        if theme in answers.POEMS:
            text = answers.POEMS[theme]
        elif theme in answers.HAIKU:
            text = "\n\n".join(answers.HAIKU[theme])
        else:
            text = answers.POEMS[""]
    elif re.search(r"\b(?:story|stories|tale|fable|fiction|fairy tale|bedtime)\b", low):
        return answers.STORIES.get(theme, answers.STORIES[""])
    elif re.search(r"\b(?:email|e-mail|letter|message to)\b", low):
        asking = re.search(r"\b(?:ask\w*|request\w*|permission|off|leave)\b", low)
        return answers.EMAILS[0] if asking else rng.choice(answers.EMAILS)
    else:
        return _content("general", low, rng, level, history)
    text = _verse(text)
    if level == 2 and rng.random() < 0.5:
        text += "\n\n" + rng.choice(answers.CREATIVE_CLOSERS)
    return text


# --- entry points ---------------------------------------------------------------------------


def compose_text(kind: str, prompt: str, *, seed: int, model: str, history: int = 0) -> str:
    """The natural reply for a request of a given kind (see `router.classify`)."""
    rng = rng_for(seed, model, kind, prompt)
    level = detail_level(model)
    low = normalise(prompt)
    if kind in ("code", "creative"):
        # The router's keywords overlap: "a haiku about Python" is a poem, "write a Go program"
        # is code.
        if _FORM_RE.search(low) and not _CODE_WORDS_RE.search(low):
            return _creative_reply(low, rng, level, history)
        if kind == "code" or _wants_code(low):
            return _code_reply(prompt, low, rng, level)
        return _creative_reply(low, rng, level, history)
    return _answer(kind, low, rng, level, history)


def tool_result_text(name: str, result: str, *, seed: int, model: str) -> str:
    """A reply that uses a tool's result: its fields as a list when it is a JSON object."""
    rng = rng_for(seed, model, "tool", name, result)
    try:
        data = json.loads(result)
    except ValueError:
        data = None
    if isinstance(data, dict) and data and len(data) <= 12:
        fields = "\n".join(f"- **{key}**: {_plain(value)}" for key, value in data.items())
        lead = rng.choice((f"Here's what `{name}` returned:", f"I checked with `{name}`:"))
        body = f"{lead}\n\n{fields}"
    else:
        shown = " ".join(result.split())
        if len(shown) > 300:
            shown = shown[:297] + "..."
        body = rng.choice((f"According to `{name}`: {shown}", f"`{name}` returned: {shown}"))
    follow = rng.choice(
        (
            "Let me know if you want me to look up anything else.",
            "Based on that, you should have everything you need.",
            "I can run it again with different parameters if that helps.",
        )
    )
    return f"{body}\n\n{follow}"


def _plain(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


@lru_cache(maxsize=1)
def _filler_tokens() -> tuple[str, ...]:
    """A long, fixed run of tokens reused to pad burst replies (computed once): the topics'
    plain paragraphs (no lists or markup), so that the streaming benchmarks measure the same
    kind of text from one version to the next."""
    paragraphs = [
        p
        for t in answers.TOPICS
        for p in t.body.split("\n\n")
        if p
        and not p.lstrip().startswith(("-", "#", "`", "1."))
        and "**" not in p
        and not p.rstrip().endswith(":")
    ]
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
