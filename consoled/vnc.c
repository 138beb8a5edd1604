/*
 * vnc.c: graphical consoles.  xend gives each domain with vnc = 1 a
 * private VNC server on a unix socket (QEMU's -vnc unix:...); here one
 * thread per such domain connects to it with libvncclient and serves the
 * same framebuffer with libvncserver on vnc-port-base + domid, to any
 * number of viewers, with the domain's vncpasswd (full access) and
 * vncpasswd_viewonly (view only), and WebSocket on the same port for
 * browsers (libvncserver detects the HTTP upgrade).
 *
 * Why a thread: libvncserver writes to viewers with blocking waits (up to
 * rfbMaxClientWait), which must never stall the serial consoles' loop.
 * The thread owns its screen, client and framebuffer outright and runs
 * libvncserver single-threaded (rfbProcessEvents) from its own poll loop,
 * so there are no locks: the main thread only starts it, asks it to stop
 * through a pipe, joins it when it says it is done, and reads a few
 * atomic counters.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <rfb/rfb.h>
#include <rfb/rfbclient.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "consoled.h"

#define VNC_POLL_MS		500
#define VNC_RETRY_MS		1000
#define VNC_MAX_FDS		256
#define VNC_CLIENT_WAIT_MS	2000	/* a stuck viewer is dropped */
#define VNC_REFUSE_WAIT_S	5	/* for a refused viewer's version */
#define VNC_REFUSE_PENDING	8	/* refused viewers held at once */

/*
 * A viewer's own data (cl->clientData).  A refused viewer is held (on
 * hold: libvncserver does not read it) until it sends its protocol
 * version, so that it can be told why in the form that version reads.
 */
struct vnc_peer {
	char		*key;		/* whose back-off counts its passwords */
	char		*refused;	/* why it is turned away, or NULL */
	double		 until;		/* refused: dropped unanswered after */
	char		 version[12];	/* refused: its "RFB 003.00x\n" */
	size_t		 got;
};

struct vnc {
	/* Set before the thread starts, read-only afterwards. */
	int			 domid;
	char			*name;
	char			*desktop;
	char			*qemu_path;
	char			*addr;
	int			 port;
	char			*passwds[3];
	int			 first_view_only;
	int			 wake[2];	/* main -> thread: stop */
	int			 done[2];	/* thread -> main: finished */
	pthread_t		 thread;

	/* Main thread only. */
	struct event		*done_ev;
	struct event		*retry_ev;	/* no thread yet: try again */
	char			*error;		/* why not, or NULL */
	int			 running;	/* the thread is started */
	int			 joined;
	TAILQ_ENTRY(vnc)	 entry;

	/* Shared, atomic. */
	atomic_int		 stop;
	atomic_int		 connected;	/* to QEMU */
	atomic_int		 listening;
	atomic_int		 viewers;
	atomic_int		 width;
	atomic_int		 height;
	atomic_ulong		 updates;
	atomic_ulong		 viewers_total;
	atomic_ulong		 refused;

	/* The thread only. */
	rfbScreenInfoPtr	 screen;
	rfbClient		*client;
	char			*fb;
	int			 fb_w, fb_h;
	double			 listen_retry;
	double			 accept_pause;	/* out of descriptors */
	int			 accept_warned;	/* said so, once a spell */
	int			 connect_warned;
	int			 refusing;	/* refused viewers held */
};

static TAILQ_HEAD(, vnc) vncs = TAILQ_HEAD_INITIALIZER(vncs);
static int vnc_tag;		/* rfbClientSetClientData key */

