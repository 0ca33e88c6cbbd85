/*
 * test_format_pcapng.c - unit tests for format_pcapng.c: the blocks of a
 * file (SHB, IDBs, EPBs with and without epb_flags, ISBs) walked back
 * field by field, stamps in each interface's if_tsresol, the latest
 * stamp, and the recovery scanner (whole blocks, a trailing length that
 * disagrees, garbage, zeros, a file cut inside a block), through
 * salvage_prefix() as recovery uses it.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "salvage.h"

struct buf {
	unsigned char	b[1 << 16];
	size_t		len;
};

static int
emit(void *ctx, const void *bytes, size_t len)
{
	struct buf *o = ctx;

	assert_true(o->len + len <= sizeof(o->b));
	memcpy(o->b + o->len, bytes, len);
	o->len += len;
	return 0;
}

static uint32_t
u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t
u16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The option code of a block's options, from off to its end: *val and
 * *len of the first one with that code; asserts the list ends with
 * opt_endofopt exactly where the block does. */
static bool
find_opt(const unsigned char *blk, size_t off, uint16_t code,
    const unsigned char **val, size_t *len)
{
	uint32_t total = u32(blk + 4);
	bool found = false;

	for (;;) {
		uint16_t c = u16(blk + off), l = u16(blk + off + 2);

		assert_true(off + 4 + l <= total - 4);
		if (c == 0) {
			assert_int_equal(l, 0);
			assert_int_equal(off + 4, total - 4);
			return found;
		}
		if (c == code && !found) {
			*val = blk + off + 4;
			*len = l;
			found = true;
		}
		for (size_t p = l; p % 4 != 0; p++)
			assert_int_equal(blk[off + 4 + p], 0);	/* padding */
		off += 4 + ((l + 3u) & ~3u);
	}
}

static bool
opt_is(const unsigned char *blk, size_t off, uint16_t code, const char *s)
{
	const unsigned char *v;
	size_t l;

	return find_opt(blk, off, code, &v, &l) && l == strlen(s) &&
	    memcmp(v, s, l) == 0;
}

static uint64_t
opt_u64(const unsigned char *blk, size_t off, uint16_t code)
{
	const unsigned char *v;
	size_t l;
	uint64_t x;

	assert_true(find_opt(blk, off, code, &v, &l));
	assert_int_equal(l, 8);
	memcpy(&x, v, 8);
	return x;
}

/* Two inputs: input 0 with one interface (us), input 1 with two (ns). */
struct fixture {
	struct input_iface	desc[3];
	struct format_iface	ifs[3];
	struct format_file	file;
	struct segment		*seg;
	struct buf		out;
};

static void
setup(struct fixture *f)
{
	static const char *names[] = { "eth0", "a.pcapng", "a.pcapng" };

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < 3; i++) {
		f->desc[i] = (struct input_iface){
			.name = (char *)names[i],
			.description = i == 0 ? "ring:eth0 (host)" :
			    "pcapng:a.pcapng",
			.os = i == 2 ? "Other OS" : NULL,
			.linktype = i == 2 ? 113 : 1,
			.tsresol = i == 0 ? 6 : 9,
		};
		f->ifs[i] = (struct format_iface){
			.id = (uint32_t)i,
			.input = i == 0 ? 0 : 1,
			.iface = i == 0 ? 0 : (uint32_t)i - 1,
			.desc = &f->desc[i],
			.filter = "udp",
			.linktype = f->desc[i].linktype,
			.snaplen = 1500,
			.tsresol = f->desc[i].tsresol,
			.ns_per_unit = i == 0 ? 1000 : 1,
			.sole = i == 0,
			.filtered_known = true,
			.start_ns = 1700000000ull * 1000000000u,
		};
	}
	f->file = (struct format_file){ f->ifs, 3 };
	f->seg = segment_create(2);
	assert_non_null(f->seg);
}

/* An EPB of rec (its data: caplen bytes of 0xab) of the interface fi,
 * as the writer's slow path lays it out; its one-call path must make the
 * same bytes. */
static void
put_packet(struct fixture *f, const struct queue_rec *tmpl,
    const struct format_iface *fi)
{
	const struct format *fmt = &format_pcapng;
	struct queue_rec *rec = malloc(sizeof(*rec) + tmpl->caplen + 1);
	unsigned char *p = f->out.b + f->out.len, *q;
	size_t size, n;

	assert_non_null(rec);
	*rec = *tmpl;
	rec->data = (unsigned char *)(rec + 1);
	memset(rec->data, 0xab, rec->caplen);
	size = (size_t)fmt->record_size(rec);
	n = fmt->record_header(p, rec, fi->input, fi);
	memcpy(p + n, rec->data, rec->caplen);
	n += rec->caplen;
	n += fmt->record_trailer(p + n, rec);
	assert_int_equal(n, size);
	q = malloc(size + FORMAT_REC_EXTRA);
	assert_non_null(q);
	memset(q, 0x77, size + FORMAT_REC_EXTRA);	/* junk to overwrite */
	assert_int_equal(fmt->record_write(q, rec, fi->input, fi), size);
	assert_memory_equal(q, p, size);
	free(q);
	free(rec);
	f->out.len += size;
}

