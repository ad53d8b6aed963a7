"""The emulator calls the built-in tools convincingly: the calculator for arithmetic, the
clock for "what time is it in Tokyo", units for conversions, one call a round over several
rounds (all at once when asked), then a text answer using every result; and it refuses tool
messages that do not answer a call, as providers do."""

from __future__ import annotations

import json
from typing import Any

import pytest

from desktop_app.emulator.tools import next_calls, results_text, turn_results
from desktop_app.emulator.validation import Invalid, validate_chat
from desktop_app.services.tools.builtin import BUILTIN

TOOLS = [t.to_json() for t in BUILTIN]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def answered(messages: list[dict[str, Any]], name: str, arguments: str, result: str) -> None:
    call_id = f"call_{len(messages)}"
    messages.append(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": call_id, "content": result})


@pytest.mark.parametrize(
    ("prompt", "call"),
    [
        ("What is 17 * 23?", ("calculator", {"expression": "17 * 23"})),
        ("What's 1,234 plus 5,678?", ("calculator", {"expression": "1234 + 5678"})),
        ("What is 15% of 80?", ("calculator", {"expression": "15% * 80"})),
        ("What is the square root of 144?", ("calculator", {"expression": "sqrt(144)"})),
        ("What time is it in Tokyo?", ("datetime", {"timezone": "Asia/Tokyo"})),
        ("What's the time in New York right now?", ("datetime", {"timezone": "America/New_York"})),
        (
            "Convert 5 miles to km",
            ("convert_units", {"value": 5, "from_unit": "miles", "to_unit": "km"}),
        ),
        ("Please read the file ~/notes/todo.txt", ("read_file", {"path": "~/notes/todo.txt"})),
    ],
)
def test_built_in_tools_are_called_for_their_prompts(prompt: str, call: tuple[str, Any]) -> None:
    planned = next_calls(TOOLS, None, user(prompt), prompt)
    assert planned is not None
    (name, arguments), *_ = planned
    assert (name, json.loads(arguments)) == call


@pytest.mark.parametrize(
    "prompt",
    [
        "Explain the time complexity of quicksort",
        "Tell me about tides",
        "Remind me on 2024-05-01",
        "Write a poem about 3 cats",
    ],
)
def test_unrelated_prompts_get_no_tool_call(prompt: str) -> None:
    assert next_calls(TOOLS, None, user(prompt), prompt) is None


def test_several_rounds_then_an_answer_with_every_result() -> None:
    prompt = "What is 17 * 23, and what time is it in Tokyo and Paris?"
    messages = user(prompt)
    first = next_calls(TOOLS, None, messages, prompt)
    assert first == [("calculator", '{"expression": "17 * 23"}')]
    answered(messages, *first[0], "391")
    second = next_calls(TOOLS, None, messages, prompt)
    assert second == [("datetime", '{"timezone": "Asia/Tokyo"}')]
    answered(messages, *second[0], "Now: 08:00 in Asia/Tokyo")
    third = next_calls(TOOLS, None, messages, prompt)
    assert third == [("datetime", '{"timezone": "Europe/Paris"}')]
    answered(messages, *third[0], "Now: 00:00 in Europe/Paris")
    assert next_calls(TOOLS, None, messages, prompt) is None  # every result is in
    text = results_text(turn_results(messages))
    assert "391" in text and "Asia/Tokyo" in text and "Europe/Paris" in text
    # A new prompt starts over.
    messages += user("And 2 + 2?")
    assert next_calls(TOOLS, None, messages, "And what is 2 + 2?") == [
        ("calculator", '{"expression": "2 + 2"}')
    ]


def test_all_at_once_when_asked_and_tool_choice_none_is_obeyed() -> None:
    prompt = "Work out 2^10 and 3^5 at once"
    assert next_calls(TOOLS, None, user(prompt), prompt) == [
        ("calculator", '{"expression": "2^10"}'),
        ("calculator", '{"expression": "3^5"}'),
    ]
    assert next_calls(TOOLS, "none", user(prompt), prompt) is None


def test_other_tools_keep_the_word_overlap_rule() -> None:
    prompt = "What's the weather like in Paris?"
    messages = user(prompt)
    assert next_calls([*TOOLS, WEATHER], None, messages, prompt) == [
        ("get_weather", '{"location": "Paris"}')
    ]
    answered(messages, "get_weather", '{"location": "Paris"}', "sunny")
    assert next_calls([*TOOLS, WEATHER], None, messages, prompt) is None


def _body(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"model": "@edenai", "messages": messages}


def test_tool_messages_must_answer_a_call() -> None:
    messages = user("What is 1+1?")
    answered(messages, "calculator", '{"expression": "1+1"}', "2")
    assert not isinstance(validate_chat(_body(messages)), Invalid)
    stray = [*user("hi"), {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    refused = validate_chat(_body(stray))
    assert isinstance(refused, Invalid) and refused.status == 400
    assert "must be a response to a preceding message with 'tool_calls'" in json.dumps(refused.body)
    unanswered = messages[:2] + user("next")  # the call's result is missing
    refused = validate_chat(_body(unanswered))
    assert isinstance(refused, Invalid) and "did not have response messages" in json.dumps(
        refused.body
    )
