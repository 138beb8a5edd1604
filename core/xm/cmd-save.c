/* cmd-save.c: xm save [-c] DOM FILE */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_save_exec(struct xm_ctx *, int, char **);

static const struct option cmd_save_longopts[] = {
	{ "checkpoint", no_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_save = {
	.name = "save",
	.args = "[-c] DOM FILE",
	.summary = "save a domain's state to a file; the domain is gone after",
	.detail =
	"Pauses the domain, writes its memory, device state and config to FILE\n"
	"and destroys it; xm restore FILE brings it back.  The file appears\n"
	"only once it is whole: a save that fails leaves the domain running\n"
	"and no FILE.\n"
	"\n"
	"  -c, --checkpoint  keep the domain running after the save\n",
	.options = "c",
	.longopts = cmd_save_longopts,
	.min_args = 2,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_save_exec,
};

static int
cmd_save_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	char	*file = path_absolute(argv[1]);
	json_t	*res;

	res = xm_job_run(ctx, "domain.save", json_pack("{s:s, s:s, s:b}",
	    "dom", argv[0], "file", file, "checkpoint", xm_has(ctx, 'c')),
	    "save", file, "saving");
	if (res == NULL) {
		free(file);
		return (1);
	}
	printf("saved %s to %s: %.1f MiB in %.2f s\n",
	    json_string_value(json_object_get(res, "name")), file,
	    json_number_value(json_object_get(res, "bytes")) / (1024 * 1024),
	    json_number_value(json_object_get(res, "seconds")));
	if (json_is_string(json_object_get(res, "warning")))
		xm_warn(ctx, "%s", json_string_value(json_object_get(res,
		    "warning")));
	json_decref(res);
	free(file);
	return (0);
}