static void
test_file_blocks(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	const struct format *fmt = &format_pcapng;
	struct queue_rec rec = { 0 };
	const unsigned char *b, *v;
	size_t off, l;
	uint64_t packets;

	(void)state;
	assert_non_null(f);
	setup(f);
	assert_true(fmt->ifaces);
	assert_int_equal(fmt->linktype_for(NULL, 0, 0), -1);
	assert_int_equal(fmt->file_header(NULL, 2, &f->file, emit, &f->out),
	    0);
	rec = (struct queue_rec){ .ts_ns = 1700000000123456789ull,
	    .caplen = 5, .wirelen = 60, .linktype = 1 };
	put_packet(f, &rec, &f->ifs[0]);
	rec.flags = 0x00000001;		/* inbound */
	rec.caplen = 8;
	put_packet(f, &rec, &f->ifs[2]);
	f->ifs[0].packets = 1;
	f->ifs[2].packets = 1;
	f->ifs[0].delivered = 7;
	f->seg->at_close[0] = (struct segment_counts){ .read = 10,
	    .filtered = 3, .kernel_drops = 5, .if_drops = 2 };
	f->seg->close_wall_ns = 1700000100ull * 1000000000u;
	assert_int_equal(fmt->file_trailer(NULL, &f->file, f->seg, emit,
	    &f->out), 0);

	/* SHB */
	b = f->out.b;
	assert_int_equal(u32(b), 0x0A0D0D0A);
	assert_int_equal(u32(b + 8), 0x1A2B3C4D);
	assert_int_equal(u16(b + 12), 1);
	assert_int_equal(u16(b + 14), 0);
	assert_true(find_opt(b, 24, 2, &v, &l));	/* shb_hardware */
	assert_true(find_opt(b, 24, 3, &v, &l));	/* shb_os */
	assert_true(opt_is(b, 24, 4, PACKAGE_NAME " " PACKAGE_VERSION));
	assert_int_equal(u32(b + u32(b + 4) - 4), u32(b + 4));
	off = u32(b + 4);
	/* three IDBs */
	for (int i = 0; i < 3; i++) {
		b = f->out.b + off;
		assert_int_equal(u32(b), 1);
		assert_int_equal(u16(b + 8), f->desc[i].linktype);
		assert_int_equal(u32(b + 12), 1500);
		assert_true(opt_is(b, 16, 2, f->desc[i].name));
		assert_true(opt_is(b, 16, 3, f->desc[i].description));
		assert_true(find_opt(b, 16, 9, &v, &l));
		assert_int_equal(l, 1);
		assert_int_equal(v[0], f->desc[i].tsresol);
		assert_true(find_opt(b, 16, 11, &v, &l));
		assert_int_equal(l, 4);
		assert_int_equal(v[0], 0);
		assert_memory_equal(v + 1, "udp", 3);
		assert_int_equal(find_opt(b, 16, 12, &v, &l), i == 2);
		assert_int_equal(u32(b + u32(b + 4) - 4), u32(b + 4));
		off += u32(b + 4);
	}
	/* EPB of interface 0: microseconds, no options */
	b = f->out.b + off;
	assert_int_equal(u32(b), 6);
	assert_int_equal(u32(b + 4), 28 + 8 + 4);
	assert_int_equal(u32(b + 8), 0);
	assert_int_equal(((uint64_t)u32(b + 12) << 32) | u32(b + 16),
	    1700000000123456ull);
	assert_int_equal(u32(b + 20), 5);
	assert_int_equal(u32(b + 24), 60);
	assert_int_equal(b[28 + 5] | b[28 + 6] | b[28 + 7], 0);
	assert_int_equal(u32(b + 36), 40);
	off += 40;
	/* EPB of interface 2: nanoseconds, epb_flags */
	b = f->out.b + off;
	assert_int_equal(u32(b + 8), 2);
	assert_int_equal(((uint64_t)u32(b + 12) << 32) | u32(b + 16),
	    1700000000123456789ull);
	assert_true(find_opt(b, 28 + 8, 2, &v, &l));
	assert_int_equal(l, 4);
	assert_int_equal(u32(v), 1);
	off += u32(b + 4);
	/* ISBs: one per interface, in id order */
	for (uint32_t i = 0; i < 3; i++) {
		b = f->out.b + off;
		assert_int_equal(u32(b), 5);
		assert_int_equal(u32(b + 8), i);
		assert_true(find_opt(b, 20, 1, &v, &l));	/* comment */
		assert_true(find_opt(b, 20, 2, &v, &l));	/* start */
		assert_true(find_opt(b, 20, 3, &v, &l));	/* end */
		if (i == 0) {
			assert_int_equal(opt_u64(b, 20, 4), 10 + 3 + 3);
			assert_int_equal(opt_u64(b, 20, 5), 2);
			assert_int_equal(opt_u64(b, 20, 6), 10);
			assert_int_equal(opt_u64(b, 20, 7), 3);
			assert_int_equal(opt_u64(b, 20, 8), 7);
		} else {
			/* not sole: only what is known per interface */
			assert_false(find_opt(b, 20, 4, &v, &l));
			assert_false(find_opt(b, 20, 7, &v, &l));
			assert_true(find_opt(b, 20, 8, &v, &l));
		}
		off += u32(b + 4);
	}
	assert_int_equal(off, f->out.len);

	/* recovery keeps it all, counting EPBs only */
	assert_int_equal(salvage_prefix(f->out.b, f->out.len, &packets),
	    f->out.len);
	assert_int_equal(packets, 2);
	segment_destroy(f->seg);
	free(f);
}

