/*
 * manifest.c - the JSON manifest beside a completed file (see
 * manifest.h): its text (jansson), the file's SHA-256 (OpenSSL's EVP
 * API, reading the file back: what is on disk, compressed or not), the
 * temp-file protocol that puts NAME.json in place before NAME, and the
 * libpcap count of a recovered file.  No state; any thread.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "capcount.h"
#include "log.h"
#include "manifest.h"
#include "naming.h"
#include "place.h"

#define READ_BUF	(1u << 16)
#define MAX_SUFFIX	1000	/* as place.c: NAME.1 ... NAME.999 */

static bool
stopping(const atomic_bool *stop)
{
	return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

int
manifest_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	size_t n;

	if (gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return -1;
	if ((size_t)snprintf(buf + n, len - n, ".%09uZ",
	    (unsigned)(ns % 1000000000u)) >= len - n)
		return -1;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if none. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A JSON string of the bytes s: as they are when valid UTF-8 (*exact
 * set), else each byte outside a valid sequence replaced by U+FFFD.
 * NULL when out of memory.
 */
static json_t *
utf8_string(const char *s, bool *exact)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	json_t *j;
	char *out;

	*exact = true;
	if ((out = malloc(3 * n + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_seq(p + i, n - i);

		if (l == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
			*exact = false;
			continue;
		}
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	j = json_stringn(out, o);
	free(out);
	return j;
}

/* key: the string s (see utf8_string); with b64key also b64key: the
 * exact bytes in base64 when s is not valid UTF-8, else null.  0 or -1. */
static int
set_name(json_t *o, const char *key, const char *b64key, const char *s)
{
	json_t *b64 = NULL;
	bool exact;
	json_t *str = utf8_string(s, &exact);

	if (str == NULL || json_object_set_new(o, key, str) != 0)
		return -1;
	if (b64key == NULL)
		return 0;
	if (!exact) {
		size_t n = strlen(s);
		unsigned char *t = malloc(4 * ((n + 2) / 3) + 1);

		if (t == NULL)
			return -1;
		EVP_EncodeBlock(t, (const unsigned char *)s, (int)n);
		b64 = json_string((const char *)t);
		free(t);
	} else {
		b64 = json_null();
	}
	return b64 == NULL || json_object_set_new(o, b64key, b64) != 0 ? -1 :
	    0;
}

/* A count, or null when MANIFEST_UNKNOWN. */
static json_t *
count(uint64_t v)
{
	return v == MANIFEST_UNKNOWN ? json_null() :
	    json_integer((json_int_t)v);
}

/* A time (manifest_time), or null when MANIFEST_UNKNOWN. */
static json_t *
stamp(uint64_t ns)
{
	char t[MANIFEST_TIME_LEN];

	if (ns == MANIFEST_UNKNOWN || manifest_time(ns, t, sizeof(t)) != 0)
		return json_null();
	return json_string(t);
}

/* Set key to v (reference stolen); false when out of memory. */
static bool
put(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

static json_t *
input_json(const struct manifest_input *in)
{
	json_t *o = json_object(), *ifs = json_array(), *gaps = json_array();
	bool ok = o != NULL && ifs != NULL && gaps != NULL;

	for (size_t i = 0; ok && i < in->nifnames; i++) {
		bool exact;
		json_t *s = utf8_string(in->ifnames[i], &exact);

		ok = s != NULL && json_array_append_new(ifs, s) == 0;
	}
	ok = ok && set_name(o, "uri", "uri_b64", in->uri) == 0;
	ok = ok && json_object_set(o, "interfaces", ifs) == 0;
	ok = ok && put(o, "packets", count(in->packets)) &&
	    put(o, "bytes", count(in->bytes)) &&
	    put(o, "kernel_drops", count(in->kernel_drops)) &&
	    put(o, "interface_drops", count(in->if_drops)) &&
	    put(o, "filtered", count(in->filtered)) &&
	    put(o, "lost", count(in->lost));
	for (size_t i = 0; ok && i < in->ngaps; i++) {
		const struct input_gap *g = &in->gaps[i];
		json_t *j = json_object();

		ok = j != NULL && put(j, "start", stamp(g->start_ns)) &&
		    put(j, "end", g->end_ns != 0 ? stamp(g->end_ns) :
		    json_null()) &&
		    put(j, "seconds", g->end_ns != 0 ? json_real((double)
		    (g->end_ns - g->start_ns) / 1e9) : json_null());
		if (!ok) {
			json_decref(j);
			break;
		}
		ok = json_array_append_new(gaps, j) == 0;	/* stolen */
	}
	ok = ok && json_object_set(o, "gaps", gaps) == 0;
	json_decref(ifs);
	json_decref(gaps);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *
manifest_json(const struct manifest_file *mf, const char *name,
    uint64_t size, const char *sha256, const char *host, char *err,
    size_t errlen)
{
	json_t *o = json_object(), *ins = json_array();
	bool ok = o != NULL && ins != NULL;
	char *text = NULL;

	ok = ok && set_name(o, "file", "file_b64", name) == 0 &&
	    put(o, "format", mf->format != NULL ?
	    json_string(mf->format) : json_null()) &&
	    put(o, "sequence", mf->has_seq ?
	    json_integer((json_int_t)mf->seq) : json_null()) &&
	    put(o, "size", json_integer((json_int_t)size)) &&
	    put(o, "sha256", json_string(sha256)) &&
	    put(o, "packets", count(mf->packets)) &&
	    put(o, "first_packet_time", stamp(mf->first_ns)) &&
	    put(o, "last_packet_time", stamp(mf->last_ns)) &&
	    put(o, "disorders", count(mf->disorders)) &&
	    put(o, "start_time", stamp(mf->start_ns)) &&
	    put(o, "close_time", stamp(mf->close_ns)) &&
	    set_name(o, "host", NULL, host) == 0 &&
	    put(o, "mtracecap_version", json_string(PACKAGE_VERSION)) &&
	    put(o, "recovered", json_boolean(mf->recovered)) &&
	    put(o, "anonymised", mf->anonymised != NULL ?
	    json_string(mf->anonymised) : json_null());
	for (size_t i = 0; ok && i < mf->ninputs; i++) {
		json_t *in = input_json(&mf->inputs[i]);

		ok = in != NULL && json_array_append_new(ins, in) == 0;
	}
	ok = ok && json_object_set(o, "inputs", ins) == 0;
	if (ok)
		text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(ins);
	json_decref(o);
	if (text == NULL)
		log_seterr(err, errlen, "cannot build the manifest of '%s': "
		    "out of memory", name);
	return text;
}

/*
 * Size and SHA-256 (hex, 65 bytes) of the file path as it is on disk.
 * 0, -1 with err, -2 if stopped.
 */
static int
digest_file(const char *path, uint64_t *size, char *hex,
    const atomic_bool *stop, char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	int fd, rc = -1;
	ssize_t n;

	*size = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		log_seterr(err, errlen, "cannot read '%s' back for its "
		    "manifest: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(READ_BUF)) == NULL || (ctx = EVP_MD_CTX_new()) ==
	    NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		log_seterr(err, errlen, "cannot hash '%s': out of memory",
		    path);
		goto out;
	}
	for (unsigned i = 0;; i++) {
		if (i % 256 == 0 && stopping(stop)) {
			rc = -2;
			goto out;
		}
		if ((n = read(fd, buf, READ_BUF)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*size += (uint64_t)n;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			break;
	}
	if (n != 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		log_seterr(err, errlen, "cannot read '%s' back for its "
		    "manifest: %s", path, n < 0 ? strerror(errno) :
		    "digest failed");
		goto out;
	}
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return rc;
}

/* Write text to the new file path and fsync it: 0 or -1 with err. */
static int
write_durably(const char *path, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text), off = 0;
	int fd = place_create(path, err, errlen);

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	log_seterr(err, errlen, "cannot write '%s': %s", path,
	    errno != 0 ? strerror(errno) : "short write");
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

/* The name want will get (see place_rename's no_replace) into final. */
static int
free_name(const char *want, char *final, size_t flen)
{
	struct stat st;
	int n = snprintf(final, flen, "%s", want);

	for (int i = 1; n >= 0 && (size_t)n < flen; i++) {
		if (lstat(final, &st) != 0 && errno == ENOENT)
			return 0;
		if (i == MAX_SUFFIX)
			break;
		n = snprintf(final, flen, "%s.%d", want, i);
	}
	snprintf(final, flen, "%s", want);
	return -1;
}

/* Split path into its directory (dir, PATH_MAX bytes) and base name. */
static const char *
split_path(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, PATH_MAX, ".");
		return path;
	}
	snprintf(dir, PATH_MAX, "%.*s", slash == path ? 1 :
	    (int)(slash - path), path);
	return slash + 1;
}

int
manifest_write(const char *temp, const char *want,
    const struct manifest_file *mf, const atomic_bool *stop, char *final,
    size_t flen, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX], json[PATH_MAX], host[256];
	char sha[2 * EVP_MAX_MD_SIZE + 1];
	const char *base;
	uint64_t size;
	char *text;
	int rc;

	if (free_name(want, final, flen) != 0) {
		log_seterr(err, errlen, "no free name for '%s' and its "
		    "manifest", want);
		return -1;
	}
	base = split_path(final, dir);
	if (naming_manifest_temp(tmp, sizeof(tmp), dir, getpid(), base) != 0 ||
	    snprintf(json, sizeof(json), "%s.json", final) >=
	    (int)sizeof(json)) {
		log_seterr(err, errlen, "the manifest name of '%s' is too long",
		    final);
		return -1;
	}
	if ((rc = digest_file(temp, &size, sha, stop, err, errlen)) != 0)
		return rc;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if ((text = manifest_json(mf, base, size, sha, host, err,
	    errlen)) == NULL)
		return -1;
	rc = write_durably(tmp, text, err, errlen);
	free(text);
	if (rc != 0)
		return -1;
	/* an orphan NAME.json (its data file never got its name) is
	 * replaced: NAME is free, so it describes nothing */
	if (rename(tmp, json) != 0) {
		log_seterr(err, errlen, "cannot rename '%s' to '%s': %s", tmp,
		    json, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (place_fsync_dir(dir) != 0) {
		log_seterr(err, errlen, "cannot fsync directory '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
manifest_count(const char *path, const char *tool, struct manifest_file *mf,
    const atomic_bool *stop, char *err, size_t errlen)
{
	struct capcount c;
	int rc = capcount_file(path, tool, &c, stop, err, errlen);

	if (rc != 0)
		return rc;
	mf->format = c.pcapng ? "pcapng" : "pcap";
	mf->packets = c.packets;
	mf->first_ns = c.packets > 0 ? c.first_ns : MANIFEST_UNKNOWN;
	mf->last_ns = c.packets > 0 ? c.last_ns : MANIFEST_UNKNOWN;
	return 0;
}

/* The sequence number in a segment name YYYYMMDD-HHMMSS-NNNNNNNN...
 * (naming.h), or false when base is not one. */
static bool
seq_of(const char *base, uint32_t *seq)
{
	uint32_t v = 0;

	for (int i = 0; i < 24; i++) {
		bool dash = i == 8 || i == 15;

		if (base[i] == '\0' || (dash ? base[i] != '-' :
		    base[i] < '0' || base[i] > '9'))
			return false;
		if (i > 15)
			v = v * 10 + (uint32_t)(base[i] - '0');
	}
	*seq = v;
	return true;
}

int
manifest_recovered(const char *temp, const char *want, const char *tool,
    const atomic_bool *stop, char *final, size_t flen, char *err,
    size_t errlen)
{
	struct manifest_file mf = {
		.format = NULL, .recovered = true,
		.packets = MANIFEST_UNKNOWN, .first_ns = MANIFEST_UNKNOWN,
		.last_ns = MANIFEST_UNKNOWN, .disorders = MANIFEST_UNKNOWN,
		.start_ns = MANIFEST_UNKNOWN, .close_ns = MANIFEST_UNKNOWN,
	};
	const char *slash = strrchr(want, '/');
	char cerr[PATH_MAX + 256];
	int rc;

	mf.has_seq = seq_of(slash != NULL ? slash + 1 : want, &mf.seq);
	if ((rc = manifest_count(temp, tool, &mf, stop, cerr,
	    sizeof(cerr))) == -2)
		return -2;
	if (rc != 0)	/* the figures stay null: never a guess */
		log_warn("%s; its manifest says null", cerr);
	return manifest_write(temp, want, &mf, stop, final, flen, err, errlen);
}
