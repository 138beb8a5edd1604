/*
 * drain.c: reads one QEMU console socket in a thread of its own.
 *
 * QEMU's 16550 writes every guest byte to the socket with its own
 * write(); a unix socket holds only a couple of hundred such writes.
 * When it is full QEMU stalls the guest's UART and (QEMU 7.2) logs the
 * byte it could not write twice in its logfile.  So the socket must be
 * read within a fraction of a millisecond, every time, whatever the
 * event loop is doing for clients: this thread does nothing else.  It
 * queues what it reads (up to DRAIN_QUEUE bytes; only if the loop falls
 * that far behind does it stop reading) and wakes the loop through a
 * pipe.  The loop owns everything else, including writes to the socket.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "xen-common.h"
#include "consoled.h"

#define DRAIN_QUEUE	(1024 * 1024)
#define DRAIN_READ	(64 * 1024)
/*
 * In a stream of small reads (the UART's bytes one by one), nap between
 * reads so each one takes a batch: a fraction of the syscalls and
 * wake-ups, the CPU left to QEMU.  The first read after a pause is never
 * delayed, so a keystroke's echo is not either; QEMU's enlarged socket
 * buffer (console.c) holds far more than a nap's worth.
 */
#define DRAIN_SMALL	1024
#define DRAIN_STREAM_S	0.002
#define DRAIN_NAP_US	1000
#define DRAIN_NICE	(-10)

struct drain {
	int			 fd;		/* not ours to close */
	pthread_t		 thread;
	int			 wake[2];	/* thread -> loop */
	struct event		*ev;
	drain_data_cb		 data_cb;
	drain_eof_cb		 eof_cb;
	void			*arg;

	pthread_mutex_t		 mu;		/* guards what follows */
	pthread_cond_t		 room;
	char			*q;
	size_t			 head, len;
	int			 eof;
	int			 woken;		/* a wake byte is pending */
	int			 stopping;
	char			*out;		/* the loop's copy */
};

static void
drain_wake(struct drain *d)
{
	ssize_t	 n;

	n = write(d->wake[1], "x", 1);
	(void)n;		/* a full pipe has woken the loop already */
}

static void	 drain_free(struct drain *);

static void *
drain_main(void *arg)
{
	struct drain	*d = arg;
	char		*buf = xmalloc(DRAIN_READ);
	ssize_t		 n;
	size_t		 off, at, chunk;
	int		 wake;
	struct pollfd	 pf;
	double		 last = 0, now;

	/*
	 * Ahead of the loop and the clients for the CPU (best effort: root
	 * only): a loaded host must not leave QEMU's socket unread.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
	    DRAIN_NICE) == -1)
		log_debug("drain: setpriority: %s", strerror(errno));
	pf.fd = d->fd;
	pf.events = POLLIN;
	for (;;) {
		/* Non-blocking, for the loop's writes: wait here instead. */
		n = read(d->fd, buf, DRAIN_READ);
		if (n == -1 && (errno == EINTR || errno == EAGAIN)) {
			if (errno == EAGAIN && poll(&pf, 1, -1) == -1 &&
			    errno != EINTR)
				n = 0;
			else
				continue;
		}
		pthread_mutex_lock(&d->mu);
		if (n <= 0) {
			d->eof = 1;
			wake = !d->woken;
			d->woken = 1;
			pthread_mutex_unlock(&d->mu);
			if (wake)
				drain_wake(d);
			break;
		}
		for (off = 0; off < (size_t)n && !d->stopping; ) {
			while (d->len == DRAIN_QUEUE && !d->stopping)
				pthread_cond_wait(&d->room, &d->mu);
			at = (d->head + d->len) % DRAIN_QUEUE;
			chunk = DRAIN_QUEUE - at;
			if (chunk > DRAIN_QUEUE - d->len)
				chunk = DRAIN_QUEUE - d->len;
			if (chunk > (size_t)n - off)
				chunk = n - off;
			memcpy(d->q + at, buf + off, chunk);
			d->len += chunk;
			off += chunk;
		}
		wake = !d->woken;
		d->woken = 1;
		if (d->stopping) {
			pthread_mutex_unlock(&d->mu);
			break;
		}
		pthread_mutex_unlock(&d->mu);
		if (wake)
			drain_wake(d);
		now = time_mono();
		if ((size_t)n < DRAIN_SMALL && now - last < DRAIN_STREAM_S)
			usleep(DRAIN_NAP_US);
		last = now;
	}
	free(buf);
	return (NULL);
}

/* In the loop: hands what was read to the console, then any end. */
static void
drain_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drain	*d = arg;
	char		 junk[64];
	size_t		 len, first;
	int		 eof;

	while (read(d->wake[0], junk, sizeof junk) > 0)
		;
	pthread_mutex_lock(&d->mu);
	len = d->len;
	first = DRAIN_QUEUE - d->head;
	if (first > len)
		first = len;
	memcpy(d->out, d->q + d->head, first);
	memcpy(d->out + first, d->q, len - first);
	d->head = (d->head + len) % DRAIN_QUEUE;
	d->len = 0;
	d->woken = 0;
	eof = d->eof;
	pthread_cond_signal(&d->room);
	pthread_mutex_unlock(&d->mu);

	if (len > 0)
		d->data_cb(d->arg, d->out, len);
	if (eof)
		d->eof_cb(d->arg);	/* may stop and free us */
}

/* Signals are the main thread's business: threads start with all blocked. */
int
drain_thread_start(pthread_t *t, void *(*fn)(void *), void *arg,
    char **cause)
{
	sigset_t	 all, old;
	int		 r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		xasprintf(cause, "cannot start a thread: %s", strerror(r));
		return (-1);
	}
	return (0);
}

/*
 * Out of descriptors or threads this console is not attached (the caller
 * retries later); the daemon and the other consoles go on.
 */
struct drain *
drain_start(int fd, drain_data_cb data_cb, drain_eof_cb eof_cb, void *arg,
    char **cause)
{
	struct drain	*d;
	int		 wake[2];

	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (NULL);
	}
	d = xcalloc(1, sizeof *d);
	d->fd = fd;
	d->wake[0] = wake[0];
	d->wake[1] = wake[1];
	d->data_cb = data_cb;
	d->eof_cb = eof_cb;
	d->arg = arg;
	d->q = xmalloc(DRAIN_QUEUE);
	d->out = xmalloc(DRAIN_QUEUE);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->room, NULL);
	if (drain_thread_start(&d->thread, drain_main, d, cause) != 0) {
		drain_free(d);
		return (NULL);
	}
	d->ev = event_new(cd_base, d->wake[0], EV_READ | EV_PERSIST,
	    drain_wake_cb, d);
	event_add(d->ev, NULL);
	return (d);
}

static void
drain_free(struct drain *d)
{
	if (d->ev != NULL)
		event_free(d->ev);
	close(d->wake[0]);
	close(d->wake[1]);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->room);
	free(d->q);
	free(d->out);
	free(d);
}

/* Ends the thread (shutting the socket down for reading) and frees. */
void
drain_stop(struct drain *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	pthread_cond_signal(&d->room);
	pthread_mutex_unlock(&d->mu);
	shutdown(d->fd, SHUT_RDWR);
	pthread_join(d->thread, NULL);
	drain_free(d);
}
