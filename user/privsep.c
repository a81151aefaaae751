// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Privilege separation, as in OpenSSH and tcpdump -Z: the process that
 * parses what comes off the wire holds no privilege. The parent keeps root
 * for what cannot be done without it: taking the programs off the
 * interfaces at the end (TC filters and libxdp's slots outlive the process
 * that attached them) and opening the -o file again on SIGHUP, which
 * logrotate may have recreated root-only.
 */
#define _GNU_SOURCE	/* setresuid, setresgid */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "privsep.h"

/* The child's exit status when the kernel refuses it the maps. */
#define EXIT_NO_MAP_ACCESS	77

int privsep_init(struct privsep *ps, const char *user)
{
	struct passwd *pw = getpwnam(user);
	char *end;
	long uid;

	*ps = (struct privsep){ .user = user, .child = -1, .sock = -1 };
	if (!pw) {
		errno = 0;
		uid = strtol(user, &end, 10);
		if (*user && !*end && !errno && uid >= 0 && uid < 0x7fffffff)
			pw = getpwuid(uid);
	}
	if (!pw) {
		fprintf(stderr, "tlsnoop: no user '%s' here (--user); give an existing user to run "
			"the collector as, such as nobody, or root to keep privileges\n", user);
		return -1;
	}
	ps->uid = pw->pw_uid;
	ps->gid = pw->pw_gid;
	return 0;
}

bool privsep_enabled(const struct privsep *ps)
{
	return ps->uid != 0;
}

/* Every capability out of the bounding set, the other sets emptied by
 * leaving uid 0, and no way back (no_new_privs; setuid(0) must fail). */
static int drop_privileges(const struct privsep *ps)
{
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -1;
	if (setgroups(0, NULL) || setresgid(ps->gid, ps->gid, ps->gid) ||
	    setresuid(ps->uid, ps->uid, ps->uid))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	if (!setuid(0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static void child_start(struct privsep *ps, pid_t parent, int map_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	ps->is_child = true;
	/* The parent gone, nobody would detach: stop too (SIGTERM: a summary). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) || getppid() != parent)
		_exit(1);
	if (drop_privileges(ps)) {
		fprintf(stderr, "tlsnoop: cannot drop privileges to user '%s': %s\n", ps->user,
			strerror(errno));
		_exit(1);
	}
	/* Before Linux 5.19 (with kernel.unprivileged_bpf_disabled), no bpf() call
	 * at all, on any map, is allowed to an unprivileged process. */
	if (map_fd >= 0 && bpf_obj_get_info_by_fd(map_fd, &info, &len) && errno == EPERM)
		_exit(EXIT_NO_MAP_ACCESS);
}

/* Open -o again for the child: a datagram with the descriptor, or without
 * one when it cannot be opened (said here). */
static void send_output(struct privsep *ps, const char *path)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	char ok = 1;
	struct iovec iov = { .iov_base = &ok, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "tlsnoop: cannot reopen '%s': %s; still counting for the "
			"summary\n", path, strerror(errno));
		ok = 0;
	} else {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(ps->sock, &msg, MSG_DONTWAIT) < 0)
		fprintf(stderr, "tlsnoop: cannot hand the reopened '%s' to the collector: %s\n",
			path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int privsep_take_output(struct privsep *ps, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], ok;
	struct iovec iov = { .iov_base = &ok, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;

	*fd = -1;
	if (!ps->is_child || recvmsg(ps->sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return 0;
	cm = CMSG_FIRSTHDR(&msg);
	if (ok && cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 1;
}

/* What the parent waits for, blocked to be taken with sigwaitinfo(). */
static void parent_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

/* Until the child ends: signals that stop tlsnoop go on to it, SIGHUP
 * reopens -o for it. The status tlsnoop exits with. */
static int parent_wait(struct privsep *ps, const char *output)
{
	sigset_t set;
	int sig, st;

	parent_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		if (waitpid(ps->child, &st, WNOHANG) == ps->child)
			break;
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGHUP && output)
			send_output(ps, output);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
			kill(ps->child, sig);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	fprintf(stderr, "tlsnoop: the collector (pid %d) was killed by signal %d (%s); "
		"programs detached\n", ps->child, WTERMSIG(st), strsignal(WTERMSIG(st)));
	return 128 + WTERMSIG(st);
}

int privsep_fork(struct privsep *ps, const char *output, int map_fd, int *status)
{
	pid_t parent = getpid();
	sigset_t set;
	int sv[2];

	/* Nothing buffered may be written twice. */
	fflush(NULL);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		fprintf(stderr, "tlsnoop: warning: cannot set up --user (%s); the collector "
			"runs as root\n", strerror(errno));
		return 0;
	}
	ps->child = fork();
	if (ps->child < 0) {
		fprintf(stderr, "tlsnoop: warning: cannot fork the collector for --user (%s); "
			"it runs as root\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (!ps->child) {
		close(sv[0]);
		ps->sock = sv[1];
		child_start(ps, parent, map_fd);
		return 0;
	}
	close(sv[1]);
	ps->sock = sv[0];
	*status = parent_wait(ps, output);
	if (*status != EXIT_NO_MAP_ACCESS)
		return 1;
	fprintf(stderr, "tlsnoop: warning: this kernel lets no unprivileged process use BPF "
		"maps (kernel.unprivileged_bpf_disabled, before Linux 5.19): the collector runs "
		"as root; --user root says so and silences this\n");
	close(ps->sock);
	ps->sock = -1;
	ps->child = -1;
	parent_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}
