/*
 * session_count.c - the counter sessions' packet path (see
 * session_count.h).
 */
#include "config.h"

#include "counter.h"
#include "session_count.h"

void
session_count(const struct session_tab *t, int linktype, uint32_t caplen,
    uint32_t wirelen, const void *data)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = wirelen };

	for (size_t i = 0; i < t->n; i++) {
		const struct session_entry *e = &t->e[i];

		if (e->prog == NULL || e->linktype != linktype ||
		    pcap_offline_filter(e->prog, &h, data) == 0)
			continue;
		counter_inc(&e->c->packets);
		counter_add(&e->c->bytes, wirelen);	/* one writer */
	}
}
