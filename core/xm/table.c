/*
 * table.c: the command table and lookup.  Exact names and aliases first,
 * then unique prefixes ("xm li" is list); a Xen 2.0 name still works but
 * says what replaced it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "xm.h"

const struct xm_cmd *xm_commands[] = {
	&cmd_create, &cmd_list, &cmd_console, &cmd_shutdown, &cmd_reboot,
	&cmd_destroy, &cmd_pause, &cmd_unpause, &cmd_rename, &cmd_domid,
	&cmd_domname, &cmd_uptime, &cmd_info, &cmd_dmesg, &cmd_log, &cmd_call,
	&cmd_help, NULL
};

/*
 * Commands of the manuals this version does not have.  They are named so
 * that "xm save" says so plainly and fails, rather than "unknown command".
 */
static const struct {
	const char	*name;
	const char	*what;
} xm_unavailable[] = {
	{ "save", "domain save/restore" },
	{ "restore", "domain save/restore" },
	{ "migrate", "live migration" },
	{ "balloon", "memory control (mem-set)" },
	{ "mem-set", "memory control" },
	{ "maxmem", "memory control (mem-max)" },
	{ "mem-max", "memory control" },
	{ "pincpu", "CPU pinning (vcpu-pin)" },
	{ "vcpu-pin", "CPU pinning" },
	{ "vcpu-set", "vCPU hot-plug" },
	{ "vcpu-list", "vCPU listing" },
	{ "sched-credit", "scheduler control" },
	{ "sched-sedf", "scheduler control" },
	{ "bvt", "scheduler control" },
	{ "bvt_ctxallow", "scheduler control" },
	{ "atropos", "scheduler control" },
	{ "rrobin", "scheduler control" },
	{ "consoles", "the console daemon (xenconsoled)" },
	{ "top", "the dashboard" },
	{ "block-attach", "block device hot-plug" },
	{ "network-attach", "network device hot-plug" },
};

static int
name_is(const struct xm_cmd *c, const char *name)
{
	return (strcmp(c->name, name) == 0 ||
	    (c->alias != NULL && strcmp(c->alias, name) == 0));
}

const struct xm_cmd *
xm_lookup(const char *name, char **cause)
{
	const struct xm_cmd	*found = NULL;
	size_t			 i, nfound = 0, len = strlen(name);
	char			*list = NULL, *tmp;

	for (i = 0; xm_commands[i] != NULL; i++) {
		if (name_is(xm_commands[i], name) ||
		    (xm_commands[i]->old_name != NULL &&
		    strcmp(xm_commands[i]->old_name, name) == 0))
			return (xm_commands[i]);
	}
	for (i = 0; i < nitems(xm_unavailable); i++) {
		if (strcmp(xm_unavailable[i].name, name) == 0) {
			*cause = xsprintf("'%s' is not available in this "
			    "version of xm: %s is not part of it yet",
			    name, xm_unavailable[i].what);
			return (NULL);
		}
	}
	for (i = 0; xm_commands[i] != NULL; i++) {
		if (strncmp(xm_commands[i]->name, name, len) != 0)
			continue;
		nfound++;
		found = xm_commands[i];
		xasprintf(&tmp, "%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", found->name);
		free(list);
		list = tmp;
	}
	if (nfound > 1) {
		*cause = xsprintf("ambiguous command '%s': %s", name, list);
		free(list);
		return (NULL);
	}
	free(list);
	if (found == NULL)
		*cause = xsprintf("unknown command '%s'; try 'xm help'", name);
	return (found);
}

