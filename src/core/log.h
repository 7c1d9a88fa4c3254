/* The logging hook: the library never prints; it hands messages to the application's callback. */
#ifndef G4_CORE_LOG_H
#define G4_CORE_LOG_H

#include "gemma4.h"

typedef struct g4_logger {
    gemma4_log_fn fn; /* NULL: messages are dropped */
    void *user;
    gemma4_log_level min_level;
} g4_logger;

void g4_log(const g4_logger *lg, gemma4_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
