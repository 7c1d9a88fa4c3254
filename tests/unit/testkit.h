/* Shared helpers for the cmocka unit tests: deterministic random numbers, temp files, test data paths. */
#ifndef G4_TESTKIT_H
#define G4_TESTKIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* xorshift64*: the same sequence on every machine, so failures reproduce. */
typedef struct {
    uint64_t s;
} g4t_rng;
void g4t_rng_seed(g4t_rng *r, uint64_t seed);
uint64_t g4t_rng_u64(g4t_rng *r);
float g4t_rng_uniform(g4t_rng *r, float lo, float hi);
float g4t_rng_normal(g4t_rng *r);

/* Absolute path of a file under tests/data (static buffer per call site is not needed: caller's buffer). */
const char *g4t_data_path(char *buf, size_t cap, const char *rel);

/* A fresh path in the system temp dir (file not created). */
const char *g4t_temp_path(char *buf, size_t cap, const char *suffix);

/* Reads a whole file into malloc'd memory; returns NULL on failure. */
void *g4t_read_file(const char *path, size_t *size);

#endif