static void
vnc_vlog(enum log_level level, const char *fmt, va_list ap)
{
	char	 buf[512];
	size_t	 n;

	vsnprintf(buf, sizeof buf, fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (level == LOG_WARN)
		log_warn("vnc: %s", buf);
	else
		log_debug("vnc: %s", buf);
}

static void
vnc_log(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vnc_vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static void
vnc_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vnc_vlog(LOG_WARN, fmt, ap);
	va_end(ap);
}

void
vnc_init(void)
{
	rfbLog = vnc_log;
	rfbErr = vnc_err;
	/* Its failures to connect repeat every second: vnc_connect says it. */
	rfbClientLog = vnc_log;
	rfbClientErr = vnc_log;
	rfbMaxClientWait = VNC_CLIENT_WAIT_MS;
}

/* ---- viewers (libvncserver hooks, in the thread) ---- */

static void
vnc_viewer_gone(rfbClientPtr cl)
{
	struct vnc	*v = cl->screen->screenData;
	struct vnc_peer	*p = cl->clientData;

	if (p->refused != NULL)
		v->refusing--;
	else {
		atomic_fetch_sub(&v->viewers, 1);
		log_debug("vnc %s: viewer %s left", v->name, cl->host);
	}
	free(p->refused);
	free(p->key);
	free(p);
	cl->clientData = NULL;
}

/*
 * RFB's refusal with a reason: 3.7 and later, no security types (a zero
 * count) then the reason; 3.3, security type 0 (failed) then the reason.
 */
static void
vnc_refuse_send(rfbClientPtr cl, int minor, const char *why)
{
	char		 buf[8 + 256];
	uint32_t	 len = strlen(why), be;
	size_t		 n = 0;

	if (len > 256)
		len = 256;
	if (minor >= 7)
		buf[n++] = 0;
	else {
		memset(buf, 0, 4);
		n = 4;
	}
	be = htonl(len);
	memcpy(buf + n, &be, 4);
	memcpy(buf + n + 4, why, len);
	if (rfbWriteExact(cl, buf, n + 4 + len) < 0)
		log_debug("vnc: cannot tell a refused viewer why: %s",
		    strerror(errno));
	rfbCloseClient(cl);
}

/* A refused viewer held: its version read, it is told why and closed. */
static void
vnc_refuse_turn(rfbClientPtr cl, double now)
{
	struct vnc_peer	*p = cl->clientData;
	ssize_t		 n;
	int		 major, minor;

	if (now > p->until) {
		rfbCloseClient(cl);
		return;
	}
	n = recv(cl->sock, p->version + p->got, sizeof p->version - p->got,
	    MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		rfbCloseClient(cl);
		return;
	}
	p->got += n;
	if (p->got < sizeof p->version)
		return;
	if (sscanf(p->version, "RFB %03d.%03d\n", &major, &minor) != 2 ||
	    major != 3) {
		rfbCloseClient(cl);
		return;
	}
	vnc_refuse_send(cl, minor, p->refused);
}

/*
 * Local viewers: root and console-group, by the owner of their socket;
 * the password, if the domain has one, is asked as well.  Remote ones:
 * console-hosts-allow, and only if the domain has a password.  Anyone in
 * back-off for wrong passwords is turned away first.
 */
static enum rfbNewClientAction
vnc_viewer_new(rfbClientPtr cl)
{
	struct vnc	*v = cl->screen->screenData;
	struct vnc_peer	*p;
	struct access	 a;
	double		 wait;

	access_tcp(cl->sock, cl->host, &a);
	if (a.verdict == ACCESS_PASSWORD && v->passwds[0] == NULL &&
	    v->passwds[1] == NULL) {
		snprintf(a.why, sizeof a.why, "access denied: remote viewers "
		    "need a password (vncpasswd) and this domain has none");
		a.verdict = ACCESS_DENY;
	}
	if (a.verdict != ACCESS_DENY &&
	    (wait = backoff_wait(a.key, time_mono())) > 0) {
		snprintf(a.why, sizeof a.why, "access denied: too many wrong "
		    "passwords from %s; try again in %.0f s", a.key,
		    wait + 0.5);
		a.verdict = ACCESS_DENY;
	}
	p = xcalloc(1, sizeof *p);
	p->key = xstrdup(a.key);
	if (a.verdict == ACCESS_DENY) {
		log_info("vnc %s: viewer %s refused: %s", v->name, cl->host,
		    a.why);
		atomic_fetch_add(&v->refused, 1);
		/* WebSocket viewers (framed) and a crowd: closed at once. */
		if (cl->wsctx != NULL || v->refusing >= VNC_REFUSE_PENDING) {
			free(p->key);
			free(p);
			return (RFB_CLIENT_REFUSE);
		}
		p->refused = xstrdup(a.why);
		p->until = time_mono() + VNC_REFUSE_WAIT_S;
		v->refusing++;
		cl->clientData = p;
		cl->clientGoneHook = vnc_viewer_gone;
		return (RFB_CLIENT_ON_HOLD);
	}
	cl->clientData = p;
	cl->clientGoneHook = vnc_viewer_gone;
	atomic_fetch_add(&v->viewers, 1);
	atomic_fetch_add(&v->viewers_total, 1);
	log_debug("vnc %s: viewer %s (%s)", v->name, cl->host, a.who);
	return (RFB_CLIENT_ACCEPT);
}

/*
 * RFB 3.8's SecurityResult "failed" with our reason.  libvncserver then
 * sends its own ("password check failed!"): the write side is shut first,
 * so the viewer reads ours and the end of the connection.
 */
static void
vnc_auth_failed(rfbClientPtr cl, const char *fmt, ...)
{
	char		 why[256], buf[8 + sizeof why];
	uint32_t	 be;
	va_list		 ap;
	size_t		 len;

	if (cl->protocolMajorVersion != 3 || cl->protocolMinorVersion < 8)
		return;		/* no reason in earlier versions */
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	len = strlen(why);
	be = htonl(1);
	memcpy(buf, &be, 4);
	be = htonl(len);
	memcpy(buf + 4, &be, 4);
	memcpy(buf + 8, why, len);
	if (rfbWriteExact(cl, buf, 8 + len) > 0)
		shutdown(cl->sock, SHUT_WR);
}

/* VNC authentication, with the back-off of its source on failure. */
static rfbBool
vnc_password(rfbClientPtr cl, const char *response, int len)
{
	struct vnc	*v = cl->screen->screenData;
	struct vnc_peer	*p = cl->clientData;
	const char	*key = p != NULL ? p->key : cl->host;
	double		 now = time_mono(), wait, delay;

	/* Others from there may have failed since it connected. */
	if ((wait = backoff_wait(key, now)) > 0) {
		log_info("vnc %s: viewer %s refused: in back-off for %.1f s "
		    "more", v->name, cl->host, wait);
		atomic_fetch_add(&v->refused, 1);
		vnc_auth_failed(cl, "access denied: too many wrong passwords "
		    "from %s; try again in %.0f s", key, wait + 0.5);
		return (FALSE);
	}
	if (rfbCheckPasswordByList(cl, response, len)) {
		backoff_ok(key);
		return (TRUE);
	}
	delay = backoff_fail(key, now);
	atomic_fetch_add(&v->refused, 1);
	log_warn("vnc %s: viewer %s gave a wrong password; %s backs off for "
	    "%.0f s", v->name, cl->host, key, delay);
	vnc_auth_failed(cl, "access denied: wrong password; %s may try again "
	    "in %.0f s", key, delay);
	return (FALSE);
}

/* libvncserver calls these only for viewers that are not view-only. */
static void
vnc_key(rfbBool down, rfbKeySym key, rfbClientPtr cl)
{
	struct vnc	*v = cl->screen->screenData;

	if (v->client != NULL)
		SendKeyEvent(v->client, key, down);
}

static void
vnc_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc	*v = cl->screen->screenData;

	if (v->client != NULL)
		SendPointerEvent(v->client, x, y, mask);
	rfbDefaultPtrAddEvent(mask, x, y, cl);
}

