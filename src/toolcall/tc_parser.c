/*
 * The Gemma 4 output state machine (grammar in tc_parser.h). One byte at a time; a state that
 * cannot decide on a byte (the end of a number, a '<' that turns out not to start a marker) hands
 * the byte on to the next state in the same step. Multi-byte markers are matched against their
 * literal, so a partial match never needs more memory than its length, except in text where
 * several markers compete and the candidate bytes sit in mark[].
 */
#include "toolcall/tc_parser.h"

#include <stdio.h>
#include <string.h>

enum state {
    ST_TEXT,
    ST_TEXT_MARK,    /* mark[] holds a prefix of some marker */
    ST_TURN_ROLE,    /* "model" after a leading "<|turn>" */
    ST_CHANNEL_NAME, /* "thought" after "<|channel>" */
    ST_THOUGHT,
    ST_THOUGHT_MARK, /* sub bytes of "<channel|>" matched */
    ST_CALL_PREFIX,  /* sub bytes of "call:" matched */
    ST_NAME_FIRST,
    ST_NAME,
    ST_OBJ_OPEN, /* after '{' */
    ST_OBJ_KEY,  /* after ',' in an object */
    ST_KEY_BARE,
    ST_KEY_QOPEN, /* sub bytes of the quote opening a key */
    ST_KEY_Q,
    ST_KEY_QCLOSE,
    ST_KEY_AFTER, /* after a quoted key */
    ST_VALUE,     /* after ':' or ',' in an array */
    ST_ARR_OPEN,  /* after '[' */
    ST_STR_OPEN,
    ST_STR,
    ST_STR_CLOSE,
    ST_NUM_MINUS,
    ST_NUM_ZERO,
    ST_NUM_INT,
    ST_NUM_DOT,
    ST_NUM_FRAC,
    ST_NUM_E,
    ST_NUM_ESIGN,
    ST_NUM_EXP,
    ST_LIT, /* sub bytes of k_literals[lit] matched */
    ST_AFTER_VALUE,
    ST_CALL_CLOSE, /* sub bytes of "<tool_call|>" matched */
    ST_END,
    ST_FAILED
};

static const char QUOTE[] = "<|\"|>";
static const char CHANNEL_CLOSE[] = "<channel|>";
static const char CALL_PREFIX[] = "call:";
static const char CALL_CLOSE[] = "<tool_call|>";
static const char THOUGHT[] = "thought";
static const char MODEL[] = "model";

enum marker {
    M_CHANNEL_OPEN,
    M_CHANNEL_CLOSE,
    M_CALL_OPEN,
    M_CALL_CLOSE,
    M_TURN_END,
    M_RESPONSE_OPEN,
    M_RESPONSE_CLOSE,
    M_TURN_OPEN,
    M_COUNT
};
static const char *const k_markers[M_COUNT] = {"<|channel>", "<channel|>",       "<|tool_call>",     "<tool_call|>",
                                               "<turn|>",    "<|tool_response>", "<tool_response|>", "<|turn>"};

static const char *const k_literals[] = {"true", "false", "null", "None"};
static const g4_tc_event k_literal_events[] = {G4_TC_TRUE, G4_TC_FALSE, G4_TC_NULL, G4_TC_NULL};

/* ---------------------------------------------------------------------------------------------- */
/* Emitting events: bytes of one kind that are adjacent in the caller's buffer go out as one piece. */

typedef struct emitter {
    g4_tc_parser *p;
    const char *run;
    size_t len;
    g4_tc_event ev;
    uint64_t pos;
} emitter;

static bool fail(g4_tc_parser *p, g4_tc_error_kind kind, uint64_t pos, unsigned char byte) {
    if (p->state != ST_FAILED) {
        p->err_kind = (uint8_t)kind;
        p->err_pos = pos;
        p->err_byte = byte;
        p->err_state = p->state;
        p->state = ST_FAILED;
    }
    return false;
}

static bool sink_call(emitter *e, g4_tc_event ev, const char *bytes, size_t len, uint64_t pos) {
    g4_tc_parser *p = e->p;
    if (p->sink(p->user, ev, bytes, len, pos) != 0) return fail(p, G4_TC_ERR_SINK, pos, 0);
    return true;
}

static bool flush(emitter *e) {
    if (!e->len) return true;
    size_t len = e->len;
    e->len = 0;
    return sink_call(e, e->ev, e->run, len, e->pos);
}

static bool emit_byte(emitter *e, g4_tc_event ev, const char *at, uint64_t pos) {
    if (!e->p->sink) return true;
    if (e->len && e->ev == ev && e->run + e->len == at) {
        e->len++;
        return true;
    }
    if (!flush(e)) return false;
    e->run = at;
    e->len = 1;
    e->ev = ev;
    e->pos = pos;
    return true;
}

