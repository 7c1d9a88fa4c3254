#!/usr/bin/env python3
"""Writes corpus.json for run.mjs (developer tool; the corpus is committed, this is how it was made).

  make_corpus.py LLAMA_REF_TOK VOCAB.gguf VOCAB.gguf.inp corpus.json

LLAMA_REF_TOK is llama_ref_tok.c built against llama.cpp (see its header); VOCAB.gguf and .inp are
llama.cpp's models/ggml-vocab-gemma-4.gguf{,.inp}. Text entries are JSON strings; raw-byte entries
(invalid UTF-8, which a node string cannot carry) are {"b64": ..., "llama": {...}} with llama.cpp's
answers frozen: tokenize with parse_special, without, with add_special, and the detokenization
(unparse_special) of the first.
"""
import json, base64, subprocess, random, sys
REF, V, INP, OUT = sys.argv[1:5]
texts=[]
def add(*xs):
    for x in xs: texts.append(x)
# 1. llama.cpp's own gemma-4 vocab test inputs
inp=open(INP,encoding='utf-8').read().split('\n__ggml_vocab_test__\n')
inp=[t for t in inp if t!='' ]
add(*inp)
# 2. English
add("Hello world","Hello, world!","The quick brown fox jumps over the lazy dog.","  leading spaces","trailing spaces   ",
    "I've been 'told' he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
    "Don't stop believing.","It's 3:45 p.m. on Jan. 5th, 2024.","e.g. i.e. etc. vs. Mr. Mrs. Dr.",
    "What?! No way... Really?!?!","UPPERCASE lowercase MiXeD CaSe","antidisestablishmentarianism",
    "pneumonoultramicroscopicsilicovolcanoconiosis","A","a","I","  ","x y z","Hello\nworld","Hello\n\nworld","Hello \n world",
    "Numbers: 0 1 12 123 1234 12345 123456 1234567 3.14159 -42 +7 1e10 0xFF 0b1010",
    "Prices: $5.99, €10, £3, ¥500, ₹100, ₿0.001","email@example.com https://example.com/path?q=1&r=2#frag",
    "The year 1999 and 2000 and 2024.","Ph.D. candidates' theses","rock'n'roll","y'all'd've",
    "Supercalifragilisticexpialidocious!","#hashtag @mention","50% off!!!","(parentheses) [brackets] {braces} <angles>",
    "He said \"hello\" and she said 'goodbye'.","semi;colon:colon","a-b_c.d/e\\f|g","tab\tseparated\tvalues",
    "Mr. Smith went to Washington . He said , \"no\" !","don ' t","it 's","they 're","we 've","I 'm","I 'll","he 'd","can 't",
    " ' ", "a ' b ' c", "x ? y ! z . w ,","end ."," . . .","...","!!!???","'''","\"\"\"","``` ```")
# 3. code
add('def foo(x):\n    return x * 2\n\nprint(foo(21))\n',
    '#include <stdio.h>\nint main(void) {\n\tprintf("hi\\n");\n\treturn 0;\n}\n',
    'for (let i = 0; i < 10; i++) { console.log(`i=${i}`); }',
    '{"key": "value", "list": [1, 2, 3], "nested": {"a": null, "b": true}}',
    '<html><body><table><tr><td>cell</td></tr></table></body></html>',
    '<div class="x"><span>text</span></div>\n<br/>',
    'SELECT * FROM users WHERE id = 42 AND name LIKE \'%bob%\';',
    'fn main() {\n    let v: Vec<i32> = (0..10).collect();\n    println!("{:?}", v);\n}',
    '    if x:\n        pass\n    else:\n        raise ValueError("bad")',
    '#!/bin/sh\nset -eu\nfor f in *.txt; do echo "$f"; done\n',
    '$ ls -la | grep foo && echo ok || echo fail','a = [x**2 for x in range(10) if x % 2 == 0]',
    '// comment\n/* block\n   comment */\n','<?xml version="1.0" encoding="UTF-8"?>\n<root attr="1"/>',
    '| col1 | col2 |\n|------|------|\n| a    | b    |','# Title\n\n## Subtitle\n\n- item 1\n- item 2\n\n1. one\n2. two\n',
    '**bold** _italic_ `code` ~~strike~~ [link](http://x.y)','\\begin{equation} E = mc^2 \\end{equation}',
    'x<<=2; y>>=3; z=a&&b||!c; w=a!=b; v=a<=b>=c','    \t  mixed indentation\n\t    here',
    'std::vector<std::pair<int, std::string>> v;','lambda x: x+1','0x7fffffff 0xDEADBEEF 1_000_000',
    '<s>strike</s> and <b>bold</b> and <td>x</td> and <mask> and [multimodal] and <unused0> <unused99>',
    '<0x41><0x0A> literal byte token texts', 'A<0x41>B', '<0x>', '<0xZZ>')
