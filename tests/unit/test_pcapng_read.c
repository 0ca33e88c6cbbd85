/*
 * test_pcapng_read.c - unit tests for the native pcapng reader: the block
 * parser (pcapng_read.c) and the reader behind pcapfile: URIs
 * (input_pcapng.c).  Files are built in memory: two interfaces of
 * different link types, names, descriptions and OSes; stamps with
 * if_tsresol 6, 9, 2^-20 and 10^-12, if_tsoffset; epb_flags; a second
 * section in the other byte order whose interface ids start again; a
 * Simple Packet Block; skipped blocks; more interfaces than a source
 * holds.  Malformed blocks fail the input
 * after the packets before them, or the open naming the byte offset.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "input.h"
#include "input_iface.h"
#include "options.h"
#include "pcapng_read.h"
#include "queue.h"
#include "testutil.h"

/* --- building files in memory ------------------------------------------ */

struct file {
	unsigned char	b[1 << 16];
	size_t		len;
	bool		big;		/* this section's byte order */
	size_t		blk;		/* start of the open block */
};

static void
put(struct file *f, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		f->b[f->len + (size_t)i] = (unsigned char)(f->big ?
		    v >> (8 * (n - 1 - i)) : v >> (8 * i));
	f->len += (size_t)n;
}

static void
put_bytes(struct file *f, const void *p, size_t n)
{
	if (n > 0)
		memcpy(f->b + f->len, p, n);
	f->len += n;
	while (f->len % 4 != 0)
		f->b[f->len++] = 0;
}

static void
opt(struct file *f, uint16_t code, const void *p, uint16_t n)
{
	put(f, code, 2);
	put(f, n, 2);
	put_bytes(f, p, n);
}

static void
block_begin(struct file *f, uint32_t type)
{
	f->blk = f->len;
	put(f, type, 4);
	put(f, 0, 4);			/* total length, patched */
}

static void
block_end(struct file *f)
{
	uint32_t tl = (uint32_t)(f->len + 4 - f->blk);
	size_t save = f->len;

	f->len = f->blk + 4;
	put(f, tl, 4);
	f->len = save;
	put(f, tl, 4);
}

static void
shb(struct file *f, bool big)
{
	f->big = big;
	block_begin(f, PCAPNG_BT_SHB);
	put(f, PCAPNG_BYTE_ORDER, 4);
	put(f, 1, 2);
	put(f, 0, 2);
	put(f, UINT64_MAX, 8);
	block_end(f);
}

/* An IDB; tsresol < 0: no if_tsresol option. */
static void
idb(struct file *f, uint16_t lt, uint32_t snaplen, const char *name,
    const char *descr, const char *os, int tsresol, int64_t tsoffset)
{
	uint8_t r = (uint8_t)tsresol;
	unsigned char off[8];

	block_begin(f, PCAPNG_BT_IDB);
	put(f, lt, 2);
	put(f, 0, 2);
	put(f, snaplen, 4);
	if (name != NULL)
		opt(f, 2, name, (uint16_t)strlen(name));
	if (descr != NULL)
		opt(f, 3, descr, (uint16_t)strlen(descr));
	if (os != NULL)
		opt(f, 12, os, (uint16_t)strlen(os));
	if (tsresol >= 0)
		opt(f, 9, &r, 1);
	if (tsoffset != 0) {
		struct file t = { .big = f->big };

		put(&t, (uint64_t)tsoffset, 8);
		memcpy(off, t.b, 8);
		opt(f, 14, off, 8);
	}
	opt(f, 0, NULL, 0);
	block_end(f);
}

/* An EPB of n bytes (each byte = its iface and n), flags 0: none. */
static void
epb(struct file *f, uint32_t iface, uint64_t ts, uint32_t n, uint32_t flags)
{
	unsigned char data[256];

	memset(data, (int)(iface * 16 + n), n);
	block_begin(f, PCAPNG_BT_EPB);
	put(f, iface, 4);
	put(f, ts >> 32, 4);
	put(f, (uint32_t)ts, 4);
	put(f, n, 4);
	put(f, n + 100, 4);
	put_bytes(f, data, n);
	if (flags != 0) {
		struct file t = { .big = f->big };

		put(&t, flags, 4);
		opt(f, 2, t.b, 4);
		opt(f, 0, NULL, 0);
	}
	block_end(f);
}

/* --- reading a file through input_open ---------------------------------- */

#define MAXREC	32

struct got {
	size_t		n;
	uint64_t	ts[MAXREC];
	uint32_t	caplen[MAXREC], wirelen[MAXREC], iface[MAXREC];
	uint32_t	flags[MAXREC];
	int32_t		linktype[MAXREC];
	bool		failed;
	int		linktype0;
	size_t		nifaces;
	struct input_iface ifs[8];
	char		strs[8][3][256];
};