static bool emit(emitter *e, g4_tc_event ev, const char *bytes, size_t len, uint64_t pos) {
    if (!e->p->sink) return true;
    if (!flush(e)) return false;
    return sink_call(e, ev, bytes, len, pos);
}

/* ---------------------------------------------------------------------------------------------- */

static bool is_ws(unsigned c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static bool is_digit(unsigned c) {
    return c >= '0' && c <= '9';
}

static bool is_name_char(unsigned c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-' || c == '.' ||
           c == ':' || c >= 0x80;
}

static bool is_bare_key_char(unsigned c) {
    return c >= 0x20 && c != 0x7F && !strchr(":{}[],<\"", (int)c);
}

static bool top_is_array(const g4_tc_parser *p) {
    return p->depth && ((p->stack >> (p->depth - 1)) & 1u);
}

static void keep(char *dst, uint16_t *len, size_t cap, unsigned char c) {
    if (*len < cap) dst[*len] = (char)c;
    if (*len < UINT16_MAX) (*len)++;
}

/* Which marker mark[0..len) is: its index when complete, -2 when a prefix of one, -1 when none. */
static int match_marker(const char *mark, size_t len) {
    bool prefix = false;
    for (int m = 0; m < M_COUNT; m++) {
        size_t ml = strlen(k_markers[m]);
        if (len <= ml && memcmp(k_markers[m], mark, len) == 0) {
            if (len == ml) return m;
            prefix = true;
        }
    }
    return prefix ? -2 : -1;
}

static bool push(g4_tc_parser *p, emitter *e, bool array) {
    if (p->depth >= G4_TC_MAX_DEPTH) return fail(p, G4_TC_ERR_DEPTH, p->pos, 0);
    if (!emit(e, array ? G4_TC_ARRAY_BEGIN : G4_TC_OBJECT_BEGIN, NULL, 0, p->pos)) return false;
    if (array)
        p->stack |= (uint64_t)1 << p->depth;
    else
        p->stack &= ~((uint64_t)1 << p->depth);
    p->depth++;
    p->key_valid = false;
    p->state = array ? ST_ARR_OPEN : ST_OBJ_OPEN;
    return true;
}

static bool close_container(g4_tc_parser *p, emitter *e) {
    bool array = top_is_array(p);
    if (!emit(e, array ? G4_TC_ARRAY_END : G4_TC_OBJECT_END, NULL, 0, p->pos)) return false;
    p->depth--;
    p->key_valid = false; /* key[] belonged to a member inside the closed container */
    p->state = p->depth ? ST_AFTER_VALUE : ST_CALL_CLOSE;
    p->sub = 0;
    return true;
}

static bool begin_key(g4_tc_parser *p, emitter *e, const char *at, unsigned c) {
    p->key_len = 0;
    p->key_ws = 0;
    p->key_valid = false;
    p->mark_pos = p->pos;
    if (c == '<') {
        p->state = ST_KEY_QOPEN;
        p->sub = 1;
        return true;
    }
    if (is_bare_key_char(c) && c != ' ') {
        keep(p->key, &p->key_len, G4_TC_KEY_KEEP, (unsigned char)c);
        p->state = ST_KEY_BARE;
        return emit_byte(e, G4_TC_KEY, at, p->pos);
    }
    return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
}

/* The first byte of a value; false (failed) if c cannot start one. */
static bool begin_value(g4_tc_parser *p, emitter *e, const char *at, unsigned c) {
    p->mark_pos = p->pos;
    switch (c) {
    case '<':
        p->state = ST_STR_OPEN, p->sub = 1;
        return true;
    case '{':
        return push(p, e, false);
    case '[':
        return push(p, e, true);
    case '-':
        p->state = ST_NUM_MINUS;
        return emit_byte(e, G4_TC_NUMBER, at, p->pos);
    case '0':
        p->state = ST_NUM_ZERO;
        return emit_byte(e, G4_TC_NUMBER, at, p->pos);
    case 't':
        p->lit = 0;
        break;
    case 'f':
        p->lit = 1;
        break;
    case 'n':
        p->lit = 2;
        break;
    case 'N':
        p->lit = 3;
        break;
    default:
        if (c >= '1' && c <= '9') {
            p->state = ST_NUM_INT;
            return emit_byte(e, G4_TC_NUMBER, at, p->pos);
        }
        p->state = ST_VALUE; /* the error describes what a value may be */
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '"' || c == '\'')
            return fail(p, G4_TC_ERR_BARE_WORD, p->pos, (unsigned char)c);
        return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
    }
    p->state = ST_LIT;
    p->sub = 1;
    return true;
}

