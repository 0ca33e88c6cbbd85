/*
 * output_async.c - the write-behind thread of one output (see
 * output_async.h).
 *
 * A mutex and two condition variables: the owner posts a write and
 * later waits for it; the thread sleeps between writes.  One write of
 * a whole buffer (a MiB) per post, so the hand-off costs nothing next
 * to the write.  The thread touches the sink and the buffer in flight
 * only while a write is posted, and the owner only once it has waited:
 * never both at once.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_async.h"

struct output_async {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 posted;	/* a write or the end was posted */
	pthread_cond_t	 done;		/* the write in flight is done */
	struct sink	*sink;
	bool		 busy;		/* a write is posted, not done */
	bool		 waited;	/* nothing in flight nor unsettled */
	bool		 quit;
	/* the buffer in flight, or the spare one, and its packets */
	unsigned char	*buf;
	size_t		 len;
	uint64_t	 packets;
	uint64_t	*by;		/* per input, or NULL */
	size_t		 ninputs;
	int		 rc;		/* of the write in flight */
	char		 err[512 + 4096];
};

static void *
output_async_thread(void *arg)
{
	struct output_async *a = arg;
	int rc;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->busy && !a->quit)
			pthread_cond_wait(&a->posted, &a->mu);
		if (!a->busy)
			break;
		pthread_mutex_unlock(&a->mu);
		rc = a->sink->ops->write(a->sink, a->buf, a->len, a->err,
		    sizeof(a->err));
		pthread_mutex_lock(&a->mu);
		a->rc = rc;
		a->busy = false;
		pthread_cond_signal(&a->done);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void
async_free(struct output_async *a)
{
	free(a->buf);
	free(a->by);
	free(a);
}

struct output_async *
output_async_start(struct sink *s, size_t bufsize, size_t ninputs)
{
	struct output_async *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->sink = s;
	a->waited = true;
	a->ninputs = ninputs;
	if ((a->buf = malloc(bufsize)) == NULL || (ninputs > 0 &&
	    (a->by = calloc(ninputs, sizeof(*a->by))) == NULL))
		goto fail;
	if (pthread_mutex_init(&a->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&a->posted, NULL) != 0)
		goto fail_posted;
	if (pthread_cond_init(&a->done, NULL) != 0)
		goto fail_done;
	if (pthread_create(&a->thread, NULL, output_async_thread, a) != 0)
		goto fail_thread;
	(void)pthread_setname_np(a->thread, "mtc-behind");
	return a;
fail_thread:
	pthread_cond_destroy(&a->done);
fail_done:
	pthread_cond_destroy(&a->posted);
fail_posted:
	pthread_mutex_destroy(&a->mu);
fail:
	async_free(a);
	return NULL;
}

void
output_async_post(struct output_async *a, unsigned char **buf, size_t len,
    uint64_t packets, uint64_t **by)
{
	unsigned char *b = a->buf;
	uint64_t *c = a->by;

	pthread_mutex_lock(&a->mu);
	a->buf = *buf;
	a->len = len;
	a->packets = packets;
	if (by != NULL && a->by != NULL) {
		a->by = *by;
		*by = c;
	}
	*buf = b;
	a->busy = true;
	a->waited = false;
	pthread_cond_signal(&a->posted);
	pthread_mutex_unlock(&a->mu);
}

int
output_async_wait(struct output_async *a, uint64_t *kept, uint64_t *bytes,
    uint64_t *packets, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	while (a->busy)
		pthread_cond_wait(&a->done, &a->mu);
	pthread_mutex_unlock(&a->mu);
	if (a->waited)
		return 1;
	a->waited = true;
	rc = a->rc;
	*bytes = rc == 0 ? a->len : 0;
	*packets = a->packets;
	for (size_t i = 0; a->by != NULL && i < a->ninputs; i++) {
		if (rc == 0 && kept != NULL)
			kept[i] += a->by[i];
		a->by[i] = 0;
	}
	if (rc != 0 && errlen > 0)
		snprintf(err, errlen, "%s", a->err);
	return rc != 0 ? -1 : 0;
}

void
output_async_end(struct output_async *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	while (a->busy)
		pthread_cond_wait(&a->done, &a->mu);
	a->quit = true;
	pthread_cond_signal(&a->posted);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->done);
	pthread_cond_destroy(&a->posted);
	pthread_mutex_destroy(&a->mu);
	async_free(a);
}
