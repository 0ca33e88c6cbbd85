/*
 * cryptopan.h - prefix-preserving address anonymisation, CryptoPAn (Xu,
 * Fan, Ammar, Moon, "Prefix-Preserving IP Address Anonymization", ICNP
 * 2002), with AES-128 from OpenSSL's libcrypto as the pseudorandom
 * function, and the 32-byte key file that libtrace's traceanon -f reads.
 *
 * A key is 32 bytes: the first 16 the AES key, the next 16 encrypted once
 * with it make the pad.  Bit i (from the most significant) of an address
 * is flipped when the first bit of AES(first i bits of the address, then
 * the pad's remaining bits) is 1: two addresses sharing a k-bit prefix
 * map to two sharing exactly a k-bit prefix, and the first m bits of a
 * result depend on the first m bits of the address only.  IPv4 uses 32
 * rounds (the reference implementation's, so traceanon's results);
 * IPv6 the same construction over 128 bits (as yacryptopan).
 *
 * A struct cryptopan holds one EVP cipher context and a cache of recent
 * results: one per thread, never shared.
 */
#ifndef MTRACECAP_CRYPTOPAN_H
#define MTRACECAP_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTOPAN_KEY_LEN	32
#define CRYPTOPAN_ID_LEN	9	/* 8 hex digits and a NUL */

struct cryptopan;

/*
 * Read the key file path: a regular file that group and others have no
 * access to, of exactly CRYPTOPAN_KEY_LEN bytes, into key.  0, or -1 with
 * a one-line message naming the file in err (key then holds nothing).
 * Any thread; reads the file once.
 */
int	cryptopan_key_load(const char *path, uint8_t key[CRYPTOPAN_KEY_LEN],
	    char *err, size_t errlen);

/* The first 8 hex digits of the SHA-256 of key (what a key file holds),
 * NUL-terminated, into id: names the key without revealing it. */
void	cryptopan_key_id(const uint8_t key[CRYPTOPAN_KEY_LEN],
	    char id[CRYPTOPAN_ID_LEN]);

/*
 * A context for key (copied: the caller may wipe its own).  NULL with err
 * when libcrypto fails or memory runs out.  The caller frees it with
 * cryptopan_destroy (NULL is a no-op).
 */
struct cryptopan *cryptopan_create(const uint8_t key[CRYPTOPAN_KEY_LEN],
	    char *err, size_t errlen);
void	cryptopan_destroy(struct cryptopan *cp);

/*
 * Anonymise one IPv4 address a (host byte order) into *out.  0, or -1
 * when libcrypto failed (*out is then 0: never the address itself).
 */
int	cryptopan_v4(struct cryptopan *cp, uint32_t a, uint32_t *out);

/* Anonymise one IPv6 address in (network byte order) into out (may be
 * in).  0, or -1 when libcrypto failed (out is then all zero). */
int	cryptopan_v6(struct cryptopan *cp, const uint8_t in[16],
	    uint8_t out[16]);

#endif
