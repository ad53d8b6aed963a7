"""The emulator's pure parts (spec parser, validation, router, text, wire) and garbage over HTTP."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.emulator import (
    EmulatorConfig,
    EmulatorThread,
    answers,
    catalogue,
    snippets,
    textgen,
)
from desktop_app.emulator.faults import FaultSpecError, error_for_status, parse_spec
from desktop_app.emulator.router import classify, route
from desktop_app.emulator.tools import build_arguments, choose_tool, split_arguments
from desktop_app.emulator.validation import ChatCall, Invalid, validate_chat
from desktop_app.emulator.wire import Completion, Drop, Sleep, stream_segments

FAST = settings(max_examples=60, deadline=None, database=None)
M = catalogue.BY_ID

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


# --- fault specs ----------------------------------------------------------------------------


def test_parse_spec_combines_items() -> None:
    plan = parse_spec("bare_model+usage_on_finish+stall_mid:0.5@3+stall_mid:1@7+drop:9")
    assert plan.flags == {"bare_model", "usage_on_finish"}
    assert plan.stall_mid == [(0.5, 3), (1.0, 7)]
    assert plan.drop_after == 9
    assert plan.specs == ["bare_model+usage_on_finish+stall_mid:0.5@3+stall_mid:1@7+drop:9"]
    p429 = parse_spec("status:429")
    assert (p429.status, p429.retry_after) == (429, "7")
    assert parse_spec("status:429:retry=2").retry_after == "2"
    assert parse_spec("status:429:retry=none").retry_after is None
    assert parse_spec("status:500").retry_after is None
    assert parse_spec("fragment").fragment == 5
    assert parse_spec("none").specs == []
    assert parse_spec("").specs == []


@pytest.mark.parametrize(
    "spec",
    [
        "status",
        "status:200",
        "status:abc",
        "status:429:wait=2",
        "drop",
        "drop:-1",
        "stall_first:inf",
        "stall_first:-1",
        "stall_mid:1",
        "malformed:x",
        "no_done:1",
        "fragment:0",
        "explode",
        "error_frame:1:2",
    ],
)
def test_parse_spec_rejects_typos(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_spec(spec)


@FAST
@given(st.text(max_size=60))
def test_parse_spec_only_raises_its_own_error(spec: str) -> None:
    with contextlib.suppress(FaultSpecError):
        parse_spec(spec)


def test_every_status_has_a_body() -> None:
    for status in range(400, 600):
        err = error_for_status(status)
        assert err.status == status
        if err.content_type == "application/json":
            assert isinstance(json.loads(err.body), dict)


# --- validation -----------------------------------------------------------------------------


@FAST
@given(json_values)
def test_validation_never_raises(body: Any) -> None:
    result = validate_chat(body)
    assert isinstance(result, ChatCall | Invalid)
    if isinstance(result, Invalid):
        assert result.status in {400, 422}
        json.dumps(result.body)


@FAST
@given(
    st.fixed_dictionaries(
        {"model": st.just("@edenai"), "messages": st.just([{"role": "user", "content": "hi"}])},
        optional={
            "max_tokens": json_values,
            "temperature": json_values,
            "router_candidates": json_values,
            "fallbacks": json_values,
            "tools": json_values,
            "tool_choice": json_values,
            "stream": json_values,
            "stream_options": json_values,
        },
    )
)
def test_validation_of_nearly_valid_bodies_never_raises(body: dict[str, Any]) -> None:
    assert isinstance(validate_chat(body), ChatCall | Invalid)


def test_validation_reads_limits_and_usage_option() -> None:
    call = validate_chat(
        {
            "model": "openai/gpt-4o@eu",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            "max_tokens": 50,
            "max_completion_tokens": 20,
            "stream": True,
            "stream_options": {"include_usage": False},
        }
    )
    assert isinstance(call, ChatCall)
    assert call.max_tokens == 20
    assert call.include_usage is False
    assert not call.routed


# --- router ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("Write a Python function to merge two sorted lists", "code"),
        ("```\nx = 1\n```\nwhy does this fail?", "code"),
        ("Fix this bug please", "code"),
        ("How do I write a SQL join?", "code"),
        ("Is C++ faster than Java?", "code"),
        ("Write a short story about a robot", "creative"),
        ("Compose a haiku about autumn", "creative"),
        ("What's the capital of France?", "simple"),
        ("hello", "simple"),
        ("Explain machine learning", "general"),
        ("word " * 130, "long"),
    ],
)
def test_classify(prompt: str, kind: str) -> None:
    assert classify(prompt).kind == kind


def test_route_explains_and_is_deterministic() -> None:
    pool = [M["openai/gpt-4o"], M["anthropic/claude-sonnet-4-5"], M["google/gemini-2.0-flash"]]
    d = route("Write a Python function", pool, tools=False)
    assert d.model.id == "anthropic/claude-sonnet-4-5"
    assert d.reason == "code-like prompt (python): strongest coding candidate"
    again = route("Write a Python function", list(reversed(pool)), tools=False)
    assert (again.model, again.reason) == (d.model, d.reason)
    d = route("Hi!", pool, tools=False)
    assert d.model.id == "google/gemini-2.0-flash"
    assert d.reason == "small talk: cheapest candidate"
    only = route("Write a poem", [M["openai/gpt-4o"]], tools=False)
    assert only.model.id == "openai/gpt-4o"
    assert "only one candidate" in only.reason
    no_tools = route("What's up?", [M["perplexity/sonar"]], tools=True)
    assert no_tools.model.id == "perplexity/sonar"
    assert "no candidate supports function calling" in no_tools.reason


def test_seed_models_have_the_reference_prices() -> None:
    expected = {
        "openai/gpt-4o": (2.50, 10.00),
        "openai/gpt-4o-mini": (0.15, 0.60),
        "anthropic/claude-sonnet-4-5": (3.00, 15.00),
        "anthropic/claude-opus-4-5": (5.00, 25.00),
        "anthropic/claude-haiku-4-5": (1.00, 5.00),
        "google/gemini-2.0-flash": (0.10, 0.40),
        "google/gemini-2.5-pro": (1.25, 10.00),
    }
    for model_id, (inp, out) in expected.items():
        assert (M[model_id].input_per_m, M[model_id].output_per_m) == (inp, out)
    assert M["openai/gpt-4o"].cost(9, 1) == pytest.approx(9 * 2.5e-6 + 1e-5)
    assert catalogue.lookup("openai/gpt-4o:cost") is M["openai/gpt-4o"]
    assert catalogue.lookup("@edenai") is None


# --- text -----------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=300))
def test_tokens_partition_the_text(text: str) -> None:
    tokens = textgen.tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)


@FAST
@given(st.text(max_size=200), st.sampled_from(["code", "simple", "creative", "long", "general"]))
def test_compose_text_never_fails_and_is_deterministic(prompt: str, kind: str) -> None:
    a = textgen.compose_text(kind, prompt, seed=1, model="openai/gpt-4o")
    assert a
    assert a == textgen.compose_text(kind, prompt, seed=1, model="openai/gpt-4o")


def test_make_reply_limits() -> None:
    text = textgen.compose_text("general", "Explain DNS", seed=0, model="openai/gpt-4o")
    natural = textgen.make_reply(text, None)
    assert natural.finish_reason == "stop"
    assert natural.text == text
    cut = textgen.make_reply(text, 5)
    assert (len(cut.tokens), cut.finish_reason) == (5, "length")
    assert textgen.make_reply(text, 9_999).finish_reason == "stop"
    burst = textgen.make_reply(text, textgen.BURST_MIN_TOKENS + 7)
    assert len(burst.tokens) == textgen.BURST_MIN_TOKENS + 7
    assert burst.text.startswith(text)


MODELS = ("google/gemini-2.0-flash", "openai/gpt-4o", "anthropic/claude-opus-4-5")


def reply(prompt: str, model: str = "openai/gpt-4o", seed: int = 0, history: int = 0) -> str:
    """What the emulator answers to `prompt`, classified the way the server does it."""
    kind = classify(prompt).kind
    return textgen.compose_text(kind, prompt, seed=seed, model=model, history=history)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def spliced(prompt: str, text: str, n: int = 4) -> list[str]:
    """Runs of n prompt words that reappear in the reply: the word-salad bug's signature."""
    w, reply_words = words(prompt), " " + " ".join(words(text)) + " "
    runs = {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}
    return sorted(r for r in runs if f" {r} " in reply_words)