# 4. scripts
add("你好，世界！","我想在apple工作1314151天～","中华人民共和国成立于1949年。","日本語のテキストです。カタカナ、ひらがな、漢字。",
    "東京都渋谷区","안녕하세요, 세계!","한국어 텍스트 처리","สวัสดีครับ ภาษาไทย","नमस्ते दुनिया, यह हिंदी है।",
    "مرحبا بالعالم، هذا نص عربي.","السلام عليكم ورحمة الله","שלום עולם","Привет, мир! Это русский текст.","нещо на Български",
    "Γειά σου Κόσμε","Ελληνικά γράμματα αβγδ","ქართული ენა","Հայերեն","አማርኛ","ᠮᠣᠩᠭᠣᠯ","བོད་ཡིག","ꦗꦮ","ᚠᚢᚦᚨᚱᚲ",
    "Tiếng Việt có dấu: ạ ả ã à á","Ça va? Très bien, merci. Œuvre, naïve, façade.","Größe, Straße, Übermäßig",
    "ñandú pingüino","Zażółć gęślą jaźń","Příliš žluťoučký kůň","İstanbul ılık","Ελλάς","é (precomposed) vs é (combining)",
    "a\u0301\u0302\u0303 stacked combining","Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇","ﬁ ﬂ ligatures","ＡＢＣ ｆｕｌｌｗｉｄｔｈ １２３","½ ¾ ⅓ ² ³ ∞ ∑ ∫ √ ≠ ≤ ≥",
    "∀x∈ℝ: x²≥0","αβγ → δεζ ⇒ ηθ","☃ ★ ♠ ♣ ♥ ♦ ☺ ☻","«guillemets» „Anführung“ “curly” ‘single’","— – ‐ ‒ dashes … ellipsis",
    "𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭","𝟘𝟙𝟚 math digits","𠀀𠀁𠀂 CJK ext B","\U000e0001 tag char","\ue000\uf8ff private use","\U0010ffff\U000ffffd",
    "\ufeffBOM at start","zero\u200bwidth\u200cspace\u200djoiner","soft\u00adhyphen","line\u2028separator\u2029para",
    "nbsp\u00a0here","ideographic\u3000space","en\u2002em\u2003thin\u2009hair\u200a","narrow\u202fnbsp",
    "kaomoji (╯°□°）╯︵ ┻━┻","¯\\_(ツ)_/¯")
# emoji
add("🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙","👨‍👩‍👧‍👦 family","👍🏻👍🏼👍🏽👍🏾👍🏿","🇯🇵🇺🇸🇫🇷 flags",
    "🏳️‍🌈 🏴‍☠️","❤️ ♥️ 💔","😀😃😄😁😆😅🤣😂","🦄🐉🦖","⌚⌛⏰","1️⃣ 2️⃣ #️⃣","🧑🏽‍💻 coder","emoji🙂inside🙃words",
    "🫠🫡🫢 new emoji","👁️‍🗨️","\u2764\ufe0f","a😀b😀c😀d")
# 5. whitespace
for k in [1,2,3,4,5,8,15,16,17,30,31,32,33,40,63,64,100]:
    add(" "*k)
for k in [1,2,3,4,8,16,30,31,32,33,40,62,63,64,100]:
    add("\n"*k)
for k in [1,2,3,7,8,16,31,32,33,40]:
    add("\t"*k)
add("\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n","\r\n","\r\n\r\n","a\r\nb\r\nc","\r","\r\r\n\n","\n\r","\t\n","\n\t","  \n  ",
    " \n","\n ","a\n","\na","a\n\n\n\nb","a \n\n b","x\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\ny",
    "word    word","word\t\tword","\v\f vertical tab form feed","\x00 nul byte","a\x00b","\x01\x02\x03\x1b[0m\x7f controls",
    "▁ literal U+2581", "▁▁▁ three literal", "a▁b", " ▁ ", "  ▁▁  ")
# 6. specials (every special token of the vocab) and chat text
specials=['<pad>','<eos>','<bos>','<unk>','<mask>','<|tool>','<tool|>','<|tool_call>','<tool_call|>','<|tool_response>','<tool_response|>','<|"|>',
          '<|think|>','<|channel>','<channel|>','<|turn>','<turn|>','<|image>','<|audio>','<|image|>','<|audio|>','<image|>','<audio|>','<|video|>']
for s in specials:
    add(s, "x"+s+"y", " "+s+" ", s+s, s+"\n", "\n"+s)
