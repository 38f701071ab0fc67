/*
 * serve.h -- the web UI's server over a faultline database (docs/ui.md): pages compiled
 * into the binary, a JSON API under /api/, the database opened read-only.
 */
#ifndef FL_SIM_SERVE_SERVE_H
#define FL_SIM_SERVE_SERVE_H

#include <stddef.h>

typedef struct fl_serve_opts {
    const char *db_path; /* borrowed */
    const char *host;    /* an IP address to bind: "127.0.0.1", "::1", "0.0.0.0" */
    int port;            /* 0: any free port (printed) */
} fl_serve_opts;

/* Open the database read-only, bind host:port, print "serving DB at http://H:P/" on
 * stdout, and answer requests until SIGINT or SIGTERM (then 0).  A host that is not a
 * loopback address is served, with a warning on stderr.  FL_E code and a "what: why"
 * message in err when the database cannot be read (FL_EBADDB, FL_ESCHEMA, ...) or the
 * address cannot be bound (FL_EINVAL). */
int fl_serve_run(const fl_serve_opts *o, char *err, size_t cap);

#endif /* FL_SIM_SERVE_SERVE_H */