static void
vnc_cut(char *text, int len, rfbClientPtr cl)
{
	struct vnc	*v = cl->screen->screenData;

	if (v->client != NULL)
		SendClientCutText(v->client, text, len);
}

static void
vnc_listen(struct vnc *v)
{
	rfbInitSockets(v->screen);
	atomic_store(&v->listening, v->screen->listenSock !=
	    RFB_INVALID_SOCKET || v->screen->listen6Sock !=
	    RFB_INVALID_SOCKET);
	if (!atomic_load(&v->listening)) {
		log_warn("vnc %s: cannot listen on %s port %d; retrying",
		    v->name, v->addr, v->port);
		v->screen->socketState = RFB_SOCKET_INIT;
		v->listen_retry = time_mono() + 2;
	}
}

static void
vnc_screen_new(struct vnc *v)
{
	int		 argc = 0;
	rfbScreenInfoPtr s;

	s = rfbGetScreen(&argc, NULL, v->fb_w, v->fb_h, 8, 3, 4);
	if (s == NULL) {
		/* vnc_resize fails: the attachment is tried again. */
		log_warn("vnc %s: cannot make a VNC server", v->name);
		return;
	}
	s->frameBuffer = v->fb;
	s->screenData = v;
	s->desktopName = v->desktop;
	s->alwaysShared = TRUE;		/* several viewers at once */
	s->deferUpdateTime = 0;
	s->newClientHook = vnc_viewer_new;
	s->kbdAddEvent = vnc_key;
	s->ptrAddEvent = vnc_pointer;
	s->setXCutText = vnc_cut;
	s->autoPort = FALSE;
	if (strchr(v->addr, ':') != NULL) {
		s->port = 0;
		s->ipv6port = v->port;
		s->listen6Interface = v->addr;
	} else {
		s->port = v->port;
		s->ipv6port = 0;
		s->listenInterface = inet_addr(*v->addr != '\0' ? v->addr :
		    "0.0.0.0");
	}
	s->httpPort = 0;
	s->http6Port = 0;
	if (v->passwds[0] != NULL) {
		s->authPasswdData = v->passwds;
		s->passwordCheck = vnc_password;
		s->authPasswdFirstViewOnly = v->first_view_only;
	}
	v->screen = s;
	rfbInitServer(s);
	vnc_listen(v);
}

