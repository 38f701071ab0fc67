/*
 * iofault_vfs.c -- an SQLite VFS shim that fails the N-th write, sync or open, for the
 * I/O fault tests (tests/cli/cli_db_iofault.sh), in the spirit of SQLite's own I/O error
 * simulator: the fault is data, and a test sweeps N over every I/O a command makes.
 *
 * Linked only into the test program `faultline_iofault` (sim/main.c + this file), never
 * into the shipped `faultline`: a constructor registers the shim as the default VFS when
 * FL_IOFAULT is set.
 *
 *   FL_IOFAULT=count          count, and append "writes syncs opens" to $FL_IOFAULT_COUNTS
 *                             at exit (processes that opened nothing append nothing)
 *   FL_IOFAULT=write:N        the N-th xWrite (1-based) fails with SQLITE_IOERR_WRITE
 *   FL_IOFAULT=sync:N         the N-th xSync fails with SQLITE_IOERR_FSYNC
 *   FL_IOFAULT=open:N         the N-th xOpen fails with SQLITE_CANTOPEN
 *   ...:N+                    the N-th and every later one fail (a disk that stays full)
 *
 * Counting is per process; a sweep's workers are separate processes that make no
 * SQLite I/O.  State is process-wide on purpose: it is a test harness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

enum { IO_WRITE, IO_SYNC, IO_OPEN, IO_KINDS };

static struct {
    sqlite3_vfs *real;
    sqlite3_vfs vfs;
    long count[IO_KINDS];
    int kind;    /* which I/O fails; -1: none (counting) */
    long nth;    /* the first failing one, 1-based */
    int persist; /* every later one fails too */
    const char *counts_path;
} shim = {.kind = -1};

typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real; /* lives right after this struct */
} shim_file;

/* Count one I/O of kind; nonzero when it is to fail. */
static int fault_now(int kind)
{
    long n = ++shim.count[kind];
    return kind == shim.kind && (n == shim.nth || (shim.persist && n > shim.nth));
}

#define REAL(f) (((shim_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods->xClose(REAL(f));
    return rc;
}
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    if (fault_now(IO_WRITE))
        return SQLITE_IOERR_WRITE;
    return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags)
{
    if (fault_now(IO_SYNC))
        return SQLITE_IOERR_FSYNC;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int f_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int f_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_device(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, pp);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* Version 3 methods: the unix VFS's files all have them. */
static const sqlite3_io_methods shim_methods = {
    3,          f_close,       f_read,      f_write,   f_truncate, f_sync,   f_size,
    f_lock,     f_unlock,      f_reserved,  f_control, f_sector,   f_device, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch,   f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    shim_file *sf = (shim_file *)f;
    sf->base.pMethods = NULL; /* SQLite calls no method of a file that failed to open */
    if (fault_now(IO_OPEN))
        return SQLITE_CANTOPEN;
    sf->real = (sqlite3_file *)(sf + 1);
    int rc = shim.real->xOpen(shim.real, name, sf->real, flags, out);
    if (rc == SQLITE_OK && sf->real->pMethods != NULL && sf->real->pMethods->iVersion >= 3)
        sf->base.pMethods = &shim_methods;
    else if (rc == SQLITE_OK) {
        sf->real->pMethods->xClose(sf->real);
        rc = SQLITE_CANTOPEN; /* the harness needs version-3 files */
    }
    return rc;
}

static void write_counts(void)
{
    if (shim.counts_path == NULL || shim.count[IO_OPEN] == 0)
        return;
    FILE *f = fopen(shim.counts_path, "a");
    if (f == NULL)
        return;
    fprintf(f, "%ld %ld %ld\n", shim.count[IO_WRITE], shim.count[IO_SYNC], shim.count[IO_OPEN]);
    fclose(f);
}

/* Parse FL_IOFAULT; nonzero when it is malformed. */
static int parse_spec(const char *spec)
{
    static const char *const names[IO_KINDS] = {"write", "sync", "open"};
    if (strcmp(spec, "count") == 0)
        return 0;
    for (int k = 0; k < IO_KINDS; k++) {
        size_t len = strlen(names[k]);
        if (strncmp(spec, names[k], len) != 0 || spec[len] != ':')
            continue;
        char *end;
        shim.nth = strtol(spec + len + 1, &end, 10);
        shim.persist = *end == '+';
        shim.kind = k;
        return shim.nth < 1 || *(end + shim.persist) != '\0';
    }
    return 1;
}

__attribute__((constructor)) static void iofault_install(void)
{
    const char *spec = getenv("FL_IOFAULT");
    if (spec == NULL || *spec == '\0')
        return;
    if (parse_spec(spec)) {
        fprintf(stderr, "iofault: FL_IOFAULT: expected count, write:N, sync:N or open:N[+]\n");
        exit(2);
    }
    sqlite3_initialize();
    shim.real = sqlite3_vfs_find(NULL);
    shim.vfs = *shim.real;
    shim.vfs.zName = "iofault";
    shim.vfs.szOsFile = (int)sizeof(shim_file) + shim.real->szOsFile;
    shim.vfs.xOpen = v_open;
    shim.counts_path = getenv("FL_IOFAULT_COUNTS");
    sqlite3_vfs_register(&shim.vfs, 1);
    atexit(write_counts);
}
