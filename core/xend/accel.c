/*
 * accel.c: kvm or tcg.  Nested KVM can let QEMU start and then hang a
 * Linux guest early in boot, so "accel auto" does not trust /dev/kvm alone:
 * it boots the probe kernel (no root fs) under KVM and expects it to reach
 * its "unable to mount root" panic within a bound.  The verdict is cached in
 * the state dir, keyed by boot id, QEMU and kernel, so it runs once.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "xend.h"

#define ACCEL_PROBE_SECONDS 10.0

static const char	*accel;
static char		*reason;

const char *
accel_get(void)
{
	return (accel != NULL ? accel : "tcg");
}

const char *
accel_reason(void)
{
	return (reason != NULL ? reason : "");
}

static int
accel_probe_run(const char *kernel)
{
	int	 pfd[2], ok = 0, status;
	pid_t	 pid;
	char	 buf[4096], seen[8192];
	size_t	 used = 0;
	ssize_t	 n;
	double	 deadline = time_mono() + ACCEL_PROBE_SECONDS, left;
	struct pollfd pf;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		return (0);
	if ((pid = fork()) == 0) {
		int nullfd = open("/dev/null", O_RDWR);

		setsid();
		dup2(nullfd, 0);
		dup2(pfd[1], 1);
		dup2(nullfd, 2);
		execlp(xend_cfg.qemu, xend_cfg.qemu, "-machine",
		    "pc,accel=kvm", "-cpu", "host", "-m", "128", "-nodefaults",
		    "-no-user-config", "-display", "none", "-serial", "stdio",
		    "-no-reboot", "-kernel", kernel, "-append",
		    "console=ttyS0 panic=-1 loglevel=4", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	if (pid == -1) {
		close(pfd[0]);
		return (0);
	}
	seen[0] = '\0';
	while ((left = deadline - time_mono()) > 0) {
		pf.fd = pfd[0];
		pf.events = POLLIN;
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if ((n = read(pfd[0], buf, sizeof buf)) <= 0)
			break;
		/* Keep a sliding window big enough for the marker. */
		if (used + n >= sizeof seen) {
			size_t keep = 256 < used ? 256 : used;
			memmove(seen, seen + used - keep, keep);
			used = keep;
		}
		if ((size_t)n >= sizeof seen - used)
			n = sizeof seen - used - 1;
		memcpy(seen + used, buf, n);
		used += n;
		seen[used] = '\0';
		if (strstr(seen, "Kernel panic") != NULL ||
		    strstr(seen, "VFS: Unable to mount root") != NULL) {
			ok = 1;
			break;
		}
	}
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return (ok);
}

void
accel_init(void)
{
	struct stat	 st;
	char		*boot_id = NULL, *key, *cache, *cached = NULL, *cause;
	char		*qver, *text;
	int		 fd;

	if (strcmp(xend_cfg.accel, "tcg") == 0 ||
	    strcmp(xend_cfg.accel, "kvm") == 0) {
		accel = xend_cfg.accel;
		reason = xsprintf("set by accel in %s", xend_cfg.path);
		goto done;
	}
	if (strcmp(xend_cfg.accel, "auto") != 0)
		fatalx("accel: expected auto, kvm or tcg, got '%s'",
		    xend_cfg.accel);
	accel = "tcg";
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1) {
		reason = xsprintf("/dev/kvm: %s", strerror(errno));
		goto done;
	}
	close(fd);
	if (stat(xend_cfg.accel_probe_kernel, &st) != 0) {
		reason = xsprintf("kvm not probed, no kernel at %s",
		    xend_cfg.accel_probe_kernel);
		goto done;
	}
	if (file_read("/proc/sys/kernel/random/boot_id", &boot_id, NULL,
	    &cause) != 0) {
		free(cause);
		boot_id = xstrdup("?\n");
	}
	boot_id[strcspn(boot_id, "\n")] = '\0';
	qver = qemu_version();
	xasprintf(&key, "%s %s %s %lld\n", boot_id, qver,
	    xend_cfg.accel_probe_kernel, (long long)st.st_mtime);
	free(qver);
	free(boot_id);
	xasprintf(&cache, "%s/accel-probe", xend_cfg.state_dir);
	if (file_read(cache, &cached, NULL, &cause) == 0 &&
	    strncmp(cached, key, strlen(key)) == 0) {
		accel = strstr(cached + strlen(key), "kvm") != NULL ? "kvm" :
		    "tcg";
		reason = xsprintf("kvm self-test %s (cached)",
		    strcmp(accel, "kvm") == 0 ? "passed" : "failed");
	} else {
		if (cached == NULL)
			free(cause);
		if (accel_probe_run(xend_cfg.accel_probe_kernel)) {
			accel = "kvm";
			reason = xstrdup("kvm self-test passed");
		} else
			reason = xsprintf("kvm self-test failed: guest kernel "
			    "did not boot within %.0f s", ACCEL_PROBE_SECONDS);
		xasprintf(&text, "%s%s\n", key, accel);
		if (file_write_atomic(cache, text, strlen(text), 0644,
		    &cause) != 0) {
			log_warn("%s", cause);
			free(cause);
		}
		free(text);
	}
	free(cached);
	free(cache);
	free(key);
done:
	dmesg_add("accel %s: %s", accel, reason);
}
