#include "sample/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct candidate {
    int32_t id;
    float logit;
} candidate;

struct g4_sampler {
    g4_sampler_params p;
    int32_t n_vocab;
    uint64_t rng;
    candidate *cand; /* n_vocab working entries */
    /* The last G4_SAMPLER_MAX_WINDOW accepted tokens, whatever the window, so that settings with
     * another penalty_last_n (per request) can be applied and taken back without losing history. */
    int32_t *history;    /* ring, [G4_SAMPLER_MAX_WINDOW] */
    int32_t n_history;   /* tokens in the ring */
    int32_t history_pos; /* where the next one goes */
    int32_t n_window;    /* min(n_history, penalty_last_n): the tokens the penalties look at */
    uint16_t *counts;    /* occurrences of each token in the window; the top bit marks "penalised" during a pass */
};

g4_sampler_params g4_sampler_default_params(void) {
    g4_sampler_params p = {
        .temperature = 1.0f,
        .top_k = 64,
        .top_p = 0.95f,
        .min_p = 0.0f,
        .repeat_penalty = 1.0f,
        .frequency_penalty = 0.0f,
        .presence_penalty = 0.0f,
        .penalty_last_n = 64,
        .seed = 0,
    };
    return p;
}

/* splitmix64: tiny, fast, and the same stream on every platform. */
static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *state) {
    return (double)(next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
}

gemma4_status g4_sampler_check_params(const g4_sampler_params *p, g4_error *err) {
    if (p->penalty_last_n < 0 || p->penalty_last_n > G4_SAMPLER_MAX_WINDOW)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "sampling: penalty window %d outside 0..%d", (int)p->penalty_last_n,
                       G4_SAMPLER_MAX_WINDOW);
    if (!(p->repeat_penalty > 0.0f))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "sampling: repeat penalty must be > 0 (1 = off)");
    if (isnan(p->temperature) || isnan(p->top_p) || isnan(p->min_p) || isnan(p->frequency_penalty) ||
        isnan(p->presence_penalty))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "sampling: a parameter is NaN");
    return GEMMA4_OK;
}

gemma4_status g4_sampler_new(const g4_sampler_params *params, int32_t n_vocab, g4_sampler **out, g4_error *err) {
    *out = NULL;
    if (n_vocab <= 0) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "sampler: vocabulary size %d", (int)n_vocab);
    g4_sampler_params p = params ? *params : g4_sampler_default_params();
    gemma4_status st = g4_sampler_check_params(&p, err);
    if (st != GEMMA4_OK) return st;

    g4_sampler *s = calloc(1, sizeof *s);
    if (!s) return g4_fail(err, GEMMA4_ERR_NOMEM, "sampler: out of memory");
    s->p = p;
    s->n_vocab = n_vocab;
    s->cand = malloc(sizeof *s->cand * (size_t)n_vocab);
    s->counts = calloc((size_t)n_vocab, sizeof *s->counts);
    s->history = malloc(sizeof *s->history * (size_t)G4_SAMPLER_MAX_WINDOW);
    if (!s->cand || !s->counts || !s->history) {
        g4_sampler_free(s);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "sampler: out of memory for %d candidates", (int)n_vocab);
    }
    g4_sampler_reset(s);
    *out = s;
    return GEMMA4_OK;
}

void g4_sampler_free(g4_sampler *s) {
    if (!s) return;
    free(s->cand);
    free(s->counts);
    free(s->history);
    free(s);
}

void g4_sampler_reset(g4_sampler *s) {
    s->rng = s->p.seed;
    s->n_history = 0;
    s->history_pos = 0;
    s->n_window = 0;
    memset(s->counts, 0, sizeof *s->counts * (size_t)s->n_vocab);
}

/* The i-th most recent accepted token (i = 0: the last one), i < n_history. */
static int32_t recent(const g4_sampler *s, int32_t i) {
    return s->history[(s->history_pos - 1 - i + G4_SAMPLER_MAX_WINDOW) % G4_SAMPLER_MAX_WINDOW];
}

/* Counts the window anew: after the window size changed. */
static void recount_window(g4_sampler *s) {
    memset(s->counts, 0, sizeof *s->counts * (size_t)s->n_vocab);
    s->n_window = s->n_history < s->p.penalty_last_n ? s->n_history : s->p.penalty_last_n;
    for (int32_t i = 0; i < s->n_window; i++) s->counts[recent(s, i)]++;
}

void g4_sampler_accept(g4_sampler *s, int32_t token) {
    if (token < 0 || token >= s->n_vocab) return;
    /* the token that falls out of the window (if it is full) before this one comes in */
    if (s->n_window > 0 && s->n_window == s->p.penalty_last_n)
        s->counts[recent(s, s->n_window - 1)]--;
    else if (s->p.penalty_last_n > 0)
        s->n_window++;
    s->history[s->history_pos] = token;
    s->history_pos = (s->history_pos + 1) % G4_SAMPLER_MAX_WINDOW;
    if (s->n_history < G4_SAMPLER_MAX_WINDOW) s->n_history++;
    if (s->p.penalty_last_n > 0) s->counts[token]++;
}

gemma4_status g4_sampler_set_params(g4_sampler *s, const g4_sampler_params *p, g4_error *err) {
    gemma4_status st = g4_sampler_check_params(p, err);
    if (st != GEMMA4_OK) return st;
    bool window_changed = p->penalty_last_n != s->p.penalty_last_n;
    s->p = *p;
    s->rng = p->seed;
    if (window_changed) recount_window(s);
    return GEMMA4_OK;
}

