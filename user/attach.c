// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDP goes through a BPF link, so it goes away with the process even on
 * SIGKILL. TC filters (libbpf 1.1 has no tcx links) outlive a killed
 * process: they carry a fixed handle and priority so that the next start
 * finds and removes its own stale ones, and nobody else's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"

#define TC_HANDLE	0x7415
#define TC_PRIORITY	0x7415
#define TC_PROG_NAME	"tc_tlsnoop"
#define LOCK_DIR	"/run/tlsnoop"

static const enum bpf_tc_attach_point tc_points[2] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
static const __u32 tc_parents[2] = { TC_H_MIN_INGRESS, TC_H_MIN_EGRESS };

/*
 * One tlsnoop per interface (per network namespace): an flock on a file
 * named after both. The kernel drops it when the process dies, even on
 * SIGKILL, so a lock left behind never blocks the next start.
 */
static int lock_interface(struct attachment *a)
{
	char path[128], pid[32];
	struct stat ns;
	ssize_t n;
	int fd;

	if (stat("/proc/self/ns/net", &ns))
		ns.st_ino = 0;
	mkdir(LOCK_DIR, 0755);
	snprintf(path, sizeof(path), LOCK_DIR "/net%lu-if%d.lock", (unsigned long)ns.st_ino,
		 a->ifindex);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "tlsnoop: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "tlsnoop: another tlsnoop (pid %s) is watching %s; stop it first\n",
			n > 0 ? strtok(pid, "\n") : "?", a->ifname);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	/* The pid is only a hint for the message above. */
	if (!ftruncate(fd, 0))
		(void)!pwrite(fd, pid, n, 0);
	a->lock_fd = fd;
	return 0;
}

/* Does the clsact hook still carry filters (anyone's) in this direction? */
static bool tc_has_filters(int ifindex, int dir)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
			.tcm_parent = TC_H_MAKE(TC_H_CLSACT, tc_parents[dir]) },
	};
	char buf[16384];
	struct nlmsghdr *nh;
	bool found = false, done = false;
	int fd, len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return true;	/* cannot tell: assume someone's filters are there */
	if (send(fd, &req, sizeof(req), 0) < 0)
		found = true, done = true;
	while (!done && (len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER)
				found = true;
		}
	}
	close(fd);
	return found;
}

static int xdp_attach(struct tlsnoop_bpf *skel, struct attachment *a)
{
	int prog_fd = bpf_program__fd(skel->progs.xdp_tlsnoop), fd, err;
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);

	fd = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
	if (fd < 0 && (errno == EBUSY || errno == EEXIST)) {
		fprintf(stderr, "tlsnoop: the XDP slot of %s is taken by another program; "
			"run with --hook tc\n", a->ifname);
		return -1;
	}
	if (fd < 0) {
		err = errno;
		opts.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &opts);
		if (fd < 0) {
			fprintf(stderr, "tlsnoop: cannot attach XDP to %s: %s; try --hook tc\n",
				a->ifname, strerror(errno));
			return -1;
		}
		fprintf(stderr, "tlsnoop: warning: native XDP unavailable on %s (%s); "
			"using generic XDP\n", a->ifname, strerror(err));
		a->xdp_generic = true;
	}
	a->xdp_link_fd = fd;
	return 0;
}

/* Is the filter at our handle/priority one of ours (by program name)? */
static bool tc_filter_is_ours(__u32 prog_id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, TC_PROG_NAME);
	close(fd);
	return ours;
}

/* Remove a filter left by a tlsnoop that was killed. */
static void tc_remove_stale(struct attachment *a, struct bpf_tc_hook *hook)
{
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = TC_HANDLE, .priority = TC_PRIORITY);

	if (bpf_tc_query(hook, &q) || !tc_filter_is_ours(q.prog_id))
		return;
	q.prog_id = 0;
	q.prog_fd = 0;
	q.flags = 0;
	if (!bpf_tc_detach(hook, &q))
		fprintf(stderr, "tlsnoop: removed a stale tlsnoop filter from %s %s\n",
			a->ifname, hook->attach_point == BPF_TC_INGRESS ? "ingress" : "egress");
}

