// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsnoop check HOST[:PORT]: the probes, in order (docs/check.md). Every
 * connection goes to HOST's first address (each of them with
 * --all-addresses); nothing else is contacted. Needs no privilege and loads no BPF.
 */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include "active_check.h"
#include "check_trace.h"
#include "names.h"
#include "options.h"

#define UNKNOWN_SNI	"tlsnoop-check.invalid"	/* RFC 2606: never a real name */
#define CIPHER_LIST_MAX	(CHECK_SUITES_MAX * 48)

static const __u16 check_versions[CHECK_VERSIONS] = {
	SSL3_VERSION, TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION,
};

const char *const check_alpn_protocols[CHECK_ALPN] = { "h2", "http/1.1" };

/* ---------------------------------------------------------------- command line */

static const char doc[] =
"Check a TLS listener actively, with OpenSSL's libssl as the client: protocol "
"versions, cipher suites, groups and signature algorithms accepted, the "
"certificate chain with and without SNI, OCSP stapling, resumption, ALPN, secure "
"renegotiation, TLS_FALLBACK_SCSV, and with --policy what falls outside a policy.\n"
"Contacts only HOST (its first address; each with --all-addresses), on PORT (default "
"443). Needs no root.\n"
"\n"
"EXAMPLES:\n"
"    tlsnoop check lb.example.com\n"
"    tlsnoop check 192.0.2.10:8443 --servername shop.example.com --json\n"
"    tlsnoop check lb.example.com --policy mozilla-intermediate --cafile ca.pem\n"
"    tlsnoop check lb.example.com --policy mozilla-modern --trace events.json\n";

enum { OPT_SERVERNAME = 0x600, OPT_CAFILE, OPT_POLICY, OPT_TRACE, OPT_ALL_ADDRESSES, OPT_TIMEOUT,
       OPT_MAX_TIME };

