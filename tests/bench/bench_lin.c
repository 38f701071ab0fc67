/*
 * bench_lin.c -- the linearizability checker's speed.
 *
 * Generated histories: C clients of a simulated linearizable store (each op takes
 * effect at a random moment between its invocation and its completion; about 1% of ops
 * complete as info, half of those having taken effect), 1k / 10k / 100k ops with 5 / 20
 * / 50 clients, a register (read / write / cas, distinct written values) and a kv store
 * (20 keys, get / put / append, checked key by key).  Prints the time of a check and
 * ops/s, medians of 5 runs (3 for 100k ops).
 *
 * `bench_lin DIR` instead checks every *.jsonl history in DIR (e.g. Porcupine's test
 * data converted with tests/bench/convert_jepsen.py): etcd_* as registers, the others as
 * kv both per key and (with a 10 s limit) as one object; it prints each verdict and the
 * total check time of the etcd files (reading them not included).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "results/history.h"
#include "results/lin.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define MAXC 64
#define NKEYS 20
#ifndef INFO_PCT
#define INFO_PCT 1
#endif

typedef struct client {
    int busy, applied, f, key;
    size_t op;
    int64_t a, b, out;
    char val[24];
} client;

typedef struct store {
    int64_t reg;
    char *kv[NKEYS];
    size_t len[NKEYS];
} store;

static void apply(store *st, client *c)
{
    c->applied = 1;
    if (c->f == FL_F_READ) {
        c->out = st->reg;
    } else if (c->f == FL_F_WRITE) {
        st->reg = c->a;
    } else if (c->f == FL_F_CAS) {
        c->out = st->reg == c->a;
        if (c->out)
            st->reg = c->b;
    } else if (c->f == FL_F_PUT || c->f == FL_F_APPEND) {
        size_t l = strlen(c->val), at = c->f == FL_F_PUT ? 0 : st->len[c->key];
        st->kv[c->key] = realloc(st->kv[c->key], at + l + 1);
        memcpy(st->kv[c->key] + at, c->val, l + 1);
        st->len[c->key] = at + l;
    }
}

static void start(fl_history *h, uint64_t *s, int kv, int id, client *c, int64_t *counter)
{
    static const char *const keys[NKEYS] = {"k0",  "k1",  "k2",  "k3",  "k4",  "k5",  "k6",
                                            "k7",  "k8",  "k9",  "k10", "k11", "k12", "k13",
                                            "k14", "k15", "k16", "k17", "k18", "k19"};
    uint64_t r = next(s) % 10;
    *c = (client){.busy = 1, .key = (int)(next(s) % NKEYS)};
    int64_t v = ++*counter;
    if (kv) {
        c->f = r < 5 ? FL_F_GET : r < 8 ? FL_F_PUT : FL_F_APPEND;
        snprintf(c->val, sizeof c->val, "%lld,", (long long)v);
        fl_history_invoke_kv(h, id, c->f, keys[c->key], strlen(keys[c->key]), c->val,
                             strlen(c->val), &c->op);
    } else {
        c->f = r < 5 ? FL_F_READ : r < 8 ? FL_F_WRITE : FL_F_CAS;
        c->a = c->f == FL_F_CAS ? v - 1 - (int64_t)(next(s) % 3) : v;
        if (c->a < 1) /* the store's null is -1: never expect it */
            c->a = 1;
        c->b = v;
        fl_history_invoke_reg(h, id, c->f, c->a, c->b, &c->op);
    }
}

static void finish(fl_history *h, uint64_t *s, store *st, client *c)
{
    int info = next(s) % 100 < INFO_PCT, type = FL_DONE_OK;
    if (!c->applied && (!info || next(s) % 2))
        apply(st, c);
    if (info)
        type = FL_DONE_INFO;
    else if (c->f == FL_F_CAS && !c->out)
        type = FL_DONE_FAIL;
    if (c->f >= FL_F_GET) {
        const char *v = st->kv[c->key] ? st->kv[c->key] : "";
        fl_history_complete_kv(h, c->op, type, v, c->f == FL_F_GET ? strlen(v) : 0);
    } else {
        fl_history_complete_reg(h, c->op, type, c->out < 0, c->out);
    }
    c->busy = 0;
}