static int tc_attach(struct tlsnoop_bpf *skel, struct attachment *a, int dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex, .attach_point = tc_points[dir]);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
		    .prog_fd = bpf_program__fd(skel->progs.tc_tlsnoop));
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fprintf(stderr, "tlsnoop: cannot add a clsact qdisc to %s: %s\n", a->ifname,
			strerror(-err));
		return -1;
	}
	if (!err)
		a->clsact_created = true;
	tc_remove_stale(a, &hook);
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		fprintf(stderr, "tlsnoop: cannot attach TC %s filter to %s: %s%s\n",
			dir ? "egress" : "ingress", a->ifname, strerror(-err),
			err == -EEXIST ? " (handle 0x7415 prio 0x7415 is taken by another filter)"
				       : "");
		return -1;
	}
	a->tc_attached[dir] = true;
	return 0;
}

static int attach_one(struct tlsnoop_bpf *skel, struct attachment *a)
{
	if (a->hook == HOOK_XDP && xdp_attach(skel, a))
		return -1;
	if (a->hook == HOOK_TC && tc_attach(skel, a, 0))
		return -1;
	return tc_attach(skel, a, 1);
}

static void detach_one(struct attachment *a)
{
	int dir;

	for (dir = 0; dir < 2; dir++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = tc_points[dir]);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);

		if (a->tc_attached[dir])
			bpf_tc_detach(&hook, &opts);
		a->tc_attached[dir] = false;
	}
	/* The qdisc we added goes too, unless someone has put filters on it
	 * since: destroying it would take theirs. */
	if (a->clsact_created && !tc_has_filters(a->ifindex, 0) && !tc_has_filters(a->ifindex, 1)) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

		bpf_tc_hook_destroy(&hook);
	}
	a->clsact_created = false;
	if (a->xdp_link_fd >= 0)
		close(a->xdp_link_fd);
	a->xdp_link_fd = -1;
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	a->lock_fd = -1;
}

int attach_all(struct tlsnoop_bpf *skel, struct attach_set *s)
{
	int i;

	/* Every lock first: refused by another tlsnoop, we touch nothing. */
	for (i = 0; i < s->n; i++)
		if (lock_interface(&s->ifs[i]))
			goto cleanup;
	for (i = 0; i < s->n; i++)
		if (attach_one(skel, &s->ifs[i]))
			goto cleanup;
	return 0;
cleanup:
	detach_all(s);
	return -1;
}

void detach_all(struct attach_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!s->ifs[i].gone)
			detach_one(&s->ifs[i]);
}

void attach_gone(struct attachment *a)
{
	/* Its filters and qdisc went with it. */
	a->tc_attached[0] = a->tc_attached[1] = false;
	a->clsact_created = false;
	detach_one(a);
	a->gone = true;
}

int attach_watched(const struct attach_set *s)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		n += !s->ifs[i].gone;
	return n;
}

/* snprintf at buf + *len, as far as it fits. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	*len += vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
}

void attach_names(const struct attach_set *s, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < s->n; i++)
		if (!s->ifs[i].gone)
			append(buf, size, &len, "%s%s", len ? "," : "", s->ifs[i].ifname);
}

const char *attach_ifname(const struct attach_set *s, __u32 ifindex)
{
	int i;

	for (i = 0; s && i < s->n; i++)
		if (s->ifs[i].ifindex == (int)ifindex)
			return s->ifs[i].ifname;
	return NULL;
}

static const char *hooks_string(const struct attachment *a)
{
	if (a->hook == HOOK_TC)
		return "tc ingress, tc egress";
	return a->xdp_generic ? "xdp generic ingress, tc egress" : "xdp native ingress, tc egress";
}

void attach_describe(const struct attach_set *s, const char *ports, char *buf, size_t size)
{
	size_t len;
	int i;

	attach_names(s, buf, size);
	len = strlen(buf);
	append(buf, size, &len, " (ports %s", ports);
	for (i = 0; i < s->n; i++) {
		if (s->n == 1)
			append(buf, size, &len, "; %s", hooks_string(&s->ifs[i]));
		else
			append(buf, size, &len, "; %s: %s", s->ifs[i].ifname,
			       hooks_string(&s->ifs[i]));
	}
	append(buf, size, &len, ")");
}
