/* qmp.c: asynchronous QMP client. */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "xen-common.h"
#include "qmp.h"

#define QMP_MAX_LINE (16 * 1024 * 1024)

struct qmp_pending {
	unsigned long			 id;
	char				*cmd;	/* queued only */
	json_t				*args;	/* queued only */
	qmp_reply_cb			 cb;
	void				*arg;
	TAILQ_ENTRY(qmp_pending)	 entry;
};
TAILQ_HEAD(qmp_pending_list, qmp_pending);

struct qmp {
	struct bufferevent	*bev;
	int			 up;		/* capabilities done */
	int			 greeted;
	int			 closed;
	unsigned long		 next_id;
	struct qmp_pending_list	 pending;	/* sent, awaiting reply */
	struct qmp_pending_list	 queued;	/* asked for before up */
	qmp_event_cb		 event_cb;
	qmp_state_cb		 state_cb;
	void			*arg;
};

static void	qmp_read_cb(struct bufferevent *, void *);
static void	qmp_error_cb(struct bufferevent *, short, void *);

enum qmp_msg_type
qmp_classify(const json_t *msg)
{
	if (!json_is_object(msg))
		return (QMP_MSG_INVALID);
	if (json_is_object(json_object_get(msg, "QMP")))
		return (QMP_MSG_GREETING);
	if (json_object_get(msg, "return") != NULL)
		return (QMP_MSG_RETURN);
	if (json_is_object(json_object_get(msg, "error")))
		return (QMP_MSG_ERROR);
	if (json_is_string(json_object_get(msg, "event")))
		return (QMP_MSG_EVENT);
	return (QMP_MSG_INVALID);
}

struct qmp *
qmp_new(struct event_base *base, int fd, qmp_event_cb ecb, qmp_state_cb scb,
    void *arg)
{
	struct qmp	*q = xcalloc(1, sizeof *q);

	fd_set_nonblock(fd);
	q->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (q->bev == NULL)
		fatalx("bufferevent_socket_new failed");
	TAILQ_INIT(&q->pending);
	TAILQ_INIT(&q->queued);
	q->next_id = 1;
	q->event_cb = ecb;
	q->state_cb = scb;
	q->arg = arg;
	bufferevent_setcb(q->bev, qmp_read_cb, NULL, qmp_error_cb, q);
	bufferevent_enable(q->bev, EV_READ | EV_WRITE);
	return (q);
}

void
qmp_free(struct qmp *q)
{
	struct qmp_pending	*p;

	if (q == NULL)
		return;
	while ((p = TAILQ_FIRST(&q->pending)) != NULL) {
		TAILQ_REMOVE(&q->pending, p, entry);
		free(p);
	}
	while ((p = TAILQ_FIRST(&q->queued)) != NULL) {
		TAILQ_REMOVE(&q->queued, p, entry);
		free(p->cmd);
		json_decref(p->args);
		free(p);
	}
	bufferevent_free(q->bev);
	free(q);
}

int
qmp_is_up(const struct qmp *q)
{
	return (q != NULL && q->up && !q->closed);
}

/* The text of a command line (without CRLF); caller frees. */
static char *
qmp_format(struct qmp *q, const char *cmd, json_t *args, qmp_reply_cb cb,
    void *arg)
{
	struct qmp_pending	*p;
	json_t			*msg;
	char			*text;

	p = xcalloc(1, sizeof *p);
	p->id = q->next_id++;
	p->cb = cb;
	p->arg = arg;
	TAILQ_INSERT_TAIL(&q->pending, p, entry);

	msg = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)p->id);
	if (args != NULL)
		json_object_set_new(msg, "arguments", args);
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		fatalx("json_dumps failed");
	log_debug("qmp -> %s", text);
	return (text);
}

static void
qmp_send(struct qmp *q, const char *cmd, json_t *args, qmp_reply_cb cb,
    void *arg)
{
	char	*text = qmp_format(q, cmd, args, cb, arg);

	bufferevent_write(q->bev, text, strlen(text));
	bufferevent_write(q->bev, "\r\n", 2);
	free(text);
}

/* Writes all of buf to the socket now, waiting up to a second per wait. */
static int
qmp_write_now(int s, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct pollfd	 pfd = { s, POLLOUT, 0 };
	ssize_t		 n;
	size_t		 off = 0;

	while (off < len) {
		memset(&msg, 0, sizeof msg);
		iov.iov_base = (char *)buf + off;
		iov.iov_len = len - off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (fd != -1) {
			memset(&cm, 0, sizeof cm);
			msg.msg_control = cm.buf;
			msg.msg_controllen = sizeof cm.buf;
			CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &fd, sizeof fd);
		}
		n = sendmsg(s, &msg, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (poll(&pfd, 1, 1000) <= 0)
				return (-1);
			continue;
		}
		if (n <= 0)
			return (-1);
		off += n;
		fd = -1;	/* sent with the first bytes */
	}
	return (0);
}

