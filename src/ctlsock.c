/*
 * ctlsock.c - the control socket: its file, who may connect, and each
 * client's lines in and answers out, all on the control thread.
 *
 * DESIGN
 * - The socket file: ctlsock_file.c (no link ever followed; a dead
 *   run's socket replaced, a live one's refused; removed at exit).
 * - Who gets in (SO_PEERCRED at accept): root, our own effective uid, the
 *   --relinquish-privileges user, and members of --control-group: the
 *   peer's gid or one of its supplementary groups as SO_PEERGROUPS gives
 *   them, i.e. as they were when it called connect() (no race with a
 *   later setgroups, no NSS lookup on this thread).  Anyone else gets
 *   "error: permission denied" and is closed; the first refusal of each
 *   uid is logged (the last REFUSED_MEMO of them remembered).
 * - One epoll of our own, inside one descriptor of the control loop: the
 *   listening socket, a timerfd armed for the nearest deadline (idle
 *   clients, watches, clients being closed) and each client.  Everything
 *   is non-blocking: a request is parsed and answered at once into the
 *   client's bounded output buffer, which is sent as the peer reads; a
 *   client whose buffer would overflow is dropped.  Nothing here ever
 *   waits, so capture never waits for a client.
 * - Bounds: CLIENTS_MAX clients (one more is told so and closed), lines
 *   of CTLPROTO_LINE_MAX bytes (a longer one: an error, then closed), no
 *   complete line for IDLE_NS (watching clients excepted): closed.  A
 *   line without its newline at EOF is no request.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "ctlcmd.h"
#include "ctlproto.h"
#include "ctlsock.h"
#include "ctlsock_file.h"
#include "log.h"
#include "privs.h"

#define CLIENTS_MAX	16
#define OUT_MAX		(128u * 1024)	/* answers queued per client */
#define ANSWER_MAX	(64u * 1024)	/* one answer */
#define IDLE_NS		(60ull * CLOCK_NS_PER_S)
#define CLOSING_NS	(5ull * CLOCK_NS_PER_S)	/* to flush a last error */
#define PAUSE_NS	CLOCK_NS_PER_S	/* no accept after EMFILE */
#define ACCEPTS_PER_TURN 64
#define REFUSED_MEMO	32
#define TAG_LISTEN	UINT32_MAX
#define TAG_TIMER	(UINT32_MAX - 1)

struct client {
	int		 fd;		/* -1: free slot */
	uid_t		 uid;
	pid_t		 pid;
	bool		 closing;	/* flush, then close */
	bool		 shut;		/* closing: all sent, SHUT_WR done */
	uint32_t	 events;	/* as registered */
	uint64_t	 deadline;	/* idle or closing */
	char		 in[CTLPROTO_LINE_MAX];
	size_t		 inlen;
	char		*out;		/* OUT_MAX bytes */
	size_t		 outlen;
	struct ctlcmd_watch watch;
	uint64_t	 watch_next;
};

struct ctlsock {
	struct ctlsock_file file;
	int		 epfd, lfd, tfd;
	uint64_t	 paused_until;	/* accept again then */
	uid_t		 run_uid;
	bool		 has_run_uid;
	gid_t		 gid;
	bool		 has_group;
	char		 group[64];
	uid_t		 refused[REFUSED_MEMO];
	size_t		 nrefused;
	bool		 full_logged;
	struct ctlcmd	 cmd;
	struct client	 cl[CLIENTS_MAX];
	char		 answer[ANSWER_MAX];
};

static void
set_events(struct ctlsock *cs, struct client *c)
{
	uint32_t ev = EPOLLIN | (c->outlen > 0 ? EPOLLOUT : 0);
	struct epoll_event e = { .events = ev,
	    .data.u32 = (uint32_t)(c - cs->cl) };

	if (ev != c->events && epoll_ctl(cs->epfd, EPOLL_CTL_MOD, c->fd,
	    &e) == 0)
		c->events = ev;
}

static void
drop(struct ctlsock *cs, struct client *c)
{
	(void)cs;
	(void)close(c->fd);	/* leaves the epoll set with it */
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->watch.on = false;
}

/* Send what is queued; 0, or -1 when the client is gone (dropped). */
static int
flush_out(struct ctlsock *cs, struct client *c)
{
	while (c->outlen > 0) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL |
		    MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			drop(cs, c);
			return -1;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->closing && c->outlen == 0 && !c->shut) {
		/* a lingering close: the peer reads the last line, then EOF;
		 * closing with its bytes unread would reset the connection
		 * (and could lose that line) */
		(void)shutdown(c->fd, SHUT_WR);
		c->shut = true;
	}
	set_events(cs, c);
	return 0;
}

