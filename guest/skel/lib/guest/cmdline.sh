# Kernel command line, sourced by the initramfs /init, rcS and console-getty.
# The kernel consumes only the arguments it knows; the guest's own contract
# (root= as /init sees it, ip=, hostname=...) is read back from /proc/cmdline.
#
# cmdline_parse sets, in one pass and without forking (every fork counts
# under TCG), where the last occurrence of an argument wins as in the kernel:
#   CL_root CL_rootfstype CL_rootflags CL_rootdelay CL_init CL_ip CL_console
#   CL_nfsroot
#   CL_rootmode   ro or rw (kernel default ro)
#   CL_rootwait   1 if rootwait was given
#   CL_hostname   hostname=, else the <hostname> field of ip=, else ttylinux
cmdline_parse() {
	CL_root='' CL_rootfstype='' CL_rootflags='' CL_rootdelay='' CL_init=''
	CL_ip='' CL_nfsroot='' CL_console='' CL_rootmode=ro CL_rootwait='' CL_hostname=
	read -r _cl </proc/cmdline
	set -f		# an argument such as '*' must not glob
	for _arg in $_cl; do
		case $_arg in
		root=*)		CL_root=${_arg#*=} ;;
		rootfstype=*)	CL_rootfstype=${_arg#*=} ;;
		rootflags=*)	CL_rootflags=${_arg#*=} ;;
		rootdelay=*)	CL_rootdelay=${_arg#*=} ;;
		rootwait)	CL_rootwait=1 ;;
		ro|rw)		CL_rootmode=$_arg ;;
		init=*)		CL_init=${_arg#*=} ;;
		ip=*)		CL_ip=${_arg#*=} ;;
		nfsroot=*)	CL_nfsroot=${_arg#*=} ;;
		hostname=*)	CL_hostname=${_arg#*=} ;;
		console=*)	CL_console=${_arg#*=} ;;
		esac
	done
	set +f
	if [ -z "$CL_hostname" ]; then
		case $CL_ip in
		*:*:*:*:*)
			_ifs=$IFS; IFS=:
			set -f; set -- $CL_ip; set +f
			IFS=$_ifs
			CL_hostname=$5 ;;
		esac
	fi
	CL_hostname=${CL_hostname:-ttylinux}
}
