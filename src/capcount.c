/*
 * capcount.c - a finished capture file read back (see capcount.h).
 *
 * The file (or what its decompressor writes) is read once in big chunks.
 * pcapng goes through pcapng_read.c, which keeps each section's
 * interfaces and their clocks, so a file of several link types (which
 * libpcap refuses) counts too; classic pcap goes through libpcap from
 * the start of the file again.  Any thread; no state.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capcount.h"
#include "input_iface.h"
#include "log.h"
#include "pcapng_read.h"
#include "spawn.h"

#define CHUNK		(1u << 20)
#define STOP_CHECK	4096u	/* packets between looks at stop */

static bool
stopping(const atomic_bool *stop)
{
	return stop != NULL && atomic_load_explicit(stop, memory_order_relaxed);
}

/* path, through tool -dc if not NULL: a descriptor to read, or -1 with
 * err (*pid: the decompressor's, or -1). */
static int
open_plain(const char *path, const char *tool, pid_t *pid, char *err,
    size_t errlen)
{
	char e[256];
	int fd, in;

	*pid = -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		log_seterr(err, errlen, "cannot count the packets of '%s': %s",
		    path, strerror(errno));
		return -1;
	}
	if (tool == NULL)
		return fd;
	in = spawn_decompress(tool, fd, NULL, pid, e, sizeof(e));
	close(fd);
	if (in < 0)
		log_seterr(err, errlen, "cannot count the packets of '%s': %s",
		    path, e);
	return in;
}

/* End the decompressor: 0 if it ended well (or there was none). */
static int
close_plain(int fd, pid_t pid, const char *tool, bool kill, char *err,
    size_t errlen)
{
	close(fd);
	if (pid <= 0)
		return 0;
	if (kill) {
		spawn_kill(pid);
		return 0;
	}
	return spawn_finish(pid, tool, err, errlen);
}

