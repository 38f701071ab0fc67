/*
 * serve.c -- the web server of `faultline serve`: libevent's evhttp on one thread, one
 * read-only connection to the database, and a fixed table of routes.
 *
 * What a request can reach is exactly this table: pages (all the same HTML shell, whose
 * script reads the path and the query), the files compiled into the binary (assets.h;
 * looked up by exact name, so no path from a request ever reaches the file system), and
 * the JSON API (serve_api_*.c).  Anything else is 404, a malformed id or parameter 400,
 * a method other than GET or HEAD 405.  Every answer carries a Content-Security-Policy
 * of default-src 'self': the pages load nothing from elsewhere and run no inline script.
 * A server bound to a loopback address answers only requests that name a loopback host
 * (Host: 127.0.0.1:P, localhost:P, [::1]:P), so that a web page elsewhere cannot reach it
 * through a DNS name rebound to 127.0.0.1.
 */
#include "sim/serve/serve.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/error.h"
#include "sim/serve/assets.h"
#include "sim/serve/serve_impl.h"

typedef struct server {
    serve_ctx ctx;
    struct event_base *base;
    int loopback; /* bound to a loopback address: check Host */
} server;

static const char csp[] = "default-src 'self'; frame-ancestors 'none'";

static void common_headers(struct evhttp_request *req, const char *type)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Content-Security-Policy", csp);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Cache-Control", "no-store");
}

static void reply_error(struct evhttp_request *req, int status, const char *msg, int json)
{
    struct evbuffer *b = evbuffer_new();
    if (json) {
        evbuffer_add(b, "{\"error\":", 9);
        sj_str(b, msg, strlen(msg));
        evbuffer_add(b, "}\n", 2);
    } else {
        evbuffer_add_printf(b, "%d ", status);
        for (const char *p = msg; *p; p++) /* a text page: nothing the browser may render */
            evbuffer_add_printf(b, "%c", (*p == '<' || *p == '>' || *p == '&') ? '?' : *p);
        evbuffer_add(b, "\n", 1);
    }
    common_headers(req, json ? "application/json" : "text/plain; charset=utf-8");
    const char *reason = status == SV_BAD        ? "Bad Request"
                         : status == SV_NOTFOUND ? "Not Found"
                         : status == 403         ? "Forbidden"
                         : status == 405         ? "Method Not Allowed"
                                                 : "Internal Server Error";
    evhttp_send_reply(req, status, reason, b);
    evbuffer_free(b);
}

static const char *asset_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

static void reply_asset(struct evhttp_request *req, const char *name)
{
    for (const fl_asset *a = fl_assets; a->name != NULL; a++)
        if (strcmp(a->name, name) == 0) {
            struct evbuffer *b = evbuffer_new();
            evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
            common_headers(req, asset_type(a->name));
            evhttp_send_reply(req, SV_OK, "OK", b);
            evbuffer_free(b);
            return;
        }
    reply_error(req, SV_NOTFOUND, "no such file", 0);
}

/* Split path (after its leading '/') into at most 6 segments; -1 for more or empty
 * segments. */
static int split_path(char *path, char **seg)
{
    int n = 0;
    if (path[0] == '\0')
        return 0;
    for (char *p = path;; p++) {
        char *slash = strchr(p, '/');
        if (n == 6 || (slash == p))
            return -1;
        seg[n++] = p;
        if (slash == NULL)
            return n;
        *slash = '\0';
        p = slash;
        if (p[1] == '\0')
            return n; /* a trailing slash */
    }
}

/* The handler of /api/SEG..., with the path's ids parsed; NULL with status 404/400. */
static int (*api_route(char **seg, int n, serve_req *q, int *status))(serve_req *)
{
    static const struct {
        const char *a, *b; /* "run", NULL, "diagram": /api/run/N/diagram */
        int ids;
        int (*fn)(serve_req *);
    } routes[] = {
        {"meta", NULL, 0, api_meta},        {"runs", NULL, 0, api_runs},
        {"sql", NULL, 0, api_sql},          {"sweep", NULL, 1, api_sweep},
        {"run", NULL, 1, api_run},          {"run", "diagram", 1, api_diagram},
        {"run", "state", 1, api_state},     {"run", "history", 1, api_history},
        {"run", "message", 2, api_message},
    };
    *status = SV_NOTFOUND;
    size_t len = n > 0 ? strlen(seg[0]) : 0;
    if (n == 1 && len > 4 && strcmp(seg[0] + len - 4, ".csv") == 0) {
        seg[0][len - 4] = '\0';
        q->csv = 1;
    } else if (n == 1 && len > 5 && strcmp(seg[0] + len - 5, ".json") == 0) {
        seg[0][len - 5] = '\0';
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int want = 1 + routes[i].ids + (routes[i].b != NULL);
        if (n != want || strcmp(seg[0], routes[i].a) != 0)
            continue;
        if (routes[i].b != NULL && strcmp(seg[2], routes[i].b) != 0)
            continue;
        int idseg[2] = {1, 3};
        for (int k = 0; k < routes[i].ids; k++)
            if (sj_parse_id(seg[idseg[k]], &q->id[k]) != 0) {
                *status = SV_BAD;
                snprintf(q->err, q->cap, "bad id '%.40s'", seg[idseg[k]]);
                return NULL;
            }
        return routes[i].fn;
    }
    snprintf(q->err, q->cap, "no such API");
    return NULL;
}

