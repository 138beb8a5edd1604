/*
 * api-block.c: the API's block hot-plug ops (docs/API.md):
 *
 *   domain.block_attach {dom, uname, dev, mode, policy} -> {note}
 *   domain.block_detach {dom, dev, force}        -> {note}
 *   domain.block_list {dom}                      -> [{uname, dev, mode,
 *                                                    path, format, type,
 *                                                    backing}]
 */
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "domcfg.h"
#include "xend.h"

static const char *
arg_string(struct api_req *req, const char *key)
{
	json_t	*v = json_object_get(req->args, key);

	if (!json_is_string(v)) {
		server_error(req, "invalid", "%s: expected a string", key);
		return (NULL);
	}
	return (json_string_value(v));
}

static void
api_block_done(struct domain *d, const char *code, const char *msg,
    void *arg)
{
	struct api_req	*req = arg;

	if (code != NULL)
		server_error(req, code, "%s", msg);
	else
		server_reply(req, json_pack("{s:s?}", "note", msg));
}

void
api_domain_block_attach(struct api_req *req, struct domain *d)
{
	const char	*uname, *dev, *mode;
	json_t		*disk, *policy = json_object_get(req->args, "policy");
	struct sdisk	 sd;
	struct domcfg	 one;
	struct domcfg_disk dd;
	char		*cause;
	int		 rc;

	if ((uname = arg_string(req, "uname")) == NULL ||
	    (dev = arg_string(req, "dev")) == NULL ||
	    (mode = arg_string(req, "mode")) == NULL)
		return;
	if ((disk = domcfg_disk(uname, dev, mode, NULL, &cause)) == NULL) {
		server_error(req, "invalid", "%s", cause);
		free(cause);
		return;
	}
	if (strchr(json_string_value(json_object_get(disk, "uname")),
	    ':')[1] != '/') {
		json_decref(disk);
		server_error(req, "invalid", "uname: the path must be absolute");
		return;
	}
	sd.uname = json_string_value(json_object_get(disk, "uname"));
	sd.dev = json_string_value(json_object_get(disk, "dev"));
	sd.mode = json_string_value(json_object_get(disk, "mode"));
	/* A service acting for others passes its policy, as with create. */
	if (policy != NULL) {
		memset(&one, 0, sizeof one);
		dd.uname = (char *)sd.uname;
		dd.dev = (char *)sd.dev;
		dd.mode = (char *)sd.mode;
		one.disks = &dd;
		one.ndisks = 1;
		rc = api_policy_check(policy, &one, &cause);
		if (rc != 0) {
			json_decref(disk);
			server_error(req, "denied", "%s", cause);
			free(cause);
			return;
		}
	}
	rc = blockdev_attach(d, &sd, api_block_done, req, &cause);
	json_decref(disk);
	if (rc != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

void
api_domain_block_detach(struct api_req *req, struct domain *d)
{
	const char	*dev;
	json_t		*force = json_object_get(req->args, "force");
	char		*cause;

	if ((dev = arg_string(req, "dev")) == NULL)
		return;
	if (force != NULL && !json_is_boolean(force)) {
		server_error(req, "invalid", "force: expected true or false");
		return;
	}
	if (strncmp(dev, "/dev/", 5) == 0)
		dev += 5;
	if (blockdev_detach(d, dev, json_is_true(force), api_block_done, req,
	    &cause) != 0) {
		server_error(req, "failed", "%s", cause);
		free(cause);
	}
}

void
api_domain_block_list(struct api_req *req, struct domain *d)
{
	server_reply(req, blockdev_list(d));
}
