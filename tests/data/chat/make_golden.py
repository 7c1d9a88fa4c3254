#!/usr/bin/env python3
"""Renders conversations with Gemma 4's own Jinja chat template and writes tests/data/chat/golden.json,
the byte-exact expectations for libgemma4's C renderer (tests/unit/test_text_chat.c).

    python3 tests/data/chat/make_golden.py [--template PATH] [--out PATH]

The template is google-gemma-4-31B-it.jinja as shipped in llama.cpp's models/templates (the same text
as the GGUF's tokenizer.chat_template); its sha256 is recorded in the output.

Jinja environment: the one Hugging Face transformers builds for chat templates
(ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, the loopcontrols extension, a
tojson filter with ensure_ascii=False, raise_exception and strftime_now globals), with these variables:
  messages, tools (only when given, as HF does), bos_token="<bos>", add_generation_prompt,
  enable_thinking (always passed as a bool, as llama.cpp does; the template treats "undefined" and
  false alike).
Notes on what this reference means for edge cases:
  - dictsort is Jinja2's, i.e. case-insensitive (llama.cpp's own Jinja engine sorts case-sensitively;
    the two differ only when keys differ in case, e.g. "Zeta" vs "alpha");
  - numbers are Python's: JSON 2.0 stays a float and prints "2.0", 1e20 prints "1e+20";
  - tool-call arguments given as a JSON string are decoded with json.loads before rendering when they
    hold a JSON object (llama.cpp does the same for templates that take object arguments); a string
    that is not a JSON object is passed through and the template pastes it verbatim.
Options per case: add_generation_prompt, enable_thinking, and llama_compat, which applies before
rendering what llama.cpp's server does for Gemma 4 (common/parsers/gemma4.cpp): role "tool" messages
that follow an assistant's tool_calls are folded into that message's "tool_responses" (content parsed
as JSON when it is JSON), the next plain assistant answer is merged into it, and after rendering a
"<|turn>model\n" is appended when a generation prompt was asked for and the text ends with "<turn|>\n".
A case whose rendering raises an exception is stored with "error": true and no expected text.
"""
import argparse
import copy
import hashlib
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

DEFAULT_TEMPLATE = "/work/ref/llama.cpp-ref/models/templates/google-gemma-4-31B-it.jinja"


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def decode_string_arguments(messages):
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("tool_calls"), list):
            continue
        for tc in m["tool_calls"]:
            fn = tc.get("function") if isinstance(tc, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                try:
                    value = json.loads(fn["arguments"])
                except ValueError:
                    continue
                if isinstance(value, dict):
                    fn["arguments"] = value


def llama_fold_tool_responses(messages):
    """Python rendition of llama.cpp's workaround::convert_tool_responses_gemma4."""
    def has_content(m):
        c = m.get("content")
        return (isinstance(c, str) and c != "") or (isinstance(c, list) and len(c) > 0)

    def has_tool_calls(m):
        return isinstance(m.get("tool_calls"), list) and len(m["tool_calls"]) > 0

    out, i = [], 0
    while i < len(messages):
        m = messages[i]
        if m.get("role") != "assistant" or not has_tool_calls(m):
            out.append(m)
            i += 1
            continue
        calls = list(m["tool_calls"])
        reasoning = m.get("reasoning_content") if isinstance(m.get("reasoning_content"), str) else None
        responses, content = [], None
        i += 1
        while i < len(messages) and messages[i].get("role") == "tool":
            cur = messages[i]
            response = None
            if "content" in cur:
                c = cur["content"]
                if isinstance(c, str):
                    try:
                        response = json.loads(c)
                    except ValueError:
                        response = c
                else:
                    response = c
            name = ""
            idx = len(responses)
            if idx < len(calls) and isinstance(calls[idx].get("function"), dict):
                name = calls[idx]["function"].get("name", "")
            if name == "":
                name = cur.get("tool_call_id", "")
            responses.append({"name": name, "response": response})
            i += 1
        if i < len(messages) and messages[i].get("role") == "assistant":
            nxt = messages[i]
            if not has_tool_calls(nxt) and has_content(nxt):
                content = nxt["content"]
                i += 1
        msg = {"role": "assistant", "tool_calls": calls}
        if responses:
            msg["tool_responses"] = responses
        if content is not None:
            msg["content"] = content
        if reasoning is not None:
            msg["reasoning_content"] = reasoning
        out.append(msg)
    return out


def render(template, case):
    opts = case.get("options", {})
    messages = copy.deepcopy(case["messages"])
    decode_string_arguments(messages)
    if opts.get("llama_compat"):
        messages = llama_fold_tool_responses(messages)
    variables = {
        "messages": messages,
        "bos_token": "<bos>",
        "add_generation_prompt": bool(opts.get("add_generation_prompt", False)),
        "enable_thinking": bool(opts.get("enable_thinking", False)),
    }
    if "tools" in case:
        variables["tools"] = copy.deepcopy(case["tools"])
    text = template.render(**variables)
    if opts.get("llama_compat") and opts.get("add_generation_prompt") and text.endswith("<turn|>\n"):
        text += "<|turn>model\n"
    return text


# --------------------------------------------------------------------------------------------------
# The conversations. Tools first, reused below.

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City name, e.g. Tokyo"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"},
            },
            "required": ["location"],
        },
    },
}

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_flights",
        "description": "Search flights between two airports",
        "parameters": {
            "type": "object",
            "properties": {
                "route": {
                    "type": "object",
                    "description": "Where from and to",
                    "properties": {
                        "from": {"type": "string", "description": "IATA code"},
                        "to": {"type": "string"},
                    },
                    "required": ["from", "to"],
                },
                "passengers": {"type": "integer", "description": "Number of adults"},
                "max_price": {"type": "number", "nullable": True},
                "direct_only": {"type": "boolean"},
                "dates": {"type": "array", "items": {"type": "string"}, "description": "ISO dates"},
                "filters": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "airline": {"type": "string", "enum": ["LH", "BA", "AF"]},
                            "alliances": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["airline"],
                    },
                },
            },
            "required": ["route", "passengers"],
        },
    },
}

