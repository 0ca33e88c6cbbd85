/*
 * fuzz_pcapng.c - libFuzzer harness for the pcapng block parser
 * (pcapng_read.c), without I/O: the whole input is parsed block by block
 * as the reader does, and each block again from a buffer one byte short
 * of it (which must ask for more, never parse differently).  Every block
 * lies inside the input, is a multiple of 4 and at least 12 bytes; a
 * packet's data lies inside its block; each IDB's clock converts stamps
 * without overflow (UBSan would say).  input_pcapng.c itself is fuzzed by
 * fuzz_input.c through pcapfile: URIs.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pcapng_read.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_section s = { 0 }, t;
	struct pcapng_block b, c;
	struct pcapng_clock clk;
	char err[256];
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		t = s;
		n = pcapng_next(&s, data + off, size - off, true, &b, err,
		    sizeof(err));
		if (n <= 0) {
			FUZZ_CHECK(n < 0 && err[0] != '\0');
			break;
		}
		FUZZ_CHECK((size_t)n <= size - off && n >= 12 && n % 4 == 0);
		/* one byte short, more to come: "need more", nothing parsed */
		FUZZ_CHECK(pcapng_next(&t, data + off, (size_t)n - 1, false,
		    &c, err, sizeof(err)) == 0);
		FUZZ_CHECK(c.need == 0 || c.need == (uint32_t)n);
		if (b.type == PCAPNG_BT_EPB || b.type == PCAPNG_BT_PB ||
		    b.type == PCAPNG_BT_SPB) {
			uint32_t len = b.type == PCAPNG_BT_SPB ? b.room :
			    b.caplen;

			FUZZ_CHECK(b.data >= data + off &&
			    b.data + len <= data + off + (size_t)n);
		}
		if (b.type == PCAPNG_BT_IDB && pcapng_clock_init(&clk,
		    b.tsresol, b.tsoffset, err, sizeof(err)) == 0) {
			FUZZ_CHECK(clk.tsresol <= 9);
			(void)pcapng_clock_ns(&clk, 0);
			(void)pcapng_clock_ns(&clk, UINT64_MAX);
			(void)pcapng_clock_ns(&clk, (uint64_t)b.tsoffset);
		}
		off += (size_t)n;
	}
	return 0;
}
