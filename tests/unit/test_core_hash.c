/* XXH64 against the published vectors (xxHash's own sanity check, xxhsum's BMK_sanityCheck, and the
 * commonly quoted string vectors), and the incremental interface against the one-shot call for
 * every way of cutting the input in two and for byte-at-a-time updates. */
#include <string.h>

#include "core/hash.h"
#include "testkit.h"

#define SANITY_SIZE 101
#define PRIME32 2654435761u /* xxHash's sanity-check seed */

/* xxHash's sanity buffer: byte i is the top byte of a 32-bit generator that squares itself. */
static void sanity_buffer(uint8_t *buf) {
    uint32_t gen = PRIME32;
    for (int i = 0; i < SANITY_SIZE; i++) {
        buf[i] = (uint8_t)(gen >> 24);
        gen *= gen;
    }
}

static void test_published_vectors(void **state) {
    (void)state;
    uint8_t buf[SANITY_SIZE];
    sanity_buffer(buf);
    static const struct {
        size_t len;
        uint64_t seed, want;
    } sanity[] = {
        {0, 0, 0xEF46DB3751D8E999ull},           {0, PRIME32, 0xAC75FDA2929B17EFull},
        {1, 0, 0x4FCE394CC88952D8ull},           {1, PRIME32, 0x739840CB819FA723ull},
        {14, 0, 0xCFFA8DB881BC3A3Dull},          {14, PRIME32, 0x5B9611585EFCC9CBull},
        {SANITY_SIZE, 0, 0x0EAB543384F878ADull}, {SANITY_SIZE, PRIME32, 0xCAA65939306F1E21ull},
    };
    for (size_t i = 0; i < sizeof sanity / sizeof sanity[0]; i++) {
        const uint64_t got = g4_hash64(buf, sanity[i].len, sanity[i].seed);
        if (got != sanity[i].want)
            fail_msg("sanity buffer, %zu bytes, seed %llu: %016llx, want %016llx", sanity[i].len,
                     (unsigned long long)sanity[i].seed, (unsigned long long)got, (unsigned long long)sanity[i].want);
    }
    assert_true(g4_hash64(NULL, 0, 0) == 0xEF46DB3751D8E999ull);
    assert_true(g4_hash64("a", 1, 0) == 0xD24EC4F1A98C6E5Bull);
    assert_true(g4_hash64("abc", 3, 0) == 0x44BC2CF5AD770999ull);
    const char *text = "Nobody inspects the spammish repetition"; /* 39 bytes: one stripe and a tail */
    assert_true(g4_hash64(text, strlen(text), 0) == 0xFBCEA83C8A378BF1ull);
}

static void test_incremental_matches_one_shot(void **state) {
    (void)state;
    uint8_t buf[SANITY_SIZE];
    sanity_buffer(buf);
    for (size_t len = 0; len <= SANITY_SIZE; len++) {
        const uint64_t want = g4_hash64(buf, len, PRIME32);
        for (size_t cut = 0; cut <= len; cut++) { /* two pieces, cut anywhere */
            g4_hash h;
            g4_hash_init(&h, PRIME32);
            g4_hash_update(&h, buf, cut);
            g4_hash_update(&h, buf + cut, len - cut);
            if (g4_hash_final(&h) != want) fail_msg("%zu bytes cut at %zu differ from the one-shot hash", len, cut);
        }
        g4_hash h; /* one byte at a time, with empty updates between */
        g4_hash_init(&h, PRIME32);
        for (size_t i = 0; i < len; i++) {
            g4_hash_update(&h, buf + i, 1);
            g4_hash_update(&h, NULL, 0);
        }
        if (g4_hash_final(&h) != want) fail_msg("%zu bytes one at a time differ from the one-shot hash", len);
    }
}

static void test_final_leaves_state_usable(void **state) {
    (void)state;
    uint8_t buf[SANITY_SIZE];
    sanity_buffer(buf);
    g4_hash h;
    g4_hash_init(&h, 7);
    g4_hash_update(&h, buf, 40);
    assert_true(g4_hash_final(&h) == g4_hash64(buf, 40, 7));
    g4_hash_update(&h, buf + 40, SANITY_SIZE - 40);
    assert_true(g4_hash_final(&h) == g4_hash64(buf, SANITY_SIZE, 7));
    /* the seed and every byte matter */
    assert_true(g4_hash64(buf, SANITY_SIZE, 0) != g4_hash64(buf, SANITY_SIZE, 1));
    for (size_t i = 0; i < SANITY_SIZE; i++) {
        uint8_t flipped[SANITY_SIZE];
        memcpy(flipped, buf, sizeof flipped);
        flipped[i] ^= 1;
        if (g4_hash64(flipped, SANITY_SIZE, 0) == g4_hash64(buf, SANITY_SIZE, 0))
            fail_msg("flipping a bit of byte %zu does not change the hash", i);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_vectors),
        cmocka_unit_test(test_incremental_matches_one_shot),
        cmocka_unit_test(test_final_leaves_state_usable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