static bool end_number(g4_tc_parser *p, emitter *e) {
    p->state = ST_AFTER_VALUE;
    return emit(e, G4_TC_NUMBER_END, NULL, 0, p->pos);
}

static bool on_marker(g4_tc_parser *p, emitter *e, int m) {
    uint64_t at = p->mark_pos;
    if (p->stray_pos && m != M_TURN_END && m != M_RESPONSE_OPEN && m != M_CHANNEL_CLOSE) {
        p->err_marker = M_CHANNEL_CLOSE;
        return fail(p, G4_TC_ERR_MARKER, p->stray_pos - 1, 0);
    }
    switch (m) {
    case M_CHANNEL_OPEN:
        p->state = ST_CHANNEL_NAME, p->sub = 0;
        return flush(e);
    case M_CHANNEL_CLOSE:
        if (!p->stray_pos) p->stray_pos = at + 1;
        p->state = ST_TEXT;
        return true;
    case M_CALL_OPEN:
        p->state = ST_CALL_PREFIX, p->sub = 0;
        p->name_len = 0;
        p->ncalls++;
        return emit(e, G4_TC_CALL_BEGIN, NULL, 0, at);
    case M_TURN_END:
    case M_RESPONSE_OPEN:
        p->state = ST_END;
        p->end_pos = at;
        return emit(e, G4_TC_END_OF_TURN, NULL, 0, at);
    case M_TURN_OPEN:
        if (at == 0) {
            p->state = ST_TURN_ROLE, p->sub = 0;
            return true;
        }
        break; /* a new turn inside the model's turn */
    default:
        break;
    }
    p->err_marker = (uint8_t)m;
    return fail(p, G4_TC_ERR_MARKER, at, 0);
}

/* Matches c against lit[sub]; on completion returns 1, on progress 0, on mismatch -1. */
static int literal_step(g4_tc_parser *p, const char *lit, unsigned c) {
    if ((unsigned char)lit[p->sub] != c) return -1;
    p->sub++;
    return lit[p->sub] == '\0' ? 1 : 0;
}

