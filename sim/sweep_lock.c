/*
 * sweep_lock.c -- "a sweep of this scenario is running into this database": an fcntl
 * lock on one byte (at the scenario's id) of a sidecar file DB.lock.  Such a lock dies
 * with its process, so a sweep killed with kill -9 never blocks the one that resumes
 * it, unlike a status column; and sweeps of other scenarios lock other bytes and run
 * side by side.  The sidecar is left in place: it holds no data.
 */
#include "sim/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

int fl_sweep_lock(const char *db_path, int64_t scenario_id, int *fd_out, char *err, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.lock", db_path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return FL_EINVAL;
    }
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = scenario_id, .l_len = 1};
    if (fcntl(fd, F_SETLK, &l) == 0) {
        *fd_out = fd;
        return 0;
    }
    int e = errno;
    struct flock who = l;
    long pid = fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK ? (long)who.l_pid : 0;
    close(fd);
    if (e != EACCES && e != EAGAIN) {
        snprintf(err, cap, "%s: %s", path, strerror(e));
        return FL_EINVAL;
    }
    snprintf(err, cap,
             "another sweep of this scenario is running into %s (pid %ld): wait for it or stop "
             "it, then run this command again",
             db_path, pid);
    return FL_EINVAL;
}
