/*
 * worker.c -- starting a sweep worker as a fresh process: the parent forks and execs
 * faultline itself (`faultline __worker CMD_FD RES_FD PARENT`), so that no worker
 * inherits a loaded plugin, a started runtime or its threads (a Go runtime forked with
 * one thread blocks at its first garbage collection).  The worker loads the protocol
 * itself, runs its process_init and configure, and answers the setup with a hello.
 *
 * Setup, parent -> worker, on the command pipe: u32 length + the canonical scenario;
 * u32 length + the protocol (a built-in name, or a plugin's path); u32 1 if a plugin.
 * Hello, worker -> parent, on the result pipe: u32 status (0 ready) + u32 length + the
 * protocol's name when ready, else a one-line reason.  Then jobs (sweep.h) and their records
 * (sim/run/wire.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/error.h"
#include "sim/cli.h"
#include "sim/protocols/registry.h"
#include "sim/sweep.h"

#define SETUP_MAX (64u << 20)

static int put_blob(int fd, const char *s, uint32_t n)
{
    return fl_sweep_write_full(fd, &n, sizeof n) || fl_sweep_write_full(fd, s, n) ? -1 : 0;
}

static char *get_blob(int fd)
{
    uint32_t n;
    if (fl_sweep_read_full(fd, &n, sizeof n) || n > SETUP_MAX)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s || fl_sweep_read_full(fd, s, n)) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

static void hello(int fd, uint32_t status, const char *msg)
{
    uint32_t n = (uint32_t)strlen(msg);
    if (fl_sweep_write_full(fd, &status, sizeof status) || put_blob(fd, msg, n))
        _exit(0);
}

/* ---- the parent ---- */

/* In the child between fork and exec: keep only our two pipe ends (other workers'
 * pipes must see EOF when they die), unblock signals, exec. */
static _Noreturn void exec_worker(int cmd_fd, int res_fd, int note_fd, pid_t parent)
{
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 4096)
        maxfd = 4096;
    for (int fd = 3; fd < maxfd; fd++)
        if (fd != cmd_fd && fd != res_fd && fd != note_fd)
            close(fd);
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the process group: the parent decides */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char a[16], b[16], n[16], c[24], self[4096];
    snprintf(a, sizeof a, "%d", cmd_fd);
    snprintf(b, sizeof b, "%d", res_fd);
    snprintf(n, sizeof n, "%d", note_fd);
    snprintf(c, sizeof c, "%ld", (long)parent);
    char *argv[] = {"faultline", "__worker", a, b, n, c, NULL};
    /* the path, not /proc/self/exe itself: under valgrind the link names the client */
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
        execv(self, argv);
    }
    execv("/proc/self/exe", argv);
    _exit(127);
}

/* The hello: ready with the protocol's name (into name), or why not (into err). */
static int read_hello(int fd, char *name, size_t name_cap, char *err, size_t cap)
{
    uint32_t status;
    if (fl_sweep_read_full(fd, &status, sizeof status)) {
        snprintf(err, cap, "a worker died while starting");
        return -1;
    }
    char *msg = get_blob(fd);
    if (status != 0)
        snprintf(err, cap, "%s", msg ? msg : "a worker could not start");
    else if (msg && name)
        snprintf(name, name_cap, "%s", msg);
    free(msg);
    return status == 0 && msg ? 0 : -1;
}

/* The shared page for a worker's crash note: a memfd the worker inherits across exec. */
static int note_open(fl_worker_note **note)
{
    if (!note)
        return -1;
    *note = NULL;
    int fd = memfd_create("faultline-worker-note", 0);
    if (fd < 0)
        return -1;
    void *p = MAP_FAILED;
    if (ftruncate(fd, sizeof(fl_worker_note)) == 0)
        p = mmap(NULL, sizeof(fl_worker_note), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return -1;
    }
    *note = p;
    return fd;
}

void fl_worker_note_free(fl_worker_note *note)
{
    if (note)
        munmap((void *)note, sizeof *note);
}

#define RESULT_PIPE_BYTES (1 << 20)

