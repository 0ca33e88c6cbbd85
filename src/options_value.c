/*
 * options_value.c - strict parsing of single option values: whole
 * numbers (options_parse_u64), compression types, time stamp types,
 * output URIs, listen addresses and the control socket's path.  Pure: no
 * I/O besides the error buffer, no exit.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "compress.h"
#include "ctlsock_file.h"
#include "log.h"
#include "options_value.h"
#include "tstamp.h"

/*
 * options_parse_u64 of the len bytes at s: a whole value, or one inside a
 * longer argument (a SIZE's digits, a --stop-after value), read in place
 * so that leading zeros are allowed however many there are.  Messages
 * quote those bytes.  Returns 0 or -1 (err says why).
 */
static int
parse_u64_span(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out, const char *what, char *err, size_t errlen)
{
	uint64_t v = 0;

	if (len == 0) {
		log_seterr(err, errlen, "empty value for %s", what);
		return -1;
	}
	/* digits only: no blanks, signs or "0x" */
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			log_seterr(err, errlen,
			    "invalid value '%.*s' for %s: not a non-negative "
			    "whole number", (int)len, s, what);
			return -1;
		}
	}
	for (size_t i = 0; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		/* v * 10 + d > max, without overflowing */
		if (d > max || v > (max - d) / 10) {
			log_seterr(err, errlen,
			    "invalid value '%.*s' for %s: larger than %llu",
			    (int)len, s, what, (unsigned long long)max);
			return -1;
		}
		v = v * 10 + d;
	}
	if (v < min) {
		log_seterr(err, errlen,
		    "invalid value '%.*s' for %s: must be at least %llu",
		    (int)len, s, what, (unsigned long long)min);
		return -1;
	}
	*out = v;
	return 0;
}

int
options_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char *what, char *err, size_t errlen)
{
	return parse_u64_span(s, strlen(s), min, max, out, what, err, errlen);
}

int
options_value_compress_type(const char *s, enum compress_type *t, char *err,
    size_t errlen)
{
	if (compress_from_name(s, t) == 0)
		return 0;
	log_seterr(err, errlen,
	    "invalid value '%s' for -Z/--compress-type: expected gz, zlib, "
	    "bz2, lzo, xz, zstd, lz4 or none", s);
	return -1;
}

int
options_value_tstamp_type(const char *s, int *pcap_type, char *err,
    size_t errlen)
{
	if (tstamp_type_from_name(s, pcap_type) == 0)
		return 0;
	log_seterr(err, errlen, "invalid value '%s' for --time-stamp-type: "
	    "expected " TSTAMP_TYPE_WORDS, s);
	return -1;
}

