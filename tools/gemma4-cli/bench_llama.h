/* llama-bench as a yardstick for `gemma4-cli bench --llama-bench PATH` (bench_llama.c). */
#ifndef GEMMA4_CLI_BENCH_LLAMA_H
#define GEMMA4_CLI_BENCH_LLAMA_H

#include <stdbool.h>

#define LLAMA_BENCH_MAX_RESULTS 64

typedef struct llama_bench_result {
    int n_prompt, n_gen, threads;
    double avg_ts, stddev_ts;
} llama_bench_result;

typedef struct llama_bench_run {
    llama_bench_result results[LLAMA_BENCH_MAX_RESULTS];
    int n_results;
    double peak_rss_mib; /* of the llama-bench process */
    char error[256];     /* why it failed, when it did */
} llama_bench_run;

/* Runs `exe -m model -p n_prompt -n n_gen -t threads -r reps -o json` and collects its results. */
bool llama_bench_run_tests(const char *exe, const char *model, long n_prompt, long n_gen, const int *threads,
                           int n_threads, long reps, llama_bench_run *run);

/* The result for one test (pp: n_gen 0; tg: n_prompt 0), or NULL. */
const llama_bench_result *llama_bench_find(const llama_bench_run *run, int n_prompt, int n_gen, int threads);

#endif