/* Queue the answer built in cs->answer; a client that lets its queue
 * fill is dropped.  0, or -1 (dropped). */
static int
queue_answer(struct ctlsock *cs, struct client *c, size_t len)
{
	if (len > OUT_MAX - c->outlen) {
		log_warn("control socket: dropping a client (uid %u, pid %d) "
		    "that does not read its answers", (unsigned)c->uid,
		    (int)c->pid);
		drop(cs, c);
		return -1;
	}
	memcpy(c->out + c->outlen, cs->answer, len);
	c->outlen += len;
	return flush_out(cs, c);
}

/* One request line.  0, or -1 (the client was dropped). */
static int
take_line(struct ctlsock *cs, struct client *c, const char *line,
    size_t len)
{
	struct ctlproto_out o;
	struct ctlproto_req req;
	char err[512];

	c->watch.on = false;	/* a new request ends a watch */
	c->deadline = mono_ns() + IDLE_NS;
	ctlproto_out_init(&o, cs->answer, sizeof(cs->answer));
	if (ctlproto_parse(line, len, &req, err, sizeof(err)) != 0)
		ctlproto_end_error(&o, "%s", err);
	else
		ctlcmd_run(&cs->cmd, &req, &o, &c->watch);
	if (c->watch.on)
		c->watch_next = mono_ns() + c->watch.period_ns;
	return queue_answer(cs, c, o.len);
}

/* The last answer (an error), then close once it is sent. */
static void
close_with(struct ctlsock *cs, struct client *c, const char *msg)
{
	struct ctlproto_out o;

	ctlproto_out_init(&o, cs->answer, sizeof(cs->answer));
	ctlproto_end_error(&o, "%s", msg);
	c->closing = true;
	c->watch.on = false;
	c->deadline = mono_ns() + CLOSING_NS;
	(void)queue_answer(cs, c, o.len);
}

/* Closing: what the peer still sends is read and thrown away, until
 * its EOF or the deadline. */
static void
discard(struct ctlsock *cs, struct client *c)
{
	for (int turn = 0; turn < 16; turn++) {
		ssize_t n = recv(c->fd, c->in, sizeof(c->in), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (n <= 0) {
			drop(cs, c);
			return;
		}
	}
}

static void
on_readable(struct ctlsock *cs, struct client *c)
{
	if (c->closing) {
		discard(cs, c);
		return;
	}
	for (int turn = 0; turn < 16 && c->fd >= 0 && !c->closing; turn++) {
		ssize_t n = recv(c->fd, c->in + c->inlen,
		    sizeof(c->in) - c->inlen, MSG_DONTWAIT);
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {	/* EOF: a line without newline is dropped */
			drop(cs, c);
			return;
		}
		c->inlen += (size_t)n;
		while ((nl = memchr(c->in + start, '\n',
		    c->inlen - start)) != NULL) {
			if (take_line(cs, c, c->in + start,
			    (size_t)(nl - (c->in + start))) != 0)
				return;
			start = (size_t)(nl - c->in) + 1;
		}
		memmove(c->in, c->in + start, c->inlen - start);
		c->inlen -= start;
		if (c->inlen == sizeof(c->in)) {
			char msg[64];

			snprintf(msg, sizeof(msg), "request longer than %d "
			    "bytes", CTLPROTO_LINE_MAX - 1);
			close_with(cs, c, msg);
		}
	}
}

/* Is peer uid/gid (and its groups) let in? */
static bool
allowed(const struct ctlsock *cs, int fd, const struct ucred *cr)
{
	gid_t small[256], *groups = small;
	socklen_t len = sizeof(small);
	bool ok = false;

	if (cr->uid == 0 || cr->uid == geteuid() ||
	    (cs->has_run_uid && cr->uid == cs->run_uid))
		return true;
	if (!cs->has_group)
		return false;
	if (cr->gid == cs->gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
		if (errno != ERANGE || (groups = malloc(len)) == NULL ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) != 0) {
			if (groups != small)
				free(groups);
			return false;
		}
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !ok; i++)
		ok = groups[i] == cs->gid;
	if (groups != small)
		free(groups);
	return ok;
}

