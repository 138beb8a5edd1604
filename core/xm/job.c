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

json_t *
xm_job_run(struct xm_ctx *ctx, const char *op, json_t *args,
    const char *jobop, const char *file, const char *verb)
{
	struct job_view	 v = { isatty(STDERR_FILENO), 0, 0 };
	struct pollfd	 pfd;
	json_int_t	 id;
	json_t		*msg, *job, *err, *result = NULL;
	const char	*line;
	size_t		 len;
	char		*cause;
	int		 r;

	if (xm_connect(ctx, &cause) != 0 ||
	    xen_subscribe(ctx->client, &cause) != 0 ||
	    xen_send(ctx->client, op, args, &id, &cause) != 0) {
		xm_err(ctx, "%s", cause);
		free(cause);
		return (NULL);
	}
	for (;;) {
		r = xen_recv_line(ctx->client, &line, &len, &cause);
		if (r == -1) {
			job_unshow(&v);
			xm_err(ctx, "%s", cause);
			free(cause);
			return (NULL);
		}
		if (r == 0) {
			pfd.fd = xen_fd(ctx->client);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR) {
				xm_err(ctx, "poll: %s", strerror(errno));
				return (NULL);
			}
			continue;
		}
		if ((msg = json_loadb(line, len, 0, NULL)) == NULL)
			continue;
		if ((job = job_match(msg, jobop, file)) != NULL) {
			job_show(&v, verb, job);
			json_decref(msg);
			continue;
		}
		if (!json_is_integer(json_object_get(msg, "id")) ||
		    json_integer_value(json_object_get(msg, "id")) != id) {
			json_decref(msg);
			continue;
		}
		job_unshow(&v);
		if ((err = json_object_get(msg, "error")) != NULL) {
			xm_err(ctx, "%s", json_string_value(json_object_get(err,
			    "message")) != NULL ? json_string_value(
			    json_object_get(err, "message")) : "error");
		} else
			result = json_incref(json_object_get(msg, "result"));
		json_decref(msg);
		return (result);
	}
}

char *
xm_abspath(const char *path)
{
	char	 cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return (xstrdup(path));
	return (xsprintf("%s/%s", cwd, path));
}
