/* cmd-call.c: xm call OP [JSON-ARGS], a raw xend API call. */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_call_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_call = {
	.name = "call",
	.args = "OP [JSON-ARGS]",
	.summary = "call a xend API operation directly",
	.detail =
	"Sends {\"op\": OP, \"args\": JSON-ARGS} and prints the result as JSON.\n"
	"'xm call api.ops' lists the operations; docs/API.md documents them.\n"
	"Example: xm call domain.get '{\"dom\": \"ttylinux\"}'\n",
	.min_args = 1,
	.max_args = 2,
	.flags = XM_XEND,
	.exec = cmd_call_exec,
};

static int
cmd_call_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*args = NULL, *r;
	json_error_t	 jerr;
	char		*text;

	if (argc == 2) {
		args = json_loads(argv[1], 0, &jerr);
		if (!json_is_object(args)) {
			json_decref(args);
			return (xm_err(ctx, "JSON-ARGS must be a JSON object"
			    "%s%s", args == NULL ? ": " : "",
			    args == NULL ? jerr.text : ""));
		}
	}
	if ((r = xm_call(ctx, argv[0], args)) == NULL)
		return (1);
	text = json_dumps(r, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	printf("%s\n", text != NULL ? text : "null");
	free(text);
	json_decref(r);
	return (0);
}