# Prompts people try first, and the echo of their words that a real answer may contain.
REVERSES = {"function that reverses a", "that reverses a string"}
SAMPLES = {
    "Explain what smart routing is in two sentences.": set(),
    "What's the capital of France?": {"the capital of france"},
    "Write a Python function that reverses a string": REVERSES,
    "Write a haiku about autumn": set(),
    "hi": set(),
    "thanks!": set(),
    "What is 17 * 23?": set(),
    "Explain machine learning to a ten year old": set(),
    "What does RouteChat do and how are the tiers different?": set(),
    "Why do LLM costs vary so much between models?": set(),
    "Write a JavaScript function that reverses a string": REVERSES,
    "Write a short story about a dragon who is afraid of the dark": set(),
    "How should I prepare for a job interview at a small startup?": set(),
    "Who won the regional chess championship in 1987?": set(),
    "Can you give me an example?": set(),
}


@pytest.mark.parametrize("prompt", list(SAMPLES))
def test_replies_do_not_splice_the_prompt_into_templates(prompt: str) -> None:
    for model in MODELS:
        for seed in (0, 1):
            text = reply(prompt, model, seed, history=1 if "example" in prompt else 0)
            assert set(spliced(prompt, text)) <= SAMPLES[prompt], (model, seed, text)