/* libvncclient: the server's size is known (or changed). */
static rfbBool
vnc_resize(rfbClient *client)
{
	struct vnc	*v = rfbClientGetClientData(client, &vnc_tag);
	int		 w = client->width, h = client->height;
	char		*old = v->fb;

	if (w <= 0 || h <= 0 || w > 8192 || h > 8192)
		return (FALSE);
	if (v->fb == NULL || w != v->fb_w || h != v->fb_h) {
		v->fb = xcalloc((size_t)w * h, 4);
		v->fb_w = w;
		v->fb_h = h;
		if (v->screen != NULL) {
			rfbNewFramebuffer(v->screen, v->fb, w, h, 8, 3, 4);
			v->screen->frameBuffer = v->fb;
		}
		free(old);
	}
	client->frameBuffer = (uint8_t *)v->fb;
	atomic_store(&v->width, w);
	atomic_store(&v->height, h);
	if (v->screen == NULL)
		vnc_screen_new(v);
	return (v->screen != NULL);
}

static void
vnc_update(rfbClient *client, int x, int y, int w, int h)
{
	struct vnc	*v = rfbClientGetClientData(client, &vnc_tag);

	atomic_fetch_add(&v->updates, 1);
	if (v->screen != NULL)
		rfbMarkRectAsModified(v->screen, x, y, x + w, y + h);
}

