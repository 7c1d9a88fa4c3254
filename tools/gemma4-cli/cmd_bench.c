/*
 * gemma4-cli bench: llama-bench's measurements through the public API.
 *   pp<N>: evaluate an N-token prompt in one call (prefill), from an empty context;
 *   tg<N>: generate N tokens one at a time (decode), from an empty context.
 * Each test runs -r times after one warm-up; the table shows tokens per second as mean ± sd, plus
 * the model's load time and the process's peak resident memory. Token ids are fixed pseudo-random
 * numbers, as llama-bench uses, so the cost does not depend on the text.
 * With --llama-bench PATH, llama-bench then runs the same tests on the same file (bench_llama.c)
 * and a second table sets the two side by side with our speed as a ratio of llama.cpp's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "bench_llama.h"
#include "cli.h"
#include "files.h"

#define MAX_THREAD_COUNTS 16

typedef struct bench_args {
    const char *model_path;
    long n_prompt, n_gen, reps;
    int threads[MAX_THREAD_COUNTS];
    int n_threads;
    bool json;
    gemma4_kv_type kv_type;
    const char *llama_bench; /* path of llama-bench to compare with, or NULL */
} bench_args;

typedef struct bench_result {
    const char *test_kind; /* "pp" or "tg" */
    int n_prompt, n_gen, threads;
    double avg_ts, stddev_ts;
    double samples[64];
    int n_samples;
} bench_result;

static const char k_usage[] =
    "usage: gemma4-cli bench -m MODEL.gguf [-p 512] [-n 128] [-t 1,2] [-r 5] [-o md|json] [--kv-type f16|q8_0]\n"
    "                        [--llama-bench PATH]\n"
    "  -p N     prompt-processing test of N tokens (0: skip)\n"
    "  -n N     text-generation test of N tokens (0: skip)\n"
    "  -t LIST  thread counts to test, comma-separated (default: physical cores)\n"
    "  -r N     repetitions of each test (default 5)\n"
    "  -o FMT   md (a table, default) or json (one object per test)\n"
    "  --llama-bench PATH  then run llama.cpp's llama-bench with the same tests on the same file and\n"
    "           print both side by side (t/s, ratio, peak resident memory of each process)\n";

