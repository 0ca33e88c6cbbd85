/*
 * input_iface.h - what one interface of a source is: the identity a
 * pcapng Interface Description Block gives it.  Apart from input.h so
 * that the backends (input_backend.h) and the writer's formats share it
 * without the reader core's public face.
 */
#ifndef MTRACECAP_INPUT_IFACE_H
#define MTRACECAP_INPUT_IFACE_H

#include <stdint.h>

/* Interfaces one source can have (a pcapng input's IDBs, all sections). */
#define INPUT_MAX_IFACES	256

/*
 * One interface of a source, as a pcapng IDB describes it: a source has
 * one (its device or file) unless it is a pcapng file, which has one per
 * IDB it holds, in the order they come.  Never changes once published.
 */
struct input_iface {
	char		*name;		/* if_name: device, file path, or the
					 * pcapng input's own if_name */
	char		*description;	/* if_description: the URI (live: and
					 * the time stamp type) */
	char		*os;		/* if_os: a pcapng input's, the host's
					 * (shb_os) for a live input, or NULL */
	int		 linktype;	/* LINKTYPE_, -1 until known */
	uint32_t	 snaplen;	/* 0: not known */
	uint8_t		 tsresol;	/* if_tsresol of the stamps as read:
					 * 6 us, 9 ns (and kept in the output
					 * when decimal and at most 9) */
};

#endif