static void
log_refusal(struct ctlsock *cs, const struct ucred *cr)
{
	for (size_t i = 0; i < cs->nrefused && i < REFUSED_MEMO; i++)
		if (cs->refused[i] == cr->uid)
			return;
	cs->refused[cs->nrefused++ % REFUSED_MEMO] = cr->uid;
	log_warn("control socket '%s': refused uid %u (pid %d): not root, "
	    "the user mtracecap runs as%s%s", cs->file.path, (unsigned)cr->uid,
	    (int)cr->pid, cs->has_group ? " or a member of group " : "",
	    cs->has_group ? cs->group : "");
}

/*
 * A one-line answer on a connection we do not keep; best effort.  What
 * the peer sent already is read first: a close with it unread would reset
 * the connection, and the peer might not see the line.
 */
static void
refuse(int fd, const char *line)
{
	char sink[CTLPROTO_LINE_MAX];

	(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
	for (int i = 0; i < 8 && recv(fd, sink, sizeof(sink),
	    MSG_DONTWAIT) > 0; i++)
		;
	(void)close(fd);
}

static void
admit(struct ctlsock *cs, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct client *c = NULL;
	struct epoll_event e = { .events = EPOLLIN };

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    !allowed(cs, fd, &cr)) {
		if (len == sizeof(cr))
			log_refusal(cs, &cr);
		refuse(fd, "error: permission denied\n");
		return;
	}
	for (size_t i = 0; i < CLIENTS_MAX && c == NULL; i++)
		if (cs->cl[i].fd < 0)
			c = &cs->cl[i];
	if (c == NULL) {
		if (!cs->full_logged)
			log_warn("control socket: %d clients already; refusing "
			    "more", CLIENTS_MAX);
		cs->full_logged = true;
		refuse(fd, "error: too many clients (16)\n");
		return;
	}
	cs->full_logged = false;
	*c = (struct client){ .fd = fd, .uid = cr.uid, .pid = cr.pid,
	    .events = EPOLLIN, .deadline = mono_ns() + IDLE_NS };
	e.data.u32 = (uint32_t)(c - cs->cl);
	if ((c->out = malloc(OUT_MAX)) == NULL ||
	    epoll_ctl(cs->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
		drop(cs, c);
		return;
	}
}

static void
on_listen(struct ctlsock *cs)
{
	for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
		int fd = accept4(cs->lfd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(cs, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
		    errno == ENOBUFS) {
			struct epoll_event e = { .events = 0,
			    .data.u32 = TAG_LISTEN };

			log_warn("control socket: accept: %s; not accepting "
			    "for a second", strerror(errno));
			(void)epoll_ctl(cs->epfd, EPOLL_CTL_MOD, cs->lfd, &e);
			cs->paused_until = mono_ns() + PAUSE_NS;
		}
		return;
	}
}

/* Deadlines that passed: idle and closing clients, watches, a pause. */
static void
on_time(struct ctlsock *cs, uint64_t now)
{
	if (cs->paused_until != 0 && now >= cs->paused_until) {
		struct epoll_event e = { .events = EPOLLIN,
		    .data.u32 = TAG_LISTEN };

		cs->paused_until = 0;
		(void)epoll_ctl(cs->epfd, EPOLL_CTL_MOD, cs->lfd, &e);
	}
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &cs->cl[i];

		if (c->fd < 0)
			continue;
		if (c->watch.on && now >= c->watch_next) {
			struct ctlproto_out o;

			/* a late turn does not bunch the next blocks */
			c->watch_next += c->watch.period_ns;
			if (c->watch_next <= now)
				c->watch_next = now + c->watch.period_ns;
			ctlproto_out_init(&o, cs->answer, sizeof(cs->answer));
			ctlcmd_watch_block(&cs->cmd, &c->watch, &o);
			c->deadline = now + IDLE_NS;
			if (queue_answer(cs, c, o.len) != 0)
				continue;
		}
		if (now < c->deadline || c->watch.on)
			continue;
		if (c->closing)
			drop(cs, c);
		else
			close_with(cs, c, "idle for 60 s: closing");
	}
}

/* Arm the timer for the nearest deadline (or disarm it). */
static void
arm(struct ctlsock *cs)
{
	uint64_t next = cs->paused_until;
	struct itimerspec at = { .it_value = { 0, 0 } };

	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		const struct client *c = &cs->cl[i];
		uint64_t d;

		if (c->fd < 0)
			continue;
		d = c->watch.on ? c->watch_next : c->deadline;
		if (next == 0 || d < next)
			next = d;
	}
	if (next != 0)
		at.it_value = clock_span(next);
	(void)timerfd_settime(cs->tfd, TFD_TIMER_ABSTIME, &at, NULL);
}

