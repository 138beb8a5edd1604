/*
 * log.c: timestamped process log, to a file (reopened on SIGHUP) or stderr.
 * One entry is one line: control characters in a message (a guest's
 * text, a script's output) are written as \xNN, so nothing in the log can
 * move a reader's terminal or fake another entry.  The file is 0640,
 * group adm where that group exists, as syslog's files are.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "xen-common.h"

static FILE		*log_file;
static char		*log_path;
static char		*log_name;
static enum log_level	 log_level = LOG_INFO;

static const char *level_names[] = { "error", "warn", "info", "debug" };

void
log_open(const char *name, const char *path, enum log_level level)
{
	free(log_name);
	log_name = xstrdup(name);
	free(log_path);
	log_path = path != NULL ? xstrdup(path) : NULL;
	log_level = level;
	if (log_reopen() != 0) {
		fprintf(stderr, "%s: cannot open log %s: %s\n", name, path,
		    strerror(errno));
	}
}

/* Opens path for appending, mode 0640 (also if it was wider), group adm. */
static FILE *
log_open_file(const char *path)
{
	struct stat	 sb;
	struct group	*gr;
	FILE		*f;
	int		 fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return (NULL);
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		if (geteuid() == 0 && sb.st_uid == 0 &&
		    (gr = getgrnam("adm")) != NULL && sb.st_gid != gr->gr_gid &&
		    fchown(fd, -1, gr->gr_gid) == 0)
			sb.st_gid = gr->gr_gid;
		if ((sb.st_mode & 07777) != 0640 && sb.st_uid == geteuid())
			(void)fchmod(fd, 0640);
	}
	if ((f = fdopen(fd, "a")) == NULL)
		close(fd);
	return (f);
}

/* s with control characters as \xNN; caller frees. */
char *
log_escape(const char *s)
{
	size_t		 n = strlen(s);
	char		*out = xmalloc(n * 4 + 1), *p = out;
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = *s;
		if (c < 0x20 || c == 0x7f) {
			snprintf(p, 5, "\\x%02x", c);
			p += 4;
		} else
			*p++ = c;
	}
	*p = '\0';
	return (out);
}

int
log_reopen(void)
{
	FILE	*f;

	if (log_path == NULL) {
		if (log_file != NULL && log_file != stderr)
			fclose(log_file);
		log_file = stderr;
		return (0);
	}
	if ((f = log_open_file(log_path)) == NULL)
		return (-1);
	setvbuf(f, NULL, _IOLBF, 0);
	if (log_file != NULL && log_file != stderr)
		fclose(log_file);
	log_file = f;
	return (0);
}

void
log_close(void)
{
	if (log_file != NULL && log_file != stderr)
		fclose(log_file);
	log_file = NULL;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	size_t	 i;

	for (i = 0; i < nitems(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = i;
			return (0);
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return (0);
	}
	return (-1);
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	FILE		*f = log_file != NULL ? log_file : stderr;
	struct timespec	 ts;
	struct tm	 tm;
	char		 when[64], *msg, *safe;

	if (level > log_level)
		return;
	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	safe = log_escape(msg);
	free(msg);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "[%s.%03ld %s %d] %s: ", when, ts.tv_nsec / 1000000,
	    log_name != NULL ? log_name : "xen", (int)getpid(),
	    level_names[level]);
	fputs(safe, f);
	fputc('\n', f);
	fflush(f);
	free(safe);
}

#define LOG_FN(fn, lvl)				\
void						\
fn(const char *fmt, ...)			\
{						\
	va_list	 ap;				\
	va_start(ap, fmt);			\
	log_vwrite(lvl, fmt, ap);		\
	va_end(ap);				\
}
LOG_FN(log_error, LOG_ERROR)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 saved = errno;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	log_error("fatal: %s: %s", msg, strerror(saved));
	if (log_file != NULL && log_file != stderr)
		fprintf(stderr, "fatal: %s: %s\n", msg, strerror(saved));
	abort();
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = (char *)"fatalx";
	va_end(ap);
	log_error("fatal: %s", msg);
	if (log_file != NULL && log_file != stderr)
		fprintf(stderr, "fatal: %s\n", msg);
	abort();
}
