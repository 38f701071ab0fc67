/*
 * test_db_errors.c -- databases that cannot be used as given are FL_EBADDB (an input
 * error) with a message that names the file and says what to do; readers only read;
 * writers close in journal_mode=DELETE; fl_db_verify() finds a damaged page.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/error.h"
#include "storage/db.h"
#include "check_main.h"

static char dir[64];
static char path[128];
static char err[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/fl_test_db_errors_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/x.db", dir);
    err[0] = '\0';
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int exists(const char *suffix)
{
    char p[256];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return access(p, F_OK) == 0;
}

/* A faultline database at path with `rows` rows of filler (several pages). */
static void make_db(int rows)
{
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err), 0);
    sqlite3 *h = fl_db_sqlite(db);
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE filler(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
             " FROM n WHERE i < %d) INSERT INTO filler SELECT randomblob(300) FROM n",
             rows);
    ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    fl_db_close(db);
}

START_TEST(test_db_directory_is_ebaddb)
{
    ck_assert_int_eq(mkdir(path, 0755), 0);
    fl_db *db;
    for (int flags = FL_DB_READONLY; flags <= FL_DB_CREATE; flags++) {
        ck_assert_int_eq(fl_db_open(&db, path, flags, err, sizeof err), FL_EBADDB);
        ck_assert_ptr_null(db);
        ck_assert_msg(strstr(err, "x.db: is a directory (give the path") != NULL, "%s", err);
    }
}
END_TEST

START_TEST(test_db_missing_directory_is_ebaddb)
{
    char p[256];
    snprintf(p, sizeof p, "%s/no/such/x.db", dir);
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, p, FL_DB_CREATE, err, sizeof err), FL_EBADDB);
    ck_assert_msg(strstr(err, "no/such: No such file or directory (create it") != NULL, "%s", err);
    ck_assert_int_eq(fl_db_open(&db, p, FL_DB_READONLY, err, sizeof err), FL_ENOTFOUND);
}
END_TEST

START_TEST(test_db_writer_closes_in_delete_mode)
{
    make_db(10);
    ck_assert(!exists("-wal") && !exists("-shm") && !exists("-journal"));
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "delete");
    sqlite3_finalize(st);
    sqlite3_close(h);
}
END_TEST

START_TEST(test_db_reader_creates_nothing)
{
    make_db(10);
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), 0);
    ck_assert_int_eq(fl_db_verify(db, err, sizeof err), 0);
    ck_assert(!exists("-wal") && !exists("-shm"));
    /* mode=ro: SQLite itself refuses a write, whatever the statement check lets by */
    ck_assert_int_ne(sqlite3_exec(fl_db_sqlite(db), "CREATE TABLE t(x)", NULL, NULL, NULL),
                     SQLITE_OK);
    fl_db_close(db);
    ck_assert(!exists("-wal") && !exists("-shm") && !exists("-journal"));
}
END_TEST

/* Overwrite page `page` (1-based) of the file with garbage. */
static void damage_page(int page)
{
    char junk[4096];
    memset(junk, 0xa5, sizeof junk);
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, junk, sizeof junk, (off_t)(page - 1) * 4096), (ssize_t)sizeof junk);
    close(fd);
}

START_TEST(test_db_verify_finds_a_damaged_page)
{
    make_db(200);
    struct stat made;
    ck_assert_int_eq(stat(path, &made), 0);
    damage_page((int)(made.st_size / 4096) - 3); /* the filler's, written last */
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), 0);
    ck_assert_int_eq(fl_db_verify(db, err, sizeof err), FL_EBADDB);
    ck_assert_msg(strstr(err, "x.db: damaged database (quick_check: ") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "record into a new file") != NULL, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    fl_db_close(db);
    /* a writer refuses it before changing a byte */
    struct stat before, after;
    ck_assert_int_eq(stat(path, &before), 0);
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err), FL_EBADDB);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert_int_eq(before.st_mtime, after.st_mtime);
    ck_assert(!exists("-wal") && !exists("-shm"));
}
END_TEST

START_TEST(test_db_locked_is_ebaddb_naming_the_file)
{
    make_db(10);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), 0);
    fl_db_close(db);   /* a reader is not blocked: the file has no -wal, it reads immutable */
    if (fork() == 0) { /* another process: the 10 s busy timeout, then the error */
        int rc = fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err);
        _exit(rc == FL_EBADDB && strstr(err, "x.db: database is locked (another process") ? 0 : 1);
    }
    int status;
    wait(&status);
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(h);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

static Suite *db_errors_suite(void)
{
    Suite *s = suite_create("db_errors");
    TCase *tc = tcase_create("db_errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_db_directory_is_ebaddb);
    tcase_add_test(tc, test_db_missing_directory_is_ebaddb);
    tcase_add_test(tc, test_db_writer_closes_in_delete_mode);
    tcase_add_test(tc, test_db_reader_creates_nothing);
    tcase_add_test(tc, test_db_verify_finds_a_damaged_page);
    tcase_add_test(tc, test_db_locked_is_ebaddb_naming_the_file);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(db_errors_suite)
