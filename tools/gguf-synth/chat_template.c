/*
 * The chat template written into synthetic models unless --chat-template FILE gives another.
 * It renders the Gemma 4 format for the common cases (system/developer turn, the thinking switch,
 * text, image and audio parts, the generation prompt with the empty thought channel) with the
 * same bytes as Google's template. Tool declarations, tool calls and tool responses need Google's
 * full template (Apache-2.0; llama.cpp ships it as models/templates/google-gemma-4-31B-it.jinja,
 * each HF checkpoint as chat_template.jinja): pass that file with --chat-template.
 */
#include "synth.h"

const char synth_builtin_chat_template[] =
    "{#- gguf-synth's short Gemma 4 template: no tools; see gguf-synth --help -#}\n"
    "{{- bos_token -}}\n"
    "{%- set thinking = enable_thinking is defined and enable_thinking -%}\n"
    "{%- set has_system = messages | length > 0 and messages[0]['role'] in ['system', 'developer'] -%}\n"
    "{%- if thinking or has_system -%}\n"
    "    {{- '<|turn>system\\n' -}}\n"
    "    {%- if thinking -%}{{- '<|think|>\\n' -}}{%- endif -%}\n"
    "    {%- if has_system -%}{{- messages[0]['content'] | trim -}}{%- endif -%}\n"
    "    {{- '<turn|>\\n' -}}\n"
    "{%- endif -%}\n"
    "{%- for message in messages -%}\n"
    "    {%- if not (loop.first and has_system) -%}\n"
    "        {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}\n"
    "        {{- '<|turn>' + role + '\\n' -}}\n"
    "        {%- if message['content'] is string -%}\n"
    "            {{- message['content'] | trim -}}\n"
    "        {%- else -%}\n"
    "            {%- for item in message['content'] -%}\n"
    "                {%- if item['type'] == 'text' -%}\n"
    "                    {{- item['text'] | trim -}}\n"
    "                {%- elif item['type'] == 'image' -%}\n"
    "                    {{- '<|image|>' -}}\n"
    "                {%- elif item['type'] == 'audio' -%}\n"
    "                    {{- '<|audio|>' -}}\n"
    "                {%- endif -%}\n"
    "            {%- endfor -%}\n"
    "        {%- endif -%}\n"
    "        {{- '<turn|>\\n' -}}\n"
    "    {%- endif -%}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "    {{- '<|turn>model\\n' -}}\n"
    "    {%- if not thinking -%}{{- '<|channel>thought\\n<channel|>' -}}{%- endif -%}\n"
    "{%- endif -%}\n";
