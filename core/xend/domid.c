/* domid.c: domain id allocation from a rover. */
#include "xen-common.h"
#include "xend.h"

int
domid_pick(int *rover, int max, int (*in_use)(int, void *), void *arg)
{
	int	 i, id;

	if (*rover < 1 || *rover > max)
		*rover = 1;
	for (i = 0; i < max; i++) {
		id = *rover;
		*rover = *rover >= max ? 1 : *rover + 1;
		if (!in_use(id, arg))
			return (id);
	}
	return (-1);
}