add("".join(specials), " ".join(specials), "\n".join(specials))
add('<bos><|turn>system\nYOU ARE A HELPFUL ASSISTANT<|tool>declaration:get_weather{description:<|"|>Get weather<|"|>,parameters:{properties:{location:{type:<|"|>STRING<|"|>}},required:[<|"|>location<|"|>],type:<|"|>OBJECT<|"|>}}<tool|><turn|>\n<|turn>user\nWeather in Tokyo?<turn|>\n<|turn>model\n',
    '<|turn>model\n<|channel>thought\n<channel|>',
    '<|turn>system\n<|think|>You think first.<turn|>\n<|turn>user\nHi<turn|>\n<|turn>model\n<|channel>thought\nLet me think.<channel|>Hello!<turn|>',
    '<|tool_call>call:get_weather{location:<|"|>Tokyo<|"|>,unit:<|"|>celsius<|"|>}<tool_call|>',
    '<|tool_response>response:get_weather{temperature:15,condition:<|"|>sunny<|"|>}<tool_response|>',
    'Look at this: <|image|> and listen: <|audio|> and watch <|video|>',
    '<|image><image|><|audio><audio|>', '<|turn', 'turn|>', '<|turn|>', '<<|turn>>', '<|<|turn>', '<|turn>>', '<|"|"|>', '<|"|>|>',
    '<|tool_response|>', '<|tool_call|>', '<|tool_>', '<eos', 'eos>', '<EOS>', '<e o s>', '<|im_end|> <end_of_turn> <start_of_turn>',
    '</s><s></s>', '<unk><unk>', '<pad> pad', '<|channel>thought\n', 'text<turn|>\n<|turn>user\nmore<turn|>',
    '  <|turn>  ', '\n\n<|turn>\n\n', '<|turn>\n\n\n', ' <eos> <eos> ', '<bos> Hello', 'Hello<eos>')
# 7. long texts
para=("Gemma is a family of lightweight, state-of-the-art open models built from the same research and technology "
      "used to create the Gemini models. They are text-to-text, decoder-only large language models, available in English. ")
add(para*20, "a"*1000, "ab"*500, "1234567890"*100, "的"*500, " a"*300, "\n\na"*100, "😀"*200, ("def f():\n    pass\n\n")*50,
    "x"*5000, " ".join(str(i) for i in range(500)))
rnd=random.Random(1234)
alphabet=list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:!?'\"-\n\t()[]{}<>|/\\") + ["é","ü","你","好","😀","▁","ß","ı","\u0301","<|turn>","<turn|>","<eos>","<|\"|>"]
for k in range(60):
    n=rnd.randint(1,200)
    add("".join(rnd.choice(alphabet) for _ in range(n)))
# 8. lone surrogates (node turns them into U+FFFD before llama.cpp sees them)
add("\ud800","a\udc00b","\udbff\udfff ok pair","x\ud83dy")
texts_json=texts
# 9. raw bytes (invalid UTF-8): compared against llama.cpp's C API outputs frozen here
raw=[b"\x80",b"\xbf",b"a\x80b",b"\xc3",b"\xc3(",b"\xe2\x82",b"\xe2\x82(",b"\xf0\x9f\x98",b"\xf0\x9f\x98(",b"\xf0\x9f",b"\xff",b"\xfe\xff",
     b"\xf8\x88\x80\x80\x80",b"\xc0\x80",b"\xc1\xbf",b"\xe0\x80\x80",b"\xe0\x80\xaf",b"\xed\xa0\x80",b"\xed\xbf\xbf",b"\xef\xbf\xbf",b"\xf0\x80\x80\x80",
     b"\xf4\x8f\xbf\xbf",b"\xc3\xa9\xc3",b"abc\xe4\xbd",b"\xe4\xbd\xa0\xe5\xa5",b"\x80\x80\x80\x80",b"\xc3 ",b"\xe2 \x82",b" \xc3 ",
     b"<|turn>\xff<turn|>",b"\xff<|turn>",b"<|tu\xffrn>",b"\xc3<eos>",b"<eos>\x80",b"\n\x80\n",b"\x80\n\n",b"\xe2\x96",b"\xe2\x96\x81\xe2\x96",
     b"hello \xf0\x9f\x98\x80\xf0\x9f\x98 world",b"\xc0\x8a",b"a\xc0\x8ab",b"\xe0\x80\x8a\n",b"\xc0\xbc|turn>",b"\x00\x80\x00",b"\xa0\xa1",
     b"caf\xe9",b"na\xefve",b"\x93quoted\x94",b"\xe6\x97\xa5\xe6\x9c",b"\xf0\x9f\x87\xaf\xf0\x9f\x87",b"\xcf\x80\xcf",b"\xd7",b"\xdf\xbf",b"\xc2\x80"]
def run(args, lines):
    p=subprocess.run([REF,V]+args, input=('\n'.join(lines)+'\n').encode(), capture_output=True, check=True)
    return p.stdout.decode().split('\n')[:-1]
b64=[base64.b64encode(r).decode() for r in raw]
t_sp=run(['tokenize'],b64); t_ns=run(['tokenize','--no-special'],b64); t_add=run(['tokenize','--add-special'],b64)
ids=lambda s: [int(x) for x in s.split()]
d_sp=run(['detokenize'],[s if s else '' for s in t_sp])
entries=list(texts_json)
for r,b,a,c,d,dt in zip(raw,b64,t_sp,t_ns,t_add,d_sp):
    entries.append({"b64":b,"llama":{"parse_special":ids(a),"no_special":ids(c),"add_special":ids(d),"detokenize_b64":dt}})
json.dump(entries, open(OUT,'w'), ensure_ascii=True, indent=0)
print(len(texts_json), len(raw), len(entries))
