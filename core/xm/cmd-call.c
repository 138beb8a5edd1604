/* cmd-call.c: xm call OP [JSON-ARGS], a raw xend API call. */
#include <stdio.h>
#include <stdlib.h>

#include "xen-common.h"
#include "xm.h"

static int	cmd_call_exec(struct xm_ctx *, int, char **);

const struct xm_cmd cmd_call = {
	"call", NULL, NULL, "OP [JSON-ARGS]",
	"call a xend API operation directly",
	"Sends {\"op\": OP, \"args\": JSON-ARGS} and prints the result as JSON.\n"
	"'xm call api.ops' lists the operations; docs/API.md documents them.\n"
	"Example: xm call domain.get '{\"dom\": \"ttylinux\"}'\n",
	XM_XEND, cmd_call_exec
};

static int
cmd_call_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	json_t		*args = NULL, *r;
	json_error_t	 jerr;
	char		*text;

	if (argc < 2 || argc > 3 || argv[1][0] == '-')
		return (xm_usage(ctx));
	if (argc == 3) {
		args = json_loads(argv[2], 0, &jerr);
		if (!json_is_object(args)) {
			json_decref(args);
			return (xm_err(ctx, "JSON-ARGS must be a JSON object"
			    "%s%s", args == NULL ? ": " : "",
			    args == NULL ? jerr.text : ""));
		}
	}
	if ((r = xm_call(ctx, argv[1], args)) == NULL)
		return (1);
	text = json_dumps(r, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	printf("%s\n", text != NULL ? text : "null");
	free(text);
	json_decref(r);
	return (0);
}