static ssize_t
read_full(int fd, unsigned char *b, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, b + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The pcapng walk: per section, the clocks of its interfaces. */
struct walk {
	struct pcapng_section	sec;
	struct pcapng_clock	clk[INPUT_MAX_IFACES];
	size_t			nclk;
	bool			stamped;	/* a packet with a stamp seen */
};

/* One parsed block into c; 0, or -1 with err. */
static int
walk_block(struct walk *w, const struct pcapng_block *b, struct capcount *c,
    char *err, size_t errlen)
{
	uint64_t ns;

	switch (b->type) {
	case PCAPNG_BT_SHB:
		w->nclk = 0;
		return 0;
	case PCAPNG_BT_IDB:
		if (w->nclk == INPUT_MAX_IFACES)
			return log_seterr(err, errlen, "more than %d "
			    "interfaces", INPUT_MAX_IFACES), -1;
		return pcapng_clock_init(&w->clk[w->nclk++], b->tsresol,
		    b->tsoffset, err, errlen);
	case PCAPNG_BT_EPB:
	case PCAPNG_BT_PB:
	case PCAPNG_BT_SPB:
		if (b->iface >= w->nclk)
			return log_seterr(err, errlen, "a packet of interface "
			    "%u, which is not described", b->iface), -1;
		/* an SPB has no stamp: it does not move first or last */
		if (b->type != PCAPNG_BT_SPB) {
			ns = pcapng_clock_ns(&w->clk[b->iface], b->ts);
			if (!w->stamped)
				c->first_ns = ns;
			w->stamped = true;
			c->last_ns = ns;
		}
		c->packets++;
		return 0;
	default:
		return 0;
	}
}

/* Walk the pcapng stream fd whose first have bytes are in buf (CHUNK). */
static int
count_pcapng(int fd, unsigned char *buf, size_t have, struct capcount *c,
    const atomic_bool *stop, char *err, size_t errlen)
{
	struct walk *w = calloc(1, sizeof(*w));
	size_t off = 0;
	bool eof = have < CHUNK;
	int rc = 0;

	if (w == NULL)
		return log_seterr(err, errlen, "out of memory"), -1;
	c->pcapng = true;
	while (rc == 0) {
		struct pcapng_block b;
		ssize_t n = pcapng_next(&w->sec, buf + off, have - off, eof,
		    &b, err, errlen);

		if (n < 0) {
			rc = -1;
		} else if (n > 0) {
			off += (size_t)n;
			rc = walk_block(w, &b, c, err, errlen);
			if (c->packets % STOP_CHECK == 0 && stopping(stop))
				rc = -2;
		} else if (eof) {
			break;
		} else {
			ssize_t got;

			memmove(buf, buf + off, have - off);
			have -= off;
			off = 0;
			if (have == CHUNK) {
				log_seterr(err, errlen, "a block larger than "
				    "%u bytes", CHUNK);
				rc = -1;
			} else if ((got = read_full(fd, buf + have,
			    CHUNK - have)) < 0) {
				log_seterr(err, errlen, "%s", strerror(errno));
				rc = -1;
			} else {
				eof = (have += (size_t)got) < CHUNK;
			}
		}
	}
	free(w);
	return rc;
}

/* Count the classic pcap file path with libpcap (through tool). */
static int
count_pcap(const char *path, const char *tool, struct capcount *c,
    const atomic_bool *stop, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	pid_t pid;
	FILE *fp;
	pcap_t *p;
	int fd, rc;

	if ((fd = open_plain(path, tool, &pid, err, errlen)) < 0)
		return -1;
	if ((fp = fdopen(fd, "rb")) == NULL) {
		(void)close_plain(fd, pid, tool, true, err, errlen);
		return log_seterr(err, errlen, "out of memory"), -1;
	}
	if ((p = pcap_fopen_offline_with_tstamp_precision(fp,
	    PCAP_TSTAMP_PRECISION_NANO, perr)) == NULL) {
		fclose(fp);
		if (pid > 0)
			spawn_kill(pid);
		return log_seterr(err, errlen, "cannot count the packets of "
		    "'%s': %s", path, perr), -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		/* ns: asked for above */
		uint64_t ns = (uint64_t)h->ts.tv_sec * 1000000000u +
		    (uint64_t)h->ts.tv_usec;

		if (c->packets++ == 0)
			c->first_ns = ns;
		c->last_ns = ns;
		if (c->packets % STOP_CHECK == 0 && stopping(stop)) {
			rc = -3;
			break;
		}
	}
	if (rc == PCAP_ERROR)
		log_seterr(err, errlen, "cannot count the packets of '%s': %s",
		    path, pcap_geterr(p));
	pcap_close(p);		/* closes fp */
	if (pid > 0 && rc != PCAP_ERROR_BREAK)
		spawn_kill(pid);
	else if (pid > 0 && spawn_finish(pid, tool, err, errlen) != 0)
		return -1;
	return rc == PCAP_ERROR_BREAK ? 0 : rc == -3 ? -2 : -1;
}

int
capcount_file(const char *path, const char *tool, struct capcount *c,
    const atomic_bool *stop, char *err, size_t errlen)
{
	unsigned char *buf = malloc(CHUNK);
	char e[512];
	ssize_t have;
	pid_t pid;
	int fd, rc;

	memset(c, 0, sizeof(*c));
	if (buf == NULL)
		return log_seterr(err, errlen, "out of memory"), -1;
	if ((fd = open_plain(path, tool, &pid, err, errlen)) < 0) {
		free(buf);
		return -1;
	}
	have = read_full(fd, buf, CHUNK);
	if (have >= 4 && memcmp(buf, "\x0a\x0d\x0d\x0a", 4) == 0) {
		rc = count_pcapng(fd, buf, (size_t)have, c, stop, e,
		    sizeof(e));
		if (close_plain(fd, pid, tool, rc != 0, e, sizeof(e)) != 0)
			rc = -1;
		if (rc == -1)
			log_seterr(err, errlen, "cannot count the packets of "
			    "'%s': %s", path, e);
		free(buf);
		return rc;
	}
	/* classic pcap (or nothing we know): libpcap reads it anew */
	(void)close_plain(fd, pid, tool, true, e, sizeof(e));
	free(buf);
	return count_pcap(path, tool, c, stop, err, errlen);
}
