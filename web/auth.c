/*
 * auth.c: who may use xensv.  Web users live in the users file
 * (USER:ROLE:HASH lines, yescrypt through libcrypt, mode 0600, written by
 * "xensv passwd"); a login makes a session (random id in an HttpOnly
 * cookie, its own CSRF token, idle and absolute expiry); wrong passwords
 * make their address wait (backoff.c, as xenconsoled's passwords do);
 * console WebSockets need
 * a one-time ticket bound to the session and the domain.
 *
 * Sessions, back-off and tickets are in memory (a restart logs everyone
 * out), behind one mutex: the HTTP thread and the password threads use
 * them.  Times are passed in, so the unit tests drive the clock.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xendcfg.h"
#include "backoff.h"
#include "xensv.h"

#define SESSIONS_MAX	1024
#define TICKETS_MAX	256

struct ticket {
	char	 id[SV_TOKEN_LEN + 1];
	char	 sid[SV_TOKEN_LEN + 1];
	int	 domid;
	int	 kind;
	double	 expires;
};

static pthread_mutex_t	 auth_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session	 sessions[SESSIONS_MAX];
static struct ticket	 tickets[TICKETS_MAX];
static double		 session_idle = 1800, session_max = 43200;
static pthread_once_t	 dummy_once = PTHREAD_ONCE_INIT;
static char		 dummy_hash[CRYPT_OUTPUT_SIZE];

/* A real yescrypt hash of nothing anyone knows, for unknown users. */
static void
dummy_init(void)
{
	struct crypt_data	*cd = xcalloc(1, sizeof *cd);
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE], pw[33];
	const char		*h;

	random_hex(pw, 16);
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) == NULL ||
	    (h = crypt_rn(pw, salt, cd, sizeof *cd)) == NULL)
		fatalx("crypt: cannot make a yescrypt hash");
	snprintf(dummy_hash, sizeof dummy_hash, "%s", h);
	free(cd);
}

const char *
role_name(enum role r)
{
	return (r == ROLE_ADMIN ? "admin" : r == ROLE_VIEWER ? "viewer" :
	    "none");
}

int
role_parse(const char *s, enum role *r)
{
	if (strcmp(s, "admin") == 0)
		*r = ROLE_ADMIN;
	else if (strcmp(s, "viewer") == 0)
		*r = ROLE_VIEWER;
	else
		return (-1);
	return (0);
}

int
user_name_ok(const char *u)
{
	size_t	 i, n = strlen(u);

	if (n == 0 || n >= SV_USER_MAX || u[0] == '.' || u[0] == '-')
		return (0);
	for (i = 0; i < n; i++) {
		if (!(u[i] >= 'a' && u[i] <= 'z') &&
		    !(u[i] >= 'A' && u[i] <= 'Z') &&
		    !(u[i] >= '0' && u[i] <= '9') && u[i] != '_' &&
		    u[i] != '.' && u[i] != '-')
			return (0);
	}
	return (1);
}

void
random_hex(char *out, size_t n)
{
	unsigned char	 buf[64];
	size_t		 i, got = 0;
	ssize_t		 r;

	if (n > sizeof buf)
		fatalx("random_hex: %zu bytes", n);
	while (got < n) {
		r = getrandom(buf + got, n - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			fatal("getrandom");
		got += r;
	}
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
}

char *
auth_users_file(const struct xendcfg *cfg)
{
	if (cfg->xensv_users_file[0] != '\0')
		return (xstrdup(cfg->xensv_users_file));
	return (xsprintf("%s/xensv-users", cfg->dir));
}

/* Finds user's line in text: its role and hash (pointers into a copy). */
static int
users_find(char *text, const char *user, char **role, char **hash)
{
	char	*line, *save = NULL, *c1, *c2;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || (c1 = strchr(line, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c1 = *c2 = '\0';
		if (strcmp(line, user) == 0) {
			*role = c1 + 1;
			*hash = c2 + 1;
			return (0);
		}
	}
	return (-1);
}

int
auth_check(const char *file, const char *user, const char *password,
    enum role *role, char **cause)
{
	struct stat		 st;
	char			*text, *r = NULL, *h = NULL, *why;
	const char		*want;
	int			 found, ok;

	if (stat(file, &st) != 0 || file_read(file, &text, NULL, &why) != 0) {
		*cause = xsprintf("no web users yet (%s): set a password with "
		    "'xensv passwd USER'", file);
		return (-1);
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		free(text);
		*cause = xsprintf("%s: readable by others or not ours; not "
		    "using it (chmod 600)", file);
		return (-1);
	}
	found = user_name_ok(user) && users_find(text, user, &r, &h) == 0 &&
	    role_parse(r, role) == 0;
	/*
	 * An unknown user costs the same hash as a known one, so timing
	 * does not tell which names exist.
	 */
	pthread_once(&dummy_once, dummy_init);
	want = found ? h : dummy_hash;
	ok = password_ok(want, password) && found;
	free(text);
	if (!ok) {
		*cause = xstrdup("wrong user name or password");
		return (-1);
	}
	return (0);
}

int
auth_set(const char *file, const char *user, enum role role,
    const char *password, char **cause)
{
	struct crypt_data	*cd;
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	char			*text = NULL, *line, *save = NULL, *out, *why;
	const char		*hash;
	size_t			 ulen = strlen(user);
	FILE			*f;
	size_t			 outlen;
	int			 rc;

	if (!user_name_ok(user)) {
		*cause = xsprintf("bad user name '%s': 1 to 63 letters, digits, "
		    "'_', '.' or '-'", user);
		return (-1);
	}
	if (strlen(password) < 8) {
		*cause = xstrdup("password too short: at least 8 characters");
		return (-1);
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) == NULL) {
		*cause = xsprintf("crypt_gensalt: %s", strerror(errno));
		return (-1);
	}
	cd = xcalloc(1, sizeof *cd);
	/* crypt_rn: ASan intercepts crypt_r (see backoff.c). */
	hash = crypt_rn(password, salt, cd, sizeof *cd);
	if (hash == NULL || hash[0] == '*') {
		free(cd);
		*cause = xstrdup("crypt failed");
		return (-1);
	}
	if (access(file, F_OK) == 0 && file_read(file, &text, NULL, &why) !=
	    0) {
		free(cd);
		*cause = why;
		return (-1);
	}
	if ((f = open_memstream(&out, &outlen)) == NULL)
		fatal("open_memstream");
	if (text != NULL) {
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, user, ulen) == 0 &&
			    line[ulen] == ':')
				continue;
			fprintf(f, "%s\n", line);
		}
	}
	fprintf(f, "%s:%s:%s\n", user, role_name(role), hash);
	fclose(f);
	free(cd);
	free(text);
	rc = file_write_atomic(file, out, outlen, 0600, cause);
	free(out);
	return (rc);
}