@FAST
@given(
    st.from_regex(r"[bcdfghjklmnpqrstvwxz]{9,12}", fullmatch=True),
    st.sampled_from(
        [
            "Explain {} in two sentences.",
            "What is {}?",
            "Tell me about {} and why it matters",
            "Write a Python function that handles {}",
            "Write a poem about {}",
            "hi, {}",
            "thanks! what is {}?",
            "Summarize this: " + "the committee met and discussed {} at length. " * 12,
        ]
    ),
    st.sampled_from(MODELS),
    st.integers(0, 2),
)
def test_no_word_of_the_prompt_is_pasted_into_the_reply(
    word: str, shape: str, model: str, history: int
) -> None:
    # A consonant run never occurs in the curated text: if it shows up, it was pasted.
    prompt = shape.replace("{}", word)
    for kind in ("code", "creative", "long", "simple", "general"):
        text = textgen.compose_text(kind, prompt, seed=3, model=model, history=history)
        assert word not in text.lower()


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_short_requests_get_short_direct_answers() -> None:
    for model in MODELS:
        two = reply("Explain what smart routing is in two sentences.", model)
        assert len(sentences(two)) == 2, two
        assert "model" in two and "\n" not in two
        one = reply("Explain machine learning in one sentence", model)
        assert len(sentences(one)) == 1, one
        paris = reply("What's the capital of France?", model)
        assert "**Paris**" in paris and len(words(paris)) <= 12
        assert len(words(reply("What is machine learning?", model))) <= 60
    assert "Berlin" in reply("What is the capital of Germany?")
    assert "Tokyo" in reply("capital of japan?")


def test_small_talk_is_answered_as_small_talk() -> None:
    for model in MODELS:
        hi = reply("hi", model)
        assert hi.startswith(("Hello", "Hi", "Hey")) and len(words(hi)) <= 15
        thanks = reply("thanks!", model)
        assert ("welcome" in thanks or "help" in thanks) and len(words(thanks)) <= 15
    assert reply("Thanks! What is 2+2?").startswith("You're welcome! ")
    assert "**4**" in reply("Thanks! What is 2+2?")
    assert "router" in reply("Who are you?")
    assert "?" in reply("Tell me a joke") or '"' in reply("Tell me a joke")


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("What is 17 * 23?", "391"),
        ("What is 6 x 7?", "42"),
        ("what's 1,250 + 3,750?", "5000"),
        ("Calculate (2 + 3) * 4", "20"),
        ("What is 2 ^ 10?", "1024"),
        ("What is 10 divided by 4?", "2.5"),
        ("What is 15% of 80?", "12"),
        ("What is the square root of 144?", "12"),
        ("What is 123456 * 1000?", "123,456,000"),
        ("What is -5 + 3?", "-2"),
    ],
)
def test_arithmetic_gets_the_right_result(prompt: str, answer: str) -> None:
    for model in MODELS:
        text = reply(prompt, model)
        assert f"**{answer}**" in text.replace("−", "-"), text
        assert len(words(text)) <= 20