/* A linearizable history of nops ops by nclients clients. */
static fl_history *generate(uint64_t seed, int kv, int nclients, size_t nops)
{
    fl_history *h = fl_history_new();
    store st = {.reg = -1};
    client c[MAXC] = {{0}};
    int64_t counter = 0;
    size_t started = 0, open = 0;
    uint64_t s = seed;
    while (started < nops || open) {
        client *x = &c[next(&s) % (uint64_t)nclients];
        uint64_t act = next(&s) % 3;
        if (!x->busy && started < nops) {
            start(h, &s, kv, (int)(x - c), x, &counter);
            started++, open++;
        } else if (x->busy && act == 0 && !x->applied) {
            apply(&st, x);
        } else if (x->busy && act == 1) {
            finish(h, &s, &st, x);
            open--;
        }
    }
    for (int k = 0; k < NKEYS; k++)
        free(st.kv[k]);
    return h;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds of `runs` checks of h; *verdict gets the verdict. */
static double time_check(const fl_history *h, int model, int runs, int64_t wall_ns, int *verdict,
                         uint64_t *states)
{
    double t[9];
    fl_lin_budget b = {.wall_ns = wall_ns};
    for (int i = 0; i < runs; i++) {
        fl_lin_result r;
        double t0 = wall();
        if (fl_lin_check(h, model, &b, &r) != 0) {
            fprintf(stderr, "bench_lin: check failed: %s\n", r.detail);
            exit(1);
        }
        t[i] = wall() - t0;
        *verdict = r.verdict;
        *states = r.states;
        fl_lin_result_close(&r);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    return t[runs / 2];
}

static void bench_generated(void)
{
    static const size_t sizes[] = {1000, 10000, 100000};
    static const int clients[] = {5, 20, 50};
    printf("bench_lin: generated linearizable histories, median of 5 (3 for 100k ops)\n");
    printf("%-9s %8s %8s %10s %12s %10s %s\n", "model", "ops", "clients", "seconds", "ops/s",
           "states", "verdict");
    for (int kv = 0; kv < 2; kv++)
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++) {
                fl_history *h = generate(1 + i * 3 + j, kv, clients[j], sizes[i]);
                int verdict;
                uint64_t states;
                double t = time_check(h, kv ? FL_LIN_KV : FL_LIN_REGISTER, i == 2 ? 3 : 5, 0,
                                      &verdict, &states);
                printf("%-9s %8zu %8d %10.4f %12.0f %10llu %s\n", kv ? "kv" : "register", sizes[i],
                       clients[j], t, (double)sizes[i] / t, (unsigned long long)states,
                       fl_lin_verdict_name(verdict));
                fflush(stdout);
                fl_history_free(h);
            }
}

static fl_history *load(const char *dir, const char *name)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    fl_history *h = fl_history_new();
    if (!f || fl_history_read_jsonl(h, f, name, err, sizeof err) != 0) {
        fprintf(stderr, "bench_lin: %s: %s\n", path, f ? err : "cannot open");
        if (f)
            fclose(f);
        fl_history_free(h);
        return NULL;
    }
    fclose(f);
    return h;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bench_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_lin: %s: cannot open\n", dir);
        exit(2);
    }
    char *names[1024];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 1024;) {
        size_t l = strlen(e->d_name);
        if (l > 6 && strcmp(e->d_name + l - 6, ".jsonl") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    double etcd_total = 0;
    int etcd_files = 0, etcd_ok = 0, etcd_bad = 0;
    printf("bench_lin: histories in %s, check time median of 5\n", dir);
    for (size_t i = 0; i < n; i++) {
        fl_history *h = load(dir, names[i]);
        if (!h)
            continue;
        int verdict, etcd = strncmp(names[i], "etcd_", 5) == 0;
        uint64_t states;
        if (etcd) {
            double t = time_check(h, FL_LIN_REGISTER, 5, 0, &verdict, &states);
            etcd_total += t, etcd_files++;
            etcd_ok += verdict == FL_LIN_OK, etcd_bad += verdict == FL_LIN_VIOLATION;
            printf("%-22s register  %6zu ops %9.5f s %9llu states %s\n", names[i],
                   fl_history_len(h), t, (unsigned long long)states, fl_lin_verdict_name(verdict));
        } else {
            double t = time_check(h, FL_LIN_KV, 5, 0, &verdict, &states);
            printf("%-22s kv        %6zu ops %9.5f s %9llu states %s\n", names[i],
                   fl_history_len(h), t, (unsigned long long)states, fl_lin_verdict_name(verdict));
            t = time_check(h, FL_LIN_KV_WHOLE, 3, 10000000000ll, &verdict, &states);
            printf("%-22s kv-whole  %6zu ops %9.5f s %9llu states %s\n", names[i],
                   fl_history_len(h), t, (unsigned long long)states, fl_lin_verdict_name(verdict));
        }
        fflush(stdout);
        fl_history_free(h);
        free(names[i]);
    }
    if (etcd_files)
        printf("etcd: %d histories, %d linearizable, %d not, %d unknown; total check time "
               "%.4f s\n",
               etcd_files, etcd_ok, etcd_bad, etcd_files - etcd_ok - etcd_bad, etcd_total);
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: bench_lin [DIR of *.jsonl histories]\n");
        return 2;
    }
    if (argc == 2)
        bench_dir(argv[1]);
    else
        bench_generated();
    return 0;
}