static void
on_ready(struct control *ctl, int fd, uint32_t events, void *arg)
{
	struct ctlsock *cs = arg;
	struct epoll_event ev[CLIENTS_MAX + 2];
	int n = epoll_wait(fd, ev, CLIENTS_MAX + 2, 0);

	(void)ctl;
	(void)events;
	for (int i = 0; i < n; i++) {
		uint32_t tag = ev[i].data.u32;
		struct client *c;

		if (tag == TAG_LISTEN) {
			on_listen(cs);
			continue;
		}
		if (tag == TAG_TIMER) {
			uint64_t ticks;

			(void)read(cs->tfd, &ticks, sizeof(ticks));
			continue;
		}
		c = &cs->cl[tag];
		if (c->fd < 0)
			continue;	/* dropped earlier in this turn */
		if ((ev[i].events & EPOLLOUT) && flush_out(cs, c) != 0)
			continue;
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			on_readable(cs, c);
	}
	on_time(cs, mono_ns());
	arm(cs);
}

/* --control-group and --relinquish-privileges: who owns the socket. */
static int
owners(struct ctlsock *cs, const struct ctlsock_setup *setup, uid_t *uid,
    gid_t *gid, char *err, size_t errlen)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (setup->run_user != NULL) {
		struct privs_user u = { 0 };

		if (privs_lookup(setup->run_user, &u, err, errlen) != 0)
			return -1;
		cs->run_uid = *uid = u.uid;
		cs->has_run_uid = true;
		*gid = u.gid;
		privs_user_free(&u);
	}
	if (setup->group != NULL) {
		struct group gr, *res = NULL;
		char buf[16384];
		int rc = getgrnam_r(setup->group, &gr, buf, sizeof(buf), &res);

		if (rc != 0 || res == NULL) {
			log_seterr(err, errlen, "--control-group '%s': %s",
			    setup->group, rc != 0 ? strerror(rc) :
			    "no such group");
			return -1;
		}
		cs->gid = *gid = gr.gr_gid;
		cs->has_group = true;
		snprintf(cs->group, sizeof(cs->group), "%s", setup->group);
	}
	return 0;
}

struct ctlsock *
ctlsock_open(struct control *ctl, const struct ctlsock_setup *setup,
    char *err, size_t errlen)
{
	struct ctlsock *cs = calloc(1, sizeof(*cs));
	struct epoll_event e = { .events = EPOLLIN };
	uid_t uid;
	gid_t gid;

	if (cs == NULL) {
		log_seterr(err, errlen, "out of memory");
		return NULL;
	}
	cs->epfd = cs->lfd = cs->tfd = -1;
	for (size_t i = 0; i < CLIENTS_MAX; i++)
		cs->cl[i].fd = -1;
	ctlcmd_init(&cs->cmd, ctl);
	if (owners(cs, setup, &uid, &gid, err, errlen) != 0 ||
	    (cs->lfd = ctlsock_file_listen(&cs->file, setup->path, uid, gid,
	    err, errlen)) < 0)
		goto fail;
	if ((cs->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (cs->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) < 0) {
		log_seterr(err, errlen, "control socket: %s", strerror(errno));
		goto fail;
	}
	e.data.u32 = TAG_LISTEN;
	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, cs->lfd, &e) != 0)
		goto fail_epoll;
	e.data.u32 = TAG_TIMER;
	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, cs->tfd, &e) != 0)
		goto fail_epoll;
	if (control_add_fd(ctl, cs->epfd, EPOLLIN, on_ready, cs, err,
	    errlen) != 0)
		goto fail;
	log_info("control socket '%s': listening", cs->file.path);
	return cs;
fail_epoll:
	log_seterr(err, errlen, "control socket: epoll_ctl: %s",
	    strerror(errno));
fail:
	ctlsock_close(cs);
	return NULL;
}

void
ctlsock_ready(struct ctlsock *cs, struct stats *stats,
    struct sessions *sessions)
{
	if (cs != NULL)
		ctlcmd_ready(&cs->cmd, stats, sessions);
}

void
ctlsock_check_removable(const struct ctlsock *cs)
{
	if (cs != NULL)
		ctlsock_file_check_removable(&cs->file);
}

void
ctlsock_close(struct ctlsock *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < CLIENTS_MAX; i++)
		if (cs->cl[i].fd >= 0)
			drop(cs, &cs->cl[i]);
	ctlsock_file_remove(&cs->file);
	if (cs->lfd >= 0)
		(void)close(cs->lfd);
	if (cs->tfd >= 0)
		(void)close(cs->tfd);
	if (cs->epfd >= 0)
		(void)close(cs->epfd);
	free(cs);
}