static void
vnc_connect(struct vnc *v)
{
	rfbClient	*c;

	c = rfbGetClient(8, 3, 4);
	if (c == NULL) {
		log_warn("vnc %s: cannot make a VNC client; retrying",
		    v->name);
		return;
	}
	rfbClientSetClientData(c, &vnc_tag, v);
	c->MallocFrameBuffer = vnc_resize;
	c->GotFrameBufferUpdate = vnc_update;
	c->canHandleNewFBSize = TRUE;
	/* A unix socket: copying is cheaper than compressing. */
	c->appData.encodingsString = "copyrect raw";
	c->appData.shareDesktop = TRUE;
	c->connectTimeout = 5;
	c->serverHost = xstrdup(v->qemu_path);
	c->serverPort = 0;
	if (!rfbInitClient(c, NULL, NULL)) {
		/* rfbInitClient has freed the client. */
		if (!v->connect_warned)
			log_warn("vnc %s: cannot attach to %s; retrying every "
			    "second", v->name, v->qemu_path);
		v->connect_warned = 1;
		return;
	}
	v->connect_warned = 0;
	v->client = c;
	atomic_store(&v->connected, 1);
	log_info("vnc %s: attached to %s (%dx%d)", v->name, v->qemu_path,
	    v->fb_w, v->fb_h);
}

static void
vnc_disconnect(struct vnc *v)
{
	if (v->client == NULL)
		return;
	rfbClientCleanup(v->client);	/* not the framebuffer: ours */
	v->client = NULL;
	atomic_store(&v->connected, 0);
}

/*
 * A viewer knocked and libvncserver did not take it.  Out of descriptors:
 * leave it queued and the listening sockets alone for a second rather
 * than spin on them; it is served once descriptors are free, as the
 * serial consoles' listeners do (listen.c).
 */
static void
vnc_accept_failed(struct vnc *v)
{
	int	 fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd != -1) {
		close(fd);
		return;		/* refused for another reason */
	}
	if (errno != EMFILE && errno != ENFILE)
		return;
	if (!v->accept_warned)
		log_warn("vnc %s: cannot take a viewer: %s; pausing for a "
		    "second at a time", v->name, strerror(errno));
	v->accept_warned = 1;
	v->accept_pause = time_mono() + 1;
}

/* The refused viewers held: each told why once its version is in. */
static void
vnc_refuse_all(struct vnc *v)
{
	rfbClientIteratorPtr	 it;
	rfbClientPtr		 cl;
	struct vnc_peer		*p;
	double			 now = time_mono();

	it = rfbGetClientIterator(v->screen);
	while ((cl = rfbClientIteratorNext(it)) != NULL) {
		p = cl->clientData;
		if (cl->sock != RFB_INVALID_SOCKET && p != NULL &&
		    p->refused != NULL)
			vnc_refuse_turn(cl, now);
	}
	rfbReleaseClientIterator(it);
}

