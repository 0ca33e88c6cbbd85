/*
 * cryptopan.c - CryptoPAn over AES-128-ECB (cryptopan.h).
 *
 * The n blocks one address needs (n = 32 or 128) depend on the address
 * alone, not on each other's results, so they are built first and
 * encrypted in one EVP call: ECB pipelines them (AES-NI keeps several
 * blocks in flight), which is most of the cost of an address.  Recent
 * results are kept in a small direct-mapped cache per address family:
 * packets come in flows, so most addresses repeat within a few packets.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cryptopan.h"
#include "log.h"

#define AES_BLOCK	16
#define V4_CACHE_BITS	12
#define V4_CACHE	(1u << V4_CACHE_BITS)
#define V6_CACHE_BITS	9
#define V6_CACHE	(1u << V6_CACHE_BITS)

struct v6_entry {
	uint8_t		 in[16];
	uint8_t		 out[16];
	bool		 used;
};

struct cryptopan {
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 pad[AES_BLOCK];
	/* the blocks of one address, and what AES made of them */
	uint8_t		 blk[128 * AES_BLOCK];
	uint8_t		 enc[128 * AES_BLOCK];
	uint32_t	 v4_in[V4_CACHE];
	uint32_t	 v4_out[V4_CACHE];
	bool		 v4_used[V4_CACHE];
	struct v6_entry	 v6[V6_CACHE];
};