static const struct argp_option check_opts[] = {
	{ "servername", OPT_SERVERNAME, "NAME", 0, "The name to send (SNI) and check the "
	  "certificate against (default: HOST, unless an address)", 0 },
	{ "json", 'j', NULL, 0, "One JSON document instead of text", 0 },
	{ "policy", OPT_POLICY, "SPEC", 0, "Say which accepted versions, suites and groups fall "
	  "outside a TLS policy (repeatable; docs/policies.md)", 0 },
	{ "trace", OPT_TRACE, "FILE", 0, "With --policy: which client families (JA4) of FILE, "
	  "tlsnoop's JSON events (--json -o FILE), each policy would turn away", 0 },
	{ "cafile", OPT_CAFILE, "FILE", 0, "Verify against the CA certificates of FILE (PEM) "
	  "instead of the system's trust store", 0 },
	{ "all-addresses", OPT_ALL_ADDRESSES, NULL, 0, "Check every address HOST resolves to "
	  "(at most 16), one after the other, and compare them", 0 },
	{ "timeout", OPT_TIMEOUT, "SEC", 0, "Give up on one connection after SEC seconds "
	  "(default 5)", 0 },
	{ "max-time", OPT_MAX_TIME, "SEC", 0, "Stop the check of an address after SEC "
	  "seconds (default 120)", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static error_t parse_check_opt(int key, char *arg, struct argp_state *state)
{
	struct check_options *o = state->input;

	switch (key) {
	case OPT_SERVERNAME:
		if (!*arg || strlen(arg) >= CHECK_HOST_MAX)
			usage_error("bad server name '%s': expected 1-%d characters", arg,
				    CHECK_HOST_MAX - 1);
		o->servername = arg;
		break;
	case 'j':
		o->json = true;
		break;
	case OPT_POLICY:
		policy_option(&o->policies, arg);
		break;
	case OPT_TRACE:
		if (!*arg)
			usage_error("bad trace file name ''");
		o->trace = arg;
		break;
	case OPT_ALL_ADDRESSES:
		o->all_addresses = true;
		break;
	case OPT_CAFILE:
		if (!*arg)
			usage_error("bad CA file name ''");
		o->cafile = arg;
		break;
	case OPT_TIMEOUT:
		o->timeout_sec = parse_uint("timeout", arg, 1, 60);
		break;
	case OPT_MAX_TIME:
		o->max_time_sec = parse_uint("max-time", arg, 1, 3600);
		break;
	case 'h':
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP, "tlsnoop check");
		exit(0);
	case ARGP_KEY_ARG:
		if (o->target)
			usage_error("unexpected argument '%s': check takes one HOST[:PORT]", arg);
		o->target = arg;
		break;
	case ARGP_KEY_ERROR:
		usage_unknown_option(state);
	case ARGP_KEY_END:
		if (!o->target)
			usage_error("check needs a target: tlsnoop check HOST[:PORT]");
		if (o->trace && !o->policies.n)
			usage_error("--trace needs a policy to judge its clients by: give one or "
				    "more with --policy SPEC");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void check_options_parse(struct check_options *o, int argc, char **argv)
{
	static const struct argp argp = { .options = check_opts, .parser = parse_check_opt,
					   .args_doc = "HOST[:PORT]", .doc = doc };

	memset(o, 0, sizeof(*o));
	o->timeout_sec = CHECK_TIMEOUT_DEFAULT;
	o->max_time_sec = CHECK_MAX_TIME_DEFAULT;
	if (argp_parse(&argp, argc, argv, ARGP_NO_ERRS | ARGP_NO_HELP, NULL, o))
		usage_error("bad command line");
}

int check_parse_target(const char *s, char *host, size_t size, __u16 *port)
{
	const char *end, *colon;
	size_t len;
	char *stop;
	unsigned long v;

	*port = 443;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		len = end - s - 1;
		colon = end[1] ? end + 1 : NULL;
		s++;
	} else {
		colon = strchr(s, ':');
		/* Two colons or more: an IPv6 address without a port. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		len = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (!len || len >= size)
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (!colon)
		return 0;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	v = strtoul(colon + 1, &stop, 10);
	if (errno || *stop || v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static bool is_address(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* An address with the target's port, and its text. */
static void set_address(struct check_target *t, const struct sockaddr *sa, socklen_t len)
{
	char ip[INET6_ADDRSTRLEN];

	memcpy(&t->addr, sa, len);
	t->addr_len = len;
	if (t->addr.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&t->addr)->sin6_port = htons(t->port);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&t->addr)->sin6_addr, ip, sizeof(ip));
		snprintf(t->addr_text, sizeof(t->addr_text), "[%s]:%u", ip, t->port);
	} else {
		((struct sockaddr_in *)&t->addr)->sin_port = htons(t->port);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&t->addr)->sin_addr, ip, sizeof(ip));
		snprintf(t->addr_text, sizeof(t->addr_text), "%s:%u", ip, t->port);
	}
}

/* HOST's distinct addresses, in the resolver's order, at most `max` (the
 * first is the one checked without --all-addresses): how many; 0 after a
 * one-line error. */
static int resolve(const struct check_target *host, struct check_target *out, int max)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *ai, *a;
	int err, n = 0, i;

	err = getaddrinfo(host->host, NULL, &hints, &ai);
	if (err) {
		fprintf(stderr, "tlsnoop: cannot resolve '%s': %s\n", host->host, gai_strerror(err));
		return 0;
	}
	for (a = ai; a && n < max; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(out[n].addr))
			continue;
		out[n] = *host;
		set_address(&out[n], a->ai_addr, a->ai_addrlen);
		for (i = 0; i < n && strcmp(out[i].addr_text, out[n].addr_text); i++)
			;
		n += i == n;
	}
	freeaddrinfo(ai);
	if (!n)
		fprintf(stderr, "tlsnoop: '%s' resolved to no address to connect to\n", host->host);
	return n;
}

/* ---------------------------------------------------------------- candidates */

/* The suites this libssl can offer at `version`, as OpenSSL names; TLS 1.3
 * ones are found by IANA id, since libssl lists only those it enables. */
