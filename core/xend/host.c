/* host.c: the host (Domain-0) as xend reports it, and /proc sampling. */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xend.h"

/*
 * The last want lines of the log at path, read backwards from its end in
 * blocks, so a log of any size costs at most max bytes of memory; lines
 * are escaped (an older log may hold raw control characters).  *cut is
 * set if max stopped the walk before want lines were found.
 */
int
host_log_tail(const char *path, long want, size_t max, json_t **out,
    int *cut, char **cause)
{
	struct stat	 sb;
	char		*buf, *p, *start, *end, *line, *safe;
	off_t		 off;
	size_t		 len = 0, blk = 64 * 1024, n, i, cap, ncap;
	long		 count = 0;
	ssize_t		 r;
	int		 fd;

	*cut = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	/*
	 * data = buf + cap - len holds [off, off + len) of the file; buf
	 * doubles (up to max) when a block does not fit in front of it.
	 */
	off = sb.st_size;
	cap = 0;
	buf = NULL;
	while (off > 0 && count < want) {
		n = (size_t)off < blk ? (size_t)off : blk;
		if (len + n > max) {
			*cut = 1;
			if ((n = max - len) == 0)
				break;
		}
		if (len + n > cap) {
			ncap = cap * 2 > len + n ? cap * 2 : len + n;
			if (ncap > max)
				ncap = max;
			p = xmalloc(ncap + 1);
			if (len > 0)
				memcpy(p + ncap - len, buf + cap - len, len);
			free(buf);
			buf = p;
			cap = ncap;
		}
		off -= n;
		p = buf + cap - len - n;
		r = pread(fd, p, n, off);
		if (r != (ssize_t)n) {
			*cause = xsprintf("%s: read: %s", path, r == -1 ?
			    strerror(errno) : "short read");
			free(buf);
			close(fd);
			return (-1);
		}
		/* Newlines that end a line before the file's last byte. */
		for (i = 0; i < n; i++) {
			if (p[i] == '\n' && off + (off_t)i + 1 < sb.st_size)
				count++;
		}
		len += n;
		if (*cut)
			break;
	}
	if (buf == NULL)
		buf = xcalloc(1, 1);
	else {
		memmove(buf, buf + cap - len, len);
	}
	close(fd);
	buf[len] = '\0';
	/* Walk back over the last want lines. */
	start = buf;
	count = 0;
	for (p = buf + len; p > buf; p--) {
		if (p[-1] == '\n' && p != buf + len && ++count >= want) {
			start = p;
			break;
		}
	}
	/* A block boundary cut a line in two: drop its tail. */
	if (start == buf && off > 0 && (p = memchr(buf, '\n', len)) != NULL)
		start = p + 1;
	*out = json_array();
	while (*start != '\0') {
		if ((end = strchr(start, '\n')) == NULL)
			end = start + strlen(start);
		line = xstrndup(start, end - start);
		safe = log_escape(line);
		json_array_append_new(*out, json_string(safe));
		free(safe);
		free(line);
		start = *end != '\0' ? end + 1 : end;
	}
	free(buf);
	return (0);
}

