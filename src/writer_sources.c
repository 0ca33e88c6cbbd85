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
	return format_select(cfg->tstamp_nano);
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
		};
	return src;
}

int
writer_check_inputs(const struct config *cfg, struct input *const *inputs,
    size_t n, char *err, size_t errlen)
{
	const struct format *fmt = writer_format(cfg);
	struct format_source *src = sources_create(cfg, inputs, n);
	int rc = 0;

	if (src == NULL) {
		log_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		int lt = src[i].linktype;
		int want = lt < 0 ? -1 : fmt->linktype_for(src, i + 1, i);

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
	s->fmt = writer_format(cfg);
	s->inputs = inputs;
	s->n = n;
	s->src = sources_create(cfg, inputs, n);
	s->warned_unfit = calloc(n + 1, sizeof(*s->warned_unfit));
	s->late_stamps = calloc(n + 1, sizeof(*s->late_stamps));
	return s->src == NULL || s->warned_unfit == NULL ||
	    s->late_stamps == NULL ? -1 : 0;
}

void
writer_sources_fini(struct writer_sources *s)
{
	free(s->src);
	free(s->warned_unfit);
	free(s->late_stamps);
	s->src = NULL;
	s->warned_unfit = NULL;
	s->late_stamps = NULL;
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