static int local_suites(__u16 version, const SSL_CIPHER **out, int max)
{
	SSL_CTX *sctx = probe_ssl_ctx(version);
	SSL *ssl = sctx ? SSL_new(sctx) : NULL;
	STACK_OF(SSL_CIPHER) *sk = NULL;
	const SSL_CIPHER *c;
	unsigned char id[2];
	size_t i;
	int n = 0;

	if (ssl && version == TLS1_3_VERSION) {
		for (i = 0; i < iana_ciphers_count && n < max; i++) {
			if (iana_ciphers[i].id >> 8 != 0x13)
				continue;
			id[0] = iana_ciphers[i].id >> 8;
			id[1] = iana_ciphers[i].id & 0xff;
			c = SSL_CIPHER_find(ssl, id);
			if (c && SSL_CTX_set_ciphersuites(sctx, SSL_CIPHER_get_name(c)))
				out[n++] = c;
		}
	} else if (ssl) {
		sk = SSL_get1_supported_ciphers(ssl);
		for (i = 0; sk && (int)i < sk_SSL_CIPHER_num(sk) && n < max; i++)
			out[n++] = sk_SSL_CIPHER_value(sk, i);
		sk_SSL_CIPHER_free(sk);
	}
	SSL_free(ssl);
	SSL_CTX_free(sctx);
	ERR_clear_error();
	return n;
}

/* The groups this libssl knows, by IANA id (its name from libssl). */
static int local_groups(__u16 *out, int max)
{
	SSL_CTX *sctx = probe_ssl_ctx(0);
	SSL *ssl = sctx ? SSL_new(sctx) : NULL;
	size_t i;
	int n = 0;

	for (i = 0; ssl && i < iana_groups_count && n < max; i++)
		if (SSL_group_to_name(ssl, TLSEXT_nid_unknown | iana_groups[i].id))
			out[n++] = iana_groups[i].id;
	SSL_free(ssl);
	SSL_CTX_free(sctx);
	ERR_clear_error();
	return n;
}

static bool is_hybrid_pq(__u16 group)
{
	char buf[24];
	const char *name = tls_group_name(group, buf, sizeof(buf));

	return strstr(name, "MLKEM") || strstr(name, "Kyber");
}

/* FFDHE groups are negotiated by TLS 1.3 only, in libssl's client. */
static bool is_ffdhe(__u16 group)
{
	return group >= 256 && group <= 511;
}

/* ---------------------------------------------------------------- the probes */

void check_probe(struct check_run *run, const struct probe_offer *offer,
		 struct probe_result *res)
{
	probe_run(&run->pc, offer, res);
	if (probe_out_of_time(&run->pc))
		run->r->out_of_time = true;
}

static void join_names(const SSL_CIPHER *const *c, int n, char *out, size_t size)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += snprintf(out + len, size - len, "%s%s", i ? ":" : "",
				SSL_CIPHER_get_name(c[i]));
}

/* How the server refused v's version, said from the probe's result. */
static void refusal(struct version_report *v, const struct probe_result *res)
{
	if (res->status == PROBE_HELLO)
		snprintf(v->detail, sizeof(v->detail), "the server answered with %s",
			 tls_version_name(res->version) ?: "an unknown version");
	else
		snprintf(v->detail, sizeof(v->detail), "%s", res->detail);
}

/* Offer `n` suites at v's version: the suite the server picks, 0 for none. */
static __u16 pick_suite(struct check_run *run, const struct version_report *v,
			const SSL_CIPHER *const *c, int n)
{
	static char list[CIPHER_LIST_MAX];
	struct probe_offer offer = { .version = v->version, .sni = run->sni };
	struct probe_result res;

	join_names(c, n, list, sizeof(list));
	if (v->version == TLS1_3_VERSION)
		offer.suites = list;
	else
		offer.ciphers = list;
	check_probe(run, &offer, &res);
	return res.status == PROBE_HELLO && res.version == v->version ? res.cipher : 0;
}

/* Offer all, note the one the server picks, take it out, again: the suites
 * it accepts, in its order when it has one. */
