/*
 * deliver_state.c - parse, format, load and atomically save the delivery
 * state file (see deliver_state.h).  No threads, no globals: the callers
 * (deliver.c) serialise the saves of one file.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver_state.h"
#include "log.h"
#include "naming.h"
#include "place.h"

bool
deliver_state_name_ok(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL &&
	    strchr(name, '\n') == NULL && strcmp(name, ".") != 0 &&
	    strcmp(name, "..") != 0;
}

int
deliver_state_path(char *buf, size_t len, const char *dir, const char *ext,
    char *err, size_t errlen)
{
	int n = snprintf(buf, len, "%s%s" DELIVER_STATE_BASE "%s", dir,
	    dir[0] != '\0' && dir[strlen(dir) - 1] != '/' ? "/" : "",
	    ext != NULL ? ext : "");

	if (n < 0 || (size_t)n >= len) {
		log_seterr(err, errlen, "directory '%s': the name of its "
		    "delivery state file is too long", dir);
		return -1;
	}
	return 0;
}

int
deliver_names_add(struct deliver_names *l, const char *name)
{
	char *copy;

	if (l->n == l->cap) {
		size_t ncap = l->cap == 0 ? 16 : l->cap * 2;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if ((copy = strdup(name)) == NULL)
		return -1;
	l->v[l->n++] = copy;
	return 0;
}

void
deliver_names_free(struct deliver_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct deliver_names){ 0 };
}

int
deliver_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first name of l[from..] listed twice, or NULL (-1: out of memory). */
static int
find_twice(const struct deliver_names *l, size_t from, const char **twice)
{
	size_t n = l->n - from;
	char **sorted;

	*twice = NULL;
	if (n < 2)
		return 0;
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL)
		return -1;
	memcpy(sorted, l->v + from, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), deliver_names_cmp);
	for (size_t i = 1; i < n && *twice == NULL; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			*twice = sorted[i];
	free(sorted);
	return 0;
}

int
deliver_state_parse(const char *buf, size_t len, struct deliver_names *out,
    char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	size_t line = 1, first = out->n;
	const char *twice;
	char name[4096];

	if (memchr(buf, '\0', len) != NULL) {
		log_seterr(err, errlen, "a NUL byte");
		goto fail;
	}
	for (; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (nl == NULL) {
			log_seterr(err, errlen, "line %zu: no newline at its "
			    "end (cut short?)", line);
			goto fail;
		}
		n = (size_t)(nl - p);
		if (line == 1) {
			if (n != strlen(DELIVER_STATE_HEADER) ||
			    memcmp(p, DELIVER_STATE_HEADER, n) != 0) {
				log_seterr(err, errlen, "line 1: not \""
				    DELIVER_STATE_HEADER "\"");
				goto fail;
			}
		} else {
			if (n >= sizeof(name)) {
				log_seterr(err, errlen, "line %zu: a name of "
				    "%zu bytes", line, n);
				goto fail;
			}
			memcpy(name, p, n);
			name[n] = '\0';
			if (!deliver_state_name_ok(name)) {
				log_seterr(err, errlen, "line %zu: '%s' is not "
				    "a file name", line, name);
				goto fail;
			}
			if (deliver_names_add(out, name) != 0)
				goto oom;
		}
		p = nl + 1;
	}
	if (line == 1) {
		log_seterr(err, errlen, "empty (no \"" DELIVER_STATE_HEADER
		    "\" line)");
		goto fail;
	}
	if (find_twice(out, first, &twice) != 0)
		goto oom;
	if (twice != NULL) {
		log_seterr(err, errlen, "'%s' is listed twice", twice);
		goto fail;
	}
	return 0;
oom:
	log_seterr(err, errlen, "out of memory");
fail:
	while (out->n > first)
		free(out->v[--out->n]);
	return -1;
}

char *
deliver_state_format(char *const *names, size_t n, size_t *len)
{
	size_t total = strlen(DELIVER_STATE_HEADER) + 1, off;
	char *text;

	for (size_t i = 0; i < n; i++)
		total += strlen(names[i]) + 1;
	if ((text = malloc(total + 1)) == NULL)
		return NULL;
	off = (size_t)sprintf(text, "%s\n", DELIVER_STATE_HEADER);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(names[i]);

		memcpy(text + off, names[i], k);
		text[off + k] = '\n';
		off += k + 1;
	}
	text[off] = '\0';
	*len = off;
	return text;
}

