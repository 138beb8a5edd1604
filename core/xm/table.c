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
	&cmd_create, &cmd_list, &cmd_console, &cmd_consoles, &cmd_shutdown,
	&cmd_reboot,
	&cmd_destroy, &cmd_pause, &cmd_unpause, &cmd_rename, &cmd_domid,
	&cmd_domname, &cmd_uptime, &cmd_info, &cmd_dmesg, &cmd_log, &cmd_call,
	&cmd_mem_set, &cmd_mem_max, &cmd_vcpu_list, &cmd_vcpu_set,
	&cmd_vcpu_pin, &cmd_sched_credit, &cmd_sched_sedf, &cmd_bvt,
	&cmd_atropos, &cmd_block_attach, &cmd_block_detach, &cmd_block_list,
	&cmd_top, &cmd_save, &cmd_restore, &cmd_migrate, &cmd_help,
	&cmd_network_attach, &cmd_network_detach, &cmd_network_list,
	&cmd_vnet_create, &cmd_vnet_list, &cmd_vnet_delete, NULL
};

/*
 * Commands of the manuals (and of Xen 3.0's xm) this xm does not run,
 * each with the reason, so that "xm vnet-list" says so plainly and fails rather
 * than "unknown command".  The man page lists them too.
 */
const struct xm_unavailable xm_unavailable[] = {
	{ "bvt_ctxallow", "no counterpart here: Xen 2.0's BVT context switch "
	    "allowance is global to its scheduler and Linux's has no such "
	    "setting (docs/SCHEDULERS.md)" },
	{ "rrobin", "no counterpart here: Xen 2.0's round-robin slice is "
	    "global to its scheduler; set each domain with sched-credit or "
	    "sched-sedf (docs/SCHEDULERS.md)" },
	{ NULL, NULL }
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
	for (i = 0; xm_unavailable[i].name != NULL; i++) {
		if (strcmp(xm_unavailable[i].name, name) == 0) {
			*cause = xsprintf("%s: not available in this version: "
			    "%s", name, xm_unavailable[i].why);
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

