/*
 * shrink.c -- the `shrinks` table (schema 4): one row per `faultline shrink`, linking
 * the failing run it started from to the recorded run of its minimal schedule.
 */
#include <sqlite3.h>

#include "core/error.h"
#include "storage/db.h"
#include "storage/db_impl.h"

int fl_db_shrink_insert(fl_db *db, const fl_db_shrink *s, int64_t *id, char *err, size_t cap)
{
    sqlite3 *h = fl_db_sqlite(db);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h,
                                "INSERT INTO shrinks(original_run, shrunk_run, check_name, keep,"
                                " decisions_before, decisions_after, ops_before, ops_after,"
                                " steps_before, steps_after, candidates, wall_us, minimal,"
                                " schedule_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, s->original_run);
        sqlite3_bind_int64(st, 2, s->shrunk_run);
        if (s->check && s->check[0])
            sqlite3_bind_text(st, 3, s->check, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_text(st, 4, s->any_violation ? "any_violation" : "same_check", -1,
                          SQLITE_STATIC);
        const uint64_t v[] = {s->decisions_before, s->decisions_after, s->ops_before, s->ops_after,
                              s->steps_before,     s->steps_after,     s->candidates};
        for (int i = 0; i < 7; i++)
            sqlite3_bind_int64(st, 5 + i, (sqlite3_int64)v[i]);
        sqlite3_bind_int64(st, 12, s->wall_us);
        sqlite3_bind_int(st, 13, s->minimal != 0);
        sqlite3_bind_text(st, 14, s->schedule_json, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return fl_db_error(db, rc, "shrinks", err, cap);
    if (id)
        *id = (int64_t)sqlite3_last_insert_rowid(h);
    return 0;
}
