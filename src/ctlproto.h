/*
 * ctlproto.h - the control socket's line protocol, without any I/O: one
 * request line parsed into a command and its arguments, and answer lines
 * appended to a bounded buffer (so that a fuzzer can drive all of it).
 *
 * A request is one line of at most CTLPROTO_LINE_MAX bytes with its
 * newline.  Words are separated by blanks (space, tab); a trailing "\r"
 * is dropped.  Commands (lower case, exactly these words):
 *   status | stats | rotate | list | new NAME filter BPF | modify NAME BPF |
 *   stop NAME | show NAME | poll NAME | watch NAME SECONDS
 * BPF is the rest of the line (blanks inside it kept, around it trimmed),
 * NAME is [A-Za-z0-9_.-]{1,CTLPROTO_NAME_MAX}, SECONDS 1-3600.  An answer
 * is zero or more lines, then "ok" or "error: MESSAGE" (one line).
 */
#ifndef MTRACECAP_CTLPROTO_H
#define MTRACECAP_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTLPROTO_LINE_MAX	1024	/* bytes of a request, with its newline */
#define CTLPROTO_NAME_MAX	64	/* = SESSION_NAME_MAX (session.h) */
#define CTLPROTO_WATCH_MAX	3600u	/* seconds */

enum ctlproto_cmd {
	CTL_STATUS = 0,
	CTL_STATS,
	CTL_ROTATE,
	CTL_LIST,
	CTL_NEW,
	CTL_MODIFY,
	CTL_STOP,
	CTL_SHOW,
	CTL_POLL,
	CTL_WATCH,
};

/* One parsed request; every string NUL-terminated, "" when unused. */
struct ctlproto_req {
	enum ctlproto_cmd cmd;
	char		 name[CTLPROTO_NAME_MAX + 1];	/* new ... watch */
	char		 bpf[CTLPROTO_LINE_MAX];	/* new, modify */
	unsigned	 seconds;			/* watch */
};

/*
 * Parse line (len bytes, without its newline; need not be NUL-terminated,
 * may hold any byte) into *req.  Returns 0, or -1 with a one-line message
 * in err (printable: names the offending word, escaped) for an empty line,
 * a control byte, an unknown command, a missing or extra argument, a bad
 * name, a bad number of seconds or a line over the limit.
 */
int ctlproto_parse(const char *line, size_t len, struct ctlproto_req *req,
    char *err, size_t errlen);

/* The command's word ("status", ...). */
const char *ctlproto_cmd_name(enum ctlproto_cmd cmd);

/*
 * An answer under construction: lines appended to buf (cap bytes) as long
 * as they fit; one that does not sets overflow and is left out (then the
 * answer ends "error: answer too long" instead, see ctlproto_end_*).
 */
struct ctlproto_out {
	char		*buf;
	size_t		 len, cap;
	bool		 overflow;
};

void ctlproto_out_init(struct ctlproto_out *o, char *buf, size_t cap);
/* Append one line (printf format, no newline in it: one is added). */
void ctlproto_line(struct ctlproto_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append "key=value" where value is escaped (log_escape) onto one line. */
void ctlproto_kv_str(struct ctlproto_out *o, const char *key,
    const char *value);
/* The final line: "ok", or "error: answer too long" after an overflow. */
void ctlproto_end_ok(struct ctlproto_out *o);
/* The final line "error: MESSAGE", MESSAGE escaped onto one line (always
 * fits: the buffer keeps room for it, see ctlproto_out_init). */
void ctlproto_end_error(struct ctlproto_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define CTLPROTO_ERROR_MAX	512	/* room kept for the final line */

#endif
