/*
 * fuzz_input.c - libFuzzer harness for the file reader path (input.c).
 *
 * The input bytes are written to a file, opened as pcapfile:FILE with
 * input_open() (libpcap for pcap and pcapng, a decompressor child for
 * compressed files), and its reader thread runs until the end of the file while this
 * thread drains the queue as the merger would; a plain pcap file has no
 * reader thread and no queue (input_pcapmap.c): this thread reads it in
 * place, as the merger would.  Every record must respect
 * the snap length and the queue must finish.  Bounded: the stop flag is
 * raised after MAX_RECORDS records or MAX_NS of reading (a small
 * compressed input can expand a lot).
 *
 * Compressed inputs go through a gzip/bzip2/xz/lzop child (input.c no
 * longer reads them with libwandio 3.0.22, which crashed on corrupt
 * compressed data: regressions/input/ keeps those reproducers).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input.h"
#include "input_iface.h"
#include "options.h"
#include "queue.h"
#include "fuzz_common.h"

#define SNAPLEN		1514u
#define MAX_RECORDS	100000u
#define MAX_NS		2000000000ull

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What every record must be, queued or read in place. */
static void
check_rec(struct input *in, const struct queue_rec *r, int linktype)
{
	const struct input_iface *const *tab;
	size_t nifs = input_ifaces(in, &tab);

	FUZZ_CHECK(r->caplen <= SNAPLEN);
	/* a pcapng input's interfaces have link types of their own; the
	 * first is the input's */
	FUZZ_CHECK(r->iface < nifs && r->linktype == tab[r->iface]->linktype);
	FUZZ_CHECK(r->iface != 0 || r->linktype == linktype);
	/* raw bytes, when given, are the record as the fields say */
	if (r->raw != NULL) {
		uint32_t h[4];

		memcpy(h, r->raw, sizeof(h));
		FUZZ_CHECK(h[2] == r->caplen && h[3] == r->wirelen);
		FUZZ_CHECK(r->raw + 16 == r->data);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[PATH_MAX], uri[PATH_MAX + 16], err[PATH_MAX + 512];
	struct queue_waiter waiter;
	struct config cfg;
	struct input *in;
	struct queue *q;
	struct pull *pl;
	atomic_bool stop;
	uint64_t n = 0, start;
	int linktype;

	snprintf(path, sizeof(path), "%s/in", fuzz_tmpdir());
	snprintf(uri, sizeof(uri), "pcapfile:%s", path);
	fuzz_write_file(path, data, size);

	memset(&cfg, 0, sizeof(cfg));
	cfg.snaplen = SNAPLEN;
	cfg.maxwait_ms = OPTIONS_MAXWAIT_DEFAULT;
	cfg.queue_bytes = 64 * 1024;
	cfg.capture_buffer = (size_t)OPTIONS_CAPBUF_MB_DEFAULT << 20;
	cfg.file_ext = "";
	atomic_init(&stop, false);
	FUZZ_CHECK(queue_waiter_init(&waiter) == 0);

	err[0] = '\0';
	in = input_open(uri, 0, &cfg, NULL, &waiter, NULL, err, sizeof(err));
	if (in == NULL) {
		FUZZ_CHECK(strstr(err, uri) != NULL);
		queue_waiter_destroy(&waiter);
		unlink(path);
		return 0;
	}
	FUZZ_CHECK(!input_is_live(in));
	linktype = input_linktype(in);
	q = input_stream_queue(in, 0);
	pl = input_stream_pull(in, 0);
	FUZZ_CHECK((q != NULL) != (pl != NULL));
	FUZZ_CHECK(input_start(in, &stop, err, sizeof(err)) == 0);
	start = now_ns();
	for (const struct queue_rec *r; pl != NULL && (r = pl->next(pl)) != NULL;) {
		check_rec(in, r, linktype);
		if (++n >= MAX_RECORDS)
			atomic_store(&stop, true);
	}
	for (; q != NULL;) {
		const struct queue_rec *r = queue_peek_try(q);

		if (r != NULL) {
			check_rec(in, r, linktype);
			queue_pop(q);
			if (++n >= MAX_RECORDS)
				atomic_store(&stop, true);
			continue;
		}
		if (queue_finished(q))
			break;
		if (now_ns() - start > MAX_NS)
			atomic_store(&stop, true);
		queue_waiter_prepare(&waiter);
		if (queue_peek_try(q) != NULL || queue_finished(q)) {
			queue_waiter_cancel(&waiter);
			continue;
		}
		queue_waiter_wait(&waiter, 10000000ull);
	}
	input_join(in);
	{
		struct input_counts c;

		input_counts(in, &c);
		FUZZ_CHECK(c.read == n);
	}
	input_destroy(in);
	queue_waiter_destroy(&waiter);
	unlink(path);
	return 0;
}
