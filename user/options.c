// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cert.h"
#include "options.h"

const char *argp_program_version = "tlsnoop 0.1";

static const char doc[] =
"Trace TLS handshakes on watched ports and tell why they fail.\n"
"\n"
"Attaches XDP (ingress) and TC (egress) programs to each IFACE, follows every\n"
"handshake on the watched ports, prints one line (or one JSON object) per\n"
"handshake with its outcome and reason, and a summary on exit. Needs root\n"
"(CAP_BPF, CAP_NET_ADMIN) to start, except to read a capture (-r); once\n"
"attached, the collector runs as --user (nobody) with no capabilities, and a\n"
"root parent only detaches at the end. Packets are never dropped or modified.\n"
"\n"
"EXAMPLES:\n"
"    tlsnoop -i eth0                  # port 443, human-readable lines\n"
"    tlsnoop -i eth0 -p 443,8443 --json -o /var/log/tlsnoop.json\n"
"    tlsnoop -i eth0 --duration 60    # a one-minute sample, then the summary\n"
"    tlsnoop -i eth0,eth1             # two interfaces, one flow table\n"
"    tlsnoop top -i eth0              # live view of who fails, and why\n"
"    tlsnoop -i eth0 --hook tc        # when another program holds XDP\n"
"    tlsnoop -r lb.pcap -p 443,8443   # read a pcap/pcapng capture (no root)\n"
"    tlsnoop -i eth0 -w failed.pcapng # the failed handshakes' packets, for Wireshark\n"
"    tlsnoop whatif --policy mozilla-modern -i eth0  # who would it break?\n"
"    tlsnoop check lb.example.com     # actively check a TLS listener (no root;\n"
"                                     # tlsnoop check --help)\n";

enum { OPT_TIMEOUT = 0x100, OPT_DURATION, OPT_HOOK, OPT_MAX_FLOWS, OPT_TOP, OPT_INTERVAL };

enum { OPT_METRICS = 0x200 };

enum { OPT_POLICY = 0x300, OPT_POLICY_CERT };

enum { OPT_CLIENT_RATE = 0x400, OPT_USER, OPT_BACKEND_PORTS };

enum { OPT_CERT_WARN_DAYS = 0x500 };

static const struct argp_option opts[] = {
	{ "interface", 'i', "IFACE[,IFACE...]", 0, "Interfaces to watch, comma-separated, at most "
	  "16 (this or -r)", 0 },
	{ "read", 'r', "FILE", 0, "Read a pcap or pcapng capture instead: its packets run "
	  "through tlsnoop's BPF programs built for this process, so no root is needed", 0 },
	{ "ports", 'p', "PORTS", 0, "Comma-separated TCP ports of the TLS servers (default 443)", 0 },
	{ "backend-ports", OPT_BACKEND_PORTS, "PORTS", 0, "Also watch these ports of this host's "
	  "backends: their handshakes are backend ones (this host the TLS client)", 0 },
	{ "json", 'j', NULL, 0, "Print NDJSON, one object per handshake", 0 },
	{ "output", 'o', "FILE", 0, "Write events to FILE instead of stdout", 0 },
	{ "write", 'w', "FILE", 0, "Write the packets of every failed handshake to FILE (pcapng, "
	  "tlsnoop's event line as each packet's comment)", 0 },
	{ "timeout", OPT_TIMEOUT, "SEC", 0, "Report a handshake idle this long as timed out (default 10)", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Stop after SEC seconds (default: run until Ctrl-C)", 0 },
	{ "hook", OPT_HOOK, "xdp|tc", 0, "Ingress hook: xdp (default) or tc", 0 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0, "Serve Prometheus metrics on "
	  "http://ADDR:PORT/metrics (default ADDR: all addresses)", 0 },
	{ "max-flows", OPT_MAX_FLOWS, "N", 0, "Handshakes tracked at once (default 65536)", 0 },
	{ "per-client-rate", OPT_CLIENT_RATE, "N[/BURST]", 0, "New handshakes tracked per second "
	  "per client address (IPv6: per /64), BURST at once (default 1000/2000; 0: no limit)", 0 },
	{ "top", OPT_TOP, NULL, 0, "Live view of failing clients (as `tlsnoop top`); periodic text "
	  "summaries when stdout is not a terminal", 0 },
	{ "interval", OPT_INTERVAL, "SEC", 0, "Refresh of --top (default 1; 10 when not a terminal)",
	  0 },
	{ "policy", OPT_POLICY, "SPEC", 0, "Judge every ClientHello against a TLS policy: a built-in "
	  "name or openssl:CIPHERSTRING:MINVER[:MAXVER] (repeatable; docs/policies.md)", 0 },
	{ "policy-cert", OPT_POLICY_CERT, "rsa|ecdsa", 0, "Certificate the policies assume "
	  "(default rsa)", 0 },
	{ "user", OPT_USER, "USER", 0, "Run the collector as USER, with no capabilities, once "
	  "attached (default nobody; root: keep privileges)", 0 },
	{ "cert-warn-days", OPT_CERT_WARN_DAYS, "DAYS", 0, "Flag certificates (TLS <= 1.2) that "
	  "expire within DAYS of the handshake (default 21; 0: none)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf messages)", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{},
};

/* One line saying what was wrong, then exit: argp_error would add a second. */
void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tlsnoop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see tlsnoop --help)\n", stderr);
	exit(2);
}