static bool step(g4_tc_parser *p, emitter *e, const char *at) {
    unsigned c = (unsigned char)*at;
    /* valid UTF-8 without NUL, which no JSON string can carry */
    if (c == 0 || !g4_utf8_feed(&p->utf8, (unsigned char)c)) return fail(p, G4_TC_ERR_UTF8, p->pos, (unsigned char)c);
    for (;;) {
        switch (p->state) {
        case ST_TEXT:
            if (c == '<') {
                p->mark[0] = '<';
                p->mark_len = 1;
                p->mark_pos = p->pos;
                p->state = ST_TEXT_MARK;
                return true;
            }
            if (p->stray_pos && !is_ws(c)) {
                p->err_marker = M_CHANNEL_CLOSE;
                return fail(p, G4_TC_ERR_MARKER, p->stray_pos - 1, 0);
            }
            return emit_byte(e, G4_TC_TEXT, at, p->pos);
        case ST_TEXT_MARK: {
            p->mark[p->mark_len++] = (char)c;
            int m = match_marker(p->mark, p->mark_len);
            if (m == -2) return true;
            if (m >= 0) {
                p->mark_len = 0;
                return on_marker(p, e, m);
            }
            /* Not a marker: what was held back is text, and c starts afresh (it may be '<'). */
            p->mark_len--;
            if (p->stray_pos) {
                p->err_marker = M_CHANNEL_CLOSE;
                return fail(p, G4_TC_ERR_MARKER, p->stray_pos - 1, 0);
            }
            if (!emit(e, G4_TC_TEXT, p->mark, p->mark_len, p->mark_pos)) return false;
            p->mark_len = 0;
            p->state = ST_TEXT;
            continue;
        }
        case ST_TURN_ROLE: {
            int r = literal_step(p, MODEL, c);
            if (r < 0) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            if (r > 0) p->state = ST_TEXT;
            return true;
        }
        case ST_CHANNEL_NAME: {
            int r = literal_step(p, THOUGHT, c);
            if (r < 0) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            if (r > 0) {
                p->state = ST_THOUGHT;
                return emit(e, G4_TC_THOUGHT_BEGIN, NULL, 0, p->mark_pos);
            }
            return true;
        }
        case ST_THOUGHT:
            if (c == '<') {
                p->state = ST_THOUGHT_MARK;
                p->sub = 1;
                p->mark_pos = p->pos;
                return true;
            }
            return emit_byte(e, G4_TC_THOUGHT, at, p->pos);
        case ST_THOUGHT_MARK: {
            int r = literal_step(p, CHANNEL_CLOSE, c);
            if (r > 0) {
                p->state = ST_TEXT;
                return emit(e, G4_TC_THOUGHT_END, NULL, 0, p->mark_pos);
            }
            if (r == 0) return true;
            if (!emit(e, G4_TC_THOUGHT, CHANNEL_CLOSE, p->sub, p->mark_pos)) return false;
            p->state = ST_THOUGHT;
            continue;
        }
        case ST_CALL_PREFIX: {
            int r = literal_step(p, CALL_PREFIX, c);
            if (r < 0) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            if (r > 0) p->state = ST_NAME_FIRST;
            return true;
        }
        case ST_NAME_FIRST:
        case ST_NAME:
            if (is_name_char(c)) {
                keep(p->name, &p->name_len, G4_TC_NAME_KEEP, (unsigned char)c);
                p->state = ST_NAME;
                return emit_byte(e, G4_TC_NAME, at, p->pos);
            }
            if (c == '{' && p->state == ST_NAME) return push(p, e, false);
            return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
        case ST_OBJ_OPEN:
            if (is_ws(c)) return true;
            if (c == '}') return close_container(p, e);
            return begin_key(p, e, at, c);
        case ST_OBJ_KEY:
            if (is_ws(c)) return true;
            return begin_key(p, e, at, c);
        case ST_KEY_BARE:
            if (c == ' ') {
                p->key_ws++;
                return true;
            }
            if (is_bare_key_char(c)) {
                /* spaces inside a key belong to it; only those before ':' are dropped */
                static const char spaces[] = "                ";
                while (p->key_ws) {
                    unsigned k = p->key_ws < sizeof spaces - 1 ? p->key_ws : (unsigned)(sizeof spaces - 1);
                    for (unsigned i = 0; i < k; i++) keep(p->key, &p->key_len, G4_TC_KEY_KEEP, ' ');
                    if (!emit(e, G4_TC_KEY, spaces, k, p->pos - p->key_ws)) return false;
                    p->key_ws -= k;
                }
                keep(p->key, &p->key_len, G4_TC_KEY_KEEP, (unsigned char)c);
                return emit_byte(e, G4_TC_KEY, at, p->pos);
            }
            if (c == ':') {
                p->key_ws = 0;
                p->key_valid = true;
                p->state = ST_VALUE;
                return emit(e, G4_TC_KEY_END, NULL, 0, p->pos);
            }
            return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
        case ST_KEY_QOPEN:
        case ST_STR_OPEN: {
            int r = literal_step(p, QUOTE, c);
            if (r < 0) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            if (r > 0) {
                if (p->state == ST_KEY_QOPEN) {
                    p->state = ST_KEY_Q;
                    return true;
                }
                p->state = ST_STR;
                return emit(e, G4_TC_STRING_BEGIN, NULL, 0, p->mark_pos);
            }
            return true;
        }
        case ST_KEY_Q:
        case ST_STR:
            if (c == '<') {
                p->state = p->state == ST_KEY_Q ? ST_KEY_QCLOSE : ST_STR_CLOSE;
                p->sub = 1;
                return true;
            }
            if (p->state == ST_KEY_Q) {
                keep(p->key, &p->key_len, G4_TC_KEY_KEEP, (unsigned char)c);
                return emit_byte(e, G4_TC_KEY, at, p->pos);
            }
            return emit_byte(e, G4_TC_STRING, at, p->pos);
        case ST_KEY_QCLOSE:
        case ST_STR_CLOSE: {
            bool is_key = p->state == ST_KEY_QCLOSE;
            int r = literal_step(p, QUOTE, c);
            if (r > 0) {
                if (is_key) {
                    p->state = ST_KEY_AFTER;
                    return emit(e, G4_TC_KEY_END, NULL, 0, p->pos);
                }
                p->state = ST_AFTER_VALUE;
                return emit(e, G4_TC_STRING_END, NULL, 0, p->pos);
            }
            if (r == 0) return true;
            /* "<|" followed by something else is part of the text */
            uint64_t from = p->pos - p->sub;
            if (is_key)
                for (unsigned i = 0; i < p->sub; i++)
                    keep(p->key, &p->key_len, G4_TC_KEY_KEEP, (unsigned char)QUOTE[i]);
            if (!emit(e, is_key ? G4_TC_KEY : G4_TC_STRING, QUOTE, p->sub, from)) return false;
            p->state = is_key ? ST_KEY_Q : ST_STR;
            continue;
        }
        case ST_KEY_AFTER:
            if (is_ws(c)) return true;
            if (c == ':') {
                p->key_valid = true;
                p->state = ST_VALUE;
                return true;
            }
            return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
        case ST_VALUE:
            if (is_ws(c)) return true;
            return begin_value(p, e, at, c);
        case ST_ARR_OPEN:
            if (is_ws(c)) return true;
            if (c == ']') return close_container(p, e);
            return begin_value(p, e, at, c);
        case ST_NUM_MINUS:
            if (c == '0')
                p->state = ST_NUM_ZERO;
            else if (is_digit(c))
                p->state = ST_NUM_INT;
            else
                return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            return emit_byte(e, G4_TC_NUMBER, at, p->pos);
        case ST_NUM_ZERO:
        case ST_NUM_INT:
        case ST_NUM_FRAC:
            if (is_digit(c)) {
                if (p->state == ST_NUM_ZERO) return fail(p, G4_TC_ERR_LEADING_ZERO, p->pos, (unsigned char)c);
                return emit_byte(e, G4_TC_NUMBER, at, p->pos);
            }
            if (c == '.' && p->state != ST_NUM_FRAC) {
                p->state = ST_NUM_DOT;
                return emit_byte(e, G4_TC_NUMBER, at, p->pos);
            }
            if (c == 'e' || c == 'E') {
                p->state = ST_NUM_E;
                return emit_byte(e, G4_TC_NUMBER, at, p->pos);
            }
            if (!end_number(p, e)) return false;
            continue;
        case ST_NUM_DOT:
            if (!is_digit(c)) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            p->state = ST_NUM_FRAC;
            return emit_byte(e, G4_TC_NUMBER, at, p->pos);
        case ST_NUM_E:
            if (c == '+' || c == '-')
                p->state = ST_NUM_ESIGN;
            else if (is_digit(c))
                p->state = ST_NUM_EXP;
            else
                return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            return emit_byte(e, G4_TC_NUMBER, at, p->pos);
        case ST_NUM_ESIGN:
            if (!is_digit(c)) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            p->state = ST_NUM_EXP;
            return emit_byte(e, G4_TC_NUMBER, at, p->pos);
        case ST_NUM_EXP:
            if (is_digit(c)) return emit_byte(e, G4_TC_NUMBER, at, p->pos);
            if (!end_number(p, e)) return false;
            continue;
        case ST_LIT: {
            int r = literal_step(p, k_literals[p->lit], c);
            if (r < 0) {
                p->state = ST_VALUE;
                return fail(p, G4_TC_ERR_BARE_WORD, p->mark_pos, (unsigned char)k_literals[p->lit][0]);
            }
            if (r > 0) {
                p->state = ST_AFTER_VALUE;
                return emit(e, k_literal_events[p->lit], NULL, 0, p->mark_pos);
            }
            return true;
        }
        case ST_AFTER_VALUE:
            if (is_ws(c)) return true;
            if (c == ',') {
                p->state = top_is_array(p) ? ST_VALUE : ST_OBJ_KEY;
                return true;
            }
            if ((c == '}' && !top_is_array(p)) || (c == ']' && top_is_array(p))) return close_container(p, e);
            return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
        case ST_CALL_CLOSE: {
            if (p->sub == 0) p->mark_pos = p->pos;
            int r = literal_step(p, CALL_CLOSE, c);
            if (r < 0) return fail(p, G4_TC_ERR_UNEXPECTED, p->pos, (unsigned char)c);
            if (r > 0) {
                p->state = ST_TEXT;
                return emit(e, G4_TC_CALL_END, NULL, 0, p->mark_pos);
            }
            return true;
        }
        case ST_END:
            if (is_ws(c)) return true;
            return fail(p, G4_TC_ERR_AFTER_END, p->pos, (unsigned char)c);
        default:
            return false; /* ST_FAILED */
        }
    }
}