/* Waits for QEMU, the viewers or the stop pipe, then serves them. */
static void
vnc_turn(struct vnc *v)
{
	struct pollfd			 pf[VNC_MAX_FDS];
	rfbClientIteratorPtr		 it;
	rfbClientPtr			 cl;
	int				 n = 0, qemu = -1, timeout = VNC_POLL_MS;
	int				 i, listen_at = 0, listen_end = 0;
	int				 listen_ready = 0;
	unsigned long			 total;
	char				 buf[64];

	pf[n].fd = v->wake[0];
	pf[n++].events = POLLIN;
	if (v->client != NULL) {
		qemu = n;
		pf[n].fd = v->client->sock;
		pf[n++].events = POLLIN;
		if (v->client->buffered > 0)
			timeout = 0;
	} else
		timeout = VNC_RETRY_MS;
	if (v->screen != NULL && time_mono() >= v->accept_pause) {
		listen_at = n;
		if (v->screen->listenSock != RFB_INVALID_SOCKET) {
			pf[n].fd = v->screen->listenSock;
			pf[n++].events = POLLIN;
		}
		if (v->screen->listen6Sock != RFB_INVALID_SOCKET) {
			pf[n].fd = v->screen->listen6Sock;
			pf[n++].events = POLLIN;
		}
		listen_end = n;
	}
	if (v->screen != NULL) {
		it = rfbGetClientIterator(v->screen);
		while ((cl = rfbClientIteratorNext(it)) != NULL &&
		    n < VNC_MAX_FDS) {
			if (cl->sock == RFB_INVALID_SOCKET)
				continue;
			pf[n].fd = cl->sock;
			pf[n++].events = POLLIN;
		}
		rfbReleaseClientIterator(it);
	}
	if (poll(pf, n, timeout) == -1 && errno != EINTR) {
		log_warn("vnc %s: poll: %s", v->name, strerror(errno));
		usleep(VNC_POLL_MS * 1000);
		return;
	}
	for (i = listen_at; i < listen_end; i++)
		listen_ready |= pf[i].revents != 0;
	if (pf[0].revents & POLLIN) {
		while (read(v->wake[0], buf, sizeof buf) > 0)
			;
	}
	if (atomic_load(&v->stop))
		return;

	if (v->client == NULL)
		vnc_connect(v);
	else if ((qemu != -1 && pf[qemu].revents != 0) ||
	    v->client->buffered > 0) {
		do {
			if (!HandleRFBServerMessage(v->client)) {
				log_info("vnc %s: QEMU's VNC server closed; "
				    "reconnecting", v->name);
				vnc_disconnect(v);
				break;
			}
		} while (v->client->buffered > 0);
	}
	if (v->screen != NULL) {
		if (!atomic_load(&v->listening) &&
		    time_mono() > v->listen_retry)
			vnc_listen(v);
		if (v->refusing > 0)
			vnc_refuse_all(v);
		total = atomic_load(&v->viewers_total) +
		    atomic_load(&v->refused);
		rfbProcessEvents(v->screen, 0);
		if (listen_ready && total == atomic_load(&v->viewers_total) +
		    atomic_load(&v->refused))
			vnc_accept_failed(v);
		else if (listen_ready)
			v->accept_warned = 0;
	}
}

static void *
vnc_main(void *arg)
{
	struct vnc	*v = arg;
	ssize_t		 n;

	while (!atomic_load(&v->stop))
		vnc_turn(v);
	vnc_disconnect(v);
	if (v->screen != NULL) {
		rfbShutdownServer(v->screen, TRUE);
		rfbScreenCleanup(v->screen);
		v->screen = NULL;
	}
	free(v->fb);
	v->fb = NULL;
	n = write(v->done[1], "x", 1);
	(void)n;
	return (NULL);
}

static void
vnc_pipes_close(struct vnc *v)
{
	int	 i;

	for (i = 0; i < 2; i++) {
		if (v->wake[i] != -1)
			close(v->wake[i]);
		if (v->done[i] != -1)
			close(v->done[i]);
		v->wake[i] = v->done[i] = -1;
	}
}

static void
vnc_free(struct vnc *v)
{
	int	 i;

	if (v->done_ev != NULL)
		event_free(v->done_ev);
	if (v->retry_ev != NULL)
		event_free(v->retry_ev);
	vnc_pipes_close(v);
	for (i = 0; i < 2; i++)
		free(v->passwds[i]);
	free(v->error);
	free(v->name);
	free(v->desktop);
	free(v->qemu_path);
	free(v->addr);
	free(v);
}

static void
vnc_join(struct vnc *v)
{
	if (v->joined)
		return;
	if (v->running)
		pthread_join(v->thread, NULL);
	v->joined = 1;
	TAILQ_REMOVE(&vncs, v, entry);
	log_info("vnc %s: stopped", v->name);
	vnc_free(v);
}

static void
vnc_done_cb(evutil_socket_t fd, short what, void *arg)
{
	vnc_join(arg);
}

