#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the walk over a command's arguments ------------------------------------------------------------ */

cli_args cli_args_start(const char *cmd, int argc, char **argv) {
    return (cli_args){.cmd = cmd, .argc = argc, .argv = argv, .i = 0};
}

cli_arg_kind cli_args_next(cli_args *a, const char **arg) {
    if (++a->i < a->argc && !a->options_ended && !strcmp(a->argv[a->i], "--")) {
        a->options_ended = true;
        a->i++;
    }
    if (a->i >= a->argc) {
        *arg = NULL;
        return CLI_ARG_END;
    }
    *arg = a->argv[a->i];
    bool option = !a->options_ended && (*arg)[0] == '-' && (*arg)[1] != '\0';
    return option ? CLI_ARG_OPTION : CLI_ARG_POSITIONAL;
}

bool cli_args_is(const cli_args *a, const char *short_name, const char *long_name) {
    const char *arg = a->argv[a->i];
    return (short_name && !strcmp(arg, short_name)) || !strcmp(arg, long_name);
}

const char *cli_args_value(cli_args *a) {
    if (a->i + 1 >= a->argc) {
        cli_usage_error(a->cmd, "%s needs a value", a->argv[a->i]);
        return NULL;
    }
    return a->argv[++a->i];
}

bool cli_args_int(cli_args *a, long min, long max, long *out) {
    const char *option = a->argv[a->i], *v = cli_args_value(a);
    return v && cli_parse_int(a->cmd, option, v, min, max, out);
}

bool cli_args_float(cli_args *a, double min, double max, double *out) {
    const char *option = a->argv[a->i], *v = cli_args_value(a);
    return v && cli_parse_float(a->cmd, option, v, min, max, out);
}

