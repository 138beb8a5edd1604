/*
 * qmp.h: asynchronous QMP client over a unix socket, on libevent.
 *
 * The connection is ready once QEMU's greeting has been read and
 * qmp_capabilities acknowledged; commands queued before that are sent then.
 * Replies are matched by id.  When the connection closes, every pending
 * reply callback is called with error "disconnected", then the state
 * callback with up = 0.  Callbacks are never called after qmp_free.
 *
 * Ownership: qmp_command steals args; result and data passed to callbacks
 * are borrowed for the duration of the call.  Never call qmp_free from
 * inside one of its callbacks: defer it to the event loop.
 */
#ifndef QMP_H
#define QMP_H

#include <event2/event.h>
#include <jansson.h>

struct qmp;

typedef void (*qmp_reply_cb)(struct qmp *, json_t *result, const char *error,
    void *arg);
typedef void (*qmp_event_cb)(struct qmp *, const char *event, json_t *data,
    void *arg);
typedef void (*qmp_state_cb)(struct qmp *, int up, void *arg);

/* Takes a connected fd (see unix_connect) and owns it from then on. */
struct qmp	*qmp_new(struct event_base *, int fd, qmp_event_cb,
		    qmp_state_cb, void *arg);
void		 qmp_free(struct qmp *);
int		 qmp_is_up(const struct qmp *);
void		 qmp_command(struct qmp *, const char *cmd, json_t *args,
		    qmp_reply_cb, void *arg);
/*
 * Like qmp_command, with fd passed along (SCM_RIGHTS) for getfd or
 * add-fd; fd is the caller's still.  Only once up: the command is written
 * at once, after anything queued before it.
 */
void		 qmp_command_fd(struct qmp *, const char *cmd, json_t *args,
		    int fd, qmp_reply_cb, void *arg);

/* Framing, exposed for unit tests: parses one line into a message. */
enum qmp_msg_type { QMP_MSG_GREETING, QMP_MSG_RETURN, QMP_MSG_ERROR,
    QMP_MSG_EVENT, QMP_MSG_INVALID };
enum qmp_msg_type qmp_classify(const json_t *msg);

#endif
