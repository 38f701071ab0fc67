/*
 * bench_pipes.c -- how many result frames a libevent parent can take from its workers'
 * pipes, which bounds how fast a sweep can go whatever its runs cost.
 *
 * Two forked writer processes each send 100-byte frames (a sequence number and padding)
 * down their own pipe; the parent runs a libevent loop over both read ends, reads
 * whatever is there (64 KiB at a time, non-blocking, until EAGAIN -- as sim/sweep.c
 * does), splits it into frames and checks every frame's sequence number, so that the
 * parent does the work a real consumer does.  Two ways of writing:
 *
 *   packed:    655 frames per write() (65500 bytes, just under the 64 KiB pipe buffer)
 *   per frame: one write() per frame
 *
 * The numbers for this machine: ~13 M frames/s packed, ~0.76 M one per write.
 * A sweep writes one frame per seed, and seeds cost tens of microseconds at the very
 * least, so even one write per frame is far from the bottleneck -- but batching is the
 * thing to reach for if results ever get small and many.
 *
 * Usage: bench_pipes [PACKED_FRAMES_PER_WRITER [SINGLE_FRAMES_PER_WRITER]]; median of 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define FRAME 100
#define PACK (65536 / FRAME) /* frames per packed write */
#define WRITERS 2
#define REPEAT 3
#define RBUF 65536

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the writers ---- */

static int write_full(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static _Noreturn void writer(int fd, uint64_t frames, int packed)
{
    static unsigned char buf[PACK * FRAME];
    memset(buf, 0xab, sizeof buf);
    uint64_t seq = 0;
    while (seq < frames) {
        size_t k = packed ? (frames - seq < PACK ? (size_t)(frames - seq) : PACK) : 1;
        for (size_t i = 0; i < k; i++, seq++)
            memcpy(buf + i * FRAME, &seq, sizeof seq);
        if (write_full(fd, buf, k * FRAME))
            _exit(1);
    }
    _exit(0);
}

/* ---- the libevent parent ---- */

typedef struct reader {
    int fd;
    struct event *ev;
    uint64_t next_seq; /* the sequence number the next frame must carry */
    size_t have;       /* bytes of an incomplete frame at the start of buf */
    int bad;
    int *open;
    struct event_base *base;
    unsigned char buf[RBUF + FRAME];
} reader;

/* Whole frames out of buf[0..n), checked; the incomplete rest moves to the front. */
static void consume(reader *r, size_t n)
{
    size_t off = 0;
    for (; n - off >= FRAME; off += FRAME) {
        uint64_t seq;
        memcpy(&seq, r->buf + off, sizeof seq);
        if (seq != r->next_seq)
            r->bad = 1;
        r->next_seq++;
    }
    memmove(r->buf, r->buf + off, n - off);
    r->have = n - off;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    reader *r = arg;
    (void)what;
    for (;;) {
        ssize_t n = read(fd, r->buf + r->have, RBUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: until the next wakeup */
        if (n == 0) {
            event_del(r->ev);
            if (--*r->open == 0)
                event_base_loopbreak(r->base);
            return;
        }
        consume(r, r->have + (size_t)n);
    }
}

/* One measurement: frames/s over all writers, from fork to the last EOF (0 on error). */
static double measure(uint64_t frames, int packed)
{
    struct event_base *base = event_base_new();
    reader *rd = calloc(WRITERS, sizeof *rd);
    pid_t pid[WRITERS];
    int open = WRITERS, ok = base && rd, started = 0;
    double t0 = wall();
    for (int i = 0; ok && i < WRITERS; i++) {
        int p[2];
        if (pipe(p)) {
            ok = 0;
            break;
        }
        pid[i] = fork();
        if (pid[i] == 0) {
            close(p[0]);
            writer(p[1], frames, packed);
        }
        close(p[1]);
        fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
        rd[i] = (reader){.fd = p[0], .open = &open, .base = base};
        rd[i].ev = event_new(base, p[0], EV_READ | EV_PERSIST, on_readable, &rd[i]);
        event_add(rd[i].ev, NULL);
        started++;
    }
    if (ok)
        event_base_dispatch(base);
    double dt = wall() - t0;
    for (int i = 0; i < started; i++) {
        int st = 0;
        waitpid(pid[i], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || rd[i].bad || rd[i].next_seq != frames ||
            rd[i].have)
            ok = 0;
        event_free(rd[i].ev);
        close(rd[i].fd);
    }
    free(rd);
    if (base)
        event_base_free(base);
    return ok ? (double)frames * WRITERS / dt : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(uint64_t frames, int packed)
{
    double v[REPEAT];
    for (int i = 0; i < REPEAT; i++)
        v[i] = measure(frames, packed);
    qsort(v, REPEAT, sizeof v[0], cmp_double);
    return v[0] == 0 ? 0 : v[REPEAT / 2];
}

int main(int argc, char **argv)
{
    uint64_t packed_n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint64_t single_n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    signal(SIGPIPE, SIG_IGN);
    printf("pipes: %d writer processes -> one libevent parent, %d-byte frames, median of %d\n",
           WRITERS, FRAME, REPEAT);
    double packed = median(packed_n, 1);
    printf("  packed writes (%d frames = %d bytes each): %6.2f M frames/s (%.0f MB/s)\n", PACK,
           PACK * FRAME, packed / 1e6, packed * FRAME / 1e6);
    double single = median(single_n, 0);
    printf("  one write() per frame:                     %6.2f M frames/s (%.0f MB/s)\n",
           single / 1e6, single * FRAME / 1e6);
    if (packed == 0 || single == 0) {
        fprintf(stderr, "bench_pipes: a writer failed or frames arrived out of order\n");
        return 1;
    }
    printf("  packed / per frame: %.1fx\n", packed / single);
    return 0;
}
