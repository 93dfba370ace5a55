/* Unit tests of lib/http, the request engine, in what it does without a
 * server: how it classes a failed transfer, which headers its log masks,
 * and the engine itself driving local commands (its other kind of job):
 * the cap on jobs at once, retries and giving up, stopping, timeouts, and a
 * log with the secret cut out. */
#include <signal.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "http.h"
#include "unit.h"

/* What the callbacks saw. */
typedef struct seen {
    enum ev_http_verdict verdict; /* what the judge answers */
    int stop_at;                  /* the judge says STOP for this job's label, or -1 */
    int max_in_flight;
    int judged, done;
    int ends[4]; /* by enum ev_http_end */
    int attempts[8];
    enum ev_http_xfer xfer[8];
    char out[8][32];
    char log[4096];
    ev_http *h;
} seen;

static enum ev_http_verdict
judge(void *ctx, ev_http_job *job)
{
    seen *s = ctx;
    ev_http_stats st;
    ev_http_get_stats(s->h, &st);
    if (st.in_flight + 1 > s->max_in_flight)
        s->max_in_flight = st.in_flight + 1; /* this job has left the running set */
    s->judged++;
    int i = (int)strtol(job->label, NULL, 10);
    s->xfer[i] = job->xfer;
    snprintf(s->out[i], sizeof(s->out[i]), "%s", job->resp);
    return i == s->stop_at ? EV_HTTP_VERDICT_STOP : s->verdict;
}

static void
done(void *ctx, ev_http_job *job, enum ev_http_end end)
{
    seen *s = ctx;
    s->done++;
    s->ends[end]++;
    s->attempts[(int)strtol(job->label, NULL, 10)] = job->attempts;
}

static void
log_line(void *ctx, const char *line)
{
    seen *s = ctx;
    size_t n = strlen(s->log);
    snprintf(s->log + n, sizeof(s->log) - n, "%s\n", line);
}

/* run_commands runs 'n' jobs of 'command', each with its number as its
 * label and its input, until every one is handed back. */
static void
run_commands(seen *s, const char *command, int n, int jobs, int retries, long timeout_ms,
             const char *secret)
{
    static char labels[8][32], bodies[8][32];
    ev_http_job job[8];
    ev_http_config cfg = {
        .command = command,
        .jobs = jobs,
        .retries = retries,
        .timeout_ms = timeout_ms,
        .wake_fd = -1,
        .secret = secret,
        .verbose = secret != NULL,
        .seed = 1,
        .judge = judge,
        .done = done,
        .log = log_line,
        .ctx = s,
    };
    jv err;
    s->h = ev_http_new(&cfg, &err);
    for (int i = 0; i < n; i++) {
        memset(&job[i], 0, sizeof(job[i]));
        snprintf(labels[i], sizeof(labels[i]), "%d%s%s", i, secret ? " " : "",
                 secret ? secret : "");
        snprintf(bodies[i], sizeof(bodies[i]), "job %d\n", i);
        job[i].label = labels[i];
        job[i].body = bodies[i];
        job[i].len = strlen(bodies[i]);
        job[i].cost = 1;
        ev_http_submit(s->h, &job[i]);
    }
    while (ev_http_pending(s->h) > 0)
        ev_http_run(s->h, 100);
    ev_http_free(s->h);
}

static void
test_classify(void)
{
    CHECK(ev_http_classify(CURLE_OPERATION_TIMEDOUT) == EV_HTTP_XFER_TIMEOUT, "a timeout");
    CHECK(ev_http_classify(CURLE_COULDNT_CONNECT) == EV_HTTP_XFER_CONNECT,
          "a refused connection: the server is not reached");
    CHECK(ev_http_classify(CURLE_COULDNT_RESOLVE_HOST) == EV_HTTP_XFER_CONNECT,
          "no such host: the server is not reached");
    CHECK(ev_http_classify(CURLE_PEER_FAILED_VERIFICATION) == EV_HTTP_XFER_FATAL,
          "a certificate that does not verify: no attempt can work");
    CHECK(ev_http_classify(CURLE_URL_MALFORMAT) == EV_HTTP_XFER_FATAL, "a bad URL likewise");
    CHECK(ev_http_classify(CURLE_RECV_ERROR) == EV_HTTP_XFER_NETWORK, "a reset connection");
    CHECK(ev_http_classify(CURLE_PARTIAL_FILE) == EV_HTTP_XFER_NETWORK, "a cut body");
}