/* A parser that starts inside the thought reports the thought's beginning before anything else. */
static bool announce_thought(g4_tc_parser *p, emitter *e) {
    if (!p->thought_pending) return true;
    p->thought_pending = false;
    return emit(e, G4_TC_THOUGHT_BEGIN, NULL, 0, 0);
}

void g4_tc_parser_init(g4_tc_parser *p, unsigned flags, g4_tc_sink sink, void *user) {
    memset(p, 0, sizeof *p);
    p->state = (flags & G4_TC_START_IN_THOUGHT) ? ST_THOUGHT : ST_TEXT;
    p->thought_pending = (flags & G4_TC_START_IN_THOUGHT) != 0;
    p->sink = sink;
    p->user = user;
}

bool g4_tc_parser_feed(g4_tc_parser *p, const char *bytes, size_t n) {
    if (p->state == ST_FAILED) return false;
    emitter e = {.p = p};
    if (!announce_thought(p, &e)) return false;
    for (size_t i = 0; i < n; i++, p->pos++)
        if (!step(p, &e, bytes + i)) return false;
    return flush(&e);
}

bool g4_tc_parser_finish(g4_tc_parser *p) {
    if (p->state == ST_FAILED) return false;
    emitter e = {.p = p};
    if (!announce_thought(p, &e)) return false;
    if (p->utf8.need) return fail(p, G4_TC_ERR_EOF, p->pos, 0);
    switch (p->state) {
    case ST_TEXT_MARK:
        if (p->stray_pos) {
            p->err_marker = M_CHANNEL_CLOSE;
            return fail(p, G4_TC_ERR_MARKER, p->stray_pos - 1, 0);
        }
        if (!emit(&e, G4_TC_TEXT, p->mark, p->mark_len, p->mark_pos)) return false;
        p->mark_len = 0;
        p->state = ST_TEXT;
        return true;
    case ST_TEXT:
    case ST_END:
        return true;
    default:
        return fail(p, G4_TC_ERR_EOF, p->pos, 0);
    }
}

