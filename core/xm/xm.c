/* xm.c: the xm program; run.c does the work so tests can call it. */
#include "xen-common.h"
#include "xm.h"

int
main(int argc, char **argv)
{
	return (xm_run(argc - 1, argv + 1));
}
