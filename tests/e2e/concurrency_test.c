/*
 * Four sessions on one shared model and one shared thread pool, generating at the same time from
 * four threads: each must give exactly the tokens it gives when it runs alone (no state leaks
 * between sessions, the pool's runs take turns cleanly). CI also runs this under ThreadSanitizer.
 *   test_e2e_concurrency MODEL.gguf
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemma4.h"

#define N_SESSIONS 4
#define N_TOKENS 24

typedef struct job {
    gemma4_model *model;
    gemma4_threadpool *pool;
    int index;
    int32_t ids[N_TOKENS];
    int n;
    gemma4_status status;
    char err[512];
} job;

static bool collect(void *user, int32_t token, const char *piece, size_t len) {
    (void)piece;
    (void)len;
    job *j = user;
    if (token >= 0 && j->n < N_TOKENS) j->ids[j->n++] = token;
    return true;
}

static void *run_job(void *arg) {
    job *j = arg;
    gemma4_sampling sp = gemma4_sampling_default_params();
    sp.temperature = 0.5f + 0.25f * (float)j->index; /* each session samples differently */
    sp.seed = 1000u + (unsigned)j->index;
    gemma4_session_params p = gemma4_session_default_params();
    p.n_ctx = 256;
    p.n_batch = 16;
    p.threadpool = j->pool;
    p.sampling = &sp;
    gemma4_session *s = NULL;
    j->n = 0;
    j->status = gemma4_session_new(j->model, &p, &s, j->err, sizeof j->err);
    if (j->status != GEMMA4_OK) return NULL;
    int32_t prompt[40];
    prompt[0] = gemma4_token_bos(j->model);
    for (int i = 1; i < 40; i++) prompt[i] = 50 + 13 * i + 7 * j->index;
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = N_TOKENS;
    gp.on_token = collect;
    gp.user = j;
    j->status = gemma4_generate(s, prompt, 40, &gp, NULL);
    if (j->status != GEMMA4_OK) snprintf(j->err, sizeof j->err, "%s", gemma4_session_errmsg(s));
    gemma4_session_free(s);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_e2e_concurrency MODEL.gguf\n");
        return 2;
    }
    char err[512];
    gemma4_model *m = NULL;
    if (gemma4_model_load(argv[1], NULL, &m, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    gemma4_threadpool *pool = NULL;
    if (gemma4_threadpool_new(2, &pool, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    job solo[N_SESSIONS], together[N_SESSIONS];
    for (int i = 0; i < N_SESSIONS; i++) {
        solo[i] = (job){.model = m, .pool = pool, .index = i};
        run_job(&solo[i]);
        together[i] = (job){.model = m, .pool = pool, .index = i};
    }
    pthread_t th[N_SESSIONS];
    for (int i = 0; i < N_SESSIONS; i++) pthread_create(&th[i], NULL, run_job, &together[i]);
    for (int i = 0; i < N_SESSIONS; i++) pthread_join(th[i], NULL);
    /* the handle may go before the sessions' last use: the pool lives until its last user is gone */
    gemma4_threadpool_free(pool);

    int failed = 0;
    for (int i = 0; i < N_SESSIONS; i++) {
        if (solo[i].status != GEMMA4_OK || together[i].status != GEMMA4_OK) {
            printf("session %d: %s / %s\n", i, solo[i].err, together[i].err);
            failed++;
            continue;
        }
        bool same =
            solo[i].n == together[i].n && !memcmp(solo[i].ids, together[i].ids, sizeof(int32_t) * (size_t)solo[i].n);
        printf("session %d: %d tokens alone, %d together: %s\n", i, solo[i].n, together[i].n,
               same ? "identical" : "DIFFERENT");
        if (!same || solo[i].n == 0) failed++;
    }
    gemma4_model_free(m);
    printf("%d passed, %d failed\n", N_SESSIONS - failed, failed);
    return failed ? 1 : 0;
}
