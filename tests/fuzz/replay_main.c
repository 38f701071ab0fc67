/*
 * replay_main.c -- a main() for the fuzz harnesses without libFuzzer: feed every file
 * named on the command line, and every regular file of every directory named there (in
 * name order, not recursing), to LLVMFuzzerTestOneInput once.  ctest runs each
 * harness's committed corpus this way, in the normal and the sanitizer builds, so a
 * crash that was ever found stays fixed.
 *
 * Exit status 0 when every input ran (a harness that finds a problem aborts), 1 when a
 * path cannot be read or there was no input at all.  -v prints each input as it runs;
 * a count is printed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

#define REPLAY_MAX_BYTES (16 << 20)

static int verbose;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        FUZZ_CHECK(buf != NULL, "out of memory reading %s", path);
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap || cap >= REPLAY_MAX_BYTES)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    int bad = ferror(f) || len == cap;
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: unreadable or larger than %d bytes\n", path, REPLAY_MAX_BYTES);
        free(buf);
        return -1;
    }
    if (verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    /* an exact-size copy, so that the sanitizers catch a read past the input's end */
    uint8_t *input = malloc(len ? len : 1);
    FUZZ_CHECK(input != NULL, "out of memory reading %s", path);
    memcpy(input, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(input, len);
    free(input);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order.  Returns the number run; sets *failed when
 * dir or one of its files cannot be read. */
static long run_dir(const char *dir, int *failed)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        *failed = 1;
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            FUZZ_CHECK(names != NULL, "out of memory listing %s", dir);
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        FUZZ_CHECK(names[n] != NULL, "out of memory listing %s", dir);
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    long ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i]) == 0)
                ran++;
            else
                *failed = 1;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long ran = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            ran += run_dir(argv[i], &failed);
        } else if (run_file(argv[i]) == 0) {
            ran++;
        } else {
            failed = 1;
        }
    }
    printf("replay: %ld inputs ran\n", ran);
    if (ran == 0 && !failed)
        fprintf(stderr, "replay: no inputs (an empty corpus is a mistake)\n");
    return failed || ran == 0 ? 1 : 0;
}
