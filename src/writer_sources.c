/*
 * writer_sources.c - the inputs as the writer's format sees them: header
 * descriptors, the link-type rule, stamps the format cannot hold (see
 * writer_sources.h).  Writer thread, but for writer_check_inputs (main).
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "writer_sources.h"

/* The format the writer emits for cfg. */
static const struct format *
writer_format(const struct config *cfg)
{
	return format_select(cfg->pcapng, cfg->tstamp_nano);
}

/*
 * The file-header descriptors of the n inputs (link types as known before
 * the first packet), or NULL when out of memory; the caller frees them.
 */
static struct format_source *
sources_create(const struct config *cfg, struct input *const *inputs,
    size_t n)
{
	struct format_source *src = calloc(n, sizeof(*src));

	for (size_t i = 0; src != NULL && i < n; i++)
		src[i] = (struct format_source){
			.name = input_uri(inputs[i]),
			.filter = cfg->filter,
			.linktype = input_linktype(inputs[i]),
			.snaplen = cfg->snaplen,
			.ts_per_sec = 1000000000u,	/* queue_rec.ts_ns */
			.anon = input_anon_note(inputs[i]),
		};
	return src;
}

int
writer_check_inputs(const struct config *cfg, struct input *const *inputs,
    size_t n, char *err, size_t errlen)
{
	const struct format *fmt = writer_format(cfg);
	struct format_source *src = sources_create(cfg, inputs, n);
	int rc = 0, first_lt = -1;
	size_t first = 0;
	bool warned = false;

	if (src == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int lt = src[i].linktype;
		int want = lt < 0 ? -1 : fmt->linktype_for(src, i + 1, i);

		if (fmt->ifaces && lt >= 0 && first_lt >= 0 && lt != first_lt &&
		    !warned) {
			log_warn("input '%s' has link type %d but '%s' has %d: "
			    "the %s files will hold both, which libpcap-based "
			    "readers such as tcpdump cannot read", src[i].name,
			    lt, src[first].name, first_lt, fmt->name);
			warned = true;
		}
		if (first_lt < 0 && lt >= 0) {
			first_lt = lt;
			first = i;
		}
		if (want >= 0 && want != lt) {
			log_seterr(err, errlen, "input '%s' has link type %d "
			    "but an earlier input has %d: one %s file "
			    "cannot hold both", src[i].name, lt, want,
			    fmt->name);
			rc = -1;
		}
	}
	free(src);
	return rc;
}

int
writer_sources_init(struct writer_sources *s, const struct config *cfg,
    struct input *const *inputs, size_t n)
{
	s->cfg = cfg;
	s->fmt = writer_format(cfg);
	s->inputs = inputs;
	s->n = n;
	s->src = sources_create(cfg, inputs, n);
	s->warned_unfit = calloc(n + 1, sizeof(*s->warned_unfit));
	s->late_stamps = calloc(n + 1, sizeof(*s->late_stamps));
	if (s->src == NULL || s->warned_unfit == NULL || s->late_stamps == NULL)
		return -1;
	if (!s->fmt->ifaces)
		return 0;
	s->ids = malloc((n * INPUT_MAX_IFACES + 1) * sizeof(*s->ids));
	s->delivered = calloc(n * INPUT_MAX_IFACES + 1,
	    sizeof(*s->delivered));
	s->last = calloc(n + 1, sizeof(*s->last));
	if (s->ids == NULL || s->delivered == NULL || s->last == NULL)
		return -1;
	for (size_t i = 0; i < n * INPUT_MAX_IFACES; i++)
		s->ids[i] = WRITER_NO_IFACE;
	return 0;
}

void
writer_sources_fini(struct writer_sources *s)
{
	free(s->src);
	free(s->warned_unfit);
	free(s->late_stamps);
	free(s->file.ifs);
	free(s->ids);
	free(s->delivered);
	free(s->last);
	s->src = NULL;
	s->warned_unfit = NULL;
	s->late_stamps = NULL;
	s->file.ifs = NULL;
	s->ids = NULL;
	s->delivered = NULL;
	s->last = NULL;
}

bool
writer_sources_fit(struct writer_sources *s, int lt, size_t input)
{
	int want = s->fmt->linktype_for(s->src, s->n, input);

	if (want >= 0 && lt != want) {
		if (!s->warned_unfit[input])
			log_error("input '%s': packet of link type %d cannot "
			    "go into a %s file of link type %d; such "
			    "packets are counted as lost",
			    input_uri(s->inputs[input]), lt, s->fmt->name,
			    want);
		s->warned_unfit[input] = true;
		return false;
	}
	if (s->src[input].linktype < 0)
		s->src[input].linktype = lt;
	return true;
}

/* if_tsresol of an interface whose stamps were read with tsresol digits:
 * its own, but at most 9 (queue records hold ns) and, with
 * --time-stamp-precision=micro, at most 6. */