int
cryptopan_key_load(const char *path, uint8_t key[CRYPTOPAN_KEY_LEN],
    char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	uint8_t extra;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO put there must not hang the open */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_seterr(err, errlen, "key file '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		log_seterr(err, errlen, "key file '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_seterr(err, errlen, "key file '%s' is not a regular file",
		    path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		log_seterr(err, errlen, "key file '%s' has mode %04o: group "
		    "and others must have no access to it (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size != CRYPTOPAN_KEY_LEN) {
		log_seterr(err, errlen, "key file '%s' holds %lld bytes, not "
		    "%d (16 of AES key, 16 of pad, as traceanon -f reads)",
		    path, (long long)st.st_size, CRYPTOPAN_KEY_LEN);
		goto fail;
	}
	while (got < CRYPTOPAN_KEY_LEN) {
		n = read(fd, key + got, CRYPTOPAN_KEY_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	while ((n = read(fd, &extra, 1)) < 0 && errno == EINTR)
		;
	if (got != CRYPTOPAN_KEY_LEN || n != 0) {
		if (n < 0 || got < CRYPTOPAN_KEY_LEN)
			log_seterr(err, errlen, "key file '%s': %s", path,
			    n < 0 ? strerror(errno) : "shorter than 32 bytes "
			    "when read");
		else
			log_seterr(err, errlen, "key file '%s' grew past 32 "
			    "bytes while read", path);
		goto fail;
	}
	(void)close(fd);
	return 0;
fail:
	OPENSSL_cleanse(key, CRYPTOPAN_KEY_LEN);
	(void)close(fd);
	return -1;
}

void
cryptopan_key_id(const uint8_t key[CRYPTOPAN_KEY_LEN],
    char id[CRYPTOPAN_ID_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(key, CRYPTOPAN_KEY_LEN, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen < 4) {
		(void)snprintf(id, CRYPTOPAN_ID_LEN, "unknown");
		return;
	}
	(void)snprintf(id, CRYPTOPAN_ID_LEN, "%02x%02x%02x%02x", md[0], md[1],
	    md[2], md[3]);
}

struct cryptopan *
cryptopan_create(const uint8_t key[CRYPTOPAN_KEY_LEN], char *err,
    size_t errlen)
{
	struct cryptopan *cp = calloc(1, sizeof(*cp));
	int outl = 0;

	if (cp == NULL) {
		log_seterr(err, errlen, "CryptoPAn: out of memory");
		return NULL;
	}
	if ((cp->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(cp->ctx, EVP_aes_128_ecb(), NULL, key,
	    NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(cp->ctx, 0) != 1 ||
	    EVP_EncryptUpdate(cp->ctx, cp->pad, &outl, key + AES_BLOCK,
	    AES_BLOCK) != 1 || outl != AES_BLOCK) {
		log_seterr(err, errlen, "CryptoPAn: libcrypto cannot set up "
		    "AES-128-ECB");
		cryptopan_destroy(cp);
		return NULL;
	}
	return cp;
}

void
cryptopan_destroy(struct cryptopan *cp)
{
	if (cp == NULL)
		return;
	EVP_CIPHER_CTX_free(cp->ctx);
	OPENSSL_cleanse(cp, sizeof(*cp));
	free(cp);
}

/*
 * The one-time pad of the nbytes-byte address a (network order) into
 * flip: bit p set when AES(a's first p bits, the pad's other bits) starts
 * with a 1.  0, or -1 when libcrypto failed.
 */
static int
flips(struct cryptopan *cp, const uint8_t *a, unsigned nbytes, uint8_t *flip)
{
	unsigned nbits = nbytes * 8;
	int len = (int)(nbits * AES_BLOCK), outl = 0;

	for (unsigned p = 0; p < nbits; p++) {
		uint8_t *b = cp->blk + p * AES_BLOCK;
		unsigned whole = p / 8, part = p % 8;

		memcpy(b, a, whole);
		memcpy(b + whole, cp->pad + whole, AES_BLOCK - whole);
		if (part != 0) {
			uint8_t m = (uint8_t)(0xffu << (8 - part));

			b[whole] = (uint8_t)((a[whole] & m) |
			    (cp->pad[whole] & ~m));
		}
	}
	if (EVP_EncryptUpdate(cp->ctx, cp->enc, &outl, cp->blk, len) != 1 ||
	    outl != len)
		return -1;
	memset(flip, 0, nbytes);
	for (unsigned p = 0; p < nbits; p++)
		flip[p / 8] |= (uint8_t)((cp->enc[p * AES_BLOCK] >> 7) <<
		    (7 - p % 8));
	return 0;
}

int
cryptopan_v4(struct cryptopan *cp, uint32_t a, uint32_t *out)
{
	uint32_t h = (a * 0x9e3779b1u) >> (32 - V4_CACHE_BITS);
	uint8_t be[4] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16),
	    (uint8_t)(a >> 8), (uint8_t)a };
	uint8_t f[4];

	if (cp->v4_used[h] && cp->v4_in[h] == a) {
		*out = cp->v4_out[h];
		return 0;
	}
	if (flips(cp, be, 4, f) != 0) {
		*out = 0;
		return -1;
	}
	*out = a ^ ((uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 |
	    (uint32_t)f[2] << 8 | f[3]);
	cp->v4_in[h] = a;
	cp->v4_out[h] = *out;
	cp->v4_used[h] = true;
	return 0;
}

int
cryptopan_v6(struct cryptopan *cp, const uint8_t in[16], uint8_t out[16])
{
	uint32_t w;
	struct v6_entry *e;
	uint8_t f[16], a[16];

	memcpy(&w, in + 12, 4);
	w ^= (uint32_t)in[7] << 24 ^ (uint32_t)in[3] << 16;
	e = &cp->v6[(w * 0x9e3779b1u) >> (32 - V6_CACHE_BITS)];
	if (e->used && memcmp(e->in, in, 16) == 0) {
		memcpy(out, e->out, 16);
		return 0;
	}
	memcpy(a, in, 16);
	if (flips(cp, a, 16, f) != 0) {
		memset(out, 0, 16);
		return -1;
	}
	for (unsigned i = 0; i < 16; i++)
		out[i] = (uint8_t)(a[i] ^ f[i]);
	memcpy(e->in, a, 16);
	memcpy(e->out, out, 16);
	e->used = true;
	return 0;
}