/* Starts the thread: -1 with a cause if no pipe or thread can be had. */
static int
vnc_spawn(struct vnc *v, char **cause)
{
	if (pipe2(v->wake, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    pipe2(v->done, O_CLOEXEC | O_NONBLOCK) != 0) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		vnc_pipes_close(v);
		return (-1);
	}
	if (drain_thread_start(&v->thread, vnc_main, v, cause) != 0) {
		vnc_pipes_close(v);
		return (-1);
	}
	v->running = 1;
	v->done_ev = event_new(cd_base, v->done[0], EV_READ, vnc_done_cb, v);
	event_add(v->done_ev, NULL);
	return (0);
}

/*
 * Out of descriptors or threads: this graphical console waits and tries
 * again (consoles.list shows why); the daemon and the others go on.
 */
static void
vnc_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vnc	*v = arg;
	struct timeval	 tv = { VNC_RETRY_MS / 1000, 0 };
	char		*cause;

	if (vnc_spawn(v, &cause) != 0) {
		if (v->error == NULL || strcmp(v->error, cause) != 0)
			log_warn("vnc %s: %s; retrying", v->name, cause);
		free(v->error);
		v->error = cause;
		evtimer_add(v->retry_ev, &tv);
		return;
	}
	free(v->error);
	v->error = NULL;
	log_info("vnc %s: graphical console on port %d%s", v->name, v->port,
	    v->passwds[0] == NULL && v->passwds[1] == NULL ?
	    " (no password)" : "");
}

struct vnc *
vnc_start(const struct console_info *ci, const char *address)
{
	struct vnc	*v = xcalloc(1, sizeof *v);
	int		 n = 0;

	v->domid = ci->domid;
	v->name = xstrdup(ci->name);
	v->desktop = xsprintf("%s (domid %d)", ci->name, ci->domid);
	v->qemu_path = xstrdup(ci->vnc_path);
	v->addr = xstrdup(address);
	v->port = ci->vnc_port;
	v->wake[0] = v->wake[1] = v->done[0] = v->done[1] = -1;
	/* libvncserver's list: full-access passwords, then view-only ones. */
	if (ci->vnc_passwd != NULL && *ci->vnc_passwd != '\0')
		v->passwds[n++] = xstrdup(ci->vnc_passwd);
	v->first_view_only = n;
	if (ci->vnc_passwd_ro != NULL && *ci->vnc_passwd_ro != '\0')
		v->passwds[n++] = xstrdup(ci->vnc_passwd_ro);
	v->retry_ev = evtimer_new(cd_base, vnc_retry_cb, v);
	TAILQ_INSERT_TAIL(&vncs, v, entry);
	vnc_retry_cb(-1, 0, v);
	return (v);
}

void
vnc_stop(struct vnc *v)
{
	ssize_t	 n;

	if (!v->running) {
		vnc_join(v);
		return;
	}
	atomic_store(&v->stop, 1);
	n = write(v->wake[1], "x", 1);
	(void)n;
}

void
vnc_stop_all(void)
{
	struct vnc	*v, *v1;

	TAILQ_FOREACH_SAFE(v, &vncs, entry, v1)
		vnc_stop(v);
	TAILQ_FOREACH_SAFE(v, &vncs, entry, v1)
		vnc_join(v);
}

json_t *
vnc_to_json(struct vnc *v)
{
	json_t	*o;

	o = json_pack("{s:i, s:b, s:b, s:i, s:i, s:i, s:I, s:I, s:I, s:b}",
	    "port", v->port,
	    "connected", atomic_load(&v->connected),
	    "listening", atomic_load(&v->listening),
	    "viewers", atomic_load(&v->viewers),
	    "width", atomic_load(&v->width),
	    "height", atomic_load(&v->height),
	    "updates", (json_int_t)atomic_load(&v->updates),
	    "viewers_total", (json_int_t)atomic_load(&v->viewers_total),
	    "refused", (json_int_t)atomic_load(&v->refused),
	    "password", v->passwds[0] != NULL || v->passwds[1] != NULL);
	if (v->error != NULL)
		json_object_set_new(o, "error", json_string(v->error));
	return (o);
}
