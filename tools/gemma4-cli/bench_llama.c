/*
 * `gemma4-cli bench --llama-bench PATH`: runs llama.cpp's llama-bench on the same file with the same
 * -p/-n/-t/-r right after our own tests, so the two sets of numbers come from one run on one machine
 * state. llama-bench prints JSON with -o json; we keep avg_ts/stddev_ts per test and read its peak
 * resident memory from the kernel (wait4's rusage), as ours is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bench_llama.h"

/* Reads all of fd into a NUL-terminated malloc'd buffer (NULL on failure). */
static char *read_all(int fd) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            buf[len] = '\0';
            return buf;
        }
        len += (size_t)got;
    }
    free(buf);
    return NULL;
}

static bool parse_results(const char *json, llama_bench_run *run) {
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        snprintf(run->error, sizeof run->error, "llama-bench did not print a JSON array (is it llama-bench?)");
        return false;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        if (run->n_results == LLAMA_BENCH_MAX_RESULTS) break;
        const cJSON *np = cJSON_GetObjectItem(item, "n_prompt"), *ng = cJSON_GetObjectItem(item, "n_gen");
        const cJSON *th = cJSON_GetObjectItem(item, "n_threads"), *avg = cJSON_GetObjectItem(item, "avg_ts");
        const cJSON *sd = cJSON_GetObjectItem(item, "stddev_ts");
        if (!cJSON_IsNumber(np) || !cJSON_IsNumber(ng) || !cJSON_IsNumber(th) || !cJSON_IsNumber(avg)) continue;
        llama_bench_result *r = &run->results[run->n_results++];
        r->n_prompt = np->valueint;
        r->n_gen = ng->valueint;
        r->threads = th->valueint;
        r->avg_ts = avg->valuedouble;
        r->stddev_ts = cJSON_IsNumber(sd) ? sd->valuedouble : 0.0;
    }
    cJSON_Delete(root);
    if (run->n_results == 0) {
        snprintf(run->error, sizeof run->error, "llama-bench's JSON held no results");
        return false;
    }
    return true;
}

bool llama_bench_run_tests(const char *exe, const char *model, long n_prompt, long n_gen, const int *threads,
                           int n_threads, long reps, llama_bench_run *run) {
    memset(run, 0, sizeof *run);
    char p[24], n[24], r[24], t[16 * 12];
    snprintf(p, sizeof p, "%ld", n_prompt);
    snprintf(n, sizeof n, "%ld", n_gen);
    snprintf(r, sizeof r, "%ld", reps);
    size_t used = 0;
    t[0] = '\0';
    for (int i = 0; i < n_threads && used < sizeof t; i++)
        used += (size_t)snprintf(t + used, sizeof t - used, i ? ",%d" : "%d", threads[i]);
    char *argv[] = {(char *)exe, "-m", (char *)model, "-p", p, "-n", n, "-t", t, "-r", r, "-o", "json", NULL};

    int out[2];
    if (pipe(out) != 0) {
        snprintf(run->error, sizeof run->error, "pipe: %s", strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(run->error, sizeof run->error, "fork: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return false;
    }
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execv(exe, argv);
        fprintf(stderr, "gemma4-cli bench: cannot run %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    char *text = read_all(out[0]);
    close(out[0]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    run->peak_rss_mib = (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
    bool ok = false;
    if (!text)
        snprintf(run->error, sizeof run->error, "out of memory reading llama-bench's output");
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(run->error, sizeof run->error, "%s exited with status %d", exe,
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    else
        ok = parse_results(text, run);
    free(text);
    return ok;
}

const llama_bench_result *llama_bench_find(const llama_bench_run *run, int n_prompt, int n_gen, int threads) {
    for (int i = 0; i < run->n_results; i++) {
        const llama_bench_result *r = &run->results[i];
        if (r->n_prompt == n_prompt && r->n_gen == n_gen && r->threads == threads) return r;
    }
    return NULL;
}