void
session_init(double idle, double max)
{
	session_idle = idle;
	session_max = max;
}

static int
session_alive(const struct session *s, double now)
{
	return (s->id[0] != '\0' && now - s->last < session_idle &&
	    now - s->created < session_max);
}

void
session_new(const char *user, enum role role, double now,
    struct session *out)
{
	struct session	*s, *victim = NULL;
	size_t		 i;

	pthread_mutex_lock(&auth_lock);
	for (i = 0; i < SESSIONS_MAX; i++) {
		s = &sessions[i];
		if (!session_alive(s, now)) {
			victim = s;
			break;
		}
		if (victim == NULL || s->last < victim->last)
			victim = s;	/* full: the least recently used goes */
	}
	memset(victim, 0, sizeof *victim);
	random_hex(victim->id, SV_TOKEN_LEN / 2);
	random_hex(victim->csrf, SV_TOKEN_LEN / 2);
	snprintf(victim->user, sizeof victim->user, "%s", user);
	victim->role = role;
	victim->created = victim->last = now;
	*out = *victim;
	pthread_mutex_unlock(&auth_lock);
}

int
session_get(const char *id, double now, struct session *out)
{
	size_t	 i;
	int	 rc = -1;

	if (id == NULL || strlen(id) != SV_TOKEN_LEN)
		return (-1);
	pthread_mutex_lock(&auth_lock);
	for (i = 0; i < SESSIONS_MAX; i++) {
		if (token_equal(sessions[i].id, id)) {
			if (session_alive(&sessions[i], now)) {
				sessions[i].last = now;
				*out = sessions[i];
				rc = 0;
			} else
				memset(&sessions[i], 0, sizeof sessions[i]);
			break;
		}
	}
	pthread_mutex_unlock(&auth_lock);
	return (rc);
}

void
session_drop(const char *id)
{
	size_t	 i;

	pthread_mutex_lock(&auth_lock);
	for (i = 0; i < SESSIONS_MAX; i++) {
		if (token_equal(sessions[i].id, id))
			memset(&sessions[i], 0, sizeof sessions[i]);
	}
	for (i = 0; i < TICKETS_MAX; i++) {
		if (token_equal(tickets[i].sid, id))
			memset(&tickets[i], 0, sizeof tickets[i]);
	}
	pthread_mutex_unlock(&auth_lock);
}

void
ticket_new(const char *sid, int domid, int kind, double now,
    char out[SV_TOKEN_LEN + 1])
{
	struct ticket	*t, *victim = NULL;
	size_t		 i;

	pthread_mutex_lock(&auth_lock);
	for (i = 0; i < TICKETS_MAX; i++) {
		t = &tickets[i];
		if (t->id[0] == '\0' || t->expires <= now) {
			victim = t;
			break;
		}
		if (victim == NULL || t->expires < victim->expires)
			victim = t;
	}
	memset(victim, 0, sizeof *victim);
	random_hex(victim->id, SV_TOKEN_LEN / 2);
	snprintf(victim->sid, sizeof victim->sid, "%s", sid);
	victim->domid = domid;
	victim->kind = kind;
	victim->expires = now + TICKET_TTL;
	memcpy(out, victim->id, SV_TOKEN_LEN + 1);
	pthread_mutex_unlock(&auth_lock);
}

int
ticket_take(const char *ticket, const char *sid, int domid, int kind,
    double now)
{
	size_t	 i;
	int	 rc = -1;

	if (ticket == NULL || strlen(ticket) != SV_TOKEN_LEN)
		return (-1);
	pthread_mutex_lock(&auth_lock);
	for (i = 0; i < TICKETS_MAX; i++) {
		if (!token_equal(tickets[i].id, ticket))
			continue;
		/* Used or not, a presented ticket is spent. */
		if (tickets[i].expires > now && tickets[i].domid == domid &&
		    tickets[i].kind == kind && token_equal(tickets[i].sid, sid))
			rc = 0;
		memset(&tickets[i], 0, sizeof tickets[i]);
		break;
	}
	pthread_mutex_unlock(&auth_lock);
	return (rc);
}