int cli_args_choice(cli_args *a, const char *const *names) {
    const char *option = a->argv[a->i], *v = cli_args_value(a);
    if (!v) return -1;
    int n = 0;
    for (; names[n]; n++)
        if (!strcmp(v, names[n])) return n;
    fprintf(stderr, "gemma4-cli %s: %s is ", a->cmd, option);
    for (int i = 0; i < n; i++) fprintf(stderr, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
    fprintf(stderr, ", got '%s'\n", v);
    return -1;
}

bool cli_args_kv_type(cli_args *a, gemma4_kv_type *out) {
    static const char *const names[] = {"f16", "q8_0", NULL};
    static const gemma4_kv_type types[] = {GEMMA4_KV_F16, GEMMA4_KV_Q8_0};
    int i = cli_args_choice(a, names);
    if (i >= 0) *out = types[i];
    return i >= 0;
}

int cli_args_reject(const cli_args *a) {
    const char *arg = a->argv[a->i];
    if (!a->options_ended && arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error(a->cmd, "unknown option '%s'", arg);
    return cli_usage_error(a->cmd, "unexpected argument '%s'", arg);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gemma4-cli %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'gemma4-cli %s --help')\n", cmd);
    va_end(ap);
    return 2;
}

/* ---- values ------------------------------------------------------------------------------------------ */

bool cli_parse_int(const char *cmd, const char *flag, const char *text, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "gemma4-cli %s: %s wants a whole number from %ld to %ld, got '%s'\n", cmd, flag, min, max,
                text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_float(const char *cmd, const char *flag, const char *text, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || isnan(v) || v < min || v > max) {
        fprintf(stderr, "gemma4-cli %s: %s wants a number from %g to %g, got '%s'\n", cmd, flag, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-') {
        fprintf(stderr, "gemma4-cli %s: %s wants a non-negative whole number, got '%s'\n", cmd, flag, text);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_parse_token_list(const char *cmd, const char *text, int32_t **ids, size_t *n) {
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    int32_t *out = malloc(cap * sizeof *out);
    if (!out) return false;
    size_t count = 0;
    const char *p = text;
    while (*p) {
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            fprintf(stderr, "gemma4-cli %s: --tokens wants comma-separated token ids, bad at '%s'\n", cmd, p);
            free(out);
            return false;
        }
        out[count++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    if (count == 0) {
        fprintf(stderr, "gemma4-cli %s: --tokens is empty\n", cmd);
        free(out);
        return false;
    }
    *ids = out;
    *n = count;
    return true;
}

const char *const cli_session_flags_help = "  -c, --ctx N          context length in tokens (default 4096)\n"
                                           "  -t, --threads N      threads (default: physical cores)\n"
                                           "  -b, --batch N        prompt tokens per forward pass (default 512)\n"
                                           "  --kv-type f16|q8_0   KV cache precision (default f16)\n"
                                           "  --temp T             temperature; 0 = greedy (default 1.0)\n"
                                           "  --top-k K            (default 64; 0 = off)\n"
                                           "  --top-p P            (default 0.95; 1 = off)\n"
                                           "  --min-p M            (default 0 = off)\n"
                                           "  --repeat-penalty R   (default 1 = off)\n"
                                           "  --frequency-penalty F, --presence-penalty P   (default 0 = off)\n"
                                           "  --repeat-last-n N    tokens the penalties look back over (default 64)\n"
                                           "  --seed S             sampling seed (default 0)\n";

cli_session_opts cli_session_opts_default(void) {
    cli_session_opts o = {gemma4_session_default_params(), gemma4_sampling_default_params()};
    return o;
}

const gemma4_session_params *cli_session_params(cli_session_opts *o) {
    o->params.sampling = &o->sampling;
    return &o->params;
}

int cli_parse_session_flag(cli_args *a, cli_session_opts *o) {
    gemma4_session_params *sp = &o->params;
    gemma4_sampling *smp = &o->sampling;
    long l;
    double d;
    if (cli_args_is(a, "-c", "--ctx")) {
        if (!cli_args_int(a, 1, INT32_MAX, &l)) return -1;
        sp->n_ctx = (int32_t)l;
    } else if (cli_args_is(a, "-t", "--threads")) {
        if (!cli_args_int(a, 1, 1024, &l)) return -1;
        sp->n_threads = (int32_t)l;
    } else if (cli_args_is(a, "-b", "--batch")) {
        if (!cli_args_int(a, 1, 65536, &l)) return -1;
        sp->n_batch = (int32_t)l;
    } else if (cli_args_is(a, NULL, "--kv-type")) {
        if (!cli_args_kv_type(a, &sp->kv_type)) return -1;
    } else if (cli_args_is(a, NULL, "--temp")) {
        if (!cli_args_float(a, 0, 100, &d)) return -1;
        smp->temperature = (float)d;
    } else if (cli_args_is(a, NULL, "--top-k")) {
        if (!cli_args_int(a, 0, INT32_MAX, &l)) return -1;
        smp->top_k = (int32_t)l;
    } else if (cli_args_is(a, NULL, "--top-p")) {
        if (!cli_args_float(a, 0, 1, &d)) return -1;
        smp->top_p = (float)d;
    } else if (cli_args_is(a, NULL, "--min-p")) {
        if (!cli_args_float(a, 0, 1, &d)) return -1;
        smp->min_p = (float)d;
    } else if (cli_args_is(a, NULL, "--repeat-penalty")) {
        if (!cli_args_float(a, 0.01, 100, &d)) return -1;
        smp->repeat_penalty = (float)d;
    } else if (cli_args_is(a, NULL, "--frequency-penalty")) {
        if (!cli_args_float(a, -100, 100, &d)) return -1;
        smp->frequency_penalty = (float)d;
    } else if (cli_args_is(a, NULL, "--presence-penalty")) {
        if (!cli_args_float(a, -100, 100, &d)) return -1;
        smp->presence_penalty = (float)d;
    } else if (cli_args_is(a, NULL, "--repeat-last-n")) {
        if (!cli_args_int(a, 0, 32767, &l)) return -1;
        smp->penalty_last_n = (int32_t)l;
    } else if (cli_args_is(a, NULL, "--seed")) {
        const char *v = cli_args_value(a);
        if (!v || !cli_parse_u64(a->cmd, "--seed", v, &smp->seed)) return -1;
    } else {
        return 0;
    }
    return 1;
}