/* CPU model and speed do not change: read /proc/cpuinfo once. */
static void
host_read_cpuinfo(char **model, double *mhz)
{
	static char	*cached_model;
	static double	 cached_mhz;
	FILE		*f;
	char		 line[512], *p;

	if (cached_model == NULL && (f = fopen("/proc/cpuinfo", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			if (cached_model == NULL &&
			    strncmp(line, "model name", 10) == 0 &&
			    (p = strchr(line, ':')) != NULL) {
				p += 2;
				p[strcspn(p, "\n")] = '\0';
				cached_model = xstrdup(p);
			} else if (cached_mhz == 0 &&
			    strncmp(line, "cpu MHz", 7) == 0 &&
			    (p = strchr(line, ':')) != NULL)
				cached_mhz = strtod(p + 1, NULL);
		}
		fclose(f);
	}
	if (cached_model == NULL)
		cached_model = xstrdup("unknown");
	*model = xstrdup(cached_model);
	*mhz = cached_mhz;
}

void
host_read(struct host_info *h)
{
	FILE	*f;
	char	 line[512];
	long	 kb;

	memset(h, 0, sizeof *h);
	h->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if ((f = fopen("/proc/meminfo", "re")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL) {
			if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
				h->total_mb = kb / 1024;
			else if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
				h->free_mb = kb / 1024;
		}
		fclose(f);
	}
	host_read_cpuinfo(&h->cpu_model, &h->cpu_mhz);
}

void
host_free(struct host_info *h)
{
	free(h->cpu_model);
}

/* Seconds since the host booted. */
double
host_uptime(void)
{
	FILE	*f;
	double	 up = 0;

	if ((f = fopen("/proc/uptime", "re")) != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return (up);
}

/* Busy time of the whole host from /proc/stat, in seconds. */
double
host_busy_seconds(void)
{
	FILE			*f;
	unsigned long long	 v[8] = { 0 };
	double			 hz = sysconf(_SC_CLK_TCK);

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return (0);
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		fclose(f);
		return (0);
	}
	fclose(f);
	/* user nice system [idle iowait] irq softirq steal */
	return ((v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz);
}

/* Cumulative busy seconds per host CPU, from /proc/stat. */
json_t *
host_cpus_json(void)
{
	FILE			*f;
	char			 line[512];
	unsigned long long	 v[8];
	int			 cpu;
	double			 hz = sysconf(_SC_CLK_TCK);
	json_t			*out = json_array();

	if ((f = fopen("/proc/stat", "re")) == NULL)
		return (out);
	while (fgets(line, sizeof line, f) != NULL) {
		/* "cpuN", not the aggregate "cpu " line (%d skips blanks). */
		if (strncmp(line, "cpu", 3) != 0 ||
		    !isdigit((unsigned char)line[3]))
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu",
		    &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		    &v[7]) != 9)
			continue;
		json_array_append_new(out, json_pack("{s:i, s:f}", "cpu", cpu,
		    "busy", (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz));
	}
	fclose(f);
	return (out);
}

json_t *
host_load_json(void)
{
	double	 l[3] = { 0, 0, 0 };

	if (getloadavg(l, 3) != 3)
		return (json_null());
	return (json_pack("[f, f, f]", l[0], l[1], l[2]));
}

/*
 * CPU seconds of a thread (tid > 0) or process, and the CPU it last ran
 * on; -1 if it is gone.
 */
double
proc_cpu_seconds(pid_t pid, pid_t tid, int *last_cpu, char *state)
{
	char			 path[96], buf[1024], *p, *tok, *save;
	FILE			*f;
	unsigned long long	 utime = 0, stime = 0;
	int			 field;

	if (tid > 0)
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid,
		    (int)tid);
	else
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	if (fgets(buf, sizeof buf, f) == NULL) {
		fclose(f);
		return (-1);
	}
	fclose(f);
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	p += 2;
	for (field = 3, tok = strtok_r(p, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save), field++) {
		if (field == 3 && state != NULL)
			*state = tok[0];
		else if (field == 14)
			utime = strtoull(tok, NULL, 10);
		else if (field == 15)
			stime = strtoull(tok, NULL, 10);
		else if (field == 39) {
			if (last_cpu != NULL)
				*last_cpu = atoi(tok);
			break;
		}
	}
	return ((utime + stime) / (double)sysconf(_SC_CLK_TCK));
}

/*
 * A QEMU's vCPU threads by their names ("CPU 3/TCG", as -name
 * debug-threads=on sets them) into tids[vcpu]: what query-cpus-fast will
 * say, known before QMP answers.  Returns how many leading vCPUs were
 * found (0 if none, or if a gap leaves the order unsure).
 */
int
proc_vcpu_threads(pid_t pid, pid_t *tids, int max)
{
	char		 path[320], comm[32];
	DIR		*dp;
	struct dirent	*de;
	FILE		*f;
	int		 i, n = 0, vcpu;

	for (i = 0; i < max; i++)
		tids[i] = 0;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((dp = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(dp)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/comm", (int)pid,
		    de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(comm, sizeof comm, f) != NULL &&
		    sscanf(comm, "CPU %d/", &vcpu) == 1 && vcpu >= 0 &&
		    vcpu < max)
			tids[vcpu] = atoi(de->d_name);
		fclose(f);
	}
	closedir(dp);
	while (n < max && tids[n] > 0)
		n++;
	for (i = n; i < max; i++) {
		if (tids[i] > 0)
			return (0);
	}
	return (n);
}
