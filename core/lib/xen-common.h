/*
 * xen-common.h: allocation, logging and small file/socket helpers shared
 * by every program in the tree.
 *
 * Error convention (whole tree): functions return 0 on success and -1 on
 * failure, handing back a heap string in *cause (lower-case, what failed
 * first, no full stop) that the caller frees.  Allocation never fails: the
 * x* wrappers abort on out-of-memory, a broken invariant.
 */
#ifndef XEN_COMMON_H
#define XEN_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define XEN_VERSION "0.1.0"

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif
#define printflike(a, b) __attribute__((format(printf, a, b)))
#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* glibc's sys/queue.h lacks the _SAFE iterators the BSDs have. */
#include <sys/queue.h>
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST((head));				\
	    (var) && ((tvar) = TAILQ_NEXT((var), field), 1);		\
	    (var) = (tvar))
#endif

/* xmalloc.c: never return NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) printflike(2, 3);
int	 xvasprintf(char **, const char *, va_list);
/* Returns a new string; convenient for building causes. */
char	*xsprintf(const char *, ...) printflike(1, 2);

/* log.c: one log for the process, to a file or stderr. */
enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
void	 log_open(const char *name, const char *path, enum log_level);
int	 log_reopen(void);
void	 log_close(void);
int	 log_parse_level(const char *, enum log_level *);
/* s with control characters (< 0x20, 0x7f) as \xNN; caller frees. */
char	*log_escape(const char *s);
void	 log_error(const char *, ...) printflike(1, 2);
void	 log_warn(const char *, ...) printflike(1, 2);
void	 log_info(const char *, ...) printflike(1, 2);
void	 log_debug(const char *, ...) printflike(1, 2);
__dead void fatal(const char *, ...) printflike(1, 2);	/* appends strerror */
__dead void fatalx(const char *, ...) printflike(1, 2);

/* util.c */
/* Reads a whole file; *out is NUL-terminated, caller frees. */
int	 file_read(const char *path, char **out, size_t *len, char **cause);
/* Writes via a temporary file, fsync and rename, so readers never see half. */
int	 file_write_atomic(const char *path, const void *, size_t, mode_t,
	     char **cause);
int	 mkdir_p(const char *path, mode_t, char **cause);
/* path made absolute against the current directory; caller frees. */
char	*path_absolute(const char *path);
int	 fd_set_nonblock(int fd);
int	 fd_set_cloexec(int fd);
/* Writes all of buf (retrying short writes and EINTR); 0/-1 with errno. */
int	 fd_write_all(int fd, const void *buf, size_t len);
/* Little-endian 32-bit integers in byte buffers (file formats). */
void	 le32_put(unsigned char *, unsigned int);
unsigned int le32_get(const unsigned char *);
/* Monotonic and wall clocks in seconds. */
double	 time_mono(void);
double	 time_wall(void);
/* Parse a decimal integer in [min,max]; 0/-1. */
int	 parse_long(const char *, long min, long max, long *out);
int	 hex_value(int c);
/*
 * Unix stream socket helpers; return fd or -1 with *cause (unix_connect
 * leaves connect's errno).
 */
int	 unix_listen(const char *path, char **cause);
int	 unix_connect(const char *path, char **cause);

/* Configuration directory: $XEN_CONFIG_DIR or /etc/xen. */
const char *xen_config_dir(void);

#endif
