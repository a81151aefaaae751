// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tlsnoop: which clients fail TLS handshakes here, and why. Wiring only. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "attach.h"
#include "active_check.h"
#include "capture.h"
#include "collect.h"
#include "host/tlsnoop_host.h"
#include "options.h"
#include "privsep.h"
#include "summary.h"
#include "top.h"


#define POLL_MS		100
#define EXPIRE_EVERY_NS	1000000000ULL

static volatile sig_atomic_t exiting, reopen_output;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* SIGHUP: logrotate moved the -o file; write a new one in its place. */
static void on_hangup(int sig)
{
	(void)sig;
	reopen_output = 1;
}

/*
 * Each event line reaches a file or pipe in one write() (the collector
 * flushes after each): stdio's default buffer, a block, would cut a long
 * line in two, and a reader tailing the file would see half of it.
 */
static void event_lines_whole(FILE *f)
{
	if (f && !isatty(fileno(f)))
		setvbuf(f, NULL, _IOFBF, 1 << 16);
}

static void reopen(struct collector *c, const char *path, struct privsep *ps)
{
	FILE *f;
	int fd;

	reopen_output = 0;
	if (!path || !c->out)
		return;
	fflush(c->out);
	/* Under --user the parent opens it (said why when it cannot). */
	if (ps->is_child) {
		if (!privsep_take_output(ps, &fd))
			return;
		f = fd >= 0 ? fdopen(fd, "a") : NULL;
		fclose(c->out);
		event_lines_whole(f);
		c->out = f;
		c->write_failed = !f;
		return;
	}
	if (!freopen(path, "a", c->out)) {
		/* freopen closed the old stream: no more event lines. */
		fprintf(stderr, "tlsnoop: cannot reopen '%s': %s; still counting for the "
			"summary\n", path, strerror(errno));
		c->out = NULL;
		c->write_failed = true;
		return;
	}
	event_lines_whole(c->out);
	c->write_failed = false;
}

/* Is it administratively up? Taken as up when that cannot be told. */
static bool interface_up(unsigned int ifindex)
{
	struct ifreq ifr = {};
	bool up = true;
	int fd;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return true;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
		up = ifr.ifr_flags & IFF_UP;
	close(fd);
	return up;
}

/* Once a second. An interface that goes down keeps its programs (they see
 * its traffic again when it comes back up): say so, once each way. One that
 * is deleted is dropped, and the others go on; -ENODEV when none is left. */
static int check_interfaces(struct attach_set *watched)
{
	char names[MAX_INTERFACES * IF_NAMESIZE];
	struct attachment *a;
	bool up;
	int i;

	for (i = 0; i < watched->n; i++) {
		a = &watched->ifs[i];
		if (a->gone)
			continue;
		if (attach_is_gone(a)) {
			attach_gone(a);
			if (!attach_watched(watched)) {
				fprintf(stderr, "tlsnoop: interface %s is gone; stopping\n",
					a->ifname);
				return -ENODEV;
			}
			attach_names(watched, names, sizeof(names));
			fprintf(stderr, "tlsnoop: interface %s is gone; watching %s\n", a->ifname,
				names);
			continue;
		}
		up = interface_up(a->ifindex);
		if (up == !a->down)
			continue;
		a->down = !up;
		if (up)
			fprintf(stderr, "tlsnoop: interface %s is up again\n", a->ifname);
		else
			fprintf(stderr, "tlsnoop: warning: interface %s is down; its handshakes "
				"are seen again when it is up\n", a->ifname);
	}
	return 0;
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (verbose)
		return vfprintf(stderr, fmt, args);
	if (level != LIBBPF_WARN)
		return 0;
	/* Looking for a stale filter where there is none is not a problem, nor
	 * is libxdp's probe of the dispatcher failing (it falls back; attach.c
	 * says what that means). */
	if (strstr(fmt, "Kernel error message") || strstr(fmt, "permission error while running"))
		return 0;
	if (strstr(fmt, "prog '%s'") || strstr(fmt, "failed to load object")) {
		va_list copy;
		char line[256];

		va_copy(copy, args);
		vsnprintf(line, sizeof(line), fmt, copy);
		va_end(copy);
		if (strstr(line, "xdp_pass") || strstr(line, "xdp_dispatcher") ||
		    strstr(line, "xdp-dispatcher"))
			return 0;
	}
	return vfprintf(stderr, fmt, args);
}

