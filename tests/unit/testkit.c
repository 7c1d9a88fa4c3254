#include "testkit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void g4t_rng_seed(g4t_rng *r, uint64_t seed) {
    r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint64_t g4t_rng_u64(g4t_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

float g4t_rng_uniform(g4t_rng *r, float lo, float hi) {
    return lo + (hi - lo) * (float)((g4t_rng_u64(r) >> 40) * (1.0 / 16777216.0));
}

float g4t_rng_normal(g4t_rng *r) {
    double u1 = ((g4t_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (g4t_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

const char *g4t_data_path(char *buf, size_t cap, const char *rel) {
    snprintf(buf, cap, "%s/%s", G4_TEST_DATA, rel);
    return buf;
}

const char *g4t_temp_path(char *buf, size_t cap, const char *suffix) {
    static unsigned counter;
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/g4test-%ld-%u%s", dir ? dir : "/tmp", (long)getpid(), counter++, suffix ? suffix : "");
    return buf;
}

void *g4t_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && n > 0 && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p && size) *size = (size_t)n;
    return p;
}