static bool parse_threads(const char *text, bench_args *a) {
    a->n_threads = 0;
    const char *p = text;
    while (*p) {
        char item[16];
        size_t len = strcspn(p, ",");
        long v;
        if (len == 0 || len >= sizeof item || a->n_threads == MAX_THREAD_COUNTS) {
            fprintf(stderr, "gemma4-cli bench: -t wants a comma-separated list of up to %d thread counts\n",
                    MAX_THREAD_COUNTS);
            return false;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (!cli_parse_int("bench", "-t", item, 1, 1024, &v)) return false;
        a->threads[a->n_threads++] = (int)v;
        p += len + (p[len] == ',');
    }
    return a->n_threads > 0;
}

/* llama-bench is run after our tests: a path that cannot run must fail before the model loads. */
static bool check_executable(const char *path) {
    struct stat st;
    const char *why = NULL;
    if (stat(path, &st) != 0)
        why = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = "it is a directory";
    else if (access(path, X_OK) != 0)
        why = strerror(errno);
    if (why) fprintf(stderr, "gemma4-cli bench: --llama-bench: cannot run '%s': %s\n", path, why);
    return !why;
}

static int parse_bench_args(int argc, char **argv, bench_args *a) {
    memset(a, 0, sizeof *a);
    a->n_prompt = 512;
    a->n_gen = 128;
    a->reps = 5;
    cli_args w = cli_args_start("bench", argc, argv);
    const char *arg, *v;
    while (cli_args_next(&w, &arg) == CLI_ARG_OPTION) {
        if (cli_args_is(&w, "-h", "--help")) {
            printf("%s", k_usage);
            return 0;
        } else if (cli_args_is(&w, NULL, "--json")) {
            a->json = true;
        } else if (cli_args_is(&w, "-m", "--model")) {
            if (!(a->model_path = cli_args_value(&w))) return 2;
        } else if (cli_args_is(&w, NULL, "-p")) {
            if (!cli_args_int(&w, 0, 1 << 20, &a->n_prompt)) return 2;
        } else if (cli_args_is(&w, NULL, "-n")) {
            if (!cli_args_int(&w, 0, 1 << 20, &a->n_gen)) return 2;
        } else if (cli_args_is(&w, NULL, "-r")) {
            if (!cli_args_int(&w, 1, 64, &a->reps)) return 2;
        } else if (cli_args_is(&w, NULL, "-t")) {
            if (!(v = cli_args_value(&w)) || !parse_threads(v, a)) return 2;
        } else if (cli_args_is(&w, NULL, "-o")) {
            static const char *const formats[] = {"md", "json", NULL};
            int format = cli_args_choice(&w, formats);
            if (format < 0) return 2;
            a->json = format == 1;
        } else if (cli_args_is(&w, NULL, "--llama-bench")) {
            if (!(a->llama_bench = cli_args_value(&w))) return 2;
        } else if (cli_args_is(&w, NULL, "--kv-type")) {
            if (!cli_args_kv_type(&w, &a->kv_type)) return 2;
        } else {
            return cli_args_reject(&w);
        }
    }
    if (arg) return cli_args_reject(&w); /* bench takes no positional argument */
    if (a->n_prompt == 0 && a->n_gen == 0) return cli_usage_error("bench", "nothing to measure (-p 0 -n 0)");
    int rc = cli_check_model_path("bench", a->model_path);
    if (rc) return rc;
    if (a->llama_bench && !check_executable(a->llama_bench)) return 1;
    return -1;
}

/* Fixed pseudo-random token ids in [4, n_vocab), the same on every run. */
static void fill_tokens(int32_t *ids, long n, int32_t n_vocab) {
    uint64_t s = 0x2545F4914F6CDD1Dull;
    for (long i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ids[i] = (int32_t)(4 + s % (uint64_t)(n_vocab > 4 ? n_vocab - 4 : 1));
    }
}

/* One timed run: a prompt of n_prompt tokens in one call, or n_gen single-token calls. Returns
 * tokens per second, or a negative number on failure (the message printed). */
static double run_once(gemma4_session *s, const int32_t *ids, long n_prompt, long n_gen) {
    gemma4_session_reset(s);
    double t0 = cli_now_seconds();
    if (n_prompt > 0) {
        if (gemma4_eval(s, ids, (size_t)n_prompt, false) != GEMMA4_OK) goto fail;
        return (double)n_prompt / (cli_now_seconds() - t0);
    }
    for (long i = 0; i < n_gen; i++)
        if (gemma4_eval(s, ids + i, 1, false) != GEMMA4_OK) goto fail;
    return (double)n_gen / (cli_now_seconds() - t0);
fail:
    fprintf(stderr, "gemma4-cli bench: %s\n", gemma4_session_errmsg(s));
    return -1.0;
}

static bool run_test(gemma4_model *m, const bench_args *a, int threads, long n_prompt, long n_gen, const int32_t *ids,
                     bench_result *r) {
    gemma4_session_params sp = gemma4_session_default_params();
    sp.n_threads = threads;
    sp.n_ctx = (int32_t)(n_prompt + n_gen > 256 ? n_prompt + n_gen : 256);
    sp.n_batch = n_prompt > 0 ? (int32_t)n_prompt : 1;
    sp.kv_type = a->kv_type;
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, &sp, &s, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli bench: %s\n", err);
        return false;
    }
    memset(r, 0, sizeof *r);
    r->test_kind = n_prompt > 0 ? "pp" : "tg";
    r->n_prompt = (int)n_prompt;
    r->n_gen = (int)n_gen;
    r->threads = threads;
    bool ok = run_once(s, ids, n_prompt > 0 ? (n_prompt < 16 ? n_prompt : 16) : 0, n_gen > 0 ? 4 : 0) > 0; /* warm-up */
    double sum = 0, sq = 0;
    for (long i = 0; ok && i < a->reps; i++) {
        double ts = run_once(s, ids, n_prompt, n_gen);
        if (ts < 0) ok = false;
        r->samples[r->n_samples++] = ts;
        sum += ts;
    }
    if (ok) {
        r->avg_ts = sum / r->n_samples;
        for (int i = 0; i < r->n_samples; i++) sq += (r->samples[i] - r->avg_ts) * (r->samples[i] - r->avg_ts);
        r->stddev_ts = r->n_samples > 1 ? sqrt(sq / (r->n_samples - 1)) : 0.0;
    }
    gemma4_session_free(s);
    return ok;
}

static double peak_rss_mib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Runs llama-bench with our tests' settings and prints the two side by side (stderr in json mode,
 * so stdout stays one JSON document). */