/* libxdp's failures become one line of ours (attach.c); its detail with -v. */
static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return verbose ? vfprintf(stderr, fmt, args) : 0;
}

static void set_watched_ports(struct tlsnoop_bpf *skel, const struct options *o)
{
	int i;

	for (i = 0; i < o->n_ports; i++)
		skel->rodata->watched_ports[o->ports[i] >> 3] |= 1 << (o->ports[i] & 7);
	for (i = 0; i < o->n_backend_ports; i++)
		skel->rodata->backend_ports[o->backend_ports[i] >> 3] |=
			1 << (o->backend_ports[i] & 7);
}

static void ports_string(const struct options *o, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < o->n_ports && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%u", i ? "," : "", o->ports[i]);
}

/* Say so as soon as events are lost, not only in the summary. */
static void warn_new_drops(struct collector *c, __u64 *reported)
{
	__u64 stats[STAT_MAX];

	collector_stats(c, stats);
	if (stats[STAT_RINGBUF_DROPS] > *reported) {
		fprintf(stderr, "tlsnoop: warning: %llu events lost so far: ring buffer full\n",
			(unsigned long long)stats[STAT_RINGBUF_DROPS]);
		*reported = stats[STAT_RINGBUF_DROPS];
	}
}

static int find_interfaces(struct attach_set *watched, const struct options *o)
{
	struct attachment *a;
	int i, j;

	for (i = 0; i < o->n_ifnames; i++) {
		a = &watched->ifs[i];
		*a = (struct attachment){ .hook = o->hook, .lock_fd = -1 };
		snprintf(a->ifname, sizeof(a->ifname), "%s", o->ifnames[i]);
		a->ifindex = if_nametoindex(a->ifname);
		if (!a->ifindex) {
			fprintf(stderr, "tlsnoop: no interface '%s' here; `ip link` lists them\n",
				a->ifname);
			return -1;
		}
		/* Two names of one interface (`ip link property add altname`). */
		for (j = 0; j < i; j++) {
			if (watched->ifs[j].ifindex == a->ifindex) {
				fprintf(stderr, "tlsnoop: '%s' and '%s' are the same interface; "
					"give it once\n", watched->ifs[j].ifname, a->ifname);
				return -1;
			}
		}
	}
	watched->n = o->n_ifnames;
	return 0;
}

/* Listen before attaching: a port in use stops tlsnoop with nothing attached. */
static int open_metrics(struct collector *c, const struct options *o)
{
	struct metrics_addr addr = o->metrics_addr;
	char where[INET6_ADDRSTRLEN + 8];
	int err;

	c->metrics = metrics_new(o->ports, o->n_ports);
	if (!c->metrics) {
		fprintf(stderr, "tlsnoop: cannot set up metrics: %s\n", strerror(ENOMEM));
		return -1;
	}
	err = metrics_listen(c->metrics, &addr);
	metrics_addr_string(&addr, where, sizeof(where));
	if (err) {
		fprintf(stderr, "tlsnoop: cannot serve metrics on %s: %s; give a free port "
			"(or an address of this host) with --metrics [ADDR:]PORT\n", where,
			strerror(-err));
		return -1;
	}
	fprintf(stderr, "tlsnoop: serving metrics on http://%s/metrics\n", where);
	return 0;
}

/* The kernel counters the metrics page shows between events. */
static void refresh_metrics(struct collector *c)
{
	__u64 stats[STAT_MAX];

	if (!c->metrics)
		return;
	collector_stats(c, stats);
	metrics_set_counters(c->metrics, stats);
}