ODD_SCHEMA = {
    "type": "function",
    "function": {
        "name": "odd_schema",
        "description": "Schemas the template renders in surprising ways",
        "parameters": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "description": "a parameter named like a schema keyword"},
                "note": {"type": ["string", "null"], "description": "a type list"},
                "meta": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "a map"},
                "Zeta": {"type": "integer", "minimum": 0, "maximum": 10},
                "alpha": {"type": "string", "enum": ["x", "y"], "default": "x"},
                "Beta": {"type": "array", "items": {"type": ["integer", "string"], "enum": [1, "two", 3.5, None, True],
                                                    "description": "mixed items", "minimum": 1.0,
                                                    "nested": {"K": "v", "a": [1, 2]}}},
                "flag": {"type": "boolean", "description": ""},
            },
            "required": ["type"],
        },
    },
}

NO_PARAMS = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time",
        "response": {"type": "object", "description": "The time"},
    },
}

NO_TYPE = {
    "type": "function",
    "function": {
        "name": "ping",
        "parameters": {"properties": {"host": {"type": "string"}}},
        "response": {"type": "string", "description": "pong"},
    },
}

CASES = []


def case(name, messages, tools=None, **options):
    c = {"name": name, "messages": messages, "options": options}
    if tools is not None:
        c["tools"] = tools
    CASES.append(c)


U = lambda text: {"role": "user", "content": text}
A = lambda text: {"role": "assistant", "content": text}
S = lambda text: {"role": "system", "content": text}


def call(id_, name, arguments):
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool(id_, content, name=None):
    m = {"role": "tool", "tool_call_id": id_, "content": content}
    if name is not None:
        m["name"] = name
    return m


case("user_only", [U("Hello!")], add_generation_prompt=True)
case("user_only_thinking", [U("Hello!")], add_generation_prompt=True, enable_thinking=True)
case("user_only_no_generation_prompt", [U("Hello!")])
case("system_user", [S("You are a helpful assistant."), U("What is 2+2?")], add_generation_prompt=True)
case("developer_user", [{"role": "developer", "content": "Be terse."}, U("Hi")], add_generation_prompt=True)
case("system_thinking", [S("  You are careful.\n"), U("Think about it.")], add_generation_prompt=True,
     enable_thinking=True)
