/*
 * job.c: runs an op that xend answers at its end (save, restore) while
 * showing its job.progress events: a bar with bytes, rate and ETA on a
 * terminal, a plain line a second otherwise.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "rpc.h"
#include "xm.h"

#define BAR_WIDTH	30

struct job_view {
	int	 tty;
	int	 drawn;		/* a bar is on the line */
	double	 last_line;	/* plain lines: when */
};

static void
human(char *buf, size_t len, double bytes)
{
	if (bytes >= 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
	else if (bytes >= 1024.0 * 1024)
		snprintf(buf, len, "%.1f MiB", bytes / (1024.0 * 1024));
	else if (bytes >= 1024.0)
		snprintf(buf, len, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, len, "%.0f B", bytes);
}

static void
job_show(struct job_view *v, const char *verb, json_t *job)
{
	double	 bytes = json_number_value(json_object_get(job, "bytes"));
	double	 total = json_number_value(json_object_get(job, "total"));
	double	 rate = json_number_value(json_object_get(job, "rate"));
	double	 frac, eta;
	char	 b[32], t[32], r[32], bar[BAR_WIDTH + 1];
	int	 i, fill;

	frac = total > 0 ? bytes / total : 0;
	if (frac > 1)
		frac = 1;
	eta = rate > 0 && total > bytes ? (total - bytes) / rate : 0;
	human(b, sizeof b, bytes);
	human(t, sizeof t, total);
	human(r, sizeof r, rate);
	if (v->tty) {
		fill = (int)(frac * BAR_WIDTH);
		for (i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		fprintf(stderr, "\r%s [%s] %3d%% %s of %s  %s/s  ETA %d:%02d ",
		    verb, bar, (int)(frac * 100), b, t, r, (int)eta / 60,
		    (int)eta % 60);
		v->drawn = 1;
	} else if (time_mono() - v->last_line >= 1.0) {
		fprintf(stderr, "%s: %s of %s (%d%%), %s/s\n", verb, b, t,
		    (int)(frac * 100), r);
		v->last_line = time_mono();
	}
	fflush(stderr);
}

static void
job_unshow(struct job_view *v)
{
	if (v->drawn)
		fputc('\n', stderr);
	v->drawn = 0;
}

/* Whether a line is an event of this job (op and file). */
static json_t *
job_match(json_t *msg, const char *op, const char *file)
{
	json_t	*job;

	if (!json_is_string(json_object_get(msg, "event")) ||
	    strcmp(json_string_value(json_object_get(msg, "event")),
	    "job.progress") != 0)
		return (NULL);
	job = json_object_get(msg, "job");
	if (!json_is_string(json_object_get(job, "op")) ||
	    strcmp(json_string_value(json_object_get(job, "op")), op) != 0 ||
	    !json_is_string(json_object_get(job, "file")) ||
	    strcmp(json_string_value(json_object_get(job, "file")), file) != 0)
		return (NULL);
	return (job);
}

struct job_wait {
	struct job_view	 v;
	const char	*jobop;
	const char	*file;
	const char	*verb;
	int		 done;
	json_t		*result;	/* the reply's, or NULL */
	char		*error;
};

static void
job_on_event(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	struct job_wait	*w = arg;
	json_t		*job;

	if (!m->bad && m->json != NULL &&
	    (job = job_match(m->json, w->jobop, w->file)) != NULL)
		job_show(&w->v, w->verb, job);
}

static void
job_on_close(struct rpc_client *c, const char *why, void *arg)
{
	struct job_wait	*w = arg;

	if (!w->done) {
		w->done = 1;
		w->error = xstrdup(why);
	}
}

static void
job_on_reply(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
	struct job_wait	*w = arg;

	w->done = 1;
	if (m->code != NULL)
		w->error = xstrdup(m->message);
	else
		w->result = json_incref(m->result);
}

static void
job_on_subscribed(struct rpc_client *c, const struct rpc_msg *m, void *arg)
{
}

json_t *
xm_job_run(struct xm_ctx *ctx, const char *op, json_t *args,
    const char *jobop, const char *file, const char *verb)
{
	struct job_wait		 w;
	struct rpc_client	*c;
	struct pollfd		 pfd;
	char			*path, *cause;

	memset(&w, 0, sizeof w);
	w.v.tty = isatty(STDERR_FILENO);
	w.jobop = jobop;
	w.file = file;
	w.verb = verb;
	path = xendcfg_api_path(&ctx->cfg);
	c = rpc_client_open(path, "xend", job_on_event, job_on_close, &w,
	    &cause);
	free(path);
	if (c != NULL && rpc_client_call(c, "events.subscribe", NULL,
	    job_on_subscribed, &w, &cause) != 0) {
		rpc_client_free(c, NULL);
		c = NULL;
	}
	/* rpc_client_call takes args, also when it fails. */
	if (c == NULL)
		json_decref(args);
	if (c == NULL || rpc_client_call(c, op, args, job_on_reply, &w,
	    &cause) != 0) {
		xm_err(ctx, "%s", cause);
		free(cause);
		rpc_client_free(c, NULL);
		return (NULL);
	}
	while (!w.done) {
		pfd.fd = rpc_client_fd(c);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR) {
			w.error = xsprintf("poll: %s", strerror(errno));
			break;
		}
		if (rpc_client_read(c) != 0 && !w.done) {
			w.error = xstrdup("xend closed the connection");
			break;
		}
	}
	rpc_client_free(c, NULL);
	job_unshow(&w.v);
	if (w.error != NULL) {
		xm_err(ctx, "%s", w.error);
		free(w.error);
		json_decref(w.result);
		return (NULL);
	}
	return (w.result);
}