static char dir[512];

static int
setup(void **state)
{
	assert_int_equal(testutil_mkdtemp(dir, sizeof(dir), "test_pcapng"), 0);
	return 0;
}

static int
teardown(void **state)
{
	testutil_remove_tree(dir);
	return 0;
}

/* Write f, open it as pcapfile:, read every packet.  Returns 0, or -1
 * with err (the open failed). */
static int
run(const struct file *f, const char *filter, struct got *g, char *err,
    size_t errlen)
{
	char path[600], uri[700];
	struct queue_waiter waiter;
	const struct input_iface *const *tab;
	struct config cfg;
	struct input *in;
	struct queue *q;
	atomic_bool stop;
	FILE *fp;

	memset(g, 0, sizeof(*g));
	snprintf(path, sizeof(path), "%s/in.pcapng", dir);
	snprintf(uri, sizeof(uri), "pcapfile:%s", path);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(f->b, 1, f->len, fp), f->len);
	assert_int_equal(fclose(fp), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.snaplen = OPTIONS_SNAPLEN_MAX;
	cfg.maxwait_ms = OPTIONS_MAXWAIT_DEFAULT;
	cfg.queue_bytes = 1 << 20;
	cfg.capture_buffer = (size_t)OPTIONS_CAPBUF_MB_DEFAULT << 20;
	cfg.file_ext = "";
	cfg.filter = filter;
	atomic_init(&stop, false);
	assert_int_equal(queue_waiter_init(&waiter), 0);
	in = input_open(uri, 0, &cfg, NULL, &waiter, NULL, err, errlen);
	if (in == NULL) {
		queue_waiter_destroy(&waiter);
		return -1;
	}
	g->linktype0 = input_linktype(in);
	q = input_stream_queue(in, 0);
	assert_int_equal(input_start(in, &stop, err, errlen), 0);
	for (;;) {
		const struct queue_rec *r = queue_peek_try(q);

		if (r != NULL) {
			assert_true(g->n < MAXREC);
			g->ts[g->n] = r->ts_ns;
			g->caplen[g->n] = r->caplen;
			g->wirelen[g->n] = r->wirelen;
			g->iface[g->n] = r->iface;
			g->flags[g->n] = r->flags;
			g->linktype[g->n] = r->linktype;
			/* the bytes are the packet's own */
			assert_int_equal(r->data[0], r->data[r->caplen - 1]);
			g->n++;
			queue_pop(q);
			continue;
		}
		if (queue_finished(q))
			break;
		queue_waiter_prepare(&waiter);
		if (queue_peek_try(q) != NULL || queue_finished(q)) {
			queue_waiter_cancel(&waiter);
			continue;
		}
		queue_waiter_wait(&waiter, 10000000ull);
	}
	input_join(in);
	g->failed = input_failed(in);
	g->nifaces = input_ifaces(in, &tab);
	for (size_t i = 0; i < g->nifaces && i < 8; i++) {
		g->ifs[i] = *tab[i];
		snprintf(g->strs[i][0], 256, "%s", tab[i]->name);
		snprintf(g->strs[i][1], 256, "%s", tab[i]->description);
		snprintf(g->strs[i][2], 256, "%s", tab[i]->os != NULL ?
		    tab[i]->os : "(null)");
	}
	input_destroy(in);
	queue_waiter_destroy(&waiter);
	return 0;
}

#define S0	1700000000ull		/* a second, in ns below */
#define NS	1000000000ull

/* Two interfaces of different link types, then a big-endian section
 * whose interface 0 is the input's third. */