case("multi_turn", [S("sys"), U("Hi"), A("Hello! How can I help?"), U("Tell me a joke."),
                    A("Why did the chicken cross the road?"), U("Why?")], add_generation_prompt=True)
case("assistant_thoughts_stripped",
     [U("Hi"), A("<|channel>thought\nThe user greets me.<channel|>Hello there!"), U("Again")],
     add_generation_prompt=True)
case("assistant_thought_mid_text",
     [U("Q"), A("  Part one. <|channel>thought\nhmm<channel|> Part two.<|channel>x<channel|>  ")],
     add_generation_prompt=False)
case("whitespace_trim_unicode", [S("\u00a0\u3000 system \u2003\n"), U("\t\u00a0 question \u200a\n\n")],
     add_generation_prompt=True)
case("mid_conversation_system", [U("Hi"), A("Hello"), S("New rules apply."), U("ok")], add_generation_prompt=True)
case("empty_assistant", [U("Say nothing"), A(""), U("Now say something")], add_generation_prompt=True)
case("assistant_null_content", [U("x"), {"role": "assistant", "content": None}], add_generation_prompt=True)
case("last_message_assistant_prefill", [U("Write a haiku"), A("Autumn")])
case("model_role_alias", [U("Hi"), {"role": "model", "content": "Hello"}, U("Bye")], add_generation_prompt=True)

case("user_parts_media", [{"role": "user", "content": [
    {"type": "text", "text": "  Describe this image "},
    {"type": "image", "url": "cat.png"},
    {"type": "text", "text": "and this sound:"},
    {"type": "audio", "path": "meow.wav"},
    {"type": "video"},
    {"type": "unknown_part", "text": "dropped"},
]}], add_generation_prompt=True)
case("user_parts_media_last", [{"role": "user", "content": [{"type": "text", "text": "What is it?"},
                                                           {"type": "image"}]}],
     add_generation_prompt=True, enable_thinking=True)
case("assistant_parts_text", [U("a"), {"role": "assistant", "content": [
    {"type": "text", "text": "<|channel>thought\nx<channel|>first "}, {"type": "text", "text": " second"}]}, U("b")],
     add_generation_prompt=True)

case("tools_weather", [U("Weather in Tokyo?")], tools=[WEATHER], add_generation_prompt=True)
case("tools_weather_system_thinking", [S("Use tools when needed."), U("Weather in Paris?")], tools=[WEATHER],
     add_generation_prompt=True, enable_thinking=True)
case("tools_nested_schema", [U("Find flights")], tools=[WEATHER, SEARCH], add_generation_prompt=True)
case("tools_odd_schema", [U("x")], tools=[ODD_SCHEMA], add_generation_prompt=True)
case("tools_no_params_and_response", [U("time?")], tools=[NO_PARAMS, NO_TYPE], add_generation_prompt=True)

case("tool_call_object_arguments", [
    U("Weather in Tokyo?"),
    {"role": "assistant", "content": None, "tool_calls": [call("call_1", "get_weather",
                                                               {"location": "Tokyo", "unit": "celsius"})]},
    tool("call_1", '{"temperature": 15, "condition": "sunny"}'),
    A("It is 15 degrees and sunny in Tokyo."),
    U("Thanks!"),
], tools=[WEATHER], add_generation_prompt=True)
case("tool_call_string_arguments", [
    U("Weather in Tokyo?"),
    {"role": "assistant", "content": "", "tool_calls": [call("c1", "get_weather",
                                                             '{"location": "Tokyo", "unit": "fahrenheit"}')]},
    tool("c1", "59F, cloudy"),
], tools=[WEATHER], add_generation_prompt=True)
case("tool_call_raw_string_arguments", [
    U("Weather?"),
    {"role": "assistant", "tool_calls": [call("c1", "get_weather", "location:<|\"|>Oslo<|\"|>")]},
], tools=[WEATHER], add_generation_prompt=True)
case("tool_call_parallel", [
    U("Weather in Tokyo and Paris?"),
    {"role": "assistant", "tool_calls": [call("a", "get_weather", {"location": "Tokyo"}),
                                         call("b", "get_weather", {"location": "Paris", "unit": "celsius"})]},
    tool("a", "15C"),
    tool("b", "9C"),
    A("Tokyo 15C, Paris 9C."),
], tools=[WEATHER], add_generation_prompt=True)
case("tool_call_values", [
    U("Book it"),
    {"role": "assistant", "tool_calls": [call("x", "search_flights", {
        "route": {"from": "MUC", "to": "LHR"},
        "passengers": 2,
        "max_price": 199.5,
        "direct_only": False,
        "dates": ["2025-01-01", "2025-01-02"],
        "filters": [{"airline": "LH", "alliances": []}, {}],
        "note": "braces {}, commas, \"quotes\", 'single', colons: a:b\nnew line, unicode \u00e9\u4e2d\U0001F600",
        "neg": -17, "exp": 1e20, "small": 1e-7, "tenth": 0.1, "whole_float": 2.0, "negzero": -0.0,
        "big": 12345678901234567890, "nothing": None, "yes": True,
        "Zeta": 1, "alpha": 2, "Beta": 3,
    })]},
], tools=[SEARCH], add_generation_prompt=True)
case("tool_call_without_response", [U("Weather?"),
                                     {"role": "assistant", "tool_calls": [call("q", "get_weather", {"location": "Rome"})]}],
     tools=[WEATHER], add_generation_prompt=True)