static void serve_api(server *sv, struct evhttp_request *req, char **seg, int n,
                      struct evkeyvalq *query)
{
    char err[512] = "";
    serve_req q = {.s = &sv->ctx, .query = query, .err = err, .cap = sizeof err};
    int status;
    int (*fn)(serve_req *) = api_route(seg, n, &q, &status);
    const char *fmt = evhttp_find_header(query, "format");
    if (fn != NULL && fmt != NULL && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0) {
        fn = NULL;
        status = SV_BAD;
        snprintf(err, sizeof err, "format: expected json or csv");
    }
    if (fn == NULL) {
        reply_error(req, status, err, 1);
        return;
    }
    q.csv = q.csv || (fmt != NULL && strcmp(fmt, "csv") == 0);
    q.out = evbuffer_new();
    status = fn(&q);
    if (status == 0 || status == SV_OK) {
        common_headers(req, q.content_type != NULL ? q.content_type : "application/json");
        evhttp_send_reply(req, SV_OK, "OK", q.out);
    } else {
        reply_error(req, status, err[0] ? err : "error", 1);
    }
    evbuffer_free(q.out);
}

/* A page: the one HTML shell, once its path is known and names something that exists. */
static void serve_page(server *sv, struct evhttp_request *req, char **seg, int n)
{
    static const char *const plain[] = {"runs", "sql", NULL};
    static const char *const of_run[] = {"run", "diagram", "state", "history", "shrink", NULL};
    int ok = n == 0;
    for (int i = 0; !ok && n == 1 && plain[i] != NULL; i++)
        ok = strcmp(seg[0], plain[i]) == 0;
    int64_t id;
    char err[256] = "";
    serve_req q = {.s = &sv->ctx, .err = err, .cap = sizeof err};
    for (int i = 0; !ok && n == 2 && of_run[i] != NULL; i++)
        if (strcmp(seg[0], of_run[i]) == 0) {
            if (sj_parse_id(seg[1], &id) != 0) {
                reply_error(req, SV_BAD, "bad run id", 0);
                return;
            }
            if (api_run_exists(&q, id) != SV_OK) {
                reply_error(req, SV_NOTFOUND, err, 0);
                return;
            }
            ok = 1;
        }
    if (!ok && n == 2 && strcmp(seg[0], "sweep") == 0) {
        int64_t found = 0;
        if (sj_parse_id(seg[1], &id) != 0) {
            reply_error(req, SV_BAD, "bad sweep id", 0);
            return;
        }
        sj_bind b = SJ_INT(id);
        if (sj_int(&q, "SELECT count(*) FROM sweeps WHERE id = ?", &b, 1, 0, &found) != 0 ||
            found == 0) {
            reply_error(req, SV_NOTFOUND, "no such sweep", 0);
            return;
        }
        ok = 1;
    }
    if (!ok) {
        reply_error(req, SV_NOTFOUND, "no such page", 0);
        return;
    }
    reply_asset(req, "index.html");
}

/* Host: must name a loopback host when we are bound to one (DNS rebinding). */
static int host_allowed(const server *sv, struct evhttp_request *req)
{
    if (!sv->loopback)
        return 1;
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    if (host == NULL)
        return 0;
    static const char *const ok[] = {"127.0.0.1", "localhost", "[::1]", NULL};
    for (int i = 0; ok[i] != NULL; i++) {
        size_t n = strlen(ok[i]);
        if (strncmp(host, ok[i], n) == 0 && (host[n] == '\0' || host[n] == ':'))
            return 1;
    }
    return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    server *sv = arg;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        reply_error(req, 405, "only GET and HEAD", 0);
        return;
    }
    if (!host_allowed(sv, req)) {
        reply_error(req, 403, "Host header must name the loopback address", 0);
        return;
    }
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    if (path == NULL || path[0] != '/' || strlen(path) > 400) {
        reply_error(req, SV_BAD, "bad path", 0);
        return;
    }
    struct evkeyvalq query;
    TAILQ_INIT(&query);
    const char *qs = evhttp_uri_get_query(uri);
    if (qs != NULL && evhttp_parse_query_str(qs, &query) != 0) {
        reply_error(req, SV_BAD, "malformed query string", 0);
        return;
    }
    char buf[401], *seg[6];
    snprintf(buf, sizeof buf, "%s", path + 1);
    int n = split_path(buf, seg);
    if (n < 0)
        reply_error(req, SV_NOTFOUND, "no such page", 0);
    else if (n >= 1 && strcmp(seg[0], "api") == 0)
        serve_api(sv, req, seg + 1, n - 1, &query);
    else if (n == 2 && strcmp(seg[0], "static") == 0)
        reply_asset(req, seg[1]);
    else
        serve_page(sv, req, seg, n);
    evhttp_clear_headers(&query);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    event_base_loopbreak(arg);
}