static void enumerate_suites(struct check_run *run, struct version_report *v)
{
	const SSL_CIPHER *left[CHECK_SUITES_MAX], *reversed[CHECK_SUITES_MAX];
	const SSL_CIPHER *accepted[CHECK_SUITES_MAX];
	int n_left = local_suites(v->version, left, CHECK_SUITES_MAX), i;
	__u16 picked;

	while (n_left && !run->r->out_of_time) {
		picked = pick_suite(run, v, left, n_left);
		for (i = 0; i < n_left && SSL_CIPHER_get_protocol_id(left[i]) != picked; i++)
			;
		if (!picked || i == n_left)
			break;
		accepted[v->n_suites] = left[i];
		v->suites[v->n_suites++] = picked;
		left[i] = left[--n_left];
	}
	if (v->n_suites < 2 || run->r->out_of_time)
		return;
	/* The server's first again, offered last: does it still pick it? */
	for (i = 0; i < v->n_suites; i++)
		reversed[i] = accepted[v->n_suites - 1 - i];
	picked = pick_suite(run, v, reversed, v->n_suites);
	if (picked)
		v->order = picked == v->suites[0] ? ORDER_SERVER : ORDER_CLIENT;
}

/* Each group this libssl knows, alone: at TLS 1.3 with every suite, at
 * TLS 1.2 with the accepted ECDHE suites only (so a pick means the group). */
static void enumerate_groups(struct check_run *run, struct version_report *v,
			     const __u16 *groups, int n_groups)
{
	const SSL_CIPHER *ecdhe[CHECK_SUITES_MAX], *all[CHECK_SUITES_MAX];
	static char list[CIPHER_LIST_MAX];
	struct probe_offer offer = { .version = v->version, .sni = run->sni };
	struct probe_result res;
	SSL_CTX *sctx = probe_ssl_ctx(0);
	SSL *ssl = sctx ? SSL_new(sctx) : NULL;
	int n = local_suites(v->version, all, CHECK_SUITES_MAX), n_ecdhe = 0, i;

	for (i = 0; i < n; i++)
		if (SSL_CIPHER_get_kx_nid(all[i]) == NID_kx_ecdhe)
			ecdhe[n_ecdhe++] = all[i];
	if (v->version == TLS1_3_VERSION) {
		join_names(all, n, list, sizeof(list));
		offer.suites = list;
	} else {
		join_names(ecdhe, n_ecdhe, list, sizeof(list));
		offer.ciphers = list;
	}
	for (i = 0; ssl && i < n_groups && !run->r->out_of_time; i++) {
		if ((v->version != TLS1_3_VERSION && (is_ffdhe(groups[i]) || !n_ecdhe)) ||
		    v->n_groups == CHECK_GROUPS_MAX)
			continue;
		offer.groups = SSL_group_to_name(ssl, TLSEXT_nid_unknown | groups[i]);
		v->n_groups_tested++;
		check_probe(run, &offer, &res);
		if (res.status == PROBE_HELLO && res.version == v->version)
			v->groups[v->n_groups++] = groups[i];
	}
	SSL_free(ssl);
	SSL_CTX_free(sctx);
}

/* One handshake at v's version with every suite libssl has there. */
static void check_version(struct check_run *run, struct version_report *v)
{
	const SSL_CIPHER *c[CHECK_SUITES_MAX];
	struct probe_offer offer = { .version = v->version, .sni = run->sni,
				     .ciphers = "ALL:COMPLEMENTOFALL" };
	struct probe_result res;
	char all13[CIPHER_LIST_MAX];
	int n = local_suites(v->version, c, CHECK_SUITES_MAX);

	/* Not asked yet (VERSION_NOT_CHECKED): hellos of our own ask
	 * (enumerate_raw_suites). */
	if (!n)
		return;
	if (v->version == TLS1_3_VERSION) {
		join_names(c, n, all13, sizeof(all13));
		offer.suites = all13;
	}
	check_probe(run, &offer, &res);
	if (res.status == PROBE_HELLO && res.version == v->version) {
		v->verdict = VERSION_ACCEPTED;
		v->secure_renegotiation = res.secure_renegotiation;
		return;
	}
	v->verdict = run->r->out_of_time ? VERSION_NOT_CHECKED : VERSION_REFUSED;
	refusal(v, &res);
}

/*
 * The suites libssl cannot offer at v's version (TLS 1.2 and below), by
 * hellos of our own, as nmap finds them: a version refused to libssl may
 * be accepted with them alone.
 */