def test_arithmetic_is_not_seen_where_there_is_none() -> None:
    assert "**" not in reply("What happened in 2020-2021?")
    assert "**" not in reply("What is the plan for 2024 - 2025?")
    assert "undefined" in reply("What is 5 / 0?")
    assert "**" not in reply("What is the gpt-4o model?")


def fenced(text: str) -> list[tuple[str, str]]:
    """The (language, code) of each fenced block."""
    return re.findall(r"^```(\w*)\n(.*?)\n```$", text, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    ("prompt", "lang", "needle"),
    [
        ("Write a Python function that reverses a string", "python", "[::-1]"),
        ("Write a JavaScript function that reverses a string", "javascript", ".reverse()"),
        ("Write a Rust function to reverse a string", "rust", ".rev()"),
        ("Write a bash script that reverses a string", "bash", "reversed"),
        ("Write a SQL query to find duplicate emails", "sql", "HAVING COUNT(*) > 1"),
        ("Write a bash script to back up a folder", "bash", "tar -czf"),
        ("Write a Rust function to sort a list", "rust", "fn merge_sort"),
        ("Write a function to compute the factorial in JS", "javascript", "function factorial"),
        ("Write code for fizzbuzz", "python", "FizzBuzz"),
        ("Write a Python program that does something useful", "python", "Counter"),
    ],
)
def test_code_prompts_get_one_fenced_block_in_the_language_asked(
    prompt: str, lang: str, needle: str
) -> None:
    assert classify(prompt).kind == "code"
    for model in MODELS:
        text = reply(prompt, model)
        ((tag, code),) = fenced(text)
        assert tag == lang and needle in code
        before, after = text.split("```" + tag, 1)[0], text.rsplit("```", 1)[1]
        assert before.strip() and re.search(r"^- \*\*.+\*\*", after, re.MULTILINE)


def test_poems_about_code_are_poems_and_programs_asked_in_prose_are_code() -> None:
    haiku = reply("Write a haiku about Python")  # the router sees code
    assert not fenced(haiku) and len(haiku.splitlines()) == 3
    assert fenced(reply("Write a hello world in Go")) == [("go", HELLO_GO)]  # seen as creative
    assert fenced(reply("Give me a hello world program in C"))[0][0] == "c"  # seen as general


HELLO_GO = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, World!")\n}'


def test_a_language_without_a_snippet_says_so() -> None:
    text = reply("Write a Java method that reverses a string")
    assert "Java" in text.split("```")[0] and fenced(text)[0][0] == "python"


def test_bug_reports_and_concept_questions_get_advice_not_random_code() -> None:
    assert not fenced(reply("My script crashes with a KeyError, can you fix it?"))
    assert not fenced(reply("Is C++ faster than Java?"))
    compiler = reply("Describe how a compiler works")
    assert "pars" in compiler.lower() and not fenced(compiler)


def all_snippets() -> list[tuple[str, str, snippets.Snippet]]:
    tasks = [*snippets.TASKS, *snippets.SQL_TASKS, snippets.SQL_GENERAL]
    return [(t.key, lang, s) for t in tasks for lang, s in t.snippets.items()]


@pytest.mark.parametrize(
    ("key", "snippet"),
    [(k, s) for k, lang, s in all_snippets() if lang == "python"],
)
def test_python_snippets_print_what_their_comments_say(
    key: str, snippet: snippets.Snippet, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(snippet.code, key, "exec"), {"__name__": "snippet"})
    expected = re.findall(r"^print\(.*\)  # (.+)$", snippet.code, re.MULTILINE)
    printed = capsys.readouterr().out.splitlines()
    assert printed[: len(expected)] == expected


