/*
 * xensv.c: the manual's "xensv start|stop", the web control interface.
 * It is not built in this version; this program says so plainly (exit 2)
 * rather than leaving "command not found", and its help says what to use.
 */
#include <stdio.h>
#include <string.h>

#include "xen-common.h"

#define XENSV_WHY	"the web console is not built yet"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xensv [-h] [-V] start|stop|restart|status\n"
	    "\n"
	    "xensv is the Xen manual's web control interface.  It is not\n"
	    "available in this version: " XENSV_WHY ", so every command\n"
	    "fails with exit status 2.  xend-config.sxp's xensv-address and\n"
	    "xensv-port are accepted for it and not used by anything else.\n"
	    "\n"
	    "To manage domains use xm (xm help), or the full-screen dashboard\n"
	    "xm top, which does what the web interface did: list domains, and\n"
	    "create, pause, balloon, shut down and reach their consoles.\n");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return (0);
	}
	if (argc == 2 && (strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "--version") == 0)) {
		printf("xensv %s\n", XEN_VERSION);
		return (0);
	}
	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	fprintf(stderr, "xensv: not available in this version: %s\n",
	    XENSV_WHY);
	return (2);
}
