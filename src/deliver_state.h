/*
 * deliver_state.h - the delivery state file: which files of DIR still
 * await their --post-rotate hook, across restarts and crashes.
 *
 * DIR/.mtracecap-delivery<ext> (<ext>: --file-ext, may be empty) holds
 * the line "mtracecap-delivery 1", then one base name per line, the
 * undelivered files oldest first; every line ends with a newline.  It is
 * replaced whole (temp file DIR/.mtracecap-delivery<ext>.tmp-<pid>,
 * fsync, rename, fsync of DIR), so a reader finds the old list or the
 * new one.  Parsing and formatting are pure; load and save do the I/O.
 */
#ifndef MTRACECAP_DELIVER_STATE_H
#define MTRACECAP_DELIVER_STATE_H

#include <stdbool.h>
#include <stddef.h>

#define DELIVER_STATE_HEADER	"mtracecap-delivery 1"
#define DELIVER_STATE_BASE	".mtracecap-delivery"
/* a state file larger than this is corrupt (about 250,000 names) */
#define DELIVER_STATE_MAX	(64u << 20)

/* A list of names (each malloc'ed), in order. */
struct deliver_names {
	char		**v;
	size_t		  n;
	size_t		  cap;
};

/* Can name be one line of the state: a file name of DIR (not empty, no
 * '/' or newline, not "." or "..")? */
bool deliver_state_name_ok(const char *name);

/*
 * DIR/.mtracecap-delivery<ext> into buf.  0, or -1 if it does not fit
 * (then err names dir).
 */
int deliver_state_path(char *buf, size_t len, const char *dir,
    const char *ext, char *err, size_t errlen);

/*
 * Parse the len bytes of buf (a whole state file) into out (appended;
 * the caller frees with deliver_names_free, whatever the outcome).  0, or -1 with err saying
 * what is wrong and where ("line 3: ..."): a missing or other header, a
 * bad name, a name twice, no newline at the end, a NUL byte.
 */
int deliver_state_parse(const char *buf, size_t len,
    struct deliver_names *out, char *err, size_t errlen);

/*
 * The text of a state file listing names[0..n) (each name_ok), malloc'ed
 * with its length in *len; NULL when out of memory.
 */
char *deliver_state_format(char *const *names, size_t n, size_t *len);

/*
 * Read path into out (the caller frees it, whatever the outcome): 0 with
 * *found false when it does not exist, 0 with
 * *found true, or -1 with err naming path (unreadable, not a regular
 * file, corrupt: "corrupt delivery state file 'PATH': line 3: ...").
 * Never changes the file.
 */
int deliver_state_load(const char *path, struct deliver_names *out,
    bool *found, char *err, size_t errlen);

/*
 * Replace path (in directory dir) with the len bytes of text atomically
 * and durably (see above).  0, or -1 with err naming path.
 */
int deliver_state_save(const char *dir, const char *path, const char *text,
    size_t len, char *err, size_t errlen);

/* Where a name of the state file is now (deliver_state_where). */
enum deliver_where {
	DELIVER_PRESENT,	/* in DIR (or cannot be told) */
	DELIVER_RECOVERING,	/* gone, but DIR has its tmp-<pid>-NAME */
	DELIVER_GONE,
};

/*
 * where[i] for each of names (files of dir), with one listing of dir at
 * most.  0, or -1 when out of memory.
 */
int deliver_state_where(const char *dir, const struct deliver_names *names,
    enum deliver_where *where);

/* Append a copy of name to l.  0, or -1 when out of memory. */
int deliver_names_add(struct deliver_names *l, const char *name);
/* strcmp of two char * (qsort and bsearch over names). */
int deliver_names_cmp(const void *a, const void *b);
/* Free every name and the array; l is empty again. */
void deliver_names_free(struct deliver_names *l);

#endif