g4_sampler_params g4_sampler_get_params(const g4_sampler *s) {
    return s->p;
}
uint64_t g4_sampler_rng_state(const g4_sampler *s) {
    return s->rng;
}
void g4_sampler_set_rng_state(g4_sampler *s, uint64_t state) {
    s->rng = state;
}

int32_t g4_sampler_history(const g4_sampler *s, int32_t *out, int32_t cap) {
    int32_t n = s->n_history < cap ? s->n_history : cap;
    for (int32_t i = 0; i < n; i++) out[i] = recent(s, n - 1 - i);
    return n;
}

static bool penalties_active(const g4_sampler_params *p) {
    return p->penalty_last_n > 0 &&
           (p->repeat_penalty != 1.0f || p->frequency_penalty != 0.0f || p->presence_penalty != 0.0f);
}

/* As llama.cpp: dividing a negative logit would make the token more likely, so those are multiplied. */
static void apply_penalties(g4_sampler *s, float *logits) {
    if (!penalties_active(&s->p)) return;
    for (int32_t i = 0; i < s->n_window; i++) {
        int32_t t = recent(s, i);
        uint16_t c = s->counts[t];
        if (c & 0x8000u) continue; /* already penalised: the token sits in the ring more than once */
        if (logits[t] <= 0.0f)
            logits[t] *= s->p.repeat_penalty;
        else
            logits[t] /= s->p.repeat_penalty;
        logits[t] -= (float)c * s->p.frequency_penalty + s->p.presence_penalty;
        s->counts[t] = (uint16_t)(c | 0x8000u);
    }
    for (int32_t i = 0; i < s->n_window; i++) s->counts[recent(s, i)] &= 0x7FFFu;
}

static int cmp_desc(const void *a, const void *b) {
    float x = ((const candidate *)a)->logit, y = ((const candidate *)b)->logit;
    if (x > y) return -1;
    if (x < y) return 1;
    return ((const candidate *)a)->id - ((const candidate *)b)->id; /* stable, reproducible ties */
}

/* Moves the k largest candidates to the front (unordered), by quickselect: O(n) on average. */
static void select_top(candidate *c, int32_t n, int32_t k) {
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        candidate pivot = c[lo + (hi - lo) / 2];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (cmp_desc(&c[i], &pivot) < 0) i++;
            while (cmp_desc(&c[j], &pivot) > 0) j--;
            if (i <= j) {
                candidate t = c[i];
                c[i] = c[j];
                c[j] = t;
                i++;
                j--;
            }
        }
        if (k - 1 <= j)
            hi = j;
        else if (k - 1 >= i)
            lo = i;
        else
            break;
    }
}

int32_t g4_sampler_sample(g4_sampler *s, float *logits, g4_logit_mask_fn mask, void *mask_user) {
    if (mask) mask(mask_user, logits, s->n_vocab);
    apply_penalties(s, logits);

    int32_t n = 0;
    for (int32_t i = 0; i < s->n_vocab; i++) {
        if (logits[i] == -INFINITY || isnan(logits[i])) continue;
        s->cand[n].id = i;
        s->cand[n].logit = logits[i];
        n++;
    }
    if (n == 0) return -1;

    if (s->p.temperature <= 0.0f) {
        int32_t best = 0;
        for (int32_t i = 1; i < n; i++)
            if (s->cand[i].logit > s->cand[best].logit) best = i;
        return s->cand[best].id;
    }

    /* Top-k first: it bounds the sort that top-p needs. */
    int32_t k = (s->p.top_k > 0 && s->p.top_k < n) ? s->p.top_k : n;
    if (k < n) select_top(s->cand, n, k);
    n = k;
    qsort(s->cand, (size_t)n, sizeof *s->cand, cmp_desc);

    /* Probabilities at temperature 1 drive top-p and min-p, as in llama.cpp's chain where the
     * temperature comes last. */
    double max_logit = s->cand[0].logit, sum = 0.0;
    for (int32_t i = 0; i < n; i++) sum += exp((double)s->cand[i].logit - max_logit);

    if (s->p.top_p < 1.0f) {
        double cum = 0.0;
        int32_t keep = n;
        for (int32_t i = 0; i < n; i++) {
            cum += exp((double)s->cand[i].logit - max_logit) / sum;
            if (cum >= s->p.top_p) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }
    if (s->p.min_p > 0.0f) {
        /* p_i >= min_p * p_max  <=>  logit_i >= max_logit + log(min_p) */
        double threshold = max_logit + log((double)s->p.min_p);
        int32_t keep = 1;
        while (keep < n && s->cand[keep].logit >= threshold) keep++;
        n = keep;
    }

    /* The weights are recomputed in the draw loop rather than stored: no buffer, no allocation. */
    double total = 0.0;
    for (int32_t i = 0; i < n; i++) total += exp(((double)s->cand[i].logit - max_logit) / s->p.temperature);
    double r = next_unit(&s->rng) * total, acc = 0.0;
    for (int32_t i = 0; i < n; i++) {
        acc += exp(((double)s->cand[i].logit - max_logit) / s->p.temperature);
        if (r < acc) return s->cand[i].id;
    }
    return s->cand[n - 1].id;
}