static uint8_t
file_tsresol(const struct config *cfg, uint8_t tsresol)
{
	uint8_t r = tsresol <= 9 ? tsresol : 9;

	if (cfg->tstamp_given && !cfg->tstamp_nano && r > 6)
		r = 6;
	return r;
}

/* Append interface iface of input, of link type lt, to the file. */
static struct format_iface *
append(struct writer_sources *s, size_t input, uint32_t iface, int lt,
    const struct input_iface *d, size_t of_input)
{
	struct format_iface *fi;
	uint64_t u = 1;

	if (s->file.n == s->file_cap) {
		size_t cap = s->file_cap != 0 ? 2 * s->file_cap : 8;
		struct format_iface *nf = realloc(s->file.ifs,
		    cap * sizeof(*nf));

		if (nf == NULL)
			return NULL;
		s->file.ifs = nf;
		s->file_cap = cap;
		/* they moved */
		for (size_t i = 0; i < s->n; i++)
			s->last[i] = NULL;
	}
	fi = &s->file.ifs[s->file.n];
	*fi = (struct format_iface){
		.id = (uint32_t)s->file.n,
		.input = input,
		.iface = iface,
		.desc = d,
		.filter = s->cfg->filter,
		.linktype = lt,
		.snaplen = d->snaplen != 0 && d->snaplen < s->cfg->snaplen ?
		    d->snaplen : s->cfg->snaplen,
		.tsresol = file_tsresol(s->cfg, d->tsresol),
		.sole = of_input == 1,
		.filtered_known = input_filtered_known(s->inputs[input]),
		.start_ns = input_start_ns(s->inputs[input]),
	};
	for (unsigned k = fi->tsresol; k < 9; k++)
		u *= 10;
	fi->ns_per_unit = u;
	s->ids[input * INPUT_MAX_IFACES + iface] = fi->id;
	s->file.n++;
	return fi;
}

int
writer_sources_file_begin(struct writer_sources *s)
{
	s->file.n = 0;
	for (size_t i = 0; i < s->n * INPUT_MAX_IFACES; i++)
		s->ids[i] = WRITER_NO_IFACE;
	for (size_t i = 0; i < s->n; i++)
		s->last[i] = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct input_iface *const *tab;
		size_t m = input_ifaces(s->inputs[i], &tab);

		for (size_t j = 0; j < m; j++) {
			int lt = tab[j]->linktype;

			if (lt < 0 && j == 0)
				lt = s->src[i].linktype;
			if (lt >= 0 && append(s, i, (uint32_t)j, lt, tab[j],
			    m) == NULL)
				return -1;
		}
	}
	return 0;
}

struct format_iface *
writer_sources_iface_find(struct writer_sources *s,
    const struct queue_rec *rec, size_t input)
{
	uint32_t id;
	struct format_iface *fi;

	if (rec->iface >= INPUT_MAX_IFACES)
		return NULL;
	id = s->ids[input * INPUT_MAX_IFACES + rec->iface];
	if (id == WRITER_NO_IFACE || s->file.ifs[id].linktype != rec->linktype)
		return NULL;
	fi = &s->file.ifs[id];
	s->last[input] = fi;
	return fi;
}

struct format_iface *
writer_sources_iface_add(struct writer_sources *s,
    const struct queue_rec *rec, size_t input)
{
	const struct input_iface *const *tab;
	size_t m = input_ifaces(s->inputs[input], &tab);

	if (rec->iface >= m)
		return NULL;
	return append(s, input, rec->iface, rec->linktype, tab[rec->iface], m);
}

void
writer_sources_file_end(struct writer_sources *s)
{
	for (size_t i = 0; i < s->file.n; i++) {
		struct format_iface *fi = &s->file.ifs[i];
		uint64_t *d = &s->delivered[fi->input * INPUT_MAX_IFACES +
		    fi->iface];

		const struct input_iface *const *tab;

		*d += fi->packets;
		fi->delivered = *d;
		/* an input that grew interfaces since: counters are its own */
		fi->sole = input_ifaces(s->inputs[fi->input], &tab) == 1;
	}
}

void
writer_sources_late(struct writer_sources *s, const struct queue_rec *rec,
    size_t input)
{
	char when[64] = "?";
	struct tm tm;
	time_t t = (time_t)(rec->ts_ns / 1000000000u);

	if (s->late_stamps[input]++ > 0)
		return;
	if (gmtime_r(&t, &tm) != NULL)
		(void)strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
		    &tm);
	log_warn("input '%s': a packet stamped %s is later than a %s file "
	    "can hold; such packets are written stamped %s and counted",
	    input_uri(s->inputs[input]), when, s->fmt->name,
	    s->fmt->max_ts_text);
}

void
writer_sources_report(const struct writer_sources *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->late_stamps[i] > 0)
			log_warn("input '%s': %" PRIu64 " packet%s stamped "
			    "later than a %s file can hold (after %s)",
			    input_uri(s->inputs[i]), s->late_stamps[i],
			    s->late_stamps[i] == 1 ? "" : "s", s->fmt->name,
			    s->fmt->max_ts_text);
}
