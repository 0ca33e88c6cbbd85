/*
 * metrics_http.h - --metrics-listen: GET /metrics over HTTP, served by
 * libmicrohttpd on a thread of its own.
 *
 * The socket is bound early (metrics_http_bind, before any input opens,
 * so that a port in use ends the run before capture with nothing
 * written) and served later (metrics_http_start, after privileges are
 * dropped, so that the server thread never holds them).
 */
#ifndef MTRACECAP_METRICS_HTTP_H
#define MTRACECAP_METRICS_HTTP_H

#include <stddef.h>

#include "options_value.h"

#define METRICS_HTTP_CONNECTIONS	64	/* at once; more wait or fail */
#define METRICS_HTTP_TIMEOUT_S		10	/* idle connection dropped */
#define METRICS_HTTP_REQUEST_MAX	8192	/* bytes of request headers */

/*
 * The body of GET /metrics: malloc'ed text (*len bytes) that the server
 * frees, or NULL (out of memory: 500).  Called on the server thread.
 */
typedef char *metrics_http_text_fn(void *arg, size_t *len);

struct metrics_http;

/* Bind and listen on l; NULL with err naming ADDR:PORT.  No thread yet. */
struct metrics_http *metrics_http_bind(const struct options_listen *l,
    char *err, size_t errlen);
/* Serve: fn(arg) makes each answer.  0, or -1 with err. */
int metrics_http_start(struct metrics_http *h, metrics_http_text_fn *fn,
    void *arg, char *err, size_t errlen);
/* Stop the thread (open connections are closed), close the socket.
 * metrics_http_stop(NULL) is a no-op. */
void metrics_http_stop(struct metrics_http *h);

#endif
