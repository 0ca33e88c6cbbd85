/*
 * session.c - counter sessions (see session.h) and their packet path.
 *
 * DESIGN
 * - Control side (any thread but the readers, under s->lock): a session
 *   has a name, a filter compiled once per input for its link type, and
 *   a slot: SLOTS counter pairs per stream, which only that stream's
 *   reader increments (relaxed).  A session's figures are its slot's
 *   counters less what they read when it started (base), summed over the
 *   streams of each input: counters never go back, so nothing is reset.
 * - Packet path (session_count.c): every stream has an immutable table
 *   of the live sessions (program, link type, its counters), published
 *   with one atomic pointer (st->sessions, NULL when there is none: then
 *   the path costs one load and a branch).  A change builds new tables and swaps
 *   them in; the old ones, and the programs and slots of sessions that
 *   went, are freed once every reader is past them.
 * - Being past: a reader bumps st->epoch before and after each read op
 *   (odd: it may hold a table), with a full fence between the bump and its
 *   first load of the pointer; the control side fences between the swap
 *   and reading the epochs.  A stream whose epoch was even then, or has
 *   moved since, no longer holds an old table (Dekker's handshake, once
 *   per batch of packets).  Retired things wait in a list, checked at
 *   every call; a slot is reused only once free, so a late increment
 *   never lands in a new session's counts.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "input.h"
#include "input_backend.h"
#include "input_libpcap.h"
#include "log.h"
#include "session.h"
#include "session_count.h"

#define SLOTS	(2 * SESSIONS_MAX)	/* live, and retiring ones */

struct sess {
	char			 name[SESSION_NAME_MAX + 1];
	char			*filter;
	uint64_t		 started_ns;
	size_t			 slot;
	struct bpf_program	*progs;		/* per input */
	bool			*compiled;	/* per input */
	int			*lts;		/* per input */
	uint64_t		*base_p, *base_b; /* per stream */
	uint64_t		 polled_p, polled_b;
};

/* What a change left for later: freed once every stream is past it. */
struct retired {
	struct retired		*next;
	uint64_t		*epochs;	/* per stream, at the change */
	struct session_tab	**tabs;		/* per stream, old (or NULL) */
	struct sess		*gone;		/* a session stopped or changed */
};

struct sessions {
	pthread_mutex_t		 lock;
	struct input *const	*inputs;
	size_t			 n;
	size_t			 nstreams;
	struct input_stream	**streams;	/* all of them, input order */
	size_t			*of;		/* stream -> input */
	struct slot_count	*counts;	/* nstreams * SLOTS */
	bool			 slot_used[SLOTS];
	struct sess		*live[SESSIONS_MAX];
	size_t			 nlive;
	struct retired		*retired;
};

static uint64_t
load(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void
sess_free(struct sessions *s, struct sess *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; x->progs != NULL && i < s->n; i++)
		if (x->compiled[i])
			pcap_freecode(&x->progs[i]);
	free(x->progs);
	free(x->compiled);
	free(x->lts);
	free(x->base_p);
	free(x->filter);
	free(x);
}

struct sessions *
sessions_create(struct input *const *inputs, size_t n, char *err,
    size_t errlen)
{
	struct sessions *s = calloc(1, sizeof(*s));
	size_t k = 0;

	if (s == NULL)
		goto oom;
	s->inputs = inputs;
	s->n = n;
	for (size_t i = 0; i < n; i++)
		s->nstreams += inputs[i]->nstreams;
	s->streams = calloc(s->nstreams + 1, sizeof(*s->streams));
	s->of = calloc(s->nstreams + 1, sizeof(*s->of));
	s->counts = calloc(s->nstreams * SLOTS + 1, sizeof(*s->counts));
	if (s->streams == NULL || s->of == NULL || s->counts == NULL ||
	    pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->streams);
		free(s->of);
		free(s->counts);
		free(s);
		goto oom;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < inputs[i]->nstreams; j++) {
			s->of[k] = i;
			s->streams[k++] = &inputs[i]->streams[j];
		}
	}
	return s;
oom:
	log_seterr(err, errlen, "out of memory");
	return NULL;
}

