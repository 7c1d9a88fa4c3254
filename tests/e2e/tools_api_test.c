/*
 * gemma4_chat_tools end to end through the public API on a gguf-synth model (random weights):
 * constrained calls validate for every seed while unconstrained ones do not; the streamed content
 * equals the message's; an agent loop (call, tool result, next turn) reuses the cached prefix;
 * truncation and bad arguments give the documented statuses; two threads share the model's
 * lazily built vocabulary index.
 *   test_e2e_tools_api MODEL.gguf TOOLS_DIR
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "gemma4.h"

static const char *g_model_path, *g_tools_dir;
static gemma4_model *g_model;

static char *read_tools(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_tools_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static gemma4_session *session(uint64_t seed) {
    gemma4_session_params p = gemma4_session_default_params();
    p.n_ctx = 2048;
    p.n_threads = 1;
    gemma4_sampling sp = gemma4_sampling_default_params();
    sp.seed = seed;
    p.sampling = &sp;
    gemma4_session *s = NULL;
    assert_int_equal(gemma4_session_new(g_model, &p, &s, NULL, 0), GEMMA4_OK);
    return s;
}

static const char k_user[] = "[{\"role\":\"user\",\"content\":\"Weather in Tokyo?\"}]";

typedef struct streamed {
    char text[1 << 14];
    size_t len;
    int calls;
} streamed;

static bool collect(void *user, int32_t token, const char *piece, size_t len) {
    (void)token;
    streamed *s = user;
    if (s->len + len < sizeof s->text) {
        memcpy(s->text + s->len, piece, len);
        s->len += len;
    }
    s->calls++;
    return true;
}

static void test_strict_calls_validate(void **state) {
    (void)state;
    char *tools = read_tools("flight.json");
    for (uint64_t seed = 1; seed <= 12; seed++) {
        gemma4_session *s = session(seed);
        gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
        gemma4_generate_params p_gen = gemma4_generate_default_params();
        p.generate = &p_gen;
        p.tools_strict = true;
        p.tool_choice = GEMMA4_TOOL_CHOICE_REQUIRED;
        p.one_call = true;
        p_gen.max_tokens = 600;
        char *msg = NULL, *viol = NULL, *raw = NULL;
        gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
        gemma4_status rc = gemma4_chat_tools(s, k_user, tools, &p, &msg, &viol, &raw, &st);
        if (rc != GEMMA4_OK)
            fail_msg("seed %llu: %s: %s", (unsigned long long)seed, gemma4_status_name(rc), gemma4_session_errmsg(s));
        assert_string_equal(viol, "[]");
        assert_true(strncmp(raw, "<|tool_call>call:book_flight{", 29) == 0);
        cJSON *m = cJSON_Parse(msg);
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
        assert_int_equal(cJSON_GetArraySize(calls), 1);
        assert_int_equal(st.stop_reason, GEMMA4_STOP_CALLBACK); /* one_call stopped it */
        cJSON_Delete(m);
        gemma4_free(msg);
        gemma4_free(viol);
        gemma4_free(raw);
        gemma4_session_free(s);
    }
    free(tools);
}

static void test_unconstrained_calls_fail(void **state) {
    (void)state;
    char *tools = read_tools("weather.json");
    int bad = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        gemma4_session *s = session(seed);
        gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
        gemma4_generate_params p_gen = gemma4_generate_default_params();
        p.generate = &p_gen;
        p.tool_choice = GEMMA4_TOOL_CHOICE_REQUIRED;
        p.one_call = true;
        p_gen.max_tokens = 60;
        char *msg = NULL, *viol = NULL, *raw = NULL;
        gemma4_status rc = gemma4_chat_tools(s, k_user, tools, &p, &msg, &viol, &raw, NULL);
        assert_true(rc == GEMMA4_OK || rc == GEMMA4_ERR_FORMAT || rc == GEMMA4_ERR_VALIDATION);
        assert_non_null(raw); /* the raw output comes back whatever happened to it */
        if (rc == GEMMA4_ERR_FORMAT) {
            assert_null(msg);
            assert_non_null(strstr(gemma4_session_errmsg(s), "byte "));
        }
        if (rc == GEMMA4_ERR_VALIDATION) assert_true(strcmp(viol, "[]") != 0);
        bad += rc != GEMMA4_OK;
        gemma4_free(msg);
        gemma4_free(viol);
        gemma4_free(raw);
        gemma4_session_free(s);
    }
    assert_true(bad > 0);
    free(tools);
}