unsigned long parse_uint(const char *what, const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		usage_error("bad %s '%s': expected a whole number from %lu to %lu",
			   what, s, min, max);
	return v;
}

int parse_ports(const char *s, __u16 *ports, int *n)
{
	const char *p = s;
	char *end;
	unsigned long v;

	*n = 0;
	for (;;) {
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || v < 1 || v > 65535 || *n >= MAX_PORTS)
			return -1;
		ports[(*n)++] = v;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

/* The backend ports are watched too: add those -p does not list. */
static int watch_backend_ports(struct options *o)
{
	int i, j;

	for (i = 0; i < o->n_backend_ports; i++) {
		for (j = 0; j < o->n_ports && o->ports[j] != o->backend_ports[i]; j++)
			;
		if (j < o->n_ports)
			continue;
		if (o->n_ports == MAX_PORTS)
			return -1;
		o->ports[o->n_ports++] = o->backend_ports[i];
	}
	return 0;
}

enum iface_list_error parse_interfaces(const char *s, char names[][IF_NAMESIZE], int *n)
{
	const char *p = s;
	size_t len;
	int i;

	*n = 0;
	for (;;) {
		len = strcspn(p, ",");
		if (!len || len >= IF_NAMESIZE)
			return IFACES_BAD_NAME;
		if (*n >= MAX_INTERFACES)
			return IFACES_TOO_MANY;
		memcpy(names[*n], p, len);
		names[*n][len] = '\0';
		for (i = 0; i < *n; i++)
			if (!strcmp(names[i], names[*n]))
				return IFACES_DUPLICATE;
		(*n)++;
		if (!p[len])
			return IFACES_OK;
		p += len + 1;
	}
}

/* -i: a later one replaces an earlier one, as -p does. */
static void interface_list(struct options *o, const char *arg)
{
	switch (parse_interfaces(arg, o->ifnames, &o->n_ifnames)) {
	case IFACES_OK:
		return;
	case IFACES_BAD_NAME:
		if (!strchr(arg, ','))
			usage_error("bad interface name '%s'", arg);
		usage_error("bad interface list '%s': expected names of 1-%d characters "
			    "separated by commas, e.g. -i eth0,eth1", arg, IF_NAMESIZE - 1);
	case IFACES_DUPLICATE:
		usage_error("interface '%s' given twice in '%s'", o->ifnames[o->n_ifnames], arg);
	case IFACES_TOO_MANY:
		usage_error("more than %d interfaces in '%s'", MAX_INTERFACES, arg);
	}
}

#define CLIENT_RATE_MAX 1000000

/* A whole number 1-CLIENT_RATE_MAX at *p, which is moved past it. */
static int parse_rate_number(const char **p, __u32 *v)
{
	char *end;
	unsigned long n;

	if (**p < '0' || **p > '9')
		return -1;
	errno = 0;
	n = strtoul(*p, &end, 10);
	if (errno || n < 1 || n > CLIENT_RATE_MAX)
		return -1;
	*v = n;
	*p = end;
	return 0;
}

int parse_client_rate(const char *s, __u32 *rate, __u32 *burst)
{
	const char *p = s;

	if (!strcmp(s, "0")) {
		*rate = *burst = 0;
		return 0;
	}
	if (parse_rate_number(&p, rate))
		return -1;
	if (!*p) {
		*burst = *rate * 2;
		return 0;
	}
	if (*p++ != '/' || parse_rate_number(&p, burst) || *p)
		return -1;
	return 0;
}

void policy_option(struct policy_set *set, const char *arg)
{
	char why[256];

	if (set->n >= POLICY_MAX)
		usage_error("more than %d policies", POLICY_MAX);
	if (policy_parse(arg, &set->policy[set->n], why, sizeof(why)))
		usage_error("bad policy '%s': %s", arg, why);
	set->n++;
}

void usage_unknown_option(const struct argp_state *state)
{
	usage_error("unknown option, or an option without its value: '%s'",
		    state->next > 0 ? state->argv[state->next - 1] : "?");
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;

	switch (key) {
	case 'i':
		interface_list(o, arg);
		break;
	case 'r':
		if (!*arg)
			usage_error("bad capture file name ''");
		o->capture = arg;
		break;
	case 'p':
		if (parse_ports(arg, o->ports, &o->n_ports))
			usage_error("bad port list '%s': expected comma-separated ports "
				   "1-65535 (at most %d), e.g. -p 443,8443", arg, MAX_PORTS);
		break;
	case OPT_BACKEND_PORTS:
		if (parse_ports(arg, o->backend_ports, &o->n_backend_ports))
			usage_error("bad backend port list '%s': expected comma-separated ports "
				    "1-65535 (at most %d), e.g. --backend-ports 8443", arg, MAX_PORTS);
		break;
	case 'j':
		o->json = true;
		break;
	case 'o':
		o->output = arg;
		break;
	case 'w':
		if (!*arg)
			usage_error("bad packet file name ''");
		o->pcap_out = arg;
		break;
	case OPT_TIMEOUT:
		o->timeout_sec = parse_uint("timeout", arg, 1, 3600);
		break;
	case OPT_DURATION:
		o->duration_sec = parse_uint("duration", arg, 1, 31536000);
		break;
	case OPT_MAX_FLOWS:
		o->max_flows = parse_uint("max-flows", arg, 1024, 16777216);
		break;
	case OPT_CLIENT_RATE:
		if (parse_client_rate(arg, &o->client_rate, &o->client_burst))
			usage_error("bad per-client rate '%s': expected N or N/BURST, whole numbers "
				    "from 1 to %d (handshakes per second, at once), or 0 for no "
				    "limit, e.g. --per-client-rate 1000/2000", arg, CLIENT_RATE_MAX);
		break;
	case OPT_METRICS:
		if (metrics_parse_addr(arg, &o->metrics_addr))
			usage_error("bad metrics address '%s': expected [ADDR:]PORT with PORT "
				    "1-65535 and ADDR an IPv4 address or an IPv6 one in brackets, "
				    "e.g. --metrics 9101 or --metrics [::1]:9101", arg);
		o->metrics = true;
		break;
	case OPT_HOOK:
		if (!strcmp(arg, "xdp"))
			o->hook = HOOK_XDP;
		else if (!strcmp(arg, "tc"))
			o->hook = HOOK_TC;
		else
			usage_error("bad hook '%s': expected xdp or tc", arg);
		break;
	case OPT_TOP:
		o->top = true;
		break;
	case OPT_INTERVAL:
		o->interval_sec = parse_uint("interval", arg, 1, 3600);
		break;
	case OPT_POLICY:
		policy_option(&o->policies, arg);
		break;
	case OPT_POLICY_CERT:
		if (!strcmp(arg, "rsa"))
			o->policies.cert = POLICY_CERT_RSA;
		else if (!strcmp(arg, "ecdsa"))
			o->policies.cert = POLICY_CERT_ECDSA;
		else
			usage_error("bad policy certificate '%s': expected rsa or ecdsa", arg);
		break;
	case OPT_USER:
		if (!*arg)
			usage_error("bad user '': give a user name or id, e.g. --user nobody");
		o->user = arg;
		break;
	case OPT_CERT_WARN_DAYS:
		o->cert_warn_days = parse_uint("cert-warn-days", arg, 0, 3650);
		break;
	case 'v':
		o->verbose = true;
		break;
	case 'h':
		/* argp_state_help prints nothing under ARGP_NO_ERRS. */
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, "tlsnoop");
		exit(0);
	case 'V':
		printf("%s\n", argp_program_version);
		exit(0);
	case ARGP_KEY_ARG:
		usage_error("unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_ERROR:
		usage_unknown_option(state);
	case ARGP_KEY_END:
		if (watch_backend_ports(o))
			usage_error("more than %d ports with --backend-ports", MAX_PORTS);
		if (o->n_ifnames && o->capture)
			usage_error("-i and -r exclude each other: watch an interface or read "
				    "a capture");
		if (!o->n_ifnames && !o->capture)
			usage_error("no interface: give one with -i IFACE (see `ip link`), or a "
				    "capture to read with -r FILE");
		if (o->whatif && !o->policies.n)
			usage_error("whatif needs a policy: give one or more with --policy SPEC");
		if (o->whatif && o->top)
			usage_error("whatif and --top exclude each other");
		if (o->capture && (o->top || o->metrics || o->duration_sec))
			usage_error("--top, --metrics and --duration watch an interface: not "
				    "with -r");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void options_parse(struct options *o, int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_opt, .doc = doc };

	memset(o, 0, sizeof(*o));
	o->ports[0] = TLSNOOP_DEFAULT_PORT;
	o->n_ports = 1;
	o->timeout_sec = 10;
	o->max_flows = TLSNOOP_DEFAULT_FLOWS;
	o->client_rate = TLSNOOP_DEFAULT_CLIENT_RATE;
	o->client_burst = TLSNOOP_DEFAULT_CLIENT_BURST;
	o->hook = HOOK_XDP;
	o->user = TLSNOOP_DEFAULT_USER;
	o->cert_warn_days = CERT_WARN_DAYS_DEFAULT;
	/* `tlsnoop top ...` is `tlsnoop --top ...`; `tlsnoop whatif ...` reports
	 * on the --policy verdicts */
	if (argc > 1 && (!strcmp(argv[1], "top") || !strcmp(argv[1], "whatif"))) {
		o->top = !strcmp(argv[1], "top");
		o->whatif = !o->top;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	/* argp's own messages take two lines and exit 64: ARGP_KEY_ERROR
	 * says it in one, and --help/--version are ours. */
	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, o))
		usage_error("bad command line");
}