static void
test_interfaces_sections(void **state)
{
	static struct file f;
	static struct got g;
	char err[1024], want[1024];

	memset(&f, 0, sizeof(f));
	shb(&f, false);
	idb(&f, 1, 0, "eth0", "uplink\nA", "Linux", 6, 0);
	idb(&f, 101, 65535, NULL, NULL, NULL, 9, 0);
	epb(&f, 0, S0 * 1000000 + 250, 60, 0x1);	/* inbound */
	block_begin(&f, 5);				/* an ISB: skipped */
	put(&f, 0, 4);
	put(&f, 0, 8);
	block_end(&f);
	epb(&f, 1, S0 * NS + 7, 40, 0x2);		/* outbound */
	shb(&f, true);
	idb(&f, 105, 2048, "wlan0", NULL, NULL, 0x80 | 20, 100);
	epb(&f, 0, ((S0 + 1) << 20) + (1 << 19), 50, 0);
	block_begin(&f, PCAPNG_BT_SPB);			/* no stamp */
	put(&f, 30, 4);
	put_bytes(&f, "\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42"
	    "\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42\x42"
	    "\x42\x42\x42", 30);
	block_end(&f);

	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), 0);
	assert_false(g.failed);
	assert_int_equal(g.linktype0, 1);
	assert_int_equal(g.nifaces, 3);
	assert_string_equal(g.strs[0][0], "eth0");
	snprintf(want, sizeof(want), "pcapfile:%s/in.pcapng interface 0: "
	    "uplink A", dir);
	assert_string_equal(g.strs[0][1], want);
	assert_string_equal(g.strs[0][2], "Linux");
	assert_int_equal(g.ifs[0].linktype, 1);
	assert_int_equal(g.ifs[0].tsresol, 6);
	snprintf(want, sizeof(want), "%s/in.pcapng", dir);
	assert_string_equal(g.strs[1][0], want);
	snprintf(want, sizeof(want), "pcapfile:%s/in.pcapng interface 1", dir);
	assert_string_equal(g.strs[1][1], want);
	assert_string_equal(g.strs[1][2], "(null)");
	assert_int_equal(g.ifs[1].linktype, 101);
	assert_int_equal(g.ifs[1].snaplen, 65535);
	assert_int_equal(g.ifs[1].tsresol, 9);
	assert_string_equal(g.strs[2][0], "wlan0");
	assert_int_equal(g.ifs[2].linktype, 105);
	assert_int_equal(g.ifs[2].tsresol, 9);	/* binary: ns */

	assert_int_equal(g.n, 4);
	assert_int_equal(g.iface[0], 0);
	assert_int_equal(g.linktype[0], 1);
	assert_int_equal(g.ts[0], S0 * NS + 250000);
	assert_int_equal(g.flags[0], 1);
	assert_int_equal(g.caplen[0], 60);
	assert_int_equal(g.wirelen[0], 160);
	assert_int_equal(g.iface[1], 1);
	assert_int_equal(g.linktype[1], 101);
	assert_int_equal(g.ts[1], S0 * NS + 7);
	assert_int_equal(g.flags[1], 2);
	assert_int_equal(g.iface[2], 2);
	assert_int_equal(g.linktype[2], 105);
	assert_int_equal(g.ts[2], (S0 + 101) * NS + 500000000);
	assert_int_equal(g.flags[2], 0);
	/* the SPB: interface 0 of its section, the previous stamp */
	assert_int_equal(g.iface[3], 2);
	assert_int_equal(g.ts[3], g.ts[2]);
	assert_int_equal(g.caplen[3], 30);
	assert_int_equal(g.wirelen[3], 30);
}

/* The filter is compiled for each interface's own link type. */
static void
test_filter_per_linktype(void **state)
{
	static struct file f;
	static struct got g;
	unsigned char ip[40] = { 0x45 }, eth[60] = { 0 };
	char err[1024];

	memset(&f, 0, sizeof(f));
	shb(&f, false);
	idb(&f, 1, 0, NULL, NULL, NULL, -1, 0);
	idb(&f, 101, 0, NULL, NULL, NULL, -1, 0);
	eth[12] = 0x08;
	eth[14] = 0x45;
	eth[59] = eth[0];
	ip[39] = ip[0];
	for (int i = 0; i < 2; i++) {
		block_begin(&f, PCAPNG_BT_EPB);
		put(&f, (uint32_t)i, 4);
		put(&f, 0, 4);
		put(&f, 1000000, 4);
		put(&f, i == 0 ? 60 : 40, 4);
		put(&f, i == 0 ? 60 : 40, 4);
		put_bytes(&f, i == 0 ? eth : ip, i == 0 ? 60 : 40);
		block_end(&f);
	}
	assert_int_equal(run(&f, "ip", &g, err, sizeof(err)), 0);
	assert_false(g.failed);
	assert_int_equal(g.n, 2);		/* both are IPv4 */
	assert_int_equal(g.ts[0], NS);		/* tsresol 6 by default */
	assert_int_equal(g.linktype[1], 101);
}

/* A block whose trailer disagrees: the packets before it are kept, the
 * input fails; one before the first IDB fails the open. */