static void enumerate_raw_suites(struct check_run *run, struct version_report *v)
{
	const SSL_CIPHER *c[CHECK_SUITES_MAX];
	__u16 known[CHECK_SUITES_MAX];
	struct probe_result first;
	int n = local_suites(v->version, c, CHECK_SUITES_MAX), i;

	for (i = 0; i < n; i++)
		known[i] = SSL_CIPHER_get_protocol_id(c[i]);
	if (check_raw_suites(run, v, known, n, &first)) {
		if (v->verdict != VERSION_ACCEPTED) {
			v->verdict = VERSION_ACCEPTED;
			v->raw_only = true;
			snprintf(v->detail, sizeof(v->detail),
				 "seen in ServerHellos only: %s cannot offer its suites",
				 OpenSSL_version(OPENSSL_VERSION));
		}
	} else if (run->r->out_of_time && v->verdict != VERSION_ACCEPTED) {
		v->verdict = VERSION_NOT_CHECKED;
	} else if (v->verdict == VERSION_NOT_CHECKED) {
		/* Only our own hellos asked: their answer is the refusal. */
		v->verdict = VERSION_REFUSED;
		refusal(v, &first);
	}
}

/* The chain as sent with the name, and what is wrong with it. */
static void keep_certificate(struct check_run *run, struct probe_result *res)
{
	struct check_report *r = run->r;

	r->chain = res->chain;
	res->chain.n = 0;
	r->verify = res->verify;
	r->verify_text = X509_verify_cert_error_string(res->verify);
	r->client_cert_requested = res->client_cert_requested;
}

static void keep_sni(struct check_run *run, enum sni_case which, const char *sent,
		     struct probe_result *res)
{
	struct sni_report *s = &run->r->sni[which];
	const char *name = run->r->name;

	s->tested = true;
	snprintf(s->sent, sizeof(s->sent), "%s", sent ?: "");
	s->status = res->status;
	snprintf(s->detail, sizeof(s->detail), "%s", res->detail);
	if (!res->chain.n)
		return;
	s->leaf = res->chain.cert[0];
	s->leaf->refs++;
	s->name_matches = !(cert_findings(run->pc.certs, &res->chain, name, strlen(name),
					  run->r->at, 0) & 1u << CERT_NAME_MISMATCH);
}

/* With the name, the first probe's; without SNI; with a name nobody has. */
static void check_sni(struct check_run *run)
{
	static const char *const sent[SNI_CASES] = {
		[SNI_NONE] = NULL, [SNI_UNKNOWN] = UNKNOWN_SNI,
	};
	struct probe_offer offer = { .keep_chain = true };
	struct probe_result res;
	int which;

	for (which = SNI_NONE; which < SNI_CASES && !run->r->out_of_time; which++) {
		offer.sni = sent[which];
		check_probe(run, &offer, &res);
		keep_sni(run, which, sent[which], &res);
		cert_chain_release(&res.chain);
	}
}

/* A full handshake that keeps its session, then one that offers it back. */
static void try_resume(struct check_run *run, __u16 version, bool tickets, enum answer *issued,
		       enum answer *resumed)
{
	struct probe_offer offer = { .version = version, .sni = run->sni, .no_tickets = !tickets,
				     .keep_session = true };
	struct probe_result first, again;
	bool resumable;

	check_probe(run, &offer, &first);
	if (!first.established || !first.session)
		goto out;
	if (tickets)
		*issued = first.ticket ? ANSWER_YES : ANSWER_NO;
	resumable = tickets ? first.ticket : SSL_SESSION_is_resumable(first.session);
	if (!resumable) {
		*resumed = ANSWER_NO;
		goto out;
	}
	offer.keep_session = false;
	offer.resume = first.session;
	check_probe(run, &offer, &again);
	if (again.established)
		*resumed = again.resumed ? ANSWER_YES : ANSWER_NO;
out:
	SSL_SESSION_free(first.session);
}

bool libssl_accepted(const struct version_report *v)
{
	return v->verdict == VERSION_ACCEPTED && !v->raw_only;
}