bool g4_tc_parser_failed(const g4_tc_parser *p) {
    return p->state == ST_FAILED;
}

g4_tc_error_kind g4_tc_parser_error_kind(const g4_tc_parser *p) {
    return p->state == ST_FAILED ? (g4_tc_error_kind)p->err_kind : G4_TC_OK;
}

bool g4_tc_parser_in_call(const g4_tc_parser *p) {
    unsigned s = p->state == ST_FAILED ? p->err_state : p->state;
    return s >= ST_CALL_PREFIX && s <= ST_CALL_CLOSE;
}

g4_tc_position g4_tc_parser_position(const g4_tc_parser *p) {
    switch (p->state) {
    case ST_TEXT:
    case ST_TEXT_MARK:
    case ST_TURN_ROLE:
        return G4_TC_POS_TEXT;
    case ST_CHANNEL_NAME:
    case ST_THOUGHT:
    case ST_THOUGHT_MARK:
        return G4_TC_POS_THOUGHT;
    case ST_CALL_PREFIX:
        return G4_TC_POS_CALL_PREFIX;
    case ST_NAME_FIRST:
    case ST_NAME:
        return G4_TC_POS_NAME;
    case ST_OBJ_OPEN:
    case ST_OBJ_KEY:
    case ST_KEY_BARE:
    case ST_KEY_QOPEN:
    case ST_KEY_Q:
    case ST_KEY_QCLOSE:
    case ST_KEY_AFTER:
        return G4_TC_POS_KEY;
    case ST_VALUE:
    case ST_ARR_OPEN:
    case ST_STR_OPEN:
        return G4_TC_POS_VALUE;
    case ST_STR:
    case ST_STR_CLOSE:
        return G4_TC_POS_STRING;
    case ST_LIT:
        return G4_TC_POS_LITERAL;
    case ST_AFTER_VALUE:
        return G4_TC_POS_AFTER_VALUE;
    case ST_CALL_CLOSE:
        return G4_TC_POS_CALL_CLOSE;
    case ST_END:
        return G4_TC_POS_END;
    case ST_FAILED:
        return G4_TC_POS_FAILED;
    default:
        return G4_TC_POS_NUMBER; /* ST_NUM_* */
    }
}

bool g4_tc_parser_can_end(const g4_tc_parser *p) {
    g4_tc_parser copy = *p;
    copy.sink = NULL;
    return g4_tc_parser_finish(&copy);
}