@pytest.mark.parametrize(
    ("key", "snippet"), [(k, s) for k, lang, s in all_snippets() if lang == "sql"]
)
def test_sql_snippets_run_on_the_tables_they_name(key: str, snippet: snippets.Snippet) -> None:
    db = sqlite3.connect(":memory:")
    try:
        if key != "sql_create":
            db.executescript(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, name, email, created_at);"
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id, total_cents,"
                " created_at);"
                "CREATE TABLE employees (id INTEGER PRIMARY KEY, name, department, salary);"
                "INSERT INTO customers VALUES (1, 'Ada', 'a@x.org', '2025-01-01');"
                "INSERT INTO orders VALUES (1, 1, 1250, '2025-02-03');"
                "INSERT INTO employees VALUES (1, 'Ada', 'R&D', 10), (2, 'Bo', 'R&D', 20);"
            )
        db.executescript(snippet.code)
    finally:
        db.close()


def test_creative_prompts_get_a_complete_piece() -> None:
    for model in MODELS:
        haiku = reply("Write a haiku about autumn", model)
        lines = [line.strip() for line in haiku.split("\n\n")[0].splitlines()]
        assert len(lines) == 3 and "autumn" not in haiku.lower()
        poem = reply("Write a poem about the sea", model)
        assert poem.startswith("**") and poem.count("  \n") >= 6  # hard line breaks
        story = reply("Write a short story about a dragon", model)
        assert story.startswith("**") and len(sentences(story)) >= 6


def test_topics_and_languages_are_recognised() -> None:
    topic = textgen.find_topic
    assert topic("explain what smart routing is") is answers.TOPICS[2]
    assert [topic(p).key for p in ("what is routechat?", "how do llms work", "explain dns")] == [
        "routechat",
        "llm",
        "dns",
    ]
    assert topic("how do i reset my wifi password") is None
    assert textgen.language_of("write a python script that runs a sql query") == "python"
    assert textgen.language_of("an sql query, not python") == "sql"
    assert textgen.language_of("write a function") is None


def test_models_differ_in_detail_and_wording_but_each_is_deterministic() -> None:
    prompt = "Explain machine learning"
    texts = {m: reply(prompt, m) for m in MODELS}
    assert all(texts[m] == reply(prompt, m) for m in MODELS)
    assert len(set(texts.values())) == len(MODELS)
    lengths = [len(words(texts[m])) for m in MODELS]  # cheapest first
    assert lengths[0] < lengths[2]
    assert [textgen.detail_level(m) for m in MODELS] == [0, 1, 2]
    full = texts["openai/gpt-4o"]
    assert re.search(r"^- \*\*[^*]+\*\*: ", full, re.MULTILINE)  # bullets with bold lead-ins
    assert all(len(p) < 700 for p in full.split("\n\n"))  # short paragraphs


def test_follow_ups_read_as_follow_ups() -> None:
    first = reply("Can you give me an example?", history=0)
    later = reply("Can you give me an example?", history=2)
    assert later in answers.FOLLOW_UPS["example"] and later != first
    assert reply("Tell me more", history=1) in answers.FOLLOW_UPS["more"]
    more = reply("And what about the costs of LLMs?", history=1)
    assert "token" in more


def test_unknown_facts_invent_no_specifics() -> None:
    for prompt in (
        "Who won the regional chess championship in 1987?",
        "What's the capital of Wakanda?",
    ):
        text = reply(prompt)
        assert not re.search(r"\d", text) and "**" not in text
    assert "doctor" in reply("What dose of ibuprofen should I take?")


def test_tool_results_are_listed() -> None:
    text = textgen.tool_result_text(
        "get_weather", '{"temp_c": 18, "sky": "sunny"}', seed=0, model="openai/gpt-4o"
    )
    assert "`get_weather`" in text and "- **sky**: sunny" in text and "- **temp_c**: 18" in text
    plain = textgen.tool_result_text("lookup", "x" * 500, seed=0, model="openai/gpt-4o")
    assert plain.count("x") <= 300


