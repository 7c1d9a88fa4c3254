/* UTF-8 rules shared by all layers (utf8.h). */
#include "core/utf8.h"

size_t g4_utf8_lead_len(unsigned char lead) {
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

uint32_t g4_utf8_assemble(const unsigned char *s, size_t len) {
    static const unsigned char lead_payload[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = s[0] & lead_payload[len];
    for (size_t i = 1; i < len; i++) cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

bool g4_utf8_feed(g4_utf8_state *st, unsigned char byte) {
    if (st->need) {
        if (byte < st->lo || byte > st->hi) return false;
        st->lo = 0x80, st->hi = 0xBF;
        st->need--;
        return true;
    }
    if (byte < 0x80) return true;
    st->lo = 0x80, st->hi = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF)
        st->need = 1; /* C0 and C1 could only start overlong forms */
    else if (byte == 0xE0)
        st->need = 2, st->lo = 0xA0; /* E0 80..9F would be overlong */
    else if (byte == 0xED)
        st->need = 2, st->hi = 0x9F; /* ED A0..BF are the surrogates */
    else if (byte >= 0xE1 && byte <= 0xEF)
        st->need = 2;
    else if (byte == 0xF0)
        st->need = 3, st->lo = 0x90; /* F0 80..8F would be overlong */
    else if (byte == 0xF4)
        st->need = 3, st->hi = 0x8F; /* F4 90.. is above U+10FFFF */
    else if (byte >= 0xF1 && byte <= 0xF3)
        st->need = 3;
    else
        return false; /* a continuation byte out of place, or F5..FF, which start nothing */
    return true;
}

size_t g4_utf8_decode(const void *s, size_t n, uint32_t *cp) {
    const unsigned char *u = s;
    if (n == 0) return 0;
    size_t len = g4_utf8_lead_len(u[0]);
    if (len > n) return 0;
    g4_utf8_state st = {0};
    for (size_t i = 0; i < len; i++)
        if (!g4_utf8_feed(&st, u[i])) return 0;
    /* every lead byte the step accepts announces exactly the bytes it then asks for */
    if (cp) *cp = g4_utf8_assemble(u, len);
    return len;
}

size_t g4_utf8_encode(uint32_t cp, unsigned char out[4]) {
    static const unsigned char lead_marker[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    if (cp > 0x10FFFF) return 0;
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t i = n - 1; i > 0; i--) {
        out[i] = (unsigned char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    out[0] = (unsigned char)(lead_marker[n] | cp);
    return n;
}

size_t g4_utf8_complete_len(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    /* the last byte that is not a continuation byte decides; a character has at most 3 after its lead */
    size_t back = n < 4 ? n : 4;
    for (size_t k = 1; k <= back; k++) {
        if (g4_utf8_is_cont(u[n - k])) continue;
        return k < g4_utf8_lead_len(u[n - k]) ? n - k : n;
    }
    return n;
}

size_t g4_utf8_count_chars(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += !g4_utf8_is_cont((unsigned char)s[i]);
    return k;
}