/* host -> a numeric address; *loopback when it is 127.0.0.0/8 or ::1. */
static int parse_host(const char *host, int *loopback, char *err, size_t cap)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1) {
        *loopback = a[0] == 127;
        return 0;
    }
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char one[16] = {[15] = 1};
        *loopback = memcmp(a, one, 16) == 0;
        return 0;
    }
    snprintf(err, cap, "--host: expected an IP address (127.0.0.1, ::1, 0.0.0.0), got '%.100s'",
             host);
    return FL_EINVAL;
}

static int bound_port(struct evhttp_bound_socket *bs)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int listen_on(server *sv, struct evhttp *http, const fl_serve_opts *o, char *err, size_t cap)
{
    struct evhttp_bound_socket *bs =
        evhttp_bind_socket_with_handle(http, o->host, (ev_uint16_t)o->port);
    if (bs == NULL) {
        snprintf(err, cap,
                 "cannot listen on %.100s port %d (in use, or not an address of this "
                 "machine)",
                 o->host, o->port);
        return FL_EINVAL;
    }
    int v6 = strchr(o->host, ':') != NULL;
    printf("serving %s at http://%s%s%s:%d/ (Ctrl-C stops)\n", fl_db_path(sv->ctx.db),
           v6 ? "[" : "", o->host, v6 ? "]" : "", bound_port(bs));
    fflush(stdout);
    if (!sv->loopback)
        fprintf(stderr,
                "faultline: serve: warning: %s is not a loopback address: anyone who "
                "can reach this machine can read the database\n",
                o->host);
    return 0;
}

static int serve_loop(server *sv, const fl_serve_opts *o, char *err, size_t cap)
{
    struct evhttp *http = evhttp_new(sv->base);
    struct event *sigint = evsignal_new(sv->base, SIGINT, on_signal, sv->base);
    struct event *sigterm = evsignal_new(sv->base, SIGTERM, on_signal, sv->base);
    int rc = http == NULL || sigint == NULL || sigterm == NULL ? FL_ENOMEM : 0;
    if (rc == 0) {
        evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                             EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
        evhttp_set_max_headers_size(http, 16384);
        evhttp_set_max_body_size(http, 4096);
        evhttp_set_timeout(http, 30);
        evhttp_set_gencb(http, on_request, sv);
        event_add(sigint, NULL);
        event_add(sigterm, NULL);
        rc = listen_on(sv, http, o, err, cap);
    } else {
        snprintf(err, cap, "out of memory");
    }
    if (rc == 0)
        event_base_dispatch(sv->base);
    if (http != NULL)
        evhttp_free(http);
    if (sigint != NULL)
        event_free(sigint);
    if (sigterm != NULL)
        event_free(sigterm);
    return rc;
}

int fl_serve_run(const fl_serve_opts *o, char *err, size_t cap)
{
    server sv = {0};
    int rc = parse_host(o->host, &sv.loopback, err, cap);
    if (rc != 0)
        return rc;
    rc = fl_db_open(&sv.ctx.db, o->db_path, FL_DB_READONLY, err, cap);
    if (rc == 0)
        rc = fl_db_verify(sv.ctx.db, err, cap);
    if (rc == 0) {
        sv.ctx.schema = fl_db_opened_version(sv.ctx.db);
        if (sv.ctx.schema < 2) {
            snprintf(err, cap,
                     "%s: schema version %" PRId64 " is too old to serve (run "
                     "`faultline migrate %s` first)",
                     o->db_path, sv.ctx.schema, o->db_path);
            rc = FL_ESCHEMA;
        }
    }
    if (rc == 0) {
        fl_db_set_time_limit(sv.ctx.db, SERVE_TIME_LIMIT_MS);
        sv.base = event_base_new();
        rc = sv.base != NULL ? serve_loop(&sv, o, err, cap) : FL_ENOMEM;
    }
    if (sv.base != NULL)
        event_base_free(sv.base);
    fl_db_close(sv.ctx.db);
    return rc;
}
