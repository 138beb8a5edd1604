/*
 * fuzz-jsonl.h: the client side shared by the fuzz targets of the
 * JSON-lines sockets (xend's API, xenconsoled's control socket).
 */
#ifndef FUZZ_JSONL_H
#define FUZZ_JSONL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * Sends data (a newline added) to the server listening on path, running
 * base's loop until every non-empty line has had its one reply; aborts,
 * saying why, if who closes early, stays silent, answers a line with
 * anything but a JSON object with an id and a result or an error, or
 * answers more lines than it was sent.
 */
void	fuzz_jsonl_exchange(struct event_base *base, const char *path,
	    const char *who, const uint8_t *data, size_t size);

#endif
