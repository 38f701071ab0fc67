/*
 * threaded.c -- a plugin that starts a thread when it is loaded, as runtimes do (Go's,
 * a JVM's, a library's thread pool): the protocol asks that thread for every node's
 * first timer delay and waits for the answer.  A worker forked from a parent that had
 * loaded it would have no such thread and would wait forever; a worker that execs and
 * loads the plugin itself has one.
 */
#include <pthread.h>
#include <stdint.h>

#include "faultline.h"

/* Process-wide by design: the helper thread belongs to the process, not to a run. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int asked, answered;
static int64_t question, answer;

static void *helper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!asked)
            pthread_cond_wait(&cv, &mu);
        asked = 0;
        answer = 5 * FL_MS + question % 3 * FL_MS; /* deterministic: a function of the ask */
        answered = 1;
        pthread_cond_broadcast(&cv);
    }
    return NULL;
}

__attribute__((constructor)) static void start_helper(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, helper, NULL) == 0)
        pthread_detach(t);
}

static int64_t ask(int64_t q)
{
    pthread_mutex_lock(&mu);
    question = q;
    answered = 0;
    asked = 1;
    pthread_cond_broadcast(&cv);
    while (!answered)
        pthread_cond_wait(&cv, &mu);
    int64_t a = answer;
    pthread_mutex_unlock(&mu);
    return a;
}

static const char *const th_timers[] = {"tick", NULL};

static void th_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_timer_set(n, 0, ask(fl_node_id(n)));
}

static void th_on_timer(fl_node *n, int timer)
{
    (void)timer;
    fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, "t", 1);
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void th_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "threaded",
    .timers = th_timers,
    .start = th_start,
    .on_timer = th_on_timer,
    .on_message = th_on_message,
};
