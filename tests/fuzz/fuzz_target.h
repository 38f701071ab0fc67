/*
 * fuzz_target.h -- what every fuzz harness in tests/fuzz/ shares: the libFuzzer entry
 * point, and FUZZ_CHECK for the properties a harness checks beyond "no crash".
 *
 * A harness is built twice: with clang and libFuzzer (`make fuzz`), and with any
 * compiler against replay_main.c, which feeds it every file of its corpus (ctest).
 * Either way the contract is libFuzzer's: the input is borrowed and not NUL-terminated,
 * the call must not keep state that changes the next call's behaviour, and it returns
 * 0.  A parse error is a normal outcome; a crash, leak, sanitizer report or failed
 * FUZZ_CHECK is a finding.
 */
#ifndef FL_TESTS_FUZZ_TARGET_H
#define FL_TESTS_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold for every input: print what broke and abort, which both
 * libFuzzer and ctest report as a failure. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input as a NUL-terminated copy (the text up to its first NUL byte, if any);
 * caller frees with free().  Aborts when out of memory: inputs are small. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL, "out of memory copying %zu bytes", size);
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

#endif /* FL_TESTS_FUZZ_TARGET_H */