static int run(struct collector *c, const struct options *o, struct top_view *top,
	       struct attach_set *watched, struct privsep *ps)
{
	__u64 start = mono_now_ns(), last_expire = start;
	__u64 end = o->duration_sec ? start + o->duration_sec * 1000000000ULL : 0;
	__u64 dropped = 0, in_progress = 0, stats[STAT_MAX];
	int err;

	while (!exiting) {
		/* Scrapes are served while waiting for events, never instead. */
		if (c->metrics)
			metrics_serve(c->metrics, ring_buffer__epoll_fd(c->rb), POLL_MS);
		err = collector_poll(c, c->metrics ? 0 : POLL_MS);
		if (err < 0) {
			fprintf(stderr, "tlsnoop: reading the ring buffer failed: %s\n",
				strerror(-err));
			return err;
		}
		if (reopen_output)
			reopen(c, o->output, ps);
		if (mono_now_ns() - last_expire >= EXPIRE_EVERY_NS) {
			if (check_interfaces(watched))
				return -ENODEV;
			in_progress = collector_expire(c);
			if (!top)	/* the live view shows drops itself */
				warn_new_drops(c, &dropped);
			refresh_metrics(c);
			last_expire = mono_now_ns();
		}
		if (top) {
			if (top_keys(top, c->agg))
				break;
			collector_stats(c, stats);
			top_tick(top, c->agg, stats, in_progress, mono_now_ns());
		}
		if (end && mono_now_ns() >= end)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct attach_set watched = {};
	struct collector col = {};
	struct tlsnoop_bpf *skel = NULL;
	struct capture *cap = NULL;	/* -r FILE: packets from there */
	struct top_view *top = NULL;
	struct privsep ps = { .child = -1, .sock = -1 };	/* root: no separation */
	struct options o;
	__u64 stats[STAT_MAX], in_progress;
	char ports[MAX_PORTS * 6], names[MAX_INTERFACES * IF_NAMESIZE];
	char attached[sizeof(names) + sizeof(ports) + MAX_INTERFACES * 48];
	int err = 1, status;

	/* An active check is a TLS client: no root, no BPF. */
	if (argc > 1 && !strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);
	options_parse(&o, argc, argv);
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
	/* The dispatcher pins its slots in bpffs: mount it if the host has not. */
	setenv("LIBXDP_BPFFS_AUTOMOUNT", "1", 0);

	/* A capture runs through the programs built for the host: no root. */
	if (geteuid() != 0 && !o.capture) {
		fprintf(stderr, "tlsnoop: must run as root (it loads BPF programs): try sudo %s\n",
			argv[0]);
		return 1;
	}
	if (!o.capture && privsep_init(&ps, o.user))
		return 1;
	if (o.capture) {
		cap = capture_open(o.capture);
		if (!cap)
			return 1;
	} else if (find_interfaces(&watched, &o)) {
		return 1;
	}
	attach_names(&watched, names, sizeof(names));

	/* The live view and the whatif report take stdout: event lines go
	 * only to -o FILE then. */
	col.out = o.top || o.whatif ? NULL : stdout;
	if (o.output) {
		col.out = fopen(o.output, "w");
		if (!col.out) {
			fprintf(stderr, "tlsnoop: cannot write '%s': %s\n", o.output,
				strerror(errno));
			return 1;
		}
	}
	event_lines_whole(col.out);
	if (o.pcap_out) {
		col.pcap = pcap_writer_open(o.pcap_out, o.capture ? NULL : names, o.max_flows);
		if (!col.pcap)
			goto cleanup;
	}
	col.json = o.json;
	col.watched = &watched;
	col.policies = o.policies.n ? &o.policies : NULL;
	if (o.whatif) {
		col.whatif = whatif_new(&o.policies);
		if (!col.whatif) {
			fprintf(stderr, "tlsnoop: cannot set up whatif: %s\n", strerror(ENOMEM));
			goto cleanup;
		}
	}
	col.timeout_ns = o.timeout_sec * 1000000000ULL;
	col.cert_warn_days = o.cert_warn_days;
	if (o.metrics && open_metrics(&col, &o))
		goto cleanup;

	skel = tlsnoop_bpf__open();
	if (!skel) {
		fprintf(stderr, "tlsnoop: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	set_watched_ports(skel, &o);
	skel->rodata->copy_packets = col.pcap != NULL;
	bpf_map__set_max_entries(skel->maps.flows, o.max_flows);
	client_budget_set(skel, o.client_rate, o.client_burst);
	/* Live, the XDP hook loads its own instance of xdp_tlsnoop (attach.c).
	 * A capture: the same programs, built for the host, set up as the
	 * skeleton says; nothing goes to the kernel. */
	bpf_program__set_autoload(skel->progs.xdp_tlsnoop, false);
	if (cap) {
		col.host = tlsnoop_host_load(skel);
		if (!col.host) {
			fprintf(stderr, "tlsnoop: cannot set up the programs for the capture: %s\n",
				strerror(errno));
			goto cleanup;
		}
	} else if ((err = tlsnoop_bpf__load(skel))) {
		fprintf(stderr, "tlsnoop: the kernel refused the BPF programs (%s); it needs "
			"Linux >= 5.18 with BTF and bpf_loop (run with -v for the verifier log)\n",
			strerror(-err));
		err = 1;
		goto cleanup;
	}
	err = 1;
	if (collector_init(&col, skel)) {
		fprintf(stderr, "tlsnoop: cannot open the ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, on_hangup);
	ports_string(&o, ports, sizeof(ports));
	if (cap) {
		fprintf(stderr, "tlsnoop: reading %s (ports %s)\n", o.capture, ports);
	} else {
		if (attach_all(skel, &watched))
			goto cleanup;
		attach_describe(&watched, ports, attached, sizeof(attached));
		fprintf(stderr, "tlsnoop: attached to %s\n", attached);
		if (privsep_enabled(&ps) &&
		    privsep_fork(&ps, o.output, bpf_map__fd(skel->maps.stats), &status)) {
			/* The collector has ended: only detaching is left to do. */
			detach_all(&watched);
			_exit(status);
		}
		if (ps.is_child)
			attach_leave_to_parent(&watched);
	}

	if (o.top) {
		char title[sizeof(names) + sizeof(ports) + 16];

		snprintf(title, sizeof(title), "%s ports %s", names, ports);
		top = top_open(stdout, title, o.interval_sec);
		if (!top) {
			fprintf(stderr, "tlsnoop: cannot start the live view: %s\n",
				strerror(errno));
			goto cleanup;
		}
	}
	err = (cap ? capture_run(cap, &col, &exiting) : run(&col, &o, top, &watched, &ps)) ? 1 : 0;
	top_close(top);
	top = NULL;

	/* Take the last events, then report what has been idle too long. */
	collector_poll(&col, 0);
	in_progress = collector_expire(&col);
	collector_flush(&col);
	collector_stats(&col, stats);
	summary_print(stderr, col.agg, stats, in_progress, collector_now(&col));
	if (col.pcap)
		pcap_writer_report(stderr, col.pcap, stats);
	if (col.whatif)
		whatif_print(stdout, col.whatif);
	if (col.write_failed)
		err = 1;
cleanup:
	top_close(top);
	if (!ps.is_child)
		detach_all(&watched);
	collector_free(&col);
	if (col.host)
		tlsnoop_host_unload();
	metrics_free(col.metrics);
	whatif_free(col.whatif);
	tlsnoop_bpf__destroy(skel);
	capture_close(cap);
	if (pcap_writer_close(col.pcap))
		err = 1;
	if (col.out && col.out != stdout && fclose(col.out) == EOF) {
		fprintf(stderr, "tlsnoop: writing '%s' failed: %s\n", o.output, strerror(errno));
		err = 1;
	}
	return err;
}
