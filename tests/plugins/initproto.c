/*
 * initproto.c -- an API version 2 plugin with a process_init hook: it counts its calls
 * (once per process, before the first run) and every node logs the count when it
 * starts.  With FL_TEST_INIT_FAIL set in the environment, process_init fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultline.h"

/* Which processes load this plugin: with FL_TEST_LOADED_BY set, the loading process
 * appends its pid to that file (the tests check that a command's own process never
 * loads protocol code, only its workers do). */
__attribute__((constructor)) static void note_loader(void)
{
    const char *path = getenv("FL_TEST_LOADED_BY");
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0)
        return;
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

/* Process-wide by design: what process_init starts is the process's, not a run's. */
static int init_calls;

static int ip_process_init(char *err, size_t cap)
{
    if (getenv("FL_TEST_INIT_FAIL")) {
        strncpy(err, "the runtime did not start (FL_TEST_INIT_FAIL)", cap - 1);
        err[cap - 1] = '\0';
        return 1;
    }
    init_calls++;
    return 0;
}

static const char *const ip_timers[] = {"tick", NULL};

static void ip_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_log(n, FL_LOG_INFO, "process_init ran %d time(s)", init_calls);
}

static void ip_on_timer(fl_node *n, int timer)
{
    (void)n, (void)timer;
}

static void ip_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = 2,
    .name = "initproto",
    .timers = ip_timers,
    .start = ip_start,
    .on_timer = ip_on_timer,
    .on_message = ip_on_message,
    .process_init = ip_process_init,
};
