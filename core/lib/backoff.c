/*
 * backoff.c: wrong passwords and what they cost, for every door that
 * takes one (xenconsoled's remote consoles and VNC, xensv's logins):
 * a constant-time crypt(3) check, and a back-off per source (an address,
 * or "uid N") that doubles from BACKOFF_FIRST_S to BACKOFF_MAX_S and is
 * forgotten after BACKOFF_FORGET_S quiet seconds.  Thread-safe.
 */
#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "backoff.h"

#define BACKOFF_MAX_ENTRIES	4096

struct backoff {
	char			*key;
	unsigned		 failures;
	double			 until;		/* monotonic */
	double			 last;
	TAILQ_ENTRY(backoff)	 entry;
};
static TAILQ_HEAD(, backoff)	 backoffs = TAILQ_HEAD_INITIALIZER(backoffs);
static unsigned			 nbackoffs;
static pthread_mutex_t		 backoff_lock = PTHREAD_MUTEX_INITIALIZER;

int
password_ok(const char *hash, const char *password)
{
	struct crypt_data	*cd = xcalloc(1, sizeof *cd);
	const char		*out;
	size_t			 i, n;
	unsigned char		 diff = 0;

	/*
	 * crypt_rn, not crypt_r: ASan intercepts crypt_r, so --as-needed
	 * would drop libcrypt from sanitized builds.
	 */
	out = crypt_rn(password, hash, cd, sizeof *cd);
	/* libxcrypt fails with NULL or a string starting '*'. */
	if (out == NULL || *out == '*' || (n = strlen(out)) != strlen(hash)) {
		free(cd);
		return (0);
	}
	for (i = 0; i < n; i++)
		diff |= (unsigned char)out[i] ^ (unsigned char)hash[i];
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return (diff == 0);
}

static struct backoff *
backoff_find(const char *key, double now)
{
	struct backoff	*b, *b1;

	TAILQ_FOREACH_SAFE(b, &backoffs, entry, b1) {
		if (now - b->last > BACKOFF_FORGET_S) {
			TAILQ_REMOVE(&backoffs, b, entry);
			nbackoffs--;
			free(b->key);
			free(b);
			continue;
		}
		if (strcmp(b->key, key) == 0)
			return (b);
	}
	return (NULL);
}

double
backoff_wait(const char *key, double now)
{
	struct backoff	*b;
	double		 left = 0;

	pthread_mutex_lock(&backoff_lock);
	if ((b = backoff_find(key, now)) != NULL && b->until > now)
		left = b->until - now;
	pthread_mutex_unlock(&backoff_lock);
	return (left);
}

double
backoff_fail(const char *key, double now)
{
	struct backoff	*b;
	double		 delay;

	pthread_mutex_lock(&backoff_lock);
	if ((b = backoff_find(key, now)) == NULL) {
		if (nbackoffs >= BACKOFF_MAX_ENTRIES) {
			/* The oldest go first: they are nearest to expiry. */
			b = TAILQ_FIRST(&backoffs);
			TAILQ_REMOVE(&backoffs, b, entry);
			free(b->key);
			free(b);
			nbackoffs--;
		}
		b = xcalloc(1, sizeof *b);
		b->key = xstrdup(key);
		nbackoffs++;
	} else
		TAILQ_REMOVE(&backoffs, b, entry);
	TAILQ_INSERT_TAIL(&backoffs, b, entry);
	b->failures++;
	delay = BACKOFF_FIRST_S * (double)(1u << (b->failures > 16 ? 16 :
	    b->failures - 1));
	if (delay > BACKOFF_MAX_S)
		delay = BACKOFF_MAX_S;
	b->until = now + delay;
	b->last = now;
	pthread_mutex_unlock(&backoff_lock);
	return (delay);
}

void
backoff_ok(const char *key)
{
	struct backoff	*b;

	pthread_mutex_lock(&backoff_lock);
	TAILQ_FOREACH(b, &backoffs, entry) {
		if (strcmp(b->key, key) == 0) {
			TAILQ_REMOVE(&backoffs, b, entry);
			nbackoffs--;
			free(b->key);
			free(b);
			break;
		}
	}
	pthread_mutex_unlock(&backoff_lock);
}