void
qmp_command_fd(struct qmp *q, const char *cmd, json_t *args, int fd,
    qmp_reply_cb cb, void *arg)
{
	struct evbuffer		*out;
	struct qmp_pending	*p;
	char			*text, *line;
	int			 s;

	if (!qmp_is_up(q)) {
		json_decref(args);
		if (cb != NULL)
			cb(q, NULL, "disconnected", arg);
		return;
	}
	/*
	 * The fd must travel with this command's bytes, so what the
	 * bufferevent still holds goes first, written here and now.
	 */
	s = bufferevent_getfd(q->bev);
	out = bufferevent_get_output(q->bev);
	if (evbuffer_get_length(out) > 0 && qmp_write_now(s,
	    evbuffer_pullup(out, -1), evbuffer_get_length(out), -1) == 0) {
		/* A socket bufferevent keeps its output's front frozen. */
		evbuffer_unfreeze(out, 1);
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_freeze(out, 1);
	}
	text = qmp_format(q, cmd, args, cb, arg);
	xasprintf(&line, "%s\r\n", text);
	free(text);
	if (evbuffer_get_length(out) > 0 ||
	    qmp_write_now(s, line, strlen(line), fd) != 0) {
		log_warn("qmp: %s: cannot write with its fd", cmd);
		p = TAILQ_LAST(&q->pending, qmp_pending_list);
		TAILQ_REMOVE(&q->pending, p, entry);
		free(p);
		if (cb != NULL)
			cb(q, NULL, "cannot write to the qmp socket", arg);
	}
	free(line);
}

void
qmp_command(struct qmp *q, const char *cmd, json_t *args, qmp_reply_cb cb,
    void *arg)
{
	struct qmp_pending	*p;

	if (q->closed) {
		json_decref(args);
		if (cb != NULL)
			cb(q, NULL, "disconnected", arg);
		return;
	}
	if (!q->up) {
		p = xcalloc(1, sizeof *p);
		p->cmd = xstrdup(cmd);
		p->args = args;
		p->cb = cb;
		p->arg = arg;
		TAILQ_INSERT_TAIL(&q->queued, p, entry);
		return;
	}
	qmp_send(q, cmd, args, cb, arg);
}

static void
qmp_flush_queue(struct qmp *q)
{
	struct qmp_pending	*p;

	while ((p = TAILQ_FIRST(&q->queued)) != NULL) {
		TAILQ_REMOVE(&q->queued, p, entry);
		qmp_send(q, p->cmd, p->args, p->cb, p->arg);
		free(p->cmd);
		free(p);
	}
}

static void
qmp_caps_done(struct qmp *q, json_t *result, const char *error, void *arg)
{
	if (error != NULL) {
		log_warn("qmp_capabilities failed: %s", error);
		return;
	}
	q->up = 1;
	qmp_flush_queue(q);
	if (q->state_cb != NULL)
		q->state_cb(q, 1, q->arg);
}

static void
qmp_handle(struct qmp *q, json_t *msg)
{
	struct qmp_pending	*p;
	json_t			*idj, *err;
	const char		*desc;
	unsigned long		 id;

	switch (qmp_classify(msg)) {
	case QMP_MSG_GREETING:
		if (!q->greeted) {
			q->greeted = 1;
			qmp_send(q, "qmp_capabilities", NULL, qmp_caps_done,
			    NULL);
		}
		return;
	case QMP_MSG_EVENT:
		if (q->event_cb != NULL) {
			q->event_cb(q, json_string_value(json_object_get(msg,
			    "event")), json_object_get(msg, "data"), q->arg);
		}
		return;
	case QMP_MSG_RETURN:
	case QMP_MSG_ERROR:
		idj = json_object_get(msg, "id");
		if (!json_is_integer(idj)) {
			log_warn("qmp reply without id ignored");
			return;
		}
		id = json_integer_value(idj);
		TAILQ_FOREACH(p, &q->pending, entry) {
			if (p->id == id)
				break;
		}
		if (p == NULL) {
			log_warn("qmp reply to unknown id %lu", id);
			return;
		}
		TAILQ_REMOVE(&q->pending, p, entry);
		if (p->cb != NULL) {
			if ((err = json_object_get(msg, "error")) != NULL) {
				desc = json_string_value(json_object_get(err,
				    "desc"));
				p->cb(q, NULL, desc != NULL ? desc :
				    "unknown qmp error", p->arg);
			} else {
				p->cb(q, json_object_get(msg, "return"), NULL,
				    p->arg);
			}
		}
		free(p);
		return;
	case QMP_MSG_INVALID:
		log_warn("qmp: unrecognised message ignored");
		return;
	}
}

static void
qmp_closed(struct qmp *q)
{
	struct qmp_pending	*p;

	if (q->closed)
		return;
	q->closed = 1;
	q->up = 0;
	bufferevent_disable(q->bev, EV_READ | EV_WRITE);
	while ((p = TAILQ_FIRST(&q->pending)) != NULL) {
		TAILQ_REMOVE(&q->pending, p, entry);
		if (p->cb != NULL)
			p->cb(q, NULL, "disconnected", p->arg);
		free(p);
	}
	while ((p = TAILQ_FIRST(&q->queued)) != NULL) {
		TAILQ_REMOVE(&q->queued, p, entry);
		if (p->cb != NULL)
			p->cb(q, NULL, "disconnected", p->arg);
		free(p->cmd);
		json_decref(p->args);
		free(p);
	}
	if (q->state_cb != NULL)
		q->state_cb(q, 0, q->arg);
}

static void
qmp_read_cb(struct bufferevent *bev, void *arg)
{
	struct qmp	*q = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 len;
	json_t		*msg;
	json_error_t	 jerr;

	while (!q->closed &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		if (len == 0) {
			free(line);
			continue;
		}
		log_debug("qmp <- %s", line);
		msg = json_loadb(line, len, 0, &jerr);
		free(line);
		if (msg == NULL) {
			log_warn("qmp: bad json: %s", jerr.text);
			continue;
		}
		qmp_handle(q, msg);
		json_decref(msg);
	}
	if (!q->closed && evbuffer_get_length(in) > QMP_MAX_LINE) {
		log_warn("qmp: line too long, closing");
		qmp_closed(q);
	}
}

static void
qmp_error_cb(struct bufferevent *bev, short what, void *arg)
{
	struct qmp	*q = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		qmp_closed(q);
}
