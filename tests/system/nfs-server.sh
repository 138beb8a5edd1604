#!/bin/sh
# nfs-server.sh DIR: the NFS-root test's server, run in the test's network
# namespace (ip netns exec NS nfs-server.sh DIR). It re-runs itself in a
# private mount namespace whose /run is a tmpfs, so its rpcbind's socket and
# state are not a host rpcbind's; then runs rpcbind and NFS-Ganesha (config
# DIR/ganesha.conf) in the foreground, writing their pids to DIR/*.pid.
if [ "$1" != --inner ]; then
	exec unshare -m --propagation private "$0" --inner "$@"
fi
dir=$2
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
rpcbind -f &
echo $! >"$dir/rpcbind.pid"
tries=50
until [ -S /run/rpcbind.sock ]; do
	tries=$((tries - 1))
	[ "$tries" -gt 0 ] || { echo "nfs-server: rpcbind did not start"; exit 1; }
	sleep 0.1
done
ganesha.nfsd -F -f "$dir/ganesha.conf" -L "$dir/ganesha.log" \
	-p "$dir/ganesha.pidfile" -N NIV_EVENT &
echo $! >"$dir/ganesha.pid"
wait