/* Free what every stream is past; under lock (or at the end). */
static void
reclaim(struct sessions *s, bool all)
{
	struct retired **pp = &s->retired;

	while (*pp != NULL) {
		struct retired *r = *pp;
		bool past = true;

		for (size_t k = 0; !all && past && k < s->nstreams; k++) {
			uint64_t e = atomic_load_explicit(&s->streams[k]->epoch,
			    memory_order_acquire);

			past = (r->epochs[k] & 1) == 0 || e != r->epochs[k];
		}
		if (!past) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		for (size_t k = 0; k < s->nstreams; k++)
			free(r->tabs[k]);
		if (r->gone != NULL) {
			s->slot_used[r->gone->slot] = false;
			sess_free(s, r->gone);
		}
		free(r->tabs);
		free(r->epochs);
		free(r);
	}
}

void
sessions_destroy(struct sessions *s)
{
	if (s == NULL)
		return;
	for (size_t k = 0; k < s->nstreams; k++)
		free((void *)atomic_exchange(&s->streams[k]->sessions, NULL));
	reclaim(s, true);
	for (size_t i = 0; i < s->nlive; i++)
		sess_free(s, s->live[i]);
	pthread_mutex_destroy(&s->lock);
	free(s->streams);
	free(s->of);
	free(s->counts);
	free(s);
}

/*
 * Publish tables of the live sessions to every stream; what they
 * replace (and gone, a session that left) is retired.  Under lock.  0,
 * or -1 when out of memory (nothing changed then).
 */
static int
publish(struct sessions *s, struct sess *gone)
{
	struct retired *r = calloc(1, sizeof(*r));
	struct session_tab **fresh = calloc(s->nstreams + 1, sizeof(*fresh));

	if (r == NULL || fresh == NULL ||
	    (r->epochs = calloc(s->nstreams + 1, sizeof(*r->epochs))) == NULL ||
	    (r->tabs = calloc(s->nstreams + 1, sizeof(*r->tabs))) == NULL)
		goto oom;
	for (size_t k = 0; s->nlive > 0 && k < s->nstreams; k++) {
		size_t in = s->of[k];

		fresh[k] = calloc(1, sizeof(*fresh[k]) +
		    s->nlive * sizeof(fresh[k]->e[0]));
		if (fresh[k] == NULL)
			goto oom;
		fresh[k]->n = s->nlive;
		for (size_t i = 0; i < s->nlive; i++) {
			struct sess *x = s->live[i];

			fresh[k]->e[i] = (struct session_entry){
				.prog = x->compiled[in] ? &x->progs[in] : NULL,
				.linktype = x->lts[in],
				.c = &s->counts[k * SLOTS + x->slot],
			};
		}
	}
	for (size_t k = 0; k < s->nstreams; k++)
		r->tabs[k] = (struct session_tab *)atomic_exchange(
		    &s->streams[k]->sessions, fresh[k]);
	/* the other half of the handshake (DESIGN) */
	atomic_thread_fence(memory_order_seq_cst);
	for (size_t k = 0; k < s->nstreams; k++)
		r->epochs[k] = atomic_load(&s->streams[k]->epoch);
	r->gone = gone;
	r->next = s->retired;
	s->retired = r;
	free(fresh);
	return 0;
oom:
	for (size_t k = 0; fresh != NULL && k < s->nstreams; k++)
		free(fresh[k]);
	free(fresh);
	if (r != NULL) {
		free(r->epochs);
		free(r->tabs);
	}
	free(r);
	return -1;
}

static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SESSION_NAME_MAX)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-'))
			return false;
	return true;
}

static struct sess **
find(struct sessions *s, const char *name)
{
	for (size_t i = 0; i < s->nlive; i++)
		if (strcmp(s->live[i]->name, name) == 0)
			return &s->live[i];
	return NULL;
}

/* The link type session programs are compiled for: the input's, else
 * its first interface's, else Ethernet (counted only if it is). */
static int
input_lt(const struct input *in)
{
	const struct input_iface *const *tab;

	if (in->linktype >= 0)
		return in->linktype;
	if (input_ifaces(in, &tab) > 0 && tab[0]->linktype >= 0)
		return tab[0]->linktype;
	return INPUT_LT_EN10MB;
}

