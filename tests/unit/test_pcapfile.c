/*
 * test_pcapfile.c - unit tests for pcapfile.c: the four classic pcap
 * magics, what it leaves to libpcap, the snapshot length (truncation, 0,
 * out of range), captured lengths over the snapshot and over 262144,
 * files cut inside the header or a record, records split across reads,
 * header-only and empty files.  The error texts are libpcap 1.10's.
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

#include "pcapfile.h"

/* --- building files in memory ------------------------------------------ */

struct file {
	unsigned char	b[1 << 20];
	size_t		len;
	bool		big;		/* big-endian fields */
};

static void
put32(struct file *f, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		f->b[f->len + (size_t)i] = (unsigned char)(f->big ?
		    v >> (24 - 8 * i) : v >> (8 * i));
	f->len += 4;
}

static void
put16(struct file *f, uint16_t v)
{
	f->b[f->len] = (unsigned char)(f->big ? v >> 8 : v);
	f->b[f->len + 1] = (unsigned char)(f->big ? v : v >> 8);
	f->len += 2;
}

static struct file *
new_file(bool big, bool nsec, uint16_t major, uint16_t minor,
    uint32_t snaplen, uint32_t linktype)
{
	struct file *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->big = big;
	put32(f, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
	put16(f, major);
	put16(f, minor);
	put32(f, 0);
	put32(f, 0);
	put32(f, snaplen);
	put32(f, linktype);
	return f;
}

/* a record header with caplen (first) and wirelen, then datalen bytes of
 * data: byte i is (seed + i) & 0xff */
static void
add_rec(struct file *f, uint32_t sec, uint32_t frac, uint32_t caplen,
    uint32_t wirelen, size_t datalen, unsigned seed)
{
	put32(f, sec);
	put32(f, frac);
	put32(f, caplen);
	put32(f, wirelen);
	assert_true(f->len + datalen <= sizeof(f->b));
	for (size_t i = 0; i < datalen; i++)
		f->b[f->len + i] = (unsigned char)(seed + i);
	f->len += datalen;
}

static void
parse_ok(const struct file *f, struct pcapfile_header *h)
{
	char err[256] = "";

	if (pcapfile_header_parse(f->b, f->len < PCAPFILE_HDRLEN ? f->len :
	    PCAPFILE_HDRLEN, h, err, sizeof(err)) != 1)
		fail_msg("header refused: %s", err);
}

static void
parse_declined(const struct file *f)
{
	struct pcapfile_header h;
	char err[256] = "";

	assert_int_equal(pcapfile_header_parse(f->b, f->len, &h, err,
	    sizeof(err)), 0);
}

/* the next record, which must be whole */
static size_t
next_ok(const struct pcapfile_header *h, const struct file *f, size_t off,
    struct pcapfile_rec *r)
{
	char err[256] = "";
	ssize_t n = pcapfile_next(h, f->b + off, f->len - off, true, r, err,
	    sizeof(err));

	if (n <= 0)
		fail_msg("record at %zu: %zd %s", off, n, err);
	return off + (size_t)n;
}

static void
next_err(const struct pcapfile_header *h, const struct file *f, size_t off,
    const char *want)
{
	struct pcapfile_rec r;
	char err[256] = "";

	assert_int_equal(pcapfile_next(h, f->b + off, f->len - off, true, &r,
	    err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void
check_data(const struct pcapfile_rec *r, uint32_t caplen, unsigned seed)
{
	assert_int_equal(r->caplen, caplen);
	for (uint32_t i = 0; i < caplen; i++)
		assert_int_equal(r->data[i], (unsigned char)(seed + i));
}

/* --- headers ------------------------------------------------------------ */

static void
test_magics(void **state)
{
	(void)state;
	for (int big = 0; big <= 1; big++) {
		for (int nsec = 0; nsec <= 1; nsec++) {
			/* FCS bits in the link type are kept as they are */
			struct file *f = new_file(big, nsec, 2, 4, 65535,
			    1u | 0x10000000u);
			struct pcapfile_header h;
			bool host_big = *(const unsigned char *)
			    &(uint16_t){ 1 } == 0;

			parse_ok(f, &h);
			assert_int_equal(h.swapped, big != host_big);
			assert_int_equal(h.nsec, nsec);
			assert_int_equal(h.version_major, 2);
			assert_int_equal(h.version_minor, 4);
			assert_int_equal(h.snaplen, 65535);
			assert_int_equal(h.snapshot, 65535);
			assert_int_equal(h.linktype, 0x10000001u);
			assert_int_equal(h.lengths, PCAPFILE_LEN_NORMAL);
			free(f);
		}
	}
}

static void
test_declined(void **state)
{
	static const unsigned char pcapng[28] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
	};
	struct file *f;
	struct pcapfile_header h;
	char err[256];

	(void)state;
	assert_int_equal(pcapfile_header_parse(pcapng, sizeof(pcapng), &h,
	    err, sizeof(err)), 0);
	f = new_file(false, false, 2, 4, 0, 1);
	memcpy(f->b, "\x34\xcd\xb2\xa1", 4);	/* modified pcap */
	parse_declined(f);
	free(f);
	f = new_file(false, false, 2, 5, 0, 1);	/* libpcap refuses it */
	parse_declined(f);
	free(f);
	f = new_file(false, false, 543, 0, 0, 1);	/* DG/UX */
	parse_declined(f);
	free(f);
	f = new_file(false, false, 1, 0, 0, 1);	/* archaic */
	parse_declined(f);
	free(f);
	/* link types libpcap rewrites or sizes differently */
	f = new_file(false, false, 2, 4, 0, 220);
	parse_declined(f);
	free(f);
	f = new_file(false, false, 2, 4, 0, 231);
	parse_declined(f);
	free(f);
	/* Linux cooked: only its swapped files are rewritten */
	f = new_file(false, false, 2, 4, 0, 113);
	parse_ok(f, &h);
	free(f);
	f = new_file(true, false, 2, 4, 0, 113);
	parse_declined(f);
	free(f);
}

static void
test_short_files(void **state)
{
	struct file *f = new_file(false, false, 2, 4, 0, 1);
	struct pcapfile_header h;
	char err[256];

	(void)state;
	/* a zero-length file */
	assert_int_equal(pcapfile_header_parse(f->b, 0, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "truncated dump file; tried to read 4 file "
	    "header bytes, only got 0");
	assert_int_equal(pcapfile_header_parse(f->b, 3, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "truncated dump file; tried to read 4 file "
	    "header bytes, only got 3");
	/* libpcap counts what follows the magic */
	assert_int_equal(pcapfile_header_parse(f->b, 10, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "truncated dump file; tried to read 24 file "
	    "header bytes, only got 6");
	assert_int_equal(pcapfile_header_parse(f->b, 23, &h, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "truncated dump file; tried to read 24 file "
	    "header bytes, only got 19");
	free(f);
}

static void
test_header_only(void **state)
{
	struct file *f = new_file(false, true, 2, 4, 0, 1);
	struct pcapfile_header h;
	struct pcapfile_rec r;
	char err[256] = "";

	(void)state;
	parse_ok(f, &h);
	assert_int_equal(h.snapshot, PCAPFILE_MAXCAPLEN);	/* 0: max */
	assert_int_equal(pcapfile_next(&h, f->b + PCAPFILE_HDRLEN, 0, true,
	    &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(pcapfile_next(&h, f->b + PCAPFILE_HDRLEN, 0, false,
	    &r, err, sizeof(err)), 0);
	free(f);
}

/* --- records ------------------------------------------------------------ */

static void
test_records(void **state)
{
	(void)state;
	for (int big = 0; big <= 1; big++) {
		for (int nsec = 0; nsec <= 1; nsec++) {
			struct file *f = new_file(big, nsec, 2, 4, 1514, 1);
			uint64_t unit = nsec ? 1 : 1000;
			struct pcapfile_header h;
			struct pcapfile_rec r;
			size_t off = PCAPFILE_HDRLEN;

			add_rec(f, 1700000000, 123456, 60, 60, 60, 1);
			/* unsigned seconds past 2038, a fraction past 1 s */
			add_rec(f, 0x80000001u, 0xfffffff0u, 0, 1500, 0, 2);
			add_rec(f, 5, 7, 1514, 9000, 1514, 3);
			parse_ok(f, &h);
			off = next_ok(&h, f, off, &r);
			assert_int_equal(r.ts_ns,
			    1700000000ull * 1000000000u + 123456 * unit);
			assert_int_equal(r.wirelen, 60);
			check_data(&r, 60, 1);
			off = next_ok(&h, f, off, &r);
			assert_int_equal(r.ts_ns, 0x80000001ull * 1000000000u +
			    0xfffffff0ull * unit);
			assert_int_equal(r.caplen, 0);
			assert_int_equal(r.wirelen, 1500);
			off = next_ok(&h, f, off, &r);
			assert_int_equal(r.ts_ns, 5000000000ull + 7 * unit);
			assert_int_equal(r.wirelen, 9000);
			check_data(&r, 1514, 3);
			assert_int_equal(off, f->len);
			free(f);
		}
	}
}

static void
test_old_versions(void **state)
{
	struct pcapfile_header h;
	struct pcapfile_rec r;
	struct file *f;
	size_t off;

	(void)state;
	/* before 2.3 the wire length comes first */
	f = new_file(false, false, 2, 2, 0, 1);
	add_rec(f, 1, 0, 1000, 40, 40, 0);
	parse_ok(f, &h);
	assert_int_equal(h.lengths, PCAPFILE_LEN_SWAPPED);
	off = next_ok(&h, f, PCAPFILE_HDRLEN, &r);
	assert_int_equal(r.caplen, 40);
	assert_int_equal(r.wirelen, 1000);
	assert_int_equal(off, f->len);
	free(f);
	/* 2.3: either way; caplen > len means swapped */
	f = new_file(true, false, 2, 3, 0, 1);
	add_rec(f, 1, 0, 40, 1000, 40, 0);
	add_rec(f, 1, 0, 1000, 40, 40, 0);
	parse_ok(f, &h);
	assert_int_equal(h.lengths, PCAPFILE_LEN_MAYBE);
	off = next_ok(&h, f, PCAPFILE_HDRLEN, &r);
	assert_int_equal(r.caplen, 40);
	assert_int_equal(r.wirelen, 1000);
	off = next_ok(&h, f, off, &r);
	assert_int_equal(r.caplen, 40);
	assert_int_equal(r.wirelen, 1000);
	assert_int_equal(off, f->len);
	free(f);
}

static void
test_snapshot(void **state)
{
	struct pcapfile_header h;
	struct pcapfile_rec r;
	struct file *f;
	size_t off;

	(void)state;
	/* over the file's snaplen: read whole, handed over cut */
	f = new_file(false, false, 2, 4, 64, 1);
	add_rec(f, 1, 0, 100, 100, 100, 9);
	add_rec(f, 2, 0, 64, 64, 64, 8);
	add_rec(f, 3, 0, PCAPFILE_MAXCAPLEN, 70000, PCAPFILE_MAXCAPLEN, 7);
	parse_ok(f, &h);
	off = next_ok(&h, f, PCAPFILE_HDRLEN, &r);
	assert_int_equal(off, PCAPFILE_HDRLEN + 16 + 100);
	assert_int_equal(r.wirelen, 100);
	check_data(&r, 64, 9);
	off = next_ok(&h, f, off, &r);
	check_data(&r, 64, 8);
	off = next_ok(&h, f, off, &r);
	check_data(&r, 64, 7);
	assert_int_equal(off, f->len);
	free(f);
	/* libpcap keeps any snaplen up to INT32_MAX, beyond: the max */
	f = new_file(false, false, 2, 4, 0x7fffffffu, 1);
	parse_ok(f, &h);
	assert_int_equal(h.snapshot, 0x7fffffffu);
	free(f);
	f = new_file(true, false, 2, 4, 0x80000000u, 1);
	parse_ok(f, &h);
	assert_int_equal(h.snapshot, PCAPFILE_MAXCAPLEN);
	free(f);
}

static void
test_bad_caplen(void **state)
{
	struct pcapfile_header h;
	struct file *f;

	(void)state;
	/* over 262144 and over the snaplen */
	f = new_file(false, false, 2, 4, 100, 1);
	add_rec(f, 1, 0, 300000, 300000, 0, 0);
	parse_ok(f, &h);
	next_err(&h, f, PCAPFILE_HDRLEN, "invalid packet capture length "
	    "300000, bigger than snaplen of 100");
	free(f);
	/* a huge caplen, checked before any data is needed */
	f = new_file(true, true, 2, 4, 0, 1);
	add_rec(f, 1, 0, 0xfffffff0u, 60, 0, 0);
	parse_ok(f, &h);
	next_err(&h, f, PCAPFILE_HDRLEN, "invalid packet capture length "
	    "4294967280, bigger than snaplen of 262144");
	free(f);
	/* over 262144 but within a (huge) snaplen */
	f = new_file(false, false, 2, 4, 1000000, 1);
	add_rec(f, 1, 0, 262145, 262145, 0, 0);
	parse_ok(f, &h);
	next_err(&h, f, PCAPFILE_HDRLEN, "invalid packet capture length "
	    "262145, bigger than maximum of 262144");
	free(f);
}

static void
test_truncated(void **state)
{
	struct pcapfile_header h;
	struct pcapfile_rec r;
	struct file *f;
	char err[256] = "";
	size_t off;

	(void)state;
	/* inside a record header */
	f = new_file(false, false, 2, 4, 0, 1);
	add_rec(f, 1, 0, 60, 60, 60, 0);
	add_rec(f, 2, 0, 60, 60, 60, 0);
	f->len -= 60 + 11;
	parse_ok(f, &h);
	off = next_ok(&h, f, PCAPFILE_HDRLEN, &r);
	assert_int_equal(pcapfile_next(&h, f->b + off, f->len - off, false,
	    &r, err, sizeof(err)), 0);	/* more may come */
	next_err(&h, f, off, "truncated dump file; tried to read 16 header "
	    "bytes, only got 5");
	free(f);
	/* inside the data */
	f = new_file(true, false, 2, 4, 0, 1);
	add_rec(f, 1, 0, 100, 100, 40, 0);
	parse_ok(f, &h);
	assert_int_equal(pcapfile_next(&h, f->b + PCAPFILE_HDRLEN,
	    f->len - PCAPFILE_HDRLEN, false, &r, err, sizeof(err)), 0);
	next_err(&h, f, PCAPFILE_HDRLEN, "truncated dump file; tried to read "
	    "100 captured bytes, only got 40");
	free(f);
	/* over the snaplen, cut before it: libpcap names the snaplen */
	f = new_file(false, false, 2, 4, 50, 1);
	add_rec(f, 1, 0, 100, 100, 40, 0);
	parse_ok(f, &h);
	next_err(&h, f, PCAPFILE_HDRLEN, "truncated dump file; tried to read "
	    "50 captured bytes, only got 40");
	free(f);
	/* over the snaplen, cut after it: the caplen */
	f = new_file(false, false, 2, 4, 50, 1);
	add_rec(f, 1, 0, 100, 100, 70, 0);
	parse_ok(f, &h);
	next_err(&h, f, PCAPFILE_HDRLEN, "truncated dump file; tried to read "
	    "100 captured bytes, only got 70");
	free(f);
}

/*
 * A reader that refills a small buffer from the file chunk bytes at a
 * time, moving a partial record to the front, as input.c does: every
 * chunk size must give the records of one whole-buffer parse.
 */
static void
test_split_reads(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 15, 16, 17, 100, 4096 };
	struct file *f = new_file(false, true, 2, 4, 200, 1);
	struct pcapfile_header h;
	enum { NREC = 60, BUF = PCAPFILE_MAXREC };
	uint64_t want_ts[NREC];
	uint32_t want_cl[NREC];
	unsigned char *buf = malloc(BUF);

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < NREC; i++) {
		uint32_t cl = (i * 37) % 300;	/* some over the snaplen */

		add_rec(f, 1000 + i, i * 11, cl, cl + 4, cl, i);
		want_ts[i] = (1000ull + i) * 1000000000u + i * 11;
		want_cl[i] = cl < 200 ? cl : 200;
	}
	parse_ok(f, &h);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		size_t pos = PCAPFILE_HDRLEN, off = 0, end = 0;
		unsigned got = 0;
		bool eof = false;

		for (;;) {
			struct pcapfile_rec r;
			char err[256] = "";
			ssize_t n = pcapfile_next(&h, buf + off, end - off,
			    eof, &r, err, sizeof(err));
			size_t take;

			if (n > 0) {
				assert_true(got < NREC);
				assert_int_equal(r.ts_ns, want_ts[got]);
				check_data(&r, want_cl[got], got);
				got++;
				off += (size_t)n;
				continue;
			}
			if (n < 0)
				fail_msg("chunk %zu: %s", chunks[c], err);
			if (eof)
				break;
			memmove(buf, buf + off, end - off);
			end -= off;
			off = 0;
			take = f->len - pos < chunks[c] ? f->len - pos :
			    chunks[c];
			if (take > BUF - end)
				take = BUF - end;
			memcpy(buf + end, f->b + pos, take);
			pos += take;
			end += take;
			eof = take == 0;
		}
		assert_int_equal(got, NREC);
	}
	free(buf);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magics),
		cmocka_unit_test(test_declined),
		cmocka_unit_test(test_short_files),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_old_versions),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_bad_caplen),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_split_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
