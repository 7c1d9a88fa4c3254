#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

gemma4_status g4_fail(g4_error *err, gemma4_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void g4_error_prefix(g4_error *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[G4_ERROR_MAX], old[G4_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is fine here: the message is bounded by design. */
    size_t n = strlen(prefix);
    if (n >= sizeof err->msg) n = sizeof err->msg - 1;
    memcpy(err->msg, prefix, n);
    size_t room = sizeof err->msg - 1 - n, m = strnlen(old, sizeof old - 1);
    if (m > room) m = room;
    memcpy(err->msg + n, old, m);
    err->msg[n + m] = '\0';
}

void g4_error_clear(g4_error *err) {
    if (!err) return;
    err->status = GEMMA4_OK;
    err->msg[0] = '\0';
}

void g4_error_copy_out(const g4_error *err, char *buf, size_t cap) {
    if (!buf || cap == 0) return;
    snprintf(buf, cap, "%s", err ? err->msg : "");
}