int fl_sweep_worker_start(const fl_sweep_cfg *c, pid_t *pid, int *cmd_fd, int *res_fd,
                          fl_worker_note **note, char *name, size_t name_cap, char *err, size_t cap)
{
    int cmd[2], res[2];
    int note_fd = note_open(note);
    if (pipe(cmd)) {
        snprintf(err, cap, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe(res)) {
        snprintf(err, cap, "pipe: %s", strerror(errno));
        close(cmd[0]);
        close(cmd[1]);
        return -1;
    }
    /* A recording streams megabytes.  With a pipe of 64 kB the worker blocked on it
     * and the parent woke it at every read; then the scheduler often ran the two on one
     * CPU, taking turns (a recorded 30 s Raft run: 30 ms instead of 17).  A pipe of
     * 1 MB (the unprivileged limit) lets the worker run ahead; if it cannot be had, the
     * default only costs speed. */
    (void)fcntl(res[0], F_SETPIPE_SZ, RESULT_PIPE_BYTES);
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0)
        exec_worker(cmd[0], res[1], note_fd, parent);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(cmd[0]);
    close(res[1]);
    if (note_fd >= 0)
        close(note_fd); /* the mapping stays */
    const char *proto = c->plugin_path ? c->plugin_path : c->sc->protocol;
    uint32_t is_plugin = c->plugin_path != NULL;
    if (p < 0 || put_blob(cmd[1], c->scenario_text, (uint32_t)strlen(c->scenario_text)) ||
        put_blob(cmd[1], proto, (uint32_t)strlen(proto)) ||
        fl_sweep_write_full(cmd[1], &is_plugin, sizeof is_plugin) ||
        read_hello(res[0], name, name_cap, err, cap)) {
        if (p < 0)
            snprintf(err, cap, "fork: %s", strerror(errno));
        close(cmd[1]);
        close(res[0]);
        if (p > 0) {
            kill(p, SIGKILL);
            waitpid(p, NULL, 0);
        }
        if (note) {
            fl_worker_note_free(*note);
            *note = NULL;
        }
        return -1;
    }
    *pid = p;
    *cmd_fd = cmd[1];
    *res_fd = res[0];
    return 0;
}

/* ---- the worker ---- */

static const struct fl_protocol *load_protocol(const fl_scenario *sc, const char *proto,
                                               uint32_t is_plugin, void **handle, char *err,
                                               size_t cap)
{
    const struct fl_protocol *p =
        is_plugin ? fl_registry_load(proto, handle, err, cap) : fl_registry_find(proto);
    if (!p) {
        if (!is_plugin)
            snprintf(err, cap, "protocol: unknown protocol \"%s\"", proto);
        return NULL;
    }
    char perr[512] = "";
    if (fl_registry_process_init(p, err, cap))
        return NULL;
    if (p->configure && p->configure(sc->params, perr, sizeof perr)) {
        snprintf(err, cap, "params: %s", perr[0] ? perr : "rejected by the protocol");
        return NULL;
    }
    return p;
}

/* The worker's note page, for its fatal-signal handler; NULL when the parent asked
 * for none.  Process-wide by necessity: a signal handler reaches nothing else. */
static fl_worker_note *crash_note;

static void on_fatal(int sig)
{
    if (crash_note && fl_assert_ctx.active) {
        crash_note->step = fl_assert_ctx.step;
        crash_note->time_ns = fl_assert_ctx.now_ns;
        crash_note->signo = sig;
        crash_note->crashed = 1;
    }
    raise(sig); /* SA_RESETHAND: die of it, so the parent sees the signal */
}

static void note_attach(int fd)
{
    /* SIGTERM: how the parent ends a run that outlived its watchdog */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM};
    void *p = fd >= 0
                  ? mmap(NULL, sizeof(fl_worker_note), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                  : MAP_FAILED;
    if (fd >= 0)
        close(fd);
    if (p == MAP_FAILED)
        return;
    crash_note = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
}

/* `faultline __worker CMD_FD RES_FD NOTE_FD PARENT`: not for people; the sweep and the
 * single-run pool (job.c) start it. */
int fl_cmd_worker(int argc, char **argv)
{
    if (argc != 5) {
        fl_cli_error("__worker: started by faultline itself, not by hand");
        return FL_EXIT_USAGE;
    }
    int cmd_fd = atoi(argv[1]), res_fd = atoi(argv[2]), note_fd = atoi(argv[3]);
    pid_t parent = (pid_t)atol(argv[4]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent || fcntl(cmd_fd, F_GETFD) < 0 || fcntl(res_fd, F_GETFD) < 0)
        return FL_EXIT_USAGE; /* the parent is gone already, or these are not our pipes */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the process group: the parent decides */
    signal(SIGTERM, SIG_DFL);
    note_attach(note_fd);
#ifdef __GLIBC__
    /* A worker runs one run after another of the same size: keep the heap it grew
     * instead of giving it back at each run's end and faulting it in again (measured:
     * 20 more page faults a seed and 4% slower sweeps than a worker forked from a parent
     * with a large heap). */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
    char *text = get_blob(cmd_fd), *proto = get_blob(cmd_fd);
    uint32_t is_plugin = 0;
    if (!text || !proto || fl_sweep_read_full(cmd_fd, &is_plugin, sizeof is_plugin))
        _exit(0);
    fl_scenario sc;
    char err[1024];
    void *handle = NULL;
    const struct fl_protocol *p = NULL;
    int rc = fl_scenario_parse(&sc, text, strlen(text), NULL, 0, err, sizeof err);
    if (rc == 0)
        p = load_protocol(&sc, proto, is_plugin, &handle, err, sizeof err);
    if (!p) {
        hello(res_fd, 1, err);
        _exit(0);
    }
    free(text);
    free(proto);
    hello(res_fd, 0, p->name); /* ready: the parent learns the protocol's name */
    fl_sweep_worker_loop(&sc, p, cmd_fd, res_fd);
}
