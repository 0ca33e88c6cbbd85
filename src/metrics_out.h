/*
 * metrics_out.h - where the metrics go: --metrics-listen (metrics_http.h)
 * and --metrics-file (the textfile of node_exporter's collector, every
 * METRICS_FILE_EVERY_S on the control thread and once at exit).  Both
 * show the same text: one statistics snapshot, the process's figures
 * and the output file system's free space (metrics.h renders it).
 *
 * Order of use (main thread): metrics_out_create (before control_start:
 * binds the port, adds the file's timer to the control loop),
 * metrics_out_start (stats ready, privileges dropped, before the readers
 * start: first file, the HTTP thread), metrics_out_final (the totals are
 * final: the last file), metrics_out_destroy (before stats_destroy).
 */
#ifndef MTRACECAP_METRICS_OUT_H
#define MTRACECAP_METRICS_OUT_H

#include <stddef.h>

#include "metrics.h"

#define METRICS_FILE_EVERY_S	10

struct config;
struct control;
struct stats;

struct metrics_out;

/* NULL with err (a port that cannot be bound names ADDR:PORT), or when
 * neither option is given (err ""). */
struct metrics_out *metrics_out_create(const struct config *cfg,
    struct control *c, char *err, size_t errlen);
/* The counter sessions whose figures the metrics show (their families
 * come without samples until this is set).  Set before
 * metrics_out_start(); s outlives metrics_out_destroy(). */
struct sessions;
void metrics_out_set_sessions(struct metrics_out *m, struct sessions *s);
/* stats (of cfg->ninputs inputs) outlives metrics_out_destroy().  Writes
 * the file once and starts serving.  0, or -1 with err. */
int metrics_out_start(struct metrics_out *m, struct stats *stats, char *err,
    size_t errlen);
/* The whole text now, malloc'ed (*len bytes, NUL-terminated), or NULL
 * (out of memory).  Any thread, after metrics_out_start(). */
char *metrics_out_text(struct metrics_out *m, size_t *len);
/* After the control thread ended: write the file a last time.  0, or -1
 * (logged).  A no-op without --metrics-file or before _start. */
int metrics_out_final(struct metrics_out *m);
/* Stop serving, free; metrics_out_destroy(NULL) is a no-op. */
void metrics_out_destroy(struct metrics_out *m);

#endif