static void
test_secret_headers(void)
{
    static const struct {
        const char *line;
        bool secret;
    } cases[] = {
        {"Authorization: Bearer sk-x", true},
        {"authorization:x", true},
        {"X-API-Key: sk-x", true},
        {"api-key: sk-x", true},
        {"Proxy-Authorization: Basic x", true},
        {"Cookie: a=b", true},
        {"Content-Type: application/json", false},
        {"X-Api-Keys: x", false},
        {"no colon here", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[96];
        snprintf(name, sizeof(name), "'%s' is %s", cases[i].line,
                 cases[i].secret ? "masked" : "shown");
        CHECK(ev_http_secret_header(cases[i].line, strlen(cases[i].line)) == cases[i].secret, name);
    }
}

static void
test_commands(void)
{
    seen s = {.verdict = EV_HTTP_VERDICT_DONE, .stop_at = -1};
    run_commands(&s, "cat", 6, 2, 0, 10000, NULL);
    CHECK(s.done == 6 && s.ends[EV_HTTP_END_DONE] == 6, "every job is handed back, done");
    CHECK_STR(s.out[4], "job 4\n", "a command's output is its job's response");
    CHECK(s.max_in_flight <= 2, "never more jobs at once than 'jobs'");

    memset(&s, 0, sizeof(s));
    s.verdict = EV_HTTP_VERDICT_RETRY;
    s.stop_at = -1;
    run_commands(&s, "cat", 2, 2, 1, 10000, NULL);
    CHECK(s.ends[EV_HTTP_END_GAVE_UP] == 2, "a job the judge keeps retrying is given up");
    CHECK(s.attempts[0] == 2 && s.attempts[1] == 2, "after the retries it was allowed");

    memset(&s, 0, sizeof(s));
    s.verdict = EV_HTTP_VERDICT_DONE;
    s.stop_at = 0;
    run_commands(&s, "cat", 5, 1, 0, 10000, NULL);
    CHECK(s.ends[EV_HTTP_END_STOP] == 1, "a STOP verdict ends its job as stopped");
    CHECK(s.ends[EV_HTTP_END_CANCELLED] == 4, "and the jobs not yet started are cancelled");
    CHECK(s.judged == 1, "none of them was started");

    memset(&s, 0, sizeof(s));
    s.verdict = EV_HTTP_VERDICT_DONE;
    s.stop_at = -1;
    run_commands(&s, "exec sleep 60", 1, 1, 0, 100, NULL);
    CHECK(s.xfer[0] == EV_HTTP_XFER_TIMEOUT, "a command past its timeout is killed: a timeout");

    memset(&s, 0, sizeof(s));
    s.verdict = EV_HTTP_VERDICT_RETRY;
    s.stop_at = -1;
    run_commands(&s, "cat", 1, 1, 1, 10000, "sk-canary-5e1f0a77");
    CHECK(strstr(s.log, "retry 1 of 1") != NULL, "the log says when a job is retried");
    CHECK(strstr(s.log, "[redacted]") != NULL && strstr(s.log, "canary") == NULL,
          "and the secret is cut out of it, wherever it is");
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as ev-call does: a command may not read its input */
    if (!ev_http_global_init())
        return 1;
    test_classify();
    test_secret_headers();
    test_commands();
    ev_http_global_cleanup();
    UNIT_DONE();
}