/* A session named name counting bpf from now, in a free slot (not yet
 * live).  NULL with err. */
static struct sess *
sess_make(struct sessions *s, const char *name, const char *bpf, char *err,
    size_t errlen)
{
	struct sess *x = calloc(1, sizeof(*x));
	size_t slot;

	for (slot = 0; slot < SLOTS && s->slot_used[slot]; slot++)
		;
	if (slot == SLOTS) {
		log_seterr(err, errlen, "too many session changes still "
		    "in use by the readers; try again");
		free(x);
		return NULL;
	}
	if (x == NULL || (x->filter = strdup(bpf)) == NULL ||
	    (x->progs = calloc(s->n + 1, sizeof(*x->progs))) == NULL ||
	    (x->compiled = calloc(s->n + 1, sizeof(*x->compiled))) == NULL ||
	    (x->lts = calloc(s->n + 1, sizeof(*x->lts))) == NULL ||
	    (x->base_p = calloc(2 * s->nstreams + 1,
	    sizeof(*x->base_p))) == NULL) {
		log_seterr(err, errlen, "out of memory");
		sess_free(s, x);
		return NULL;
	}
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->base_b = x->base_p + s->nstreams;
	x->slot = slot;
	for (size_t i = 0; i < s->n; i++) {
		int lt = input_lt(s->inputs[i]);
		pcap_t *dead = pcap_open_dead(input_libpcap_dlt(lt),
		    (int)OPTIONS_SNAPLEN_MAX);

		x->lts[i] = lt;
		if (dead == NULL) {
			log_seterr(err, errlen, "out of memory");
			sess_free(s, x);
			return NULL;
		}
		if (pcap_compile(dead, &x->progs[i], bpf, 1,
		    PCAP_NETMASK_UNKNOWN) != 0) {
			log_seterr(err, errlen, "filter '%s' does not compile "
			    "for input '%s': %s", bpf, input_uri(s->inputs[i]),
			    pcap_geterr(dead));
			pcap_close(dead);
			sess_free(s, x);
			return NULL;
		}
		pcap_close(dead);
		x->compiled[i] = true;
	}
	/* from now: what the slot's counters read (never reset) */
	for (size_t k = 0; k < s->nstreams; k++) {
		x->base_p[k] = load(&s->counts[k * SLOTS + slot].packets);
		x->base_b[k] = load(&s->counts[k * SLOTS + slot].bytes);
	}
	x->started_ns = realtime_ns();
	s->slot_used[slot] = true;
	return x;
}

/* Undo sess_make() for a session that could not be published. */
static void
sess_unmake(struct sessions *s, struct sess *x, char *err, size_t errlen)
{
	s->slot_used[x->slot] = false;
	sess_free(s, x);
	log_seterr(err, errlen, "out of memory");
}