static int compare_with_llama(const bench_args *a, const bench_result *ours, int n) {
    llama_bench_run run;
    fflush(stdout);
    fprintf(stderr, "running %s on the same file...\n", a->llama_bench);
    if (!llama_bench_run_tests(a->llama_bench, a->model_path, a->n_prompt, a->n_gen, a->threads, a->n_threads, a->reps,
                               &run)) {
        fprintf(stderr, "gemma4-cli bench: llama-bench: %s\n", run.error);
        return 1;
    }
    FILE *out = a->json ? stderr : stdout;
    fprintf(out, "\n| %7s | %8s | %20s | %20s | %6s |\n", "threads", "test", "gemma4 t/s", "llama.cpp t/s", "ratio");
    fprintf(out, "| ------: | -------: | -------------------: | -------------------: | -----: |\n");
    for (int i = 0; i < n; i++) {
        const bench_result *r = &ours[i];
        const llama_bench_result *l = llama_bench_find(&run, r->n_prompt, r->n_gen, r->threads);
        char test[32], o[48], t[48] = "(missing)", ratio[16] = "";
        snprintf(test, sizeof test, "%s%d", r->test_kind, r->n_prompt ? r->n_prompt : r->n_gen);
        snprintf(o, sizeof o, "%.2f ± %.2f", r->avg_ts, r->stddev_ts);
        if (l) {
            snprintf(t, sizeof t, "%.2f ± %.2f", l->avg_ts, l->stddev_ts);
            snprintf(ratio, sizeof ratio, "%.2fx", r->avg_ts / l->avg_ts);
        }
        /* "±" is two bytes wide in UTF-8 but one column: pad those cells one byte more. */
        fprintf(out, "| %7d | %8s | %21s | %*s | %6s |\n", r->threads, test, o, l ? 21 : 20, t, ratio);
    }
    fprintf(out, "\npeak resident memory: gemma4-cli %.1f MiB, llama-bench %.1f MiB\n", peak_rss_mib(),
            run.peak_rss_mib);
    return 0;
}

/* The table's head, or the JSON array's opening: printed with the first result, so that a first test
 * that fails leaves only its error. */
static void print_head(const bench_args *a, double load_seconds) {
    if (a->json) {
        printf("[\n");
        return;
    }
    printf("model: %s | load %.2f s\n\n", base_name(a->model_path), load_seconds);
    printf("| %-28s | %7s | %8s | %20s |\n", "model", "threads", "test", "t/s");
    printf("| %.28s | ------: | -------: | -------------------: |\n", "----------------------------");
}

/* Result number `index` (from 0) as a table row or a JSON object. */
static void print_row(const bench_args *a, const bench_result *r, int index, double load_seconds) {
    char test[32];
    snprintf(test, sizeof test, "%s%d", r->test_kind, r->n_prompt ? r->n_prompt : r->n_gen);
    if (!a->json) {
        char ts[48];
        snprintf(ts, sizeof ts, "%.2f ± %.2f", r->avg_ts, r->stddev_ts);
        printf("| %-28.28s | %7d | %8s | %21s |\n", base_name(a->model_path), r->threads, test, ts); /* ± */
    } else {
        printf("%s  {\"model\": \"%s\", \"test\": \"%s\", \"n_prompt\": %d, \"n_gen\": %d, \"threads\": %d, "
               "\"avg_ts\": %.4f, \"stddev_ts\": %.4f, \"samples_ts\": [",
               index ? ",\n" : "", base_name(a->model_path), test, r->n_prompt, r->n_gen, r->threads, r->avg_ts,
               r->stddev_ts);
        for (int i = 0; i < r->n_samples; i++) printf(i ? ", %.4f" : "%.4f", r->samples[i]);
        printf("], \"load_seconds\": %.4f, \"peak_rss_mib\": %.1f}", load_seconds, peak_rss_mib());
    }
    fflush(stdout);
}

int cli_bench(int argc, char **argv) {
    bench_args a;
    int rc = parse_bench_args(argc, argv, &a);
    if (rc >= 0) return rc;

    double t0 = cli_now_seconds();
    gemma4_model *m = cli_load_model("bench", a.model_path);
    if (!m) return 1;
    double load_seconds = cli_now_seconds() - t0;
    if (a.n_threads == 0) {
        gemma4_session_params d = gemma4_session_default_params();
        a.threads[0] = d.n_threads; /* the physical core count */
        a.n_threads = 1;
    }
    long n_ids = a.n_prompt > a.n_gen ? a.n_prompt : a.n_gen;
    int32_t *ids = malloc(sizeof *ids * (size_t)(n_ids > 0 ? n_ids : 1));
    if (!ids) {
        gemma4_model_free(m);
        return 1;
    }
    fill_tokens(ids, n_ids, gemma4_model_n_vocab(m));

    bench_result done[2 * MAX_THREAD_COUNTS];
    int ret = 0, n_rows = 0;
    for (int ti = 0; ti < a.n_threads && ret == 0; ti++) {
        for (int kind = 0; kind < 2 && ret == 0; kind++) {
            long np = kind == 0 ? a.n_prompt : 0, ng = kind == 1 ? a.n_gen : 0;
            if (np == 0 && ng == 0) continue;
            bench_result r;
            if (!run_test(m, &a, a.threads[ti], np, ng, ids, &r)) {
                ret = 1; /* the error is printed; nothing follows it */
                break;
            }
            if (n_rows == 0) print_head(&a, load_seconds);
            print_row(&a, &r, n_rows, load_seconds);
            done[n_rows++] = r;
        }
    }
    if (ret == 0) {
        if (a.json)
            printf("\n]\n");
        else
            printf("\npeak resident memory: %.1f MiB\n", peak_rss_mib());
    }
    free(ids);
    gemma4_model_free(m);
    if (ret == 0 && a.llama_bench) ret = compare_with_llama(&a, done, n_rows);
    return ret;
}
