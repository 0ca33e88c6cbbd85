/*
 * stop_after.c - --stop-after's rules (see stop_after.h).  Pure: the
 * writer's thread feeds them what it counted and its clock readings.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stop_after.h"

#define NS_PER_S	1000000000ull

void
stop_after_init(struct stop_after *s, const struct options_stop_after *lim,
    uint64_t mono_now)
{
	memset(s, 0, sizeof(*s));
	s->lim = *lim;
	s->start_ns = mono_now;
}

bool
stop_after_any(const struct stop_after *s)
{
	return s->lim.duration_s != 0 || s->lim.packets != 0 ||
	    s->lim.files != 0 || s->lim.bytes != 0;
}

bool
stop_after_duration_due(const struct stop_after *s, uint64_t mono_now)
{
	uint64_t d = s->lim.duration_s;

	/* options cap duration_s far below UINT64_MAX / NS_PER_S */
	return d != 0 && s->reached == STOP_AFTER_NONE &&
	    mono_now >= s->start_ns && mono_now - s->start_ns >= d * NS_PER_S;
}

bool
stop_after_packet_written(struct stop_after *s)
{
	s->packets++;
	return s->lim.packets != 0 && s->packets >= s->lim.packets;
}

bool
stop_after_file_may_begin(const struct stop_after *s)
{
	return !s->closed && (s->lim.files == 0 || s->files < s->lim.files);
}

void
stop_after_file_begun(struct stop_after *s)
{
	s->files++;
}

bool
stop_after_bytes_fit(const struct stop_after *s, uint64_t file_bytes)
{
	return s->lim.bytes == 0 || (s->bytes <= s->lim.bytes &&
	    file_bytes <= s->lim.bytes - s->bytes);
}

void
stop_after_file_ended(struct stop_after *s, uint64_t file_bytes)
{
	s->bytes = file_bytes > UINT64_MAX - s->bytes ? UINT64_MAX :
	    s->bytes + file_bytes;
}

void
stop_after_reach(struct stop_after *s, enum stop_after_kind k)
{
	if (s->reached == STOP_AFTER_NONE)
		s->reached = k;
	if (k != STOP_AFTER_DURATION)
		s->closed = true;
}

void
stop_after_describe(const struct stop_after *s, enum stop_after_kind k,
    char *buf, size_t len)
{
	switch (k) {
	case STOP_AFTER_DURATION:
		snprintf(buf, len, "duration:%" PRIu64, s->lim.duration_s);
		break;
	case STOP_AFTER_PACKETS:
		snprintf(buf, len, "packets:%" PRIu64, s->lim.packets);
		break;
	case STOP_AFTER_FILES:
		snprintf(buf, len, "files:%" PRIu64, s->lim.files);
		break;
	case STOP_AFTER_BYTES:
		snprintf(buf, len, "bytes:%" PRIu64, s->lim.bytes);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}
