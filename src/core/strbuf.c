/* Growable text buffer (strbuf.h). */
#include "core/strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void g4_strbuf_put(g4_strbuf *b, const void *s, size_t n) {
    if (b->oom || n == 0) return;
    /* Doubling must not wrap around: refuse sizes a quarter of the address space away. */
    if (n > SIZE_MAX / 4 - b->n) {
        b->oom = true;
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void g4_strbuf_puts(g4_strbuf *b, const char *s) {
    g4_strbuf_put(b, s, strlen(s));
}

void g4_strbuf_free(g4_strbuf *b) {
    free(b->p);
    *b = (g4_strbuf){0};
}

char *g4_strbuf_finish(g4_strbuf *b) {
    char *text = b->oom ? NULL : b->p;
    if (b->oom) free(b->p);
    if (!b->oom && !text) text = calloc(1, 1);
    *b = (g4_strbuf){0};
    return text;
}
