/*
 * recover.h - rescue the files a crashed run left under temporary names.
 *
 * After kill -9 or a crash, DIR holds tmp-<pid>-<name> files.  At start
 * (-B mode) every such file whose <pid> is gone and that no process holds
 * locked is cut back to its last complete pcap record (a compressed one:
 * re-written with what still decompresses) and renamed to <name>; content
 * that is neither that nor a partial last record is kept untouched as
 * <name>.failed.  Live writers hold an flock on their temp files, so a
 * file still being written is never touched; a file whose <pid> runs is
 * left alone too (warned about: after a reboot it may be an unrelated
 * process), and a lock held after the writer died (its --pipeout child
 * finishing) is waited for a few seconds.
 */
#ifndef MTRACECAP_RECOVER_H
#define MTRACECAP_RECOVER_H

#include <stddef.h>
#include <stdint.h>

struct recover_result {
	uint64_t	records;	/* complete records kept */
	uint64_t	cut_bytes;	/* bytes of a partial record dropped */
};

/*
 * Length of the longest valid pcap prefix of buf (len bytes): the file
 * header plus every complete record.  0 if the header is not pcap.
 * *records gets the number of complete records.
 */
size_t recover_pcap_prefix(const unsigned char *buf, size_t len,
    uint64_t *records);

/*
 * Recover every abandoned temp file in dir; returns the number of files
 * recovered (each logged, and passed to recovered() if not NULL) or -1
 * if dir cannot be read (err filled).
 */
int recover_dir(const char *dir, void (*recovered)(const char *path,
    void *arg), void *arg, char *err, size_t errlen);

#endif
