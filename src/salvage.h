/*
 * salvage.h - may an interrupted temp file be changed, and what of it is
 * still good.
 *
 * The checks that crash recovery (recover.c) builds on: how far a plain
 * file of one of our formats (format_sniff(): pcap, us or ns, either byte
 * order) holds complete records that a writer could have produced, and a
 * re-compressed copy of what a truncated gzip, bzip2 or xz stream still
 * decompresses to.  A crash leaves at most part of one record after the
 * last complete one; a record header no writer produces (the format's
 * scanner says which: for pcap caplen above 256 KiB or above the wire
 * length, a zero wire length, a fraction of a second >= 1 s) means
 * garbage.  A record whose trailing length (pcapng) disagrees with its
 * leading one is the partial last record when nothing follows it, else
 * garbage.  The file functions look at *stop (NULL:
 * never) in their long loops and give up soon after it is set.  No state:
 * any thread may call them.  Before any of that, salvage_open() makes
 * sure the file is ours to change.
 */
#ifndef MTRACECAP_SALVAGE_H
#define MTRACECAP_SALVAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Length of the longest valid prefix of buf (len bytes): the file header
 * plus every complete record.  0 if no format knows the header.
 * *records gets the number of complete records.
 */
size_t salvage_prefix(const unsigned char *buf, size_t len,
    uint64_t *records);

/* WANDIO_COMPRESS_ZLIB, _BZ2 or _LZMA for the magic at m (n bytes), or 0. */
int salvage_compressed_type(const unsigned char *m, size_t n);

/*
 * The same walk as salvage_prefix() over the plain file fd of size bytes,
 * reading record headers only: the valid length (0: no format knows it),
 * or -1 if stopped.  *invalid: the walk ended at a record header
 * no writer produced, rather than at one cut short by the end of the file.
 */
off_t salvage_scan(int fd, off_t size, const atomic_bool *stop,
    uint64_t *records, bool *invalid);

/* Are the bytes of fd from off to size all zero (what a power loss
 * leaves)?  1 yes, 0 no, -1 stopped. */
int salvage_zero_tail(int fd, off_t off, off_t size,
    const atomic_bool *stop);

/*
 * Decompress fd (compression type, see salvage_compressed_type()) with
 * gzip, bzip2 or xz -dc and write its valid pcap prefix, re-compressed
 * with the same type, to the new file out (O_EXCL), then read that back
 * whole (libwandio does not report a failed last write).  buf (buflen
 * bytes, at least 1 MiB) is scratch space.  Returns 0 with *records set;
 * -1 if nothing usable, if the copy could not be written (logged), or if
 * what decompresses goes on past the prefix with something that is not a
 * partial record; -2 if stopped (the decompressor is killed).  The caller
 * removes out unless 0.
 */
int salvage_recompress(int fd, const char *out, int type, unsigned char *buf,
    size_t buflen, const atomic_bool *stop, uint64_t *records);

/*
 * Why st may not be changed by recovery (NULL: it may): only a regular
 * file with one link, owned by the user we run as.  A hard link in the
 * directory to a file elsewhere must never be cut or replaced.  why (len
 * bytes) holds the text when it needs numbers.
 */
const char *salvage_unfit(const struct stat *st, char *why, size_t len);

/*
 * Open the temp file path for recovery (O_RDWR, O_NOFOLLOW, never
 * blocking on a FIFO or device) if it is fit (salvage_unfit(), checked
 * with lstat() and then fstat() on the descriptor), and take its flock:
 * a lock held after its writer died (its --pipeout child finishing) is
 * waited for a few seconds.  0 with *fd and *st; -1 when it is left alone
 * (warned, naming it, unless it is gone); -2 if stopped.
 */
int salvage_open(const char *path, const atomic_bool *stop, int *fd,
    struct stat *st);

#endif
