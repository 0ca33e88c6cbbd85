/*
 * cksum.h - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624), for the address anonymiser (anon.c).  Header only: pure
 * functions on the packet path, any thread.
 *
 * Checksums and words are the 16-bit big-endian numbers as on the wire.
 * A *delta* is what changing words adds to a ones' complement sum: the
 * sum over the changed words of ~old + new (RFC 1624 eqn. 3), folded to
 * 16 bits; deltas add like sums (cksum_add).  A word at an odd offset
 * from the start of what a checksum covers counts byte-swapped
 * (cksum_swap), as RFC 1071 section 2 (B) allows.
 */
#ifndef MTRACECAP_CKSUM_H
#define MTRACECAP_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Fold a 32-bit sum of 16-bit words to 16 bits (end-around carry). */
static inline uint16_t
cksum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* a + b in ones' complement */
static inline uint16_t
cksum_add(uint16_t a, uint16_t b)
{
	return cksum_fold((uint32_t)a + b);
}

/* A sum or delta seen from the other byte parity. */
static inline uint16_t
cksum_swap(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* The big-endian word at p. */
static inline uint16_t
cksum_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
cksum_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The ones' complement sum (not yet complemented) of len bytes at p; an
 * odd last byte counts as its word's high byte. */
static inline uint16_t
cksum_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		s += cksum_get(p + i);
		if (s & 0x80000000u)
			s = cksum_fold(s);
	}
	if (i < len)
		s += (uint32_t)p[i] << 8;
	return cksum_fold(s);
}

/* The delta of changing the len bytes (len even) at old into those at
 * new. */
static inline uint16_t
cksum_delta(const uint8_t *old, const uint8_t *new, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(uint16_t)~cksum_get(old + i) +
		    cksum_get(new + i);
	return cksum_fold(s);
}

/* The delta of one word changing from old to new. */
static inline uint16_t
cksum_delta16(uint16_t old, uint16_t new)
{
	return cksum_fold((uint32_t)(uint16_t)~old + new);
}

/* The checksum field hc updated by delta (RFC 1624 eqn. 3:
 * HC' = ~(~HC + ~m + m')). */
static inline uint16_t
cksum_update(uint16_t hc, uint16_t delta)
{
	return (uint16_t)~cksum_add((uint16_t)~hc, delta);
}

#endif