static bool accepted(const struct check_report *r, __u16 version)
{
	int i;

	for (i = 0; i < CHECK_VERSIONS; i++)
		if (r->versions[i].version == version)
			return libssl_accepted(&r->versions[i]);
	return false;
}

static void check_resumption(struct check_run *run)
{
	struct resumption_report *res = &run->r->resumption;
	__u16 v;
	enum answer unused = ANSWER_UNTESTED;

	/* Session IDs at the highest version that has them. */
	for (v = TLS1_2_VERSION; v >= TLS1_VERSION && !accepted(run->r, v); v--)
		;
	if (v >= TLS1_VERSION)
		try_resume(run, v, false, &unused, &res->session_id);
	if (accepted(run->r, TLS1_2_VERSION))
		try_resume(run, TLS1_2_VERSION, true, &res->ticket12_issued,
			   &res->ticket12_resumed);
	if (accepted(run->r, TLS1_3_VERSION))
		try_resume(run, TLS1_3_VERSION, true, &res->ticket13_issued,
			   &res->ticket13_resumed);
}

static void check_alpn(struct check_run *run)
{
	struct alpn_report *a = &run->r->alpn;
	struct probe_offer offer = { .sni = run->sni };
	struct probe_result res;
	int i;

	for (i = 0; i < CHECK_ALPN && !run->r->out_of_time; i++) {
		offer.alpn = check_alpn_protocols[i];
		check_probe(run, &offer, &res);
		/* A server refuses a protocol it lacks with no_application_protocol. */
		if (res.status == PROBE_HELLO || res.status == PROBE_ALERT)
			a->accepted[i] = strcmp(res.alpn, check_alpn_protocols[i]) ? ANSWER_NO : ANSWER_YES;
	}
	offer.alpn = "h2,http/1.1";
	check_probe(run, &offer, &res);
	snprintf(a->chosen, sizeof(a->chosen), "%s", res.alpn);
}

/* ---------------------------------------------------------------- policies */

static bool policy_allows(const struct policy *p, __u16 version, __u16 suite)
{
	int i;

	for (i = 0; i < p->n_suites; i++)
		if (p->suites[i].id == suite && p->suites[i].min_version <= version &&
		    version <= p->suites[i].max_version)
			return true;
	return false;
}

static bool policy_has_group(const struct policy *p, __u16 group)
{
	int i;

	for (i = 0; i < p->n_groups; i++)
		if (p->groups[i] == group)
			return true;
	return false;
}

static void add_miss(struct check_report *r, const struct policy *p, __u16 version, __u16 suite,
		     __u16 group)
{
	if (r->n_misses == CHECK_MISSES_MAX) {
		r->misses_cut = true;
		return;
	}
	r->misses[r->n_misses++] = (struct policy_miss){ p->name, version, suite, group };
}

void check_policy_misses(struct check_report *r, const struct policy_set *set)
{
	const struct version_report *v;
	const struct policy *p;
	int i, k, s;

	r->n_policies = set->n;
	for (k = 0; k < set->n; k++) {
		p = &set->policy[k];
		for (i = 0; i < CHECK_VERSIONS; i++) {
			v = &r->versions[i];
			if (v->verdict != VERSION_ACCEPTED)
				continue;
			if (v->version < p->min_version || v->version > p->max_version) {
				add_miss(r, p, v->version, 0, 0);
				continue;
			}
			for (s = 0; s < v->n_suites; s++)
				if (!policy_allows(p, v->version, v->suites[s]))
					add_miss(r, p, v->version, v->suites[s], 0);
			for (s = 0; s < v->n_groups; s++)
				if (!policy_has_group(p, v->groups[s]))
					add_miss(r, p, v->version, 0, v->groups[s]);
		}
	}
}

/* ---------------------------------------------------------------- main */

/* Everything after the first probe, which gave the certificate. */
static void run_probes(struct check_run *run, const struct check_options *o,
		       struct probe_result *first)
{
	struct check_report *r = run->r;
	__u16 groups[CHECK_GROUPS_MAX];
	int n_groups = local_groups(groups, CHECK_GROUPS_MAX), i;