def test_burst_replies_stay_fast_to_build() -> None:
    text = reply("go")
    burst = textgen.make_reply(text, 20_000)
    assert len(burst.tokens) == 20_000 and burst.text.startswith(text)
    assert all(burst.tokens)


# --- tools ----------------------------------------------------------------------------------


def test_tool_arguments_follow_the_schema() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "book_table",
            "description": "Book a restaurant table",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "people": {"type": "integer"},
                    "vegan": {"type": "boolean"},
                    "style": {"type": "string", "enum": ["quiet", "lively"]},
                },
            },
        },
    }
    args = json.loads(build_arguments(tool, "Book a table for 4 in New York"))
    assert args == {"city": "New York", "people": 4, "vegan": True, "style": "quiet"}
    messages = [{"role": "user", "content": "x"}]
    assert choose_tool([tool], "auto", messages, "I'd like to book a restaurant") is tool
    assert choose_tool([tool], "auto", messages, "Tell me a joke") is None
    assert choose_tool([tool], "none", messages, "book a table") is None
    assert split_arguments('{"a": 1}') == ['{"a', '": ', "1}"]
    assert "".join(split_arguments("x" * 100)) == "x" * 100


# --- wire -----------------------------------------------------------------------------------


def completion(tokens: list[str]) -> Completion:
    return Completion("chatcmpl-1", 1, M["openai/gpt-4o"], tokens, "stop", 3, len(tokens))


def test_segments_pace_tokens_and_place_faults() -> None:
    segs = list(
        stream_segments(
            completion(["a", " b", " c"]),
            parse_spec("stall_mid:0.5@1+drop:2"),
            include_usage=True,
            token_delay=0.01,
        )
    )
    kinds = [type(s).__name__ if not isinstance(s, bytes) else "bytes" for s in segs]
    assert kinds == ["bytes", "Sleep", "bytes", "Sleep", "Sleep", "bytes", "Drop"]
    assert Sleep(0.5) in segs
    assert isinstance(segs[-1], Drop)


# --- garbage over HTTP ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorThread]:
    with EmulatorThread(EmulatorConfig(routing_delay=0, token_delay=0)) as thread:
        yield thread


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    raw=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()),
    fault=st.sampled_from([None, "", "garbage", "status:999", "no_done+crlf"]),
    path=st.sampled_from(["/chat/completions", "/llm/chat/completions", "/models", "/x"]),
)
def test_garbage_never_crashes_the_server(
    server: EmulatorThread, raw: bytes, fault: str | None, path: str
) -> None:
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    if fault is not None:
        headers["X-Emulator-Fault"] = fault
    with httpx.Client(timeout=5) as c:
        r = c.post(server.base_url + path, content=raw, headers=headers)
        assert r.status_code < 500
        ok = c.post(
            server.base_url + "/chat/completions",
            json={"model": "@edenai", "messages": [{"role": "user", "content": "hi"}]},
            headers=headers | {"X-Emulator-Fault": "none"},
        )
        assert ok.status_code == 200
    assert server.server.open_streams == 0


def test_only_the_ends_of_a_huge_prompt_are_read() -> None:
    # Some patterns ("cost ... models") would take quadratic time on a huge pasted prompt.
    huge = "Please review this. " + "model cost " * 50_000 + "What's the capital of France?"
    low = textgen.normalise(huge)
    assert len(low) <= 2 * textgen.READ_CHARS + 5
    assert low.startswith("please review this.") and low.endswith("capital of france?")
    assert "**Paris**" in textgen.compose_text("long", huge, seed=0, model="openai/gpt-4o")


def test_the_model_name_claude_haiku_is_not_a_request_for_a_poem() -> None:
    from desktop_app.emulator.router import classify

    assert classify("Which is cheaper, GPT-4o mini or Claude Haiku?").kind == "simple"
    assert classify("Is claude-haiku-4-5 good at code review?").kind != "creative"
    assert classify("Write me a haiku about rain").kind == "creative"
