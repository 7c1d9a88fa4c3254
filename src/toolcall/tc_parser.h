/*
 * Gemma 4 model output as a byte-level state machine: text, thoughts and tool calls.
 *
 *   output  := ["<|turn>model"] (text | thought | call)* [end ws*]
 *   thought := "<|channel>thought" any-bytes "<channel|>"
 *   call    := "<|tool_call>call:" name object "<tool_call|>"
 *   end     := "<turn|>" | "<|tool_response>"
 *   object  := "{" ws [member (ws "," ws member)*] ws "}"      member := key ws ":" ws value
 *   key     := bare-key | "<|\"|>" any-bytes "<|\"|>"
 *   value   := "<|\"|>" any-bytes "<|\"|>" | object | "[" ws [value (ws "," ws value)*] ws "]"
 *            | JSON number | true | false | null | None
 * A bare key is any run of bytes except : { } [ ] , < " and control characters (inner spaces are
 * kept, spaces before ':' are not). Names are [A-Za-z0-9_.:-] and non-ASCII. Text anywhere must be
 * UTF-8 without NUL. A stray "<channel|>" is tolerated only when nothing but whitespace or the end
 * marker follows it (the model sometimes emits one at the end).
 *
 * The state is a small plain struct without pointers to owned memory: copy it to try a
 * continuation (constrained decoding asks "does this token keep the text valid?"). Events go to an
 * optional sink as they are recognised, so a streaming caller can show text while a call is still
 * being written.
 */
#ifndef G4_TOOLCALL_TC_PARSER_H
#define G4_TOOLCALL_TC_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/utf8.h"

#define G4_TC_MAX_DEPTH 64 /* nesting of objects/arrays inside one call's arguments */
#define G4_TC_NAME_KEEP 64 /* bytes of the function name kept in the state (for messages, checks) */
#define G4_TC_KEY_KEEP 32  /* bytes of the last key kept (for messages) */

typedef enum g4_tc_event {
    G4_TC_TEXT,          /* bytes of content outside thoughts and calls */
    G4_TC_THOUGHT_BEGIN, /* "<|channel>thought" */
    G4_TC_THOUGHT,       /* bytes of the thought */
    G4_TC_THOUGHT_END,   /* "<channel|>" */
    G4_TC_CALL_BEGIN,    /* "<|tool_call>" */
    G4_TC_NAME,          /* bytes of the function name */
    G4_TC_OBJECT_BEGIN,
    G4_TC_OBJECT_END,
    G4_TC_ARRAY_BEGIN,
    G4_TC_ARRAY_END,
    G4_TC_KEY, /* bytes of a key (without quotes or trailing spaces) */
    G4_TC_KEY_END,
    G4_TC_STRING_BEGIN,
    G4_TC_STRING, /* bytes of a string value */
    G4_TC_STRING_END,
    G4_TC_NUMBER, /* bytes of a number literal (JSON syntax) */
    G4_TC_NUMBER_END,
    G4_TC_TRUE,
    G4_TC_FALSE,
    G4_TC_NULL,       /* "null" or "None" */
    G4_TC_CALL_END,   /* "<tool_call|>" */
    G4_TC_END_OF_TURN /* "<turn|>" or "<|tool_response>" */
} g4_tc_event;

/* Receives each event with its bytes (runs of one kind may arrive in several pieces) and the byte
 * offset where they start. Returns 0 to go on; anything else stops the parser (g4_tc_parser_failed
 * then reports G4_TC_ERR_SINK and the sink keeps its own message). */
typedef int (*g4_tc_sink)(void *user, g4_tc_event ev, const char *bytes, size_t len, uint64_t pos);

enum {
    G4_TC_START_IN_THOUGHT = 1u << 0, /* the prompt ended inside "<|channel>thought\n": text starts as thought */
};

typedef enum g4_tc_error_kind {
    G4_TC_OK = 0,
    G4_TC_ERR_UNEXPECTED, /* a byte the grammar does not allow here */
    G4_TC_ERR_EOF,        /* the text ended in the middle of a thought or call */
    G4_TC_ERR_UTF8,       /* malformed UTF-8 or a NUL byte */
    G4_TC_ERR_DEPTH,      /* arguments nested deeper than G4_TC_MAX_DEPTH */
    G4_TC_ERR_LEADING_ZERO,
    G4_TC_ERR_BARE_WORD, /* an unquoted word (or a JSON "string") where a value belongs */
    G4_TC_ERR_MARKER,    /* a marker that cannot appear where it is (stray closer, new turn) */
    G4_TC_ERR_AFTER_END, /* text after the end-of-turn marker */
    G4_TC_ERR_SINK       /* the sink asked to stop */
} g4_tc_error_kind;