static void test_stream_matches_content(void **state) {
    (void)state;
    char *tools = read_tools("weather.json");
    for (uint64_t seed = 1; seed <= 4; seed++) {
        gemma4_session *s = session(seed);
        gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
        gemma4_generate_params p_gen = gemma4_generate_default_params();
        p.generate = &p_gen;
        p.tools_strict = true;
        p_gen.max_tokens = 40;
        streamed out = {0};
        p_gen.on_token = collect;
        p_gen.user = &out;
        char *msg = NULL, *raw = NULL;
        gemma4_status rc = gemma4_chat_tools(s, k_user, tools, &p, &msg, NULL, &raw, NULL);
        /* strict text is always well formed; a call cut by max_tokens is the only way to fail */
        if (rc == GEMMA4_ERR_FORMAT) {
            assert_non_null(strstr(gemma4_session_errmsg(s), "ends inside"));
        } else {
            assert_int_equal(rc, GEMMA4_OK);
            cJSON *m = cJSON_Parse(msg);
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
            /* the message trims the content; the stream is what the model wrote */
            out.text[out.len] = '\0';
            if (cJSON_IsString(content)) assert_non_null(strstr(out.text, content->valuestring));
            assert_true(out.calls > 0);
            cJSON_Delete(m);
        }
        gemma4_free(msg);
        gemma4_free(raw);
        gemma4_session_free(s);
    }
    free(tools);
}

static void test_agent_loop_reuses_prefix(void **state) {
    (void)state;
    char *tools = read_tools("weather.json");
    gemma4_session *s = session(3);
    gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
    gemma4_generate_params p_gen = gemma4_generate_default_params();
    p.generate = &p_gen;
    p.tools_strict = true;
    p.tool_choice = GEMMA4_TOOL_CHOICE_REQUIRED;
    p.tool_name = "get_weather";
    p.one_call = true;
    p_gen.max_tokens = 300;
    char *msg = NULL;
    gemma4_generate_stats st1 = GEMMA4_GENERATE_STATS_INIT, st2 = GEMMA4_GENERATE_STATS_INIT;
    assert_int_equal(gemma4_chat_tools(s, k_user, tools, &p, &msg, NULL, NULL, &st1), GEMMA4_OK);
    /* the conversation goes on: the call, its result, the model's next turn */
    cJSON *conv = cJSON_Parse(k_user), *m = cJSON_Parse(msg);
    const cJSON *call = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(m, "tool_calls"), 0);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(call, "function"), "name")->valuestring,
        "get_weather");
    cJSON_AddItemToArray(conv, cJSON_Duplicate(m, true));
    cJSON *result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "role", "tool");
    cJSON_AddStringToObject(result, "tool_call_id", "call_0");
    cJSON_AddStringToObject(result, "name", "get_weather");
    cJSON_AddStringToObject(result, "content", "{\"temperature\":15,\"condition\":\"sunny\"}");
    cJSON_AddItemToArray(conv, result);
    char *conv_json = cJSON_PrintUnformatted(conv);
    gemma4_chat_tools_params p2 = gemma4_chat_tools_default_params();
    gemma4_generate_params p2_gen = gemma4_generate_default_params();
    p2.generate = &p2_gen;
    p2.tools_strict = true;
    p2_gen.max_tokens = 8;
    char *msg2 = NULL;
    gemma4_status rc = gemma4_chat_tools(s, conv_json, tools, &p2, &msg2, NULL, NULL, &st2);
    assert_true(rc == GEMMA4_OK || rc == GEMMA4_ERR_FORMAT);
    /* the whole second prompt holds the first one; only the new part was evaluated */
    char *prompt = NULL, err[256];
    assert_int_equal(gemma4_chat_render(conv_json, tools, GEMMA4_CHAT_ADD_GENERATION_PROMPT | GEMMA4_CHAT_LLAMA_COMPAT,
                                        &prompt, err, sizeof err),
                     GEMMA4_OK);
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(gemma4_tokenize(g_model, prompt, strlen(prompt), false, true, &ids, &n, NULL, 0), GEMMA4_OK);
    if ((size_t)st2.n_prompt >= n - (size_t)st1.n_prompt / 2)
        fail_msg("second turn evaluated %d of %zu prompt tokens: the first turn's %d were not reused", st2.n_prompt, n,
                 st1.n_prompt);
    gemma4_free(ids);
    gemma4_free(prompt);
    cJSON_free(conv_json);
    cJSON_Delete(conv);
    cJSON_Delete(m);
    gemma4_free(msg);
    gemma4_free(msg2);
    gemma4_session_free(s);
    free(tools);
}