int
options_value_output_uri(const char *uri, const char *what, char **path,
    bool *pcapng, char *err, size_t errlen)
{
	const char *colon = strchr(uri, ':');
	const char *p = uri;

	*pcapng = false;
	if (colon != NULL) {
		size_t flen = (size_t)(colon - uri);

		if ((flen == 8 && strncmp(uri, "pcapfile", 8) == 0) ||
		    (flen == 4 && strncmp(uri, "pcap", 4) == 0)) {
			p = colon + 1;
		} else if (flen == 6 && strncmp(uri, "pcapng", 6) == 0) {
			p = colon + 1;
			*pcapng = true;
		} else if (memchr(uri, '/', flen) == NULL) {
			log_seterr(err, errlen,
			    "unsupported output format in %s '%s': mtracecap "
			    "writes pcapfile: and pcapng: only", what, uri);
			return -1;
		}
		/* else: a path that merely contains a colon */
	}
	if (*p == '\0') {
		log_seterr(err, errlen, "empty path in %s '%s'", what, uri);
		return -1;
	}
	if ((*path = strdup(p)) == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
options_value_fanout(const char *s, struct options_fanout *f, char *err,
    size_t errlen)
{
	static const char *const modes[] = {
		[FANOUT_HASH] = "hash", [FANOUT_LB] = "lb",
		[FANOUT_CPU] = "cpu", [FANOUT_QM] = "qm",
	};
	char n[16];
	const char *p = strchr(s, ','), *next;
	uint64_t v;

	if ((p == NULL ? strlen(s) : (size_t)(p - s)) >= sizeof(n)) {
		log_seterr(err, errlen, "invalid value '%s' for --fanout: "
		    "expected N[,MODE][,defrag] with N from 1 to %u", s,
		    OPTIONS_FANOUT_MAX);
		return -1;
	}
	snprintf(n, sizeof(n), "%.*s", p == NULL ? (int)strlen(s) :
	    (int)(p - s), s);
	if (options_parse_u64(n, 1, OPTIONS_FANOUT_MAX, &v, "--fanout", err,
	    errlen) != 0)
		return -1;
	f->n = (unsigned)v;
	f->mode = FANOUT_HASH;
	f->defrag = false;
	for (bool mode_seen = false; p != NULL; p = next) {
		size_t len, m;

		p++;
		next = strchr(p, ',');
		len = next == NULL ? strlen(p) : (size_t)(next - p);
		if (len == 6 && strncmp(p, "defrag", 6) == 0 &&
		    !f->defrag) {
			f->defrag = true;
			continue;
		}
		if (len == 8 && strncmp(p, "rollover", 8) == 0) {
			log_seterr(err, errlen, "invalid value 'rollover' for "
			    "--fanout: rollover splits flows; use hash, lb, "
			    "cpu or qm");
			return -1;
		}
		for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
			if (strlen(modes[m]) == len &&
			    strncmp(p, modes[m], len) == 0)
				break;
		if (m == sizeof(modes) / sizeof(modes[0]) || mode_seen) {
			log_seterr(err, errlen, "invalid value '%.*s' for "
			    "--fanout '%s': expected one of hash, lb, cpu, qm, "
			    "then defrag", (int)len, p, s);
			return -1;
		}
		f->mode = (enum options_fanout_mode)m;
		mode_seen = true;
	}
	return 0;
}

int
options_value_listen(const char *s, struct options_listen *l, char *err,
    size_t errlen)
{
	const char *port = s, *colon = strrchr(s, ':');
	unsigned char bin[16];
	uint64_t v;
	size_t alen = 0;

	memset(l, 0, sizeof(*l));
	if (colon != NULL) {
		const char *a = s;

		port = colon + 1;
		alen = (size_t)(colon - s);
		if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
			a = s + 1;
			alen -= 2;
			l->v6 = true;
		}
		if (alen == 0 || alen >= sizeof(l->addr)) {
			log_seterr(err, errlen, "invalid value '%s' for "
			    "--metrics-listen: want [ADDR:]PORT, ADDR an IPv4 "
			    "address or [IPv6]", s);
			return -1;
		}
		memcpy(l->addr, a, alen);
		if (inet_pton(l->v6 ? AF_INET6 : AF_INET, l->addr, bin) != 1) {
			log_seterr(err, errlen, "invalid address '%s' for "
			    "--metrics-listen: not a numeric %s", l->addr,
			    l->v6 ? "IPv6 address" : "IPv4 address (IPv6 "
			    "goes in brackets)");
			return -1;
		}
	} else {
		snprintf(l->addr, sizeof(l->addr), "127.0.0.1");
	}
	if (options_parse_u64(port, 1, 65535, &v, "--metrics-listen's port",
	    err, errlen) != 0)
		return -1;
	l->port = (uint16_t)v;
	l->set = true;
	return 0;
}

int
options_value_control(const char *path, const char *group, char *err,
    size_t errlen)
{
	if (path == NULL) {
		if (group == NULL)
			return 0;
		log_seterr(err, errlen, "--control-group '%s' needs --control",
		    group);
		return -1;
	}
	if (strlen(path) > CTLSOCK_PATH_MAX) {
		log_seterr(err, errlen, "invalid value '%s' for --control: "
		    "%zu bytes, more than %d", path, strlen(path),
		    CTLSOCK_PATH_MAX);
		return -1;
	}
	if (path[strlen(path) - 1] == '/') {
		log_seterr(err, errlen, "invalid value '%s' for --control: "
		    "names a directory, not a socket", path);
		return -1;
	}
	return 0;
}

/* options_value_size of the len bytes at s (see parse_u64_span). */
static int
size_span(const char *s, size_t len, uint64_t min, const char *what,
    uint64_t *out, char *err, size_t errlen)
{
	static const char units[] = "kMGT";
	size_t digits = len;
	unsigned shift = 0;
	const char *u;
	uint64_t v;
	bool ok;

	if (len > 0 && s[len - 1] != '\0' && (u = strchr(units,
	    s[len - 1] == 'K' ? 'k' : s[len - 1])) != NULL) {
		shift = 10 * (unsigned)(u - units + 1);
		digits = len - 1;
	}
	ok = digits > 0;
	for (size_t i = 0; ok && i < digits; i++)
		ok = s[i] >= '0' && s[i] <= '9';
	if (!ok) {
		log_seterr(err, errlen, "invalid value '%.*s' for %s: expected "
		    "a size in bytes, with k, M, G or T after it for KiB, MiB, "
		    "GiB or TiB", (int)len, s, what);
		return -1;
	}
	if (parse_u64_span(s, digits, 0, UINT64_MAX >> shift, &v, what, err,
	    errlen) != 0) {
		log_seterr(err, errlen, "invalid value '%.*s' for %s: larger "
		    "than 2^64 bytes", (int)len, s, what);
		return -1;
	}
	v <<= shift;
	if (v < min) {
		log_seterr(err, errlen, "invalid value '%.*s' for %s: must be "
		    "at least %llu byte%s", (int)len, s, what,
		    (unsigned long long)min, min == 1 ? "" : "s");
		return -1;
	}
	*out = v;
	return 0;
}

int
options_value_size(const char *s, uint64_t min, const char *what,
    uint64_t *out, char *err, size_t errlen)
{
	return size_span(s, strlen(s), min, what, out, err, errlen);
}

int
options_value_min_free(const char *s, struct options_min_free *m,
    char *err, size_t errlen)
{
	size_t len = strlen(s);
	uint64_t v;

	memset(m, 0, sizeof(*m));
	if (len == 0 || s[len - 1] != '%')
		return options_value_size(s, 1, "--min-free", &m->bytes, err,
		    errlen);
	if (parse_u64_span(s, len - 1, 1, 99, &v, "--min-free", err,
	    errlen) != 0) {
		log_seterr(err, errlen, "invalid value '%s' for --min-free: a "
		    "percentage must be a whole number from 1%% to 99%%", s);
		return -1;
	}
	m->pct = (unsigned)v;
	return 0;
}

/* One KIND:VALUE of --stop-after (word, len bytes) into *sa. */
static int
stop_after_one(const char *arg, const char *word, size_t len,
    struct options_stop_after *sa, char *err, size_t errlen)
{
	static const char *const kinds[] = { "duration", "packets", "files",
	    "bytes" };
	uint64_t *fields[] = { &sa->duration_s, &sa->packets, &sa->files,
	    &sa->bytes };
	const char *colon = memchr(word, ':', len), *value;
	char what[64];
	size_t klen, vlen;

	if (colon == NULL) {
		log_seterr(err, errlen, "invalid value '%s' for --stop-after: "
		    "'%.*s' is not KIND:VALUE (duration, packets, files, "
		    "bytes)", arg, (int)len, word);
		return -1;
	}
	klen = (size_t)(colon - word);
	value = colon + 1;
	vlen = len - klen - 1;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strlen(kinds[k]) != klen ||
		    strncmp(kinds[k], word, klen) != 0)
			continue;
		if (*fields[k] != 0) {
			log_seterr(err, errlen, "invalid value '%s' for "
			    "--stop-after: %s is given twice", arg, kinds[k]);
			return -1;
		}
		snprintf(what, sizeof(what), "--stop-after %s", kinds[k]);
		if (k == 3)
			return size_span(value, vlen, 1, what, fields[k], err,
			    errlen);
		return parse_u64_span(value, vlen, 1, k == 0 ?
		    OPTIONS_DURATION_MAX : UINT64_MAX, fields[k], what, err,
		    errlen);
	}
	log_seterr(err, errlen, "invalid value '%s' for --stop-after: "
	    "unknown condition '%.*s' (expected duration, packets, files or "
	    "bytes)", arg, (int)klen, word);
	return -1;
}