typedef struct g4_tc_parser {
    uint64_t pos;       /* bytes consumed */
    uint64_t mark_pos;  /* where the current marker / literal / string / key started */
    uint64_t stray_pos; /* 1 + offset of a stray "<channel|>" (0: none) */
    uint64_t end_pos;   /* offset of the end-of-turn marker */
    uint64_t err_pos;
    uint64_t stack;    /* bit d: the container at depth d+1 is an array */
    uint32_t key_ws;   /* spaces seen after a bare key's last character (emitted only if it goes on) */
    uint32_t ncalls;   /* calls begun */
    uint16_t name_len; /* full length, may exceed G4_TC_NAME_KEEP */
    uint16_t key_len;
    uint8_t state, sub, lit, depth;
    uint8_t mark_len;
    g4_utf8_state utf8; /* where the text stands in a UTF-8 character */
    uint8_t err_kind, err_byte, err_state, err_marker;
    bool key_valid;       /* key[] names the member whose value is being read at this depth */
    bool thought_pending; /* G4_TC_START_IN_THOUGHT: THOUGHT_BEGIN not reported yet */
    char mark[16];        /* a partial marker seen in text */
    char name[G4_TC_NAME_KEEP];
    char key[G4_TC_KEY_KEEP];
    g4_tc_sink sink;
    void *user;
} g4_tc_parser;

void g4_tc_parser_init(g4_tc_parser *p, unsigned flags, g4_tc_sink sink, void *user);

/* Consumes bytes; false once the text cannot be (the beginning of) valid model output any more. */
bool g4_tc_parser_feed(g4_tc_parser *p, const char *bytes, size_t n);

/* Declares the end of the text: false if it ends inside a thought or call (or a UTF-8 character).
 * A partial marker at the end of the text is text. */
bool g4_tc_parser_finish(g4_tc_parser *p);

bool g4_tc_parser_failed(const g4_tc_parser *p);
g4_tc_error_kind g4_tc_parser_error_kind(const g4_tc_parser *p);

/* "byte 37: expected ':' after key 'location', got '<'" (empty when nothing failed). */
void g4_tc_parser_error(const g4_tc_parser *p, char *buf, size_t cap);

/* What may come next, in words ("a value for key 'unit' (<|\"|>string<|\"|>, number, ...)"). */
void g4_tc_parser_expected(const g4_tc_parser *p, char *buf, size_t cap);

/* The exact set of next bytes that keep the text a valid prefix: bit b of set[b/8] is (1 << b%8). */
void g4_tc_parser_next_bytes(const g4_tc_parser *p, uint8_t set[32]);

/* Whether the text may end here (g4_tc_parser_finish would succeed). */
bool g4_tc_parser_can_end(const g4_tc_parser *p);

/* Whether the parser is inside "<|tool_call>...<tool_call|>" (where a grammar would constrain). */
bool g4_tc_parser_in_call(const g4_tc_parser *p);

/* Where in the grammar the next byte goes; with p->name (the function so far), p->key (the member
 * whose value is read, when p->key_valid), p->depth and the container kinds in p->stack this is
 * what a schema-aware constraint needs (which names, keys and value types may follow). */
typedef enum g4_tc_position {
    G4_TC_POS_TEXT,        /* content (a partial marker may be pending) */
    G4_TC_POS_THOUGHT,     /* inside the thought channel (or its "<|channel>thought" opening) */
    G4_TC_POS_CALL_PREFIX, /* within "call:" */
    G4_TC_POS_NAME,        /* the function name, or the '{' after it */
    G4_TC_POS_KEY,         /* before or inside a key, up to its ':' */
    G4_TC_POS_VALUE,       /* before a value (or an array item, or ']' right after '[') */
    G4_TC_POS_STRING,      /* inside a string value */
    G4_TC_POS_NUMBER,      /* inside a number */
    G4_TC_POS_LITERAL,     /* inside true/false/null/None */
    G4_TC_POS_AFTER_VALUE, /* before ',' or the closing bracket */
    G4_TC_POS_CALL_CLOSE,  /* within "<tool_call|>" */
    G4_TC_POS_END,         /* after the end-of-turn marker */
    G4_TC_POS_FAILED
} g4_tc_position;

g4_tc_position g4_tc_parser_position(const g4_tc_parser *p);

#endif