	for (i = 0; i < n_groups; i++)
		r->n_pq_known += is_hybrid_pq(groups[i]);
	if (run->sni)
		keep_sni(run, SNI_GIVEN, run->sni, first);
	keep_certificate(run, first);
	r->features.ocsp = first->ocsp;
	for (i = 0; i < CHECK_VERSIONS && !r->out_of_time; i++)
		check_version(run, &r->versions[i]);
	for (i = 0; i < CHECK_VERSIONS && !r->out_of_time; i++)
		if (r->versions[i].verdict == VERSION_ACCEPTED)
			enumerate_suites(run, &r->versions[i]);
	for (i = 0; i < CHECK_VERSIONS && !r->out_of_time; i++)
		if (r->versions[i].version <= TLS1_2_VERSION)
			enumerate_raw_suites(run, &r->versions[i]);
	if (!r->out_of_time)
		check_raw_chain(run);
	r->findings = cert_findings(run->pc.certs, &r->chain, r->name, strlen(r->name), r->at,
				    CERT_WARN_DAYS_DEFAULT);
	for (i = 0; i < CHECK_VERSIONS && !r->out_of_time; i++)
		if (libssl_accepted(&r->versions[i]) && r->versions[i].version >= TLS1_2_VERSION)
			enumerate_groups(run, &r->versions[i], groups, n_groups);
	for (i = 0; i < CHECK_VERSIONS && !r->out_of_time; i++)
		if (libssl_accepted(&r->versions[i]) && r->versions[i].version >= TLS1_2_VERSION)
			check_sigalgs(run, &r->versions[i]);
	if (!r->out_of_time)
		check_features(run);
	if (!r->out_of_time)
		check_sni(run);
	if (!r->out_of_time)
		check_resumption(run);
	if (!r->out_of_time)
		check_alpn(run);
	check_policy_misses(r, &o->policies);
	if (r->trace)
		check_trace_choose(r->trace, r->chain.n ? r->chain.cert[0] : NULL);
}

static bool any_accepted(const struct check_report *r)
{
	int i;

	for (i = 0; i < CHECK_VERSIONS; i++)
		if (r->versions[i].verdict == VERSION_ACCEPTED)
			return true;
	return false;
}

/* The trust store the chain is judged against: --cafile, or the system's. */
static X509_STORE *trust_store(const char *cafile)
{
	X509_STORE *store = X509_STORE_new();

	if (store && (cafile ? X509_STORE_load_file(store, cafile) :
			       X509_STORE_set_default_paths(store)))
		return store;
	X509_STORE_free(store);
	return NULL;
}

static void report_free(struct check_report *r)
{
	int i;

	cert_chain_release(&r->chain);
	for (i = 0; i < SNI_CASES; i++)
		cert_put(r->sni[i].leaf);
	free(r);
}

/* One address's check: its report, or NULL after a one-line error. */
static struct check_report *check_address(const struct check_options *o,
					  const struct check_target *target, int n_addresses,
					  struct cert_cache *certs, struct check_trace *trace)
{
	struct check_report *r = calloc(1, sizeof(*r));
	struct check_run run = { .r = r };
	struct probe_offer offer = {};
	struct probe_result first;
	int i;

	if (!r) {
		fprintf(stderr, "tlsnoop: %s\n", strerror(ENOMEM));
		return NULL;
	}
	r->target = *target;
	r->n_addresses = n_addresses;
	r->all_addresses = o->all_addresses;
	r->trace = trace;
	snprintf(r->name, sizeof(r->name), "%s", o->servername ?: r->target.host);
	snprintf(r->libssl, sizeof(r->libssl), "%s", OpenSSL_version(OPENSSL_VERSION));
	r->trust = o->cafile ?: "system";
	r->at = time(NULL);
	for (i = 0; i < CHECK_VERSIONS; i++)
		r->versions[i].version = check_versions[i];
	run.sni = is_address(r->name) ? NULL : r->name;
	run.pc.certs = certs;
	run.pc.target = &r->target;
	run.pc.timeout_ms = o->timeout_sec * 1000;
	run.pc.cafile = o->cafile;
	clock_gettime(CLOCK_MONOTONIC, &run.pc.deadline);
	run.pc.deadline.tv_sec += o->max_time_sec;