int
options_value_stop_after(const char *s, struct options_stop_after *sa,
    char *err, size_t errlen)
{
	const char *p = s;

	memset(sa, 0, sizeof(*sa));
	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0) {
			log_seterr(err, errlen, "invalid value '%s' for "
			    "--stop-after: an empty condition", s);
			return -1;
		}
		if (stop_after_one(s, p, len, sa, err, errlen) != 0)
			return -1;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

int
options_value_anonymize(const char *s, struct options_anon *a, char *err,
    size_t errlen)
{
	const char *bits = s + strlen("prefix:");
	uint64_t v4, v6;
	const char *comma;
	char w[16];

	if (strncmp(s, "cryptopan:", strlen("cryptopan:")) == 0) {
		if (s[strlen("cryptopan:")] == '\0') {
			log_seterr(err, errlen, "invalid value '%s' for "
			    "--anonymize: cryptopan: needs a key file", s);
			return -1;
		}
		a->method = ANON_CRYPTOPAN;
		a->keyfile = s + strlen("cryptopan:");
		return 0;
	}
	if (strncmp(s, "prefix:", strlen("prefix:")) != 0) {
		log_seterr(err, errlen, "invalid value '%s' for --anonymize: "
		    "expected cryptopan:KEYFILE or prefix:V4BITS,V6BITS", s);
		return -1;
	}
	if ((comma = strchr(bits, ',')) == NULL ||
	    (size_t)(comma - bits) >= sizeof(w)) {
		log_seterr(err, errlen, "invalid value '%s' for --anonymize: "
		    "expected prefix:V4BITS,V6BITS (as prefix:24,48)", s);
		return -1;
	}
	memcpy(w, bits, (size_t)(comma - bits));
	w[comma - bits] = '\0';
	if (options_parse_u64(w, 0, 32, &v4, "--anonymize prefix: V4BITS",
	    err, errlen) != 0 ||
	    options_parse_u64(comma + 1, 0, 128, &v6,
	    "--anonymize prefix: V6BITS", err, errlen) != 0)
		return -1;
	a->method = ANON_PREFIX;
	a->keyfile = NULL;
	a->v4bits = (unsigned)v4;
	a->v6bits = (unsigned)v6;
	return 0;
}

int
options_value_anonymize_only(const char *s, struct options_anon *a,
    char *err, size_t errlen)
{
	if (strcmp(s, "src") == 0)
		a->only = ANON_SRC;
	else if (strcmp(s, "dst") == 0)
		a->only = ANON_DST;
	else if (strcmp(s, "both") == 0)
		a->only = ANON_BOTH;
	else {
		log_seterr(err, errlen, "invalid value '%s' for "
		    "--anonymize-only: expected src, dst or both", s);
		return -1;
	}
	a->only_arg = s;
	return 0;
}