int
sessions_new(struct sessions *s, const char *name, const char *bpf,
    char *err, size_t errlen)
{
	struct sess *x;
	int rc = -1;

	if (!name_ok(name)) {
		log_seterr(err, errlen, "bad session name '%s': 1 to %d of "
		    "A-Z a-z 0-9 _ . -", name, SESSION_NAME_MAX);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	reclaim(s, false);
	if (find(s, name) != NULL) {
		log_seterr(err, errlen, "session '%s' exists", name);
	} else if (s->nlive == SESSIONS_MAX) {
		log_seterr(err, errlen, "too many sessions (%d)",
		    SESSIONS_MAX);
	} else if ((x = sess_make(s, name, bpf, err, errlen)) != NULL) {
		s->live[s->nlive++] = x;
		if ((rc = publish(s, NULL)) != 0) {
			s->live[--s->nlive] = NULL;
			sess_unmake(s, x, err, errlen);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
sessions_modify(struct sessions *s, const char *name, const char *bpf,
    char *err, size_t errlen)
{
	struct sess **pp, *x, *old;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	reclaim(s, false);
	if ((pp = find(s, name)) == NULL) {
		log_seterr(err, errlen, "no session '%s'", name);
	} else if ((x = sess_make(s, name, bpf, err, errlen)) != NULL) {
		old = *pp;
		*pp = x;
		if ((rc = publish(s, old)) != 0) {
			*pp = old;
			sess_unmake(s, x, err, errlen);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
sessions_stop(struct sessions *s, const char *name, char *err,
    size_t errlen)
{
	struct sess **pp, *old;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	reclaim(s, false);
	if ((pp = find(s, name)) == NULL) {
		log_seterr(err, errlen, "no session '%s'", name);
	} else {
		size_t i = (size_t)(pp - s->live);

		old = *pp;
		memmove(&s->live[i], &s->live[i + 1],
		    (s->nlive - i - 1) * sizeof(s->live[0]));
		s->live[--s->nlive] = NULL;
		if (publish(s, old) == 0) {
			rc = 0;
		} else {
			memmove(&s->live[i + 1], &s->live[i],
			    (s->nlive - i) * sizeof(s->live[0]));
			s->live[i] = old;
			s->nlive++;
			log_seterr(err, errlen, "out of memory");
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* x's figures into *f; under lock.  0, or -1 when out of memory. */
static int
figures(struct sessions *s, const struct sess *x, struct session_figures *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", x->name);
	f->started_ns = x->started_ns;
	f->ninputs = s->n;
	if ((f->filter = strdup(x->filter)) == NULL ||
	    (f->packets = calloc(2 * s->n + 1, sizeof(*f->packets))) ==
	    NULL) {
		free(f->filter);
		f->filter = NULL;
		return -1;
	}
	f->bytes = f->packets + s->n;
	for (size_t k = 0; k < s->nstreams; k++) {
		const struct slot_count *c = &s->counts[k * SLOTS + x->slot];
		uint64_t p = load(&c->packets) - x->base_p[k];
		uint64_t b = load(&c->bytes) - x->base_b[k];

		f->packets[s->of[k]] += p;
		f->bytes[s->of[k]] += b;
		f->total_packets += p;
		f->total_bytes += b;
	}
	return 0;
}

/* show (d_packets NULL) or poll. */
static int
look(struct sessions *s, const char *name, struct session_figures *out,
    uint64_t *d_packets, uint64_t *d_bytes, char *err, size_t errlen)
{
	struct sess **pp;
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	reclaim(s, false);
	if ((pp = find(s, name)) == NULL) {
		log_seterr(err, errlen, "no session '%s'", name);
	} else if (figures(s, *pp, out) != 0) {
		log_seterr(err, errlen, "out of memory");
	} else {
		if (d_packets != NULL) {
			*d_packets = out->total_packets - (*pp)->polled_p;
			*d_bytes = out->total_bytes - (*pp)->polled_b;
			(*pp)->polled_p = out->total_packets;
			(*pp)->polled_b = out->total_bytes;
		}
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
sessions_show(struct sessions *s, const char *name,
    struct session_figures *out, char *err, size_t errlen)
{
	return look(s, name, out, NULL, NULL, err, errlen);
}

int
sessions_poll(struct sessions *s, const char *name,
    struct session_figures *now, uint64_t *d_packets, uint64_t *d_bytes,
    char *err, size_t errlen)
{
	return look(s, name, now, d_packets, d_bytes, err, errlen);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct session_figures *)a)->name,
	    ((const struct session_figures *)b)->name);
}

size_t
sessions_each(struct sessions *s, struct session_figures **out)
{
	size_t n = 0;

	*out = NULL;
	pthread_mutex_lock(&s->lock);
	reclaim(s, false);
	if (s->nlive > 0 && (*out = calloc(s->nlive, sizeof(**out))) != NULL) {
		for (n = 0; n < s->nlive; n++) {
			if (figures(s, s->live[n], &(*out)[n]) != 0) {
				sessions_figures_free(*out, n);
				free(*out);
				*out = NULL;
				n = 0;
				break;
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (n > 1)
		qsort(*out, n, sizeof(**out), by_name);
	return n;
}

void
sessions_figures_free(struct session_figures *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++) {
		free(f[i].filter);
		free(f[i].packets);
		f[i].filter = NULL;
		f[i].packets = f[i].bytes = NULL;
	}
}