void g4_tc_parser_next_bytes(const g4_tc_parser *p, uint8_t set[32]) {
    memset(set, 0, 32);
    if (p->state == ST_FAILED) return;
    for (unsigned b = 0; b < 256; b++) {
        g4_tc_parser copy = *p;
        copy.sink = NULL;
        char byte = (char)b;
        if (g4_tc_parser_feed(&copy, &byte, 1)) set[b / 8] |= (uint8_t)(1u << (b % 8));
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Messages                                                                                        */

/* 'text' with at most `keep` of its `len` bytes, "..." when cut, non-printing bytes as '?'. */
static void quoted(char *out, size_t cap, const char *text, size_t len, size_t keep) {
    char tmp[G4_TC_NAME_KEEP + 1];
    size_t n = len < keep ? len : keep;
    for (size_t i = 0; i < n; i++) tmp[i] = (unsigned char)text[i] < 0x20 ? '?' : text[i];
    tmp[n] = '\0';
    snprintf(out, cap, "'%s%s'", tmp, len > keep ? "..." : "");
}

static void describe(const g4_tc_parser *p, unsigned state, char *buf, size_t cap) {
    char key[G4_TC_KEY_KEEP + 8], name[G4_TC_NAME_KEEP + 8];
    quoted(key, sizeof key, p->key, p->key_len, G4_TC_KEY_KEEP);
    quoted(name, sizeof name, p->name, p->name_len, G4_TC_NAME_KEEP);
    bool array = top_is_array(p);
    const char *close = array ? "']'" : "'}'";
    static const char value_forms[] = "(<|\"|>text<|\"|>, a number, true, false, null, {...} or [...])";
    switch (state) {
    case ST_TEXT:
        snprintf(buf, cap, "text, a thought, a tool call or the end of the turn");
        break;
    case ST_TEXT_MARK:
        snprintf(buf, cap, "the rest of a marker, or text");
        break;
    case ST_TURN_ROLE:
        snprintf(buf, cap, "'model' after '<|turn>'");
        break;
    case ST_CHANNEL_NAME:
        snprintf(buf, cap, "'thought' after '<|channel>'");
        break;
    case ST_THOUGHT:
    case ST_THOUGHT_MARK:
        snprintf(buf, cap, "'<channel|>' to close the thought");
        break;
    case ST_CALL_PREFIX:
        snprintf(buf, cap, "'call:' after '<|tool_call>'");
        break;
    case ST_NAME_FIRST:
        snprintf(buf, cap, "a function name after 'call:'");
        break;
    case ST_NAME:
        snprintf(buf, cap, "'{' after the function name %s", name);
        break;
    case ST_OBJ_OPEN:
        snprintf(buf, cap, "a key or '}'");
        break;
    case ST_OBJ_KEY:
        snprintf(buf, cap, "a key after ','");
        break;
    case ST_KEY_BARE:
    case ST_KEY_AFTER:
        snprintf(buf, cap, "':' after key %s", key);
        break;
    case ST_KEY_QOPEN:
        snprintf(buf, cap, "'<|\"|>' to open a quoted key");
        break;
    case ST_KEY_Q:
    case ST_KEY_QCLOSE:
        snprintf(buf, cap, "'<|\"|>' to close key %s", key);
        break;
    case ST_VALUE:
        if (array)
            snprintf(buf, cap, "an array item %s", value_forms);
        else
            snprintf(buf, cap, "a value for key %s %s", key, value_forms);
        break;
    case ST_ARR_OPEN:
        snprintf(buf, cap, "an array item or ']'");
        break;
    case ST_STR_OPEN:
        snprintf(buf, cap, "'<|\"|>' to open a string");
        break;
    case ST_STR:
    case ST_STR_CLOSE:
        if (p->key_valid && !array)
            snprintf(buf, cap, "'<|\"|>' to close the string value of key %s", key);
        else
            snprintf(buf, cap, "'<|\"|>' to close the string");
        break;
    case ST_NUM_MINUS:
        snprintf(buf, cap, "a digit after '-'");
        break;
    case ST_NUM_DOT:
        snprintf(buf, cap, "a digit after '.'");
        break;
    case ST_NUM_E:
        snprintf(buf, cap, "a digit or a sign in the exponent");
        break;
    case ST_NUM_ESIGN:
        snprintf(buf, cap, "a digit in the exponent");
        break;
    case ST_NUM_ZERO:
    case ST_NUM_INT:
    case ST_NUM_FRAC:
    case ST_NUM_EXP:
        snprintf(buf, cap, "more of the number, ',' or %s", close);
        break;
    case ST_LIT:
        snprintf(buf, cap, "'%s'", k_literals[p->lit]);
        break;
    case ST_AFTER_VALUE:
        if (array)
            snprintf(buf, cap, "',' or ']' after an array item");
        else if (p->key_valid)
            snprintf(buf, cap, "',' or '}' after the value of key %s", key);
        else
            snprintf(buf, cap, "',' or '}'");
        break;
    case ST_CALL_CLOSE:
        snprintf(buf, cap, "'<tool_call|>' after the arguments of %s", name);
        break;
    case ST_END:
        snprintf(buf, cap, "nothing but whitespace after the end of the turn");
        break;
    default:
        snprintf(buf, cap, "nothing (the text is already invalid)");
        break;
    }
}

void g4_tc_parser_expected(const g4_tc_parser *p, char *buf, size_t cap) {
    if (!buf || !cap) return;
    describe(p, p->state, buf, cap);
}

static void describe_byte(unsigned c, char *out, size_t cap) {
    if (c == '\n')
        snprintf(out, cap, "a newline");
    else if (c == '\t')
        snprintf(out, cap, "a tab");
    else if (c == '\'')
        snprintf(out, cap, "\"'\"");
    else if (c >= 0x20 && c < 0x7F)
        snprintf(out, cap, "'%c'", (char)c);
    else
        snprintf(out, cap, "byte 0x%02X", c);
}

void g4_tc_parser_error(const g4_tc_parser *p, char *buf, size_t cap) {
    if (!buf || !cap) return;
    buf[0] = '\0';
    if (p->state != ST_FAILED) return;
    unsigned long long at = (unsigned long long)p->err_pos;
    char want[256], got[32], name[G4_TC_NAME_KEEP + 8];
    describe(p, p->err_state, want, sizeof want);
    describe_byte(p->err_byte, got, sizeof got);
    quoted(name, sizeof name, p->name, p->name_len, G4_TC_NAME_KEEP);
    switch ((g4_tc_error_kind)p->err_kind) {
    case G4_TC_ERR_UNEXPECTED:
        snprintf(buf, cap, "byte %llu: expected %s, got %s", at, want, got);
        break;
    case G4_TC_ERR_BARE_WORD:
        if (p->err_byte == '"' || p->err_byte == '\'')
            snprintf(buf, cap, "byte %llu: expected %s, got %s (strings are written <|\"|>...<|\"|>)", at, want, got);
        else
            snprintf(buf, cap,
                     "byte %llu: expected %s, got a bare word starting with %s (strings are written <|\"|>...<|\"|>)",
                     at, want, got);
        break;
    case G4_TC_ERR_EOF:
        if (p->utf8.need)
            snprintf(buf, cap, "byte %llu: the text ends in the middle of a UTF-8 character", at);
        else if (p->err_state == ST_THOUGHT || p->err_state == ST_THOUGHT_MARK || p->err_state == ST_CHANNEL_NAME)
            snprintf(buf, cap, "byte %llu: the text ends inside the thought channel: expected %s", at, want);
        else if (p->err_state == ST_TURN_ROLE)
            snprintf(buf, cap, "byte %llu: the text ends inside '<|turn>model': expected %s", at, want);
        else if (p->err_state == ST_CALL_PREFIX || p->err_state == ST_NAME_FIRST)
            snprintf(buf, cap, "byte %llu: the text ends inside a tool call: expected %s", at, want);
        else
            snprintf(buf, cap, "byte %llu: the text ends inside tool call %s (truncated output?): expected %s", at,
                     name, want);
        break;
    case G4_TC_ERR_UTF8:
        if (p->err_byte == 0)
            snprintf(buf, cap, "byte %llu: NUL byte in the text", at);
        else
            snprintf(buf, cap, "byte %llu: invalid UTF-8 (byte 0x%02X)", at, p->err_byte);
        break;
    case G4_TC_ERR_DEPTH:
        snprintf(buf, cap, "byte %llu: arguments of %s nested deeper than %d levels", at, name, G4_TC_MAX_DEPTH);
        break;
    case G4_TC_ERR_LEADING_ZERO:
        snprintf(buf, cap, "byte %llu: a number cannot have leading zeros", at);
        break;
    case G4_TC_ERR_MARKER:
        switch (p->err_marker) {
        case M_CHANNEL_CLOSE:
            snprintf(buf, cap,
                     "byte %llu: '<channel|>' closes a thought that was never opened (and text follows it; if the "
                     "prompt ended inside the thought channel, parse with the thought open)",
                     at);
            break;
        case M_CALL_CLOSE:
            snprintf(buf, cap, "byte %llu: '<tool_call|>' without an opening '<|tool_call>'", at);
            break;
        case M_RESPONSE_CLOSE:
            snprintf(buf, cap, "byte %llu: unexpected '<tool_response|>' (tool responses come from the caller)", at);
            break;
        case M_TURN_OPEN:
            snprintf(buf, cap, "byte %llu: unexpected '<|turn>': the model started a new turn", at);
            break;
        default:
            snprintf(buf, cap, "byte %llu: unexpected %s", at, k_markers[p->err_marker]);
            break;
        }
        break;
    case G4_TC_ERR_AFTER_END:
        snprintf(buf, cap, "byte %llu: text after the end of the turn (marker at byte %llu), got %s", at,
                 (unsigned long long)p->end_pos, got);
        break;
    case G4_TC_ERR_SINK:
        snprintf(buf, cap, "byte %llu: stopped by the consumer", at);
        break;
    default:
        break;
    }
}