case("tool_call_with_content_no_response", [U("Weather?"), {"role": "assistant", "content": "Let me check.",
                                                            "tool_calls": [call("q", "get_weather",
                                                                                {"location": "Rome"})]}],
     tools=[WEATHER], add_generation_prompt=True)
case("tool_response_parts_and_name", [
    U("go"),
    {"role": "assistant", "tool_calls": [call("id1", "get_weather", {"location": "Oslo"}),
                                         call("id2", "get_time", {})]},
    {"role": "tool", "tool_call_id": "id1", "content": [{"type": "text", "text": "cold "},
                                                        {"type": "image"}, {"type": "text", "text": "and dark"}]},
    {"role": "tool", "name": "get_time", "tool_call_id": "nomatch", "content": "12:00"},
], tools=[WEATHER, NO_PARAMS], add_generation_prompt=True)
case("tool_response_null_content", [
    U("go"),
    {"role": "assistant", "tool_calls": [call("id1", "get_weather", {"location": "Oslo"})]},
    {"role": "tool", "tool_call_id": "id1", "content": None},
], tools=[WEATHER], add_generation_prompt=True)
case("tool_reasoning_after_last_user", [
    U("Weather in Tokyo?"),
    {"role": "assistant", "reasoning_content": "I should call the weather tool.",
     "tool_calls": [call("c", "get_weather", {"location": "Tokyo"})]},
    tool("c", "sunny"),
    {"role": "assistant", "content": "", "reasoning": "Now also Kyoto.",
     "tool_calls": [call("d", "get_weather", {"location": "Kyoto"})]},
    tool("d", "rainy"),
], tools=[WEATHER], add_generation_prompt=True, enable_thinking=True)
case("reasoning_before_last_user_dropped", [
    U("Q1"),
    {"role": "assistant", "reasoning_content": "old thought", "content": "A1",
     "tool_calls": [call("c", "get_time", {})]},
    tool("c", "noon"),
    U("Q2"),
    {"role": "assistant", "reasoning_content": "no tool calls, not rendered", "content": "A2"},
], tools=[NO_PARAMS], add_generation_prompt=True)
case("legacy_tool_responses_field", [
    U("Weather?"),
    {"role": "assistant", "tool_calls": [call("c", "get_weather", {"location": "Lima"})],
     "tool_responses": [{"name": "get_weather", "response": {"temperature": 21, "sky": "clear", "wind": [3, 5.5]}},
                        {"response": "plain text"}]},
    A("21 and clear."),
], tools=[WEATHER], add_generation_prompt=True)
case("tool_orphan_response_dropped", [U("x"), tool("zz", "orphan"), A("y")], add_generation_prompt=True)

