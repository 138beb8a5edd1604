/*
 * backoff.h: password checks and the back-off after wrong ones, shared
 * by xenconsoled (consoles, VNC) and xensv (web logins).  Keys name a
 * source: a remote address, or "uid N" for a local user.
 */
#ifndef BACKOFF_H
#define BACKOFF_H

#define BACKOFF_FIRST_S		1.0	/* after one wrong password */
#define BACKOFF_MAX_S		64.0	/* doubling up to this */
#define BACKOFF_FORGET_S	900.0	/* quiet this long: forgotten */

/* Whether password matches the crypt(3) hash (constant time). */
int	password_ok(const char *hash, const char *password);
/* Seconds before key may try a password again (monotonic now); 0: now. */
double	backoff_wait(const char *key, double now);
/* A wrong password from key: returns the back-off (seconds) it earned. */
double	backoff_fail(const char *key, double now);
/* A right one: key starts afresh. */
void	backoff_ok(const char *key);

#endif