static void
test_latest_stamp(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct queue_rec rec = { .ts_ns = UINT64_MAX, .caplen = 0,
	    .wirelen = 1, .linktype = 1 };
	const unsigned char *b;

	(void)state;
	assert_non_null(f);
	setup(f);
	put_packet(f, &rec, &f->ifs[1]);
	b = f->out.b;
	/* saturated, never wrapped */
	assert_int_equal(((uint64_t)u32(b + 12) << 32) | u32(b + 16),
	    format_pcapng.max_ts_ns);
	assert_true(format_pcapng.max_ts_ns >= UINT64_MAX - 1);
	segment_destroy(f->seg);
	free(f);
}

static void
test_scanner(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct queue_rec rec = { .ts_ns = 1, .caplen = 3, .wirelen = 3,
	    .linktype = 1 };
	size_t hdr, whole;
	uint64_t packets;

	(void)state;
	assert_non_null(f);
	setup(f);
	assert_int_equal(format_pcapng.file_header(NULL, 2, &f->file, emit,
	    &f->out), 0);
	hdr = f->out.len;
	for (int i = 0; i < 4; i++)
		put_packet(f, &rec, &f->ifs[0]);
	whole = f->out.len;
	assert_ptr_equal(format_sniff(f->out.b, 12), &format_pcapng);

	/* cut inside the last block: the three before it stay */
	assert_int_equal(salvage_prefix(f->out.b, whole - 1, &packets),
	    whole - 36);
	assert_int_equal(packets, 3);
	/* a trailing length that disagrees ends the walk there */
	f->out.b[whole - 4] ^= 4;
	assert_int_equal(salvage_prefix(f->out.b, whole, &packets),
	    whole - 36);
	assert_int_equal(packets, 3);
	f->out.b[whole - 4] ^= 4;
	/* zeros (a power loss) and garbage are not blocks */
	memset(f->out.b + whole, 0, 64);
	assert_int_equal(salvage_prefix(f->out.b, whole + 64, &packets),
	    whole);
	memset(f->out.b + whole, 0x5a, 64);
	assert_int_equal(salvage_prefix(f->out.b, whole + 64, &packets),
	    whole);
	/* a block length not a multiple of 4 */
	f->out.b[hdr + 4] = 13;
	assert_true(salvage_prefix(f->out.b, whole, &packets) <= hdr);
	/* the other byte order's SHB is still pcapng; garbage is not */
	assert_int_equal(format_pcapng.scan_header((const unsigned char *)
	    "\x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4d", 12), 28);
	assert_int_equal(format_pcapng.scan_header((const unsigned char *)
	    "\x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4e", 12), 0);
	segment_destroy(f->seg);
	free(f);
}

/* -S counts on these bounds: what an IDB and the ISBs take at most. */
static void
test_size_bounds(void **state)
{
	struct fixture *f = malloc(sizeof(*f));
	struct buf *b = malloc(sizeof(*b));
	uint64_t shb, idbs = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(b);
	setup(f);
	b->len = 0;
	assert_int_equal(format_pcapng.file_header(NULL, 2, &f->file, emit,
	    b), 0);
	shb = u32(b->b + 4);
	for (size_t i = 0; i < 3; i++) {
		uint32_t len = u32(b->b + shb + idbs + 4);

		assert_true(len <= format_pcapng.iface_size(&f->desc[i], "udp"));
		/* the bound is near the truth: if_fcslen only */
		assert_true(format_pcapng.iface_size(&f->desc[i], "udp") -
		    len <= 8);
		idbs += len;
	}
	assert_int_equal(shb + idbs, b->len);
	/* the longest counters and comment there can be */
	for (size_t i = 0; i < 3; i++) {
		f->ifs[i].packets = f->ifs[i].bytes = UINT64_MAX;
		f->ifs[i].delivered = UINT64_MAX;
		f->ifs[i].sole = true;
	}
	f->seg->at_close[0] = f->seg->at_close[1] = (struct segment_counts){
	    UINT64_MAX, UINT64_MAX / 2, UINT64_MAX, 1 };
	b->len = 0;
	assert_int_equal(format_pcapng.file_trailer(NULL, &f->file, f->seg,
	    emit, b), 0);
	assert_true(b->len <= format_pcapng.trailer_size(&f->file));
	segment_destroy(f->seg);
	free(b);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_blocks),
		cmocka_unit_test(test_latest_stamp),
		cmocka_unit_test(test_scanner),
		cmocka_unit_test(test_size_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
