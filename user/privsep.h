/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Privilege separation (--user). Once the programs are loaded and attached
 * and the outputs open, tlsnoop forks: the child, the collector, drops to
 * the user with no capabilities and does everything with the bytes that
 * come off the wire; the parent keeps root only to take the programs off
 * again when the child ends, and to reopen -o on SIGHUP (handing the child
 * the new file's descriptor).
 */
#ifndef __PRIVSEP_H
#define __PRIVSEP_H

#include <stdbool.h>
#include <sys/types.h>

struct privsep {
	const char *user;
	uid_t uid;
	gid_t gid;
	pid_t child;		/* in the parent */
	int sock;		/* the parent's end in the parent, the child's in the child */
	bool is_child;
};

/* Look USER up (before anything is attached). 0, or -1 after one line.
 * Root (uid 0) means no separation: privsep_enabled() is then false. */
int privsep_init(struct privsep *ps, const char *user);
bool privsep_enabled(const struct privsep *ps);

/*
 * Fork. Returns 0 in the child, dropped to the user, and in the parent when
 * the child could not work unprivileged (the kernel refuses BPF map access
 * to unprivileged processes before Linux 5.19; one warning line) or fork
 * failed (a line): the parent is then the collector itself. In the parent
 * otherwise it returns 1 when the child has ended, with the status to exit
 * with in *status. map_fd: a map the collector reads, to probe that access.
 */
int privsep_fork(struct privsep *ps, const char *output, int map_fd, int *status);

/* In the child, after SIGHUP: 1 when the parent has reopened -o, with its
 * descriptor in *fd (-1: it could not, and said why); 0 when it has not. */
int privsep_take_output(struct privsep *ps, int *fd);

#endif /* __PRIVSEP_H */