/*
 * Up to max bytes of fd into a malloc'ed *buf (one more than max when
 * there are more: the caller calls that too long).  0, or -1 with errno.
 */
static int
read_upto(int fd, size_t max, char **buf, size_t *len)
{
	char *b = malloc(max + 2);
	size_t n = 0;

	if (b == NULL)
		return -1;
	while (n < max + 1) {
		ssize_t r = read(fd, b + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

int
deliver_state_load(const char *path, struct deliver_names *out, bool *found,
    char *err, size_t errlen)
{
	char perr[512], *buf;
	struct stat st;
	size_t len;
	int fd;

	*found = false;
	/* O_NOFOLLOW | O_NONBLOCK: never a link's target, never a FIFO's wait */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		log_seterr(err, errlen, "cannot read delivery state file "
		    "'%s': %s", path, errno == ELOOP ? "a symbolic link" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		log_seterr(err, errlen, "cannot read delivery state file "
		    "'%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_seterr(err, errlen, "cannot read delivery state file "
		    "'%s': not a regular file", path);
		close(fd);
		return -1;
	}
	/* the size as it is now (it may change under us: read to its end) */
	if (read_upto(fd, st.st_size < (off_t)DELIVER_STATE_MAX ?
	    (size_t)st.st_size + 4096 : DELIVER_STATE_MAX, &buf, &len) != 0) {
		log_seterr(err, errlen, "cannot read delivery state file "
		    "'%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (len > DELIVER_STATE_MAX)
		log_seterr(perr, sizeof(perr), "more than %u bytes",
		    DELIVER_STATE_MAX);
	if (len > DELIVER_STATE_MAX ||
	    deliver_state_parse(buf, len, out, perr, sizeof(perr)) != 0) {
		log_seterr(err, errlen, "corrupt delivery state file '%s': "
		    "%s (it is left as it is; move it away to start without "
		    "it)", path, perr);
		free(buf);
		return -1;
	}
	free(buf);
	*found = true;
	return 0;
}

int
deliver_state_save(const char *dir, const char *path, const char *text,
    size_t len, char *err, size_t errlen)
{
	if (place_save(path, dir, text, len, true) == 0)
		return 0;
	if (errno == ENAMETOOLONG)
		log_seterr(err, errlen, "cannot save delivery state file '%s': "
		    "name too long", path);
	else
		log_seterr(err, errlen, "cannot save delivery state file '%s': "
		    "%s", path, strerror(errno));
	return -1;
}

/* The base names of dir's temp files (tmp-<pid>-NAME), sorted.  0, or -1
 * when out of memory (an unreadable dir gives none). */
static int
list_temps(const char *dir, struct deliver_names *out)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (dh == NULL)
		return 0;
	while (rc == 0 && (de = readdir(dh)) != NULL) {
		const char *base;
		long pid;

		if (naming_parse_temp(de->d_name, &pid, &base) == NAMING_TEMP)
			rc = deliver_names_add(out, base);
	}
	closedir(dh);
	if (out->n > 0)
		qsort(out->v, out->n, sizeof(*out->v), deliver_names_cmp);
	return rc;
}

int
deliver_state_where(const char *dir, const struct deliver_names *names,
    enum deliver_where *where)
{
	struct deliver_names temps = { 0 };
	bool listed = false;
	char path[4096];
	struct stat st;
	int rc = 0;

	for (size_t i = 0; i < names->n && rc == 0; i++) {
		const char *name = names->v[i];
		int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

		where[i] = DELIVER_PRESENT;
		/* only a name that is certainly gone is forgotten */
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    lstat(path, &st) == 0 || errno != ENOENT)
			continue;
		if (!listed)
			rc = list_temps(dir, &temps);
		listed = true;
		where[i] = temps.n > 0 && bsearch(&name, temps.v, temps.n,
		    sizeof(*temps.v), deliver_names_cmp) != NULL ?
		    DELIVER_RECOVERING : DELIVER_GONE;
	}
	deliver_names_free(&temps);
	return rc;
}
