/* util.c: file, clock, number and unix socket helpers. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xen-common.h"

int
file_read(const char *path, char **out, size_t *len, char **cause)
{
	int	 fd;
	char	*buf = NULL;
	size_t	 used = 0, size = 0;
	ssize_t	 n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	for (;;) {
		if (size - used < 4096) {
			size = size == 0 ? 8192 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = read(fd, buf + used, size - used - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xsprintf("%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return (-1);
		}
		if (n == 0)
			break;
		used += n;
	}
	close(fd);
	if (buf == NULL)
		buf = xmalloc(1);
	buf[used] = '\0';
	*out = buf;
	if (len != NULL)
		*len = used;
	return (0);
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
    char **cause)
{
	char		*tmp;
	int		 fd;
	const char	*p = data;
	ssize_t		 n;

	xasprintf(&tmp, "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1) {
		*cause = xsprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return (-1);
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		p += n;
		len -= n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		fd = -1;
		goto fail;
	}
	free(tmp);
	return (0);

fail:
	*cause = xsprintf("%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return (-1);
}

int
mkdir_p(const char *path, mode_t mode, char **cause)
{
	char	*copy, *p;

	copy = xstrdup(path);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			*cause = xsprintf("mkdir %s: %s", copy, strerror(errno));
			free(copy);
			return (-1);
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return (0);
}

int
fd_set_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, flags | O_NONBLOCK));
}

int
fd_set_cloexec(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFD, flags | FD_CLOEXEC));
}

int
fd_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

double
time_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

double
time_wall(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* The value of hex digit c, or -1. */
int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

char *
path_absolute(const char *path)
{
	char	 cwd[PATH_MAX];

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return (xstrdup(path));
	return (xsprintf("%s/%s", cwd, path));
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

static int
unix_addr(const char *path, struct sockaddr_un *sa, char **cause)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		*cause = xsprintf("socket path too long: %s", path);
		return (-1);
	}
	strcpy(sa->sun_path, path);
	return (0);
}

int
unix_listen(const char *path, char **cause)
{
	struct sockaddr_un	 sa;
	int			 fd;

	if (unix_addr(path, &sa, cause) != 0)
		return (-1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		*cause = xsprintf("socket: %s", strerror(errno));
		return (-1);
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    chmod(path, 0600) == -1 || listen(fd, 128) == -1) {
		*cause = xsprintf("%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

int
unix_connect(const char *path, char **cause)
{
	struct sockaddr_un	 sa;
	int			 fd;

	if (unix_addr(path, &sa, cause) != 0)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xsprintf("socket: %s", strerror(errno));
		return (-1);
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		int error = errno;

		*cause = xsprintf("%s: %s", path, strerror(error));
		close(fd);
		errno = error;	/* callers tell EACCES from ENOENT */
		return (-1);
	}
	return (fd);
}

const char *
xen_config_dir(void)
{
	const char	*d = getenv("XEN_CONFIG_DIR");

	return (d != NULL && *d != '\0' ? d : "/etc/xen");
}

void
le32_put(unsigned char *p, unsigned int v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

unsigned int
le32_get(const unsigned char *p)
{
	return ((unsigned int)p[0] | (unsigned int)p[1] << 8 |
	    (unsigned int)p[2] << 16 | (unsigned int)p[3] << 24);
}
