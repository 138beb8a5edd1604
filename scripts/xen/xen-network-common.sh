# xen-network-common.sh: sourced by the network and vif scripts.
#
# Arguments are the manual's "key=value" words (netdev=eth0 bridge=xenbr0);
# xend also passes what it knows as environment variables of the same
# names (vif, domain, domid, mac, bridge, ip) and XEN_CONFIG_DIR,
# XEN_STATE_DIR, XEN_DEFAULT_BRIDGE.  A word sets its variable, so the
# argument wins over the environment.

# Sets each key=value word as a shell variable (known names only, others
# are said and ignored: a word is never evaluated).
xen_parse_args() {
	for _a in "$@"; do
		case $_a in
		*=*) ;;
		*) xen_fatal "unexpected argument '$_a' (expected key=value)" ;;
		esac
		_k=${_a%%=*}
		_v=${_a#*=}
		case $_k in
		bridge|netdev|subnet|dhcp|vif|domain|domid|mac|ip|address|vifnum|antispoof|rate|model|vifname|devid|nat)
			eval "$_k=\$_v" ;;
		*) xen_log "ignoring argument '$_k' (not one of this script's)" ;;
		esac
	done
}

xen_fatal() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

xen_log() {
	echo "$(basename "$0"): $*"
}

# Runs a command; on failure says which and exits 1.
xen_do() {
	"$@" || xen_fatal "failed: $*"
}

xen_state_dir() {
	_d=${XEN_STATE_DIR:-/var/lib/xend}/network
	mkdir -p "$_d" && chmod 0700 "$_d" || xen_fatal "cannot create $_d"
	echo "$_d"
}

xen_link_exists() {
	[ -e "/sys/class/net/$1" ]
}

# Dotted quad <-> integer, for subnet arithmetic.
xen_ip2int() {
	_o1=${1%%.*}; _r=${1#*.}
	_o2=${_r%%.*}; _r=${_r#*.}
	_o3=${_r%%.*}; _o4=${_r#*.}
	echo $(( (_o1 << 24) | (_o2 << 16) | (_o3 << 8) | _o4 ))
}

xen_int2ip() {
	echo "$(( ($1 >> 24) & 255 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"
}

# xen_subnet A.B.C.D/N: sets sub_net, sub_prefix, sub_mask, sub_host (the
# first address: the bridge's), sub_first and sub_last (the DHCP range).
xen_subnet() {
	case $1 in
	*.*.*.*/*) ;;
	*) xen_fatal "subnet '$1': expected A.B.C.D/N" ;;
	esac
	_a=${1%/*}
	sub_prefix=${1#*/}
	case $sub_prefix in
	''|*[!0-9]*) xen_fatal "subnet '$1': bad prefix length" ;;
	esac
	{ [ "$sub_prefix" -ge 8 ] && [ "$sub_prefix" -le 29 ]; } ||
		xen_fatal "subnet '$1': prefix length must be 8 to 29"
	case $_a in
	*[!0-9.]*) xen_fatal "subnet '$1': bad address" ;;
	esac
	_i=$(xen_ip2int "$_a")
	_m=$(( (0xffffffff << (32 - sub_prefix)) & 0xffffffff ))
	_n=$(( _i & _m ))
	_b=$(( _n | (~_m & 0xffffffff) ))
	sub_net=$(xen_int2ip $_n)
	sub_mask=$(xen_int2ip $_m)
	sub_host=$(xen_int2ip $(( _n + 1 )))
	sub_first=$(xen_int2ip $(( _n + 2 )))
	sub_last=$(xen_int2ip $(( _b - 1 )))
}

# Whether pid file $1 names a live process whose command line holds $2.
xen_pid_alive() {
	[ -s "$1" ] || return 1
	_p=$(cat "$1" 2>/dev/null)
	case $_p in ''|*[!0-9]*) return 1 ;; esac
	[ -r "/proc/$_p/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$_p/cmdline" | grep -qF -- "$2"
}
