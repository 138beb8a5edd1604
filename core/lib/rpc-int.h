/*
 * rpc-int.h: what rpc.c and rpcev.c share of the asynchronous client
 * (not for other files: use rpc.h).
 */
#ifndef RPC_INT_H
#define RPC_INT_H

#include "xen-common.h"
#include "rpc.h"

/* A reply larger than this (xm list at many domains is far less) fails. */
#define RPC_CLIENT_MAX_LINE	(64 * 1024 * 1024)

struct rpc_call;

struct rpc_client {
	struct rpc_lines	 lines;
	json_int_t		 next_id;
	rpc_scan_fn		 scan;
	rpc_event_cb		 event;
	rpc_close_cb		 closed;
	void			*arg;
	char			*broken;	/* a send failed: close soon */
	TAILQ_HEAD(, rpc_call)	 calls;
	size_t			 ncalls;
	void			*ev;		/* rpc_client_attach's */
	void			(*ev_free)(void *);
};

#endif