case("llama_compat_fold_json_responses", [
    U("Weather in Tokyo?"),
    {"role": "assistant", "content": None, "tool_calls": [call("call_1", "get_weather", {"location": "Tokyo"})]},
    tool("call_1", '{"temperature": 15, "condition": "sunny"}'),
    A("It is 15 degrees and sunny."),
    U("And tomorrow?"),
], tools=[WEATHER], add_generation_prompt=True, llama_compat=True)
case("llama_compat_pending_answer", [
    U("Weather in Tokyo and Paris?"),
    {"role": "assistant", "reasoning_content": "two calls", "tool_calls": [
        call("a", "get_weather", {"location": "Tokyo"}), call("b", "get_weather", {"location": "Paris"})]},
    tool("a", "[1, 2.5, \"x\"]"),
    tool("b", "not json"),
], tools=[WEATHER], add_generation_prompt=True, enable_thinking=True, llama_compat=True)
case("llama_compat_answer_then_generation_prompt", [
    U("Weather?"),
    {"role": "assistant", "tool_calls": [call("a", "get_weather", {"location": "Tokyo"})]},
    tool("a", "{\"t\": 1}"),
    A("Done."),
], tools=[WEATHER], add_generation_prompt=True, llama_compat=True)
case("no_llama_compat_answer_then_generation_prompt", [
    U("Weather?"),
    {"role": "assistant", "tool_calls": [call("a", "get_weather", {"location": "Tokyo"})]},
    tool("a", "{\"t\": 1}"),
    A("Done."),
], tools=[WEATHER], add_generation_prompt=True)

case("number_formats", [U("n"), {"role": "assistant", "tool_calls": [call("n", "f", {
    "a": 1e16, "b": 1e15, "c": 0.0001, "d": 0.00001, "e": -2.5e-3, "f": 5e-324, "g": 1.7976931348623157e308,
    "h": float("inf"), "i": float("-inf"), "j": float("nan"), "k": -0, "l": 100.0, "m": 1.5e300, "n": 123456789.125,
    "o": [0.5, -1, 2**70]})]}])
case("dictsort_case_ties", [U("k"), {"role": "assistant", "tool_calls": [call("k", "f", {
    "b": 1, "B": 2, "a": 3, "_x": 4, "Ab": 5, "aB": 6, "\u00e9": 7, "Z": 8, "z": 9})]}])
case("empty_tools_list", [U("hi")], tools=[], add_generation_prompt=True)
case("tool_content_object_error", [U("x"), {"role": "assistant", "tool_calls": [call("a", "f", {})]},
                                   {"role": "tool", "tool_call_id": "a", "content": {"r": 1}}])
case("repr_escapes", [{"role": "system", "content": ["tab\there", "nl\n", "back\\slash", "\u00a0nbsp", "\u00e9\u4e2d",
                                                     "\x7f", 1.5, True, None, {"k": [1, "two"]}]}, U("q")])
case("system_content_parts_repr", [{"role": "system", "content": [{"type": "text", "text": "It's \"quoted\""}]},
                                   U("hi")], add_generation_prompt=True)
case("error_empty_messages", [], add_generation_prompt=True)
case("error_tool_without_function", [U("x")], tools=[{"type": "function", "name": "bare"}],
     add_generation_prompt=True)
case("error_missing_role", [{"content": "no role"}], add_generation_prompt=True)
case("error_tool_call_without_name", [U("x"), {"role": "assistant", "tool_calls": [
    {"id": "a", "type": "function", "function": {"arguments": {}}}]}])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--template", default=DEFAULT_TEMPLATE)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json"))
    args = ap.parse_args()
    with open(args.template, "rb") as f:
        source = f.read()
    template = make_env().from_string(source.decode("utf-8"))
    out_cases = []
    for c in CASES:
        entry = dict(c)
        try:
            entry["expected"] = render(template, c)
        except Exception as e:  # the C renderer must fail on these too
            entry["error"] = True
            entry["python_error"] = f"{type(e).__name__}: {e}"
        out_cases.append(entry)
    doc = {
        "template": os.path.basename(args.template),
        "template_sha256": hashlib.sha256(source).hexdigest(),
        "jinja2_version": jinja2.__version__,
        "generator": "tests/data/chat/make_golden.py",
        "cases": out_cases,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_err = sum(1 for c in out_cases if c.get("error"))
    print(f"wrote {len(out_cases)} cases ({n_err} expected errors) to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