	/* Nobody there, no TLS, or too slow: one line, before anything else. */
	offer.sni = run.sni;
	offer.keep_chain = true;
	offer.status_request = true;
	probe_run(&run.pc, &offer, &first);
	if (probe_status_fatal(first.status)) {
		fprintf(stderr, "tlsnoop: %s (%s): %s\n", o->target, r->target.addr_text,
			first.detail);
		goto fail;
	}
	run_probes(&run, o, &first);
	cert_chain_release(&first.chain);
	/* A server that resets or alerts whatever it is offered. */
	if (!any_accepted(r) && !r->out_of_time) {
		fprintf(stderr, "tlsnoop: %s (%s): no protocol version accepted; first answer: "
			"%s\n", o->target, r->target.addr_text, first.detail);
		goto fail;
	}
	return r;
fail:
	report_free(r);
	return NULL;
}

int check_main(int argc, char **argv)
{
	struct check_target host = {}, *addrs = NULL;
	struct check_report **reports = NULL;
	struct check_trace *trace = NULL;
	struct cert_cache *certs = NULL;
	struct check_options o;
	OSSL_PROVIDER *legacy = NULL;
	X509_STORE *store;
	int i, n_addrs, n_checked, n_reports = 0, err = 1;

	check_options_parse(&o, argc, argv);
	if (check_parse_target(o.target, host.host, sizeof(host.host), &host.port))
		usage_error("bad target '%s': expected HOST[:PORT], PORT 1-65535, an IPv6 "
			    "address in brackets with a port, e.g. lb.example.com:443 or "
			    "[2001:db8::1]:443", o.target);
	addrs = calloc(CHECK_ADDRESSES_MAX, sizeof(*addrs));
	reports = calloc(CHECK_ADDRESSES_MAX, sizeof(*reports));
	if (!addrs || !reports) {
		fprintf(stderr, "tlsnoop: %s\n", strerror(ENOMEM));
		goto out;
	}
	n_addrs = resolve(&host, addrs, CHECK_ADDRESSES_MAX);
	if (!n_addrs)
		goto out;
	n_checked = o.all_addresses ? n_addrs : 1;
	/* A bad trace is said before anything is contacted. */
	if (o.trace) {
		trace = calloc(1, sizeof(*trace));
		if (!trace) {
			fprintf(stderr, "tlsnoop: %s\n", strerror(ENOMEM));
			goto out;
		}
		if (check_trace_read(trace, o.trace, &o.policies, &addrs[0]))
			goto out;
	}
	store = trust_store(o.cafile);
	if (!store) {
		fprintf(stderr, "tlsnoop: cannot read CA certificates from '%s'\n",
			o.cafile ?: "the system's trust store");
		goto out;
	}
	certs = cert_cache_new(CERT_CACHE_DEFAULT, store);
	if (!certs) {
		fprintf(stderr, "tlsnoop: %s\n", strerror(ENOMEM));
		goto out;
	}
	/* The legacy provider, where there is one, lets libssl offer old suites. */
	legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
	err = 0;
	for (i = 0; i < n_checked; i++) {
		struct check_report *r = check_address(&o, &addrs[i], n_addrs, certs, trace);

		if (!r) {
			err = 1;
			continue;
		}
		reports[n_reports++] = r;
		if (o.json)
			check_print_json(stdout, r);
		else
			check_print_text(stdout, r);
		if (r->out_of_time) {
			fprintf(stderr, "tlsnoop: %s (%s): the check's time ran out after %u s "
				"(--max-time); what was not checked is marked\n", o.target,
				r->target.addr_text, o.max_time_sec);
			err = 1;
		}
	}
	if (!o.json && n_reports > 1)
		check_print_comparison(stdout, (const struct check_report *const *)reports,
				       n_reports);
	if (fflush(stdout))
		err = 1;
out:
	for (i = 0; i < n_reports; i++)
		report_free(reports[i]);
	free(reports);
	free(addrs);
	check_trace_free(trace);
	free(trace);
	cert_cache_free(certs);
	OSSL_PROVIDER_unload(legacy);
	return err;
}
