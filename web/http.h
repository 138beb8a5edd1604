/*
 * http.h: one HTTP request as http.c and api.c share it (the HTTP
 * thread, and the loop or a login thread while it is suspended).
 */
#ifndef HTTP_H
#define HTTP_H

#include <jansson.h>

#include "xensv.h"

enum req_phase {
	PHASE_NEW,		/* reading the body */
	PHASE_WAIT,		/* suspended: xend or a password check */
	PHASE_DONE,		/* resumed with a reply to send */
	PHASE_SENT,
};

struct req {
	struct MHD_Connection	*conn;
	const char		*method;	/* MHD's, lives as long */
	char			 peer[64];
	char			*what;		/* "METHOD URL", for the audit */
	struct session		 sess;
	int			 has_sess;
	char			*body;		/* NUL-terminated */
	size_t			 len;
	int			 too_big;
	enum req_phase		 phase;
	int			 audit;		/* log the result when done */
	/* The reply. */
	unsigned		 status;
	char			*text;
	size_t			 text_len;
	const char		*ctype;
	char			*cookie;	/* Set-Cookie, if any */
	struct blob		*blob;		/* a shared reply instead of text */
	char			*retry_after;
	/* What to make of xend's result (NULL: pass it on). */
	void			(*done)(struct req *, json_t *result);
	char			 dom[80];	/* a route's {dom} */
	/* Login. */
	char			 login_user[SV_USER_MAX];
	char			*login_pw;
};

/* http.c */
void		 req_reply(struct req *, unsigned status, json_t *body);
void		 req_error(struct req *, unsigned status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Suspends r and calls op on xend (steals args); the reply follows. */
void		 req_xend(struct req *, const char *op, json_t *args);
void		 req_resume(struct req *);
const char	*req_header(struct req *, const char *name);
void		 req_set_cookie(struct req *, const char *value, int max_age);
void		 req_login(struct req *, const char *user, const char *pw);
/* Suspends r and answers with who is attached to domid's console. */
void		 req_consoles(struct req *, int domid);
unsigned	 http_status_of(const char *xend_code);

/* api.c: the REST routes (docs/WEB.md). */
void		 api_route(struct req *, const char *url);

#endif