static void
test_malformed(void **state)
{
	static struct file f;
	static struct got g;
	char err[1024];

	memset(&f, 0, sizeof(f));
	shb(&f, false);
	idb(&f, 1, 0, NULL, NULL, NULL, 9, 0);
	epb(&f, 0, 5, 20, 0);
	epb(&f, 0, 6, 20, 0);
	f.b[f.len - 1] ^= 0x01;			/* its trailer */
	epb(&f, 0, 7, 20, 0);
	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), 0);
	assert_true(g.failed);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ts[0], 5);

	/* a packet of an interface no IDB defines */
	memset(&f, 0, sizeof(f));
	shb(&f, true);
	idb(&f, 1, 0, NULL, NULL, NULL, 9, 0);
	epb(&f, 0, 5, 20, 0);
	epb(&f, 1, 6, 20, 0);
	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), 0);
	assert_true(g.failed);
	assert_int_equal(g.n, 1);

	/* a length not a multiple of 4 in the first IDB: the open fails */
	memset(&f, 0, sizeof(f));
	shb(&f, false);
	idb(&f, 1, 0, NULL, NULL, NULL, 9, 0);
	f.b[28 + 4] = 0x1d;
	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a multiple of 4"));
	assert_non_null(strstr(err, "at byte 28"));
	assert_non_null(strstr(err, "in.pcapng"));

	/* a packet before any IDB */
	memset(&f, 0, sizeof(f));
	shb(&f, false);
	epb(&f, 0, 5, 20, 0);
	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "before any Interface Description"));

	/* cut short inside a packet: the ones before it are kept */
	memset(&f, 0, sizeof(f));
	shb(&f, false);
	idb(&f, 1, 0, NULL, NULL, NULL, 9, 0);
	epb(&f, 0, 5, 20, 0);
	epb(&f, 0, 6, 20, 0);
	f.len -= 10;
	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), 0);
	assert_true(g.failed);
	assert_int_equal(g.n, 1);
}

/* More interfaces than a source holds: the packets of the first ones are
 * read, one of an extra interface fails the input naming it. */
static void
test_too_many_interfaces(void **state)
{
	static struct file f;
	static struct got g;
	char err[1024];

	memset(&f, 0, sizeof(f));
	shb(&f, false);
	for (int i = 0; i < INPUT_MAX_IFACES + 2; i++)
		idb(&f, 1, 0, NULL, NULL, NULL, -1, 0);
	epb(&f, INPUT_MAX_IFACES - 1, 5, 20, 0);
	epb(&f, INPUT_MAX_IFACES + 1, 6, 20, 0);
	assert_int_equal(run(&f, NULL, &g, err, sizeof(err)), 0);
	assert_true(g.failed);
	assert_int_equal(g.nifaces, INPUT_MAX_IFACES);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.iface[0], INPUT_MAX_IFACES - 1);
}

/* Clocks: exact decimal, rounding binary and finer decimal, offsets,
 * saturation. */
static void
test_clock(void **state)
{
	struct pcapng_clock c;
	char err[128];

	assert_int_equal(pcapng_clock_init(&c, 6, 0, err, sizeof(err)), 0);
	assert_int_equal(c.tsresol, 6);
	assert_int_equal(pcapng_clock_ns(&c, 1500001), 1500001000ull);
	assert_int_equal(pcapng_clock_ns(&c, UINT64_MAX / 999), UINT64_MAX);
	assert_int_equal(pcapng_clock_init(&c, 9, -2, err, sizeof(err)), 0);
	assert_int_equal(pcapng_clock_ns(&c, 3 * NS + 5), NS + 5);
	assert_int_equal(pcapng_clock_ns(&c, NS), UINT64_MAX);	/* < epoch */
	assert_int_equal(pcapng_clock_init(&c, 9, INT64_MAX, err,
	    sizeof(err)), 0);
	assert_int_equal(pcapng_clock_ns(&c, 1), UINT64_MAX);
	assert_int_equal(pcapng_clock_init(&c, 12, 0, err, sizeof(err)), 0);
	assert_int_equal(c.tsresol, 9);
	assert_int_equal(pcapng_clock_ns(&c, 2000000000999ull), 2000000000ull);
	assert_int_equal(pcapng_clock_init(&c, 0x80 | 30, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(pcapng_clock_ns(&c, (3ull << 30) + 1), 3 * NS);
	assert_int_equal(pcapng_clock_ns(&c, (3ull << 30) + (1ull << 29)),
	    3 * NS + 500000000);
	assert_int_equal(pcapng_clock_init(&c, 0x80 | 63, 0, err,
	    sizeof(err)), 0);
	assert_int_equal(pcapng_clock_ns(&c, UINT64_MAX), NS + 999999999);
	assert_int_equal(pcapng_clock_init(&c, 0x80 | 64, 0, err,
	    sizeof(err)), -1);
	assert_int_equal(pcapng_clock_init(&c, 20, 0, err, sizeof(err)), -1);
	assert_int_equal(pcapng_clock_init(&c, 0, 0, err, sizeof(err)), 0);
	assert_int_equal(pcapng_clock_ns(&c, 7), 7 * NS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_interfaces_sections),
		cmocka_unit_test(test_filter_per_linktype),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_interfaces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
