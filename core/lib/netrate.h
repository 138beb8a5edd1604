/*
 * netrate.h: a vif's rate limit (rate=10Mb/s@50ms), parsed; xend applies
 * it with tc on the vif's tap (what the guest receives) and nftables
 * (what it sends), and the config's check uses it.
 */
#ifndef NETRATE_H
#define NETRATE_H

struct netrate {
	unsigned long long	 bits_per_s;
	unsigned long		 interval_us;	/* default 50 ms */
	unsigned long long	 burst_bytes;	/* a rate's worth of interval */
};

/* 0, or -1 and *cause (caller frees). */
int	netrate_parse(const char *, struct netrate *, char **cause);

#endif