static void test_errors(void **state) {
    (void)state;
    char *tools = read_tools("weather.json");
    gemma4_session *s = session(1);
    gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
    gemma4_generate_params p_gen = gemma4_generate_default_params();
    p.generate = &p_gen;
    char *msg = (char *)1, *raw = NULL;
    p.tools_strict = true;
    assert_int_equal(gemma4_chat_tools(s, k_user, NULL, &p, &msg, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    assert_null(msg);
    assert_non_null(strstr(gemma4_session_errmsg(s), "tools_strict"));
    assert_int_equal(gemma4_chat_tools(s, k_user, "{}", &p, &msg, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(gemma4_chat_tools(s, "[{\"role\":", tools, &p, &msg, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(gemma4_chat_tools(s, k_user, tools, &p, NULL, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(gemma4_chat_tools(NULL, k_user, tools, &p, &msg, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    p.tool_choice = GEMMA4_TOOL_CHOICE_REQUIRED;
    p.tool_name = "set_weather";
    assert_int_equal(gemma4_chat_tools(s, k_user, tools, &p, &msg, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(gemma4_session_errmsg(s), "set_weather"));
    /* cut short inside the call: the format error names the truncation, the raw text comes back */
    p.tool_name = NULL;
    p_gen.max_tokens = 3;
    assert_int_equal(gemma4_chat_tools(s, k_user, tools, &p, &msg, NULL, &raw, NULL), GEMMA4_ERR_FORMAT);
    assert_null(msg);
    assert_non_null(raw);
    assert_true(strncmp(raw, "<|tool_call>", 12) == 0);
    assert_non_null(strstr(gemma4_session_errmsg(s), "ends inside"));
    gemma4_free(raw);
    gemma4_session_free(s);
    free(tools);
}

typedef struct thread_job {
    uint64_t seed;
    const char *tools;
    gemma4_status rc;
} thread_job;

static void *strict_thread(void *arg) {
    thread_job *j = arg;
    gemma4_session_params sp = gemma4_session_default_params();
    sp.n_ctx = 1024;
    sp.n_threads = 1;
    gemma4_sampling sampling = gemma4_sampling_default_params();
    sampling.seed = j->seed;
    sp.sampling = &sampling;
    gemma4_session *s = NULL;
    j->rc = gemma4_session_new(g_model, &sp, &s, NULL, 0);
    if (j->rc != GEMMA4_OK) return NULL;
    gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
    gemma4_generate_params p_gen = gemma4_generate_default_params();
    p.generate = &p_gen;
    p.tools_strict = true;
    p.tool_choice = GEMMA4_TOOL_CHOICE_REQUIRED;
    p.one_call = true;
    p_gen.max_tokens = 300;
    char *msg = NULL;
    j->rc = gemma4_chat_tools(s, k_user, j->tools, &p, &msg, NULL, NULL, NULL);
    gemma4_free(msg);
    gemma4_session_free(s);
    return NULL;
}

static void test_threads_share_the_index(void **state) {
    (void)state;
    /* a fresh model: its index is built by whichever thread comes first */
    char err[512];
    gemma4_model *saved = g_model;
    assert_int_equal(gemma4_model_load(g_model_path, NULL, &g_model, err, sizeof err), GEMMA4_OK);
    char *tools = read_tools("weather.json");
    thread_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (thread_job){.seed = 40 + (uint64_t)i, .tools = tools};
        assert_int_equal(pthread_create(&th[i], NULL, strict_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].rc, GEMMA4_OK);
    }
    gemma4_model_free(g_model);
    g_model = saved;
    free(tools);
}

static int setup(void **state) {
    (void)state;
    char err[512];
    if (gemma4_model_load(g_model_path, NULL, &g_model, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "loading %s: %s\n", g_model_path, err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    gemma4_model_free(g_model);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.gguf TOOLS_DIR\n", argv[0]);
        return 2;
    }
    g_model_path = argv[1];
    g_tools_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_calls_validate),
        cmocka_unit_test(test_unconstrained_calls_fail),
        cmocka_unit_test(test_stream_matches_content),
        cmocka_unit_test(test_agent_loop_reuses_prefix),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_threads_share_the_index),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
