// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDP goes through libxdp's dispatcher, so that tlsnoop runs beside other
 * XDP programs on the interface (each a slot of the dispatcher, run in
 * priority order). Its slot is pinned in bpffs and, like TC filters
 * (libbpf 1.1 has no tcx links), outlives a killed process: both are found
 * by name (and TC by a fixed handle and priority) at the next start and
 * removed, ours only.
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
#include <xdp/libxdp.h>
#include "attach.h"

#define TC_HANDLE	0x7415
#define TC_PRIORITY	0x7415
#define TC_PROG_NAME	"tc_tlsnoop"
#define XDP_PROG_NAME	"xdp_tlsnoop"
/* Before the dispatcher's default (50): tlsnoop passes every packet on, so
 * it sees them before a program that redirects or drops them. */
#define XDP_RUN_PRIO	10
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

/*
 * libxdp loads a dispatcher slot program itself (as an extension of the
 * dispatcher), so it needs an object not yet loaded: a second instance of
 * tlsnoop's object holding only xdp_tlsnoop, on the skeleton's maps.
 */
static struct bpf_object *xdp_object_open(struct tlsnoop_bpf *skel)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = bpf_object__name(skel->obj));
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map, *own;
	const void *elf;
	size_t size;

	elf = tlsnoop_bpf__elf_bytes(&size);
	obj = bpf_object__open_mem(elf, size, &opts);
	if (!obj)
		return NULL;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), XDP_PROG_NAME));
	bpf_object__for_each_map(map, obj) {
		own = bpf_object__find_map_by_name(skel->obj, bpf_map__name(map));
		if (!own || bpf_map__reuse_fd(map, bpf_map__fd(own))) {
			bpf_object__close(obj);
			errno = own ? errno : ENOENT;
			return NULL;
		}
	}
	return obj;
}

/* Take xdp_tlsnoop slots left by a killed tlsnoop off the interface. */
static void xdp_remove_stale(struct attachment *a)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(a->ifindex);
	enum xdp_attach_mode mode;
	struct xdp_program *p;
	int removed = 0;

	if (libxdp_get_error(mp) || !mp)
		return;
	mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XDP_PROG_NAME))
			removed = !xdp_multiprog__detach(mp);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), XDP_PROG_NAME))
				removed += !xdp_program__detach(p, a->ifindex, mode, 0);
	}
	xdp_multiprog__close(mp);
	if (removed)
		fprintf(stderr, "tlsnoop: removed a stale tlsnoop XDP program from %s\n",
			a->ifname);
}

/*
 * What holds the interface's XDP slot already: nothing (0), libxdp's
 * dispatcher (0, *mode its mode, which ours must share), or a program
 * attached without it, which cannot share (-1, after saying so).
 */
static int xdp_slot_check(struct attachment *a, enum xdp_attach_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(a->ifindex);
	struct xdp_program *p;
	int err = 0;

	*mode = XDP_MODE_UNSPEC;
	if (libxdp_get_error(mp) || !mp)
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		fprintf(stderr, "tlsnoop: the XDP slot of %s is taken by %s, attached without "
			"libxdp's dispatcher (directly, or on a kernel without the BPF extension "
			"programs it needs); run with --hook tc\n", a->ifname,
			p ? xdp_program__name(p) : "another program");
		err = -1;
	} else {
		*mode = xdp_multiprog__attach_mode(mp);
	}
	xdp_multiprog__close(mp);
	return err;
}

static int xdp_attach(struct tlsnoop_bpf *skel, struct attachment *a)
{
	enum xdp_attach_mode mode;
	int err;

	xdp_remove_stale(a);
	if (xdp_slot_check(a, &mode))
		return -1;
	a->xdp_obj = xdp_object_open(skel);
	if (!a->xdp_obj) {
		fprintf(stderr, "tlsnoop: cannot prepare the XDP program: %s\n", strerror(errno));
		return -1;
	}
	a->xdp_prog = xdp_program__from_bpf_obj(a->xdp_obj, "xdp");
	err = libxdp_get_error(a->xdp_prog);
	if (err) {
		a->xdp_prog = NULL;
		fprintf(stderr, "tlsnoop: cannot prepare the XDP program: %s\n", strerror(-err));
		return -1;
	}
	xdp_program__set_run_prio(a->xdp_prog, XDP_RUN_PRIO);
	/* Unspecified: the kernel takes native mode where the driver has it. */
	err = xdp_program__attach(a->xdp_prog, a->ifindex, mode, 0);
	if (err) {
		fprintf(stderr, "tlsnoop: cannot attach XDP to %s: %s; try --hook tc\n",
			a->ifname, strerror(-err));
		return -1;
	}
	a->xdp_mode = xdp_program__is_attached(a->xdp_prog, a->ifindex);
	a->xdp_attached = true;
	/* Generic by choice of the kernel, not of a dispatcher already there. */
	if (mode == XDP_MODE_UNSPEC && a->xdp_mode == XDP_MODE_SKB)
		fprintf(stderr, "tlsnoop: warning: native XDP unavailable on %s; using generic "
			"XDP\n", a->ifname);
	return 0;
}

static void xdp_detach(struct attachment *a)
{
	if (a->xdp_attached)
		xdp_program__detach(a->xdp_prog, a->ifindex, a->xdp_mode, 0);
	a->xdp_attached = false;
	xdp_program__close(a->xdp_prog);
	a->xdp_prog = NULL;
	bpf_object__close(a->xdp_obj);
	a->xdp_obj = NULL;
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
	xdp_detach(a);
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

	for (i = 0; i < s->n; i++) {
		if (!s->ifs[i].gone && attach_is_gone(&s->ifs[i]))
			attach_gone(&s->ifs[i]);
		if (!s->ifs[i].gone)
			detach_one(&s->ifs[i]);
	}
}

void attach_leave_to_parent(struct attach_set *s)
{
	struct attachment *a;
	int i;

	for (i = 0; i < s->n; i++) {
		a = &s->ifs[i];
		if (a->lock_fd >= 0)
			close(a->lock_fd);
		a->lock_fd = -1;
		/* This copy of the attachments is the parent's to undo: free
		 * it, detaching nothing. */
		a->xdp_attached = a->tc_attached[0] = a->tc_attached[1] = false;
		a->clsact_created = false;
		xdp_detach(a);
	}
}

bool attach_is_gone(const struct attachment *a)
{
	char name[IF_NAMESIZE];

	return !if_indextoname(a->ifindex, name) && errno == ENXIO;
}

void attach_gone(struct attachment *a)
{
	/* Its filters, qdisc and XDP dispatcher went with it. */
	a->tc_attached[0] = a->tc_attached[1] = false;
	a->xdp_attached = false;
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
	return a->xdp_mode == XDP_MODE_SKB ? "xdp generic ingress, tc egress"
					   : "xdp native ingress, tc egress";
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
