/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tlsnoop check HOST[:PORT]: an active TLS check of one listener, with
 * OpenSSL's libssl as the client (docs/check.md). check.c runs the
 * probes, check_probe.c makes one bounded connection and handshake,
 * check_output.c writes the report.
 */
#ifndef __ACTIVE_CHECK_H
#define __ACTIVE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/types.h>
#include <openssl/ssl.h>
#include "cert.h"
#include "policy.h"

struct check_trace;

#define CHECK_HOST_MAX		256
#define CHECK_ADDRESSES_MAX	16	/* --all-addresses checks at most these */
#define CHECK_SUITES_MAX	160	/* accepted per version */
#define CHECK_GROUPS_MAX	64	/* groups the local libssl knows */
#define CHECK_SIGALGS_MAX	32	/* signature schemes the local libssl knows */
#define CHECK_RAW_CANDIDATES	512	/* suites offered by hellos of our own */
#define RAW_HELLO_MAX		2048	/* one such hello: 64 suites, a name, extensions */
#define RAW_FLIGHT_MAX		65536	/* the server's handshake bytes read after it */
#define CHECK_TIMEOUT_DEFAULT	5	/* seconds, each probe */
#define CHECK_MAX_TIME_DEFAULT	120	/* seconds, the whole check */

/* ---------------------------------------------------------------- probes */

enum probe_status {
	PROBE_HELLO,		/* the server answered with a ServerHello */
	PROBE_REFUSED,		/* TCP connection refused */
	PROBE_UNREACHABLE,	/* no route, host or network unreachable */
	PROBE_CONNECT_TIMEOUT,	/* no TCP answer in time */
	PROBE_TIMEOUT,		/* connected, then no TLS answer in time */
	PROBE_RESET,		/* reset by the server */
	PROBE_CLOSED,		/* closed by the server without a word */
	PROBE_ALERT,		/* a TLS alert from the server */
	PROBE_NOT_TLS,		/* the answer was not TLS */
	PROBE_LOCAL,		/* this libssl cannot offer what was asked */
	PROBE_FAILED,		/* any other TLS failure (detail says which) */
};

/* Where to connect: the address of the host the user named, resolved once. */
struct check_target {
	char host[CHECK_HOST_MAX];	/* as given, without brackets */
	__u16 port;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[64];		/* "198.18.0.1:443", "[2001:db8::1]:443" */
};

/* What one probe offers. Absent fields: libssl's defaults. */
struct probe_offer {
	__u16 version;		/* only this one; 0: any this libssl has (TLS 1.0-1.3) */
	const char *ciphers;	/* <= TLS 1.2: an OpenSSL cipher list */
	const char *suites;	/* TLS 1.3 suites */
	const char *groups;
	const char *sni;	/* NULL: none */
	const char *alpn;	/* comma-separated protocols, or NULL */
	const char *sigalgs;	/* signature_algorithms, libssl's names */
	SSL_SESSION *resume;	/* offer to resume it */
	bool status_request;	/* ask for a stapled OCSP response */
	bool fallback_scsv;	/* TLS_FALLBACK_SCSV: "this is a retry at a lower version" */
	bool no_tickets;
	bool keep_session;	/* return the session (waits for TLS 1.3 tickets) */
	bool keep_chain;	/* return the chain, verified */
};

/* A stapled OCSP response, as the server sent it (not verified). */
struct ocsp_staple {
	bool stapled;
	int response_status;	/* OCSP_RESPONSE_STATUS_*; -1: not an OCSP response */
	int cert_status;	/* V_OCSP_CERTSTATUS_*; -1: no single response in it */
	time_t this_update, next_update;	/* 0: absent */
};

struct probe_result {
	enum probe_status status;
	__u16 version;		/* from the ServerHello */
	__u16 cipher;		/* IANA id */
	__u16 sigalg;		/* the server's signature scheme (ServerKeyExchange,
				 * CertificateVerify); 0: none seen */
	bool established;	/* the handshake completed */
	bool secure_renegotiation;	/* RFC 5746 renegotiation_info in the ServerHello */
	bool resumed;
	bool ticket;		/* the server sent a session ticket */
	bool client_cert_requested;
	__u8 alert;		/* PROBE_ALERT */
	char alpn[32];		/* the protocol the server selected, "" none */
	char detail[160];	/* the failure, said for a person */
	struct ocsp_staple ocsp;	/* status_request */
	struct cert_chain chain;	/* as sent (keep_chain) */
	long verify;		/* X509_V_OK or libssl's verification error */
	SSL_SESSION *session;	/* keep_session: the caller frees it */
};

struct probe_ctx {
	const struct check_target *target;
	int timeout_ms;		/* each probe */
	struct timespec deadline;	/* the whole check */
	const char *cafile;	/* NULL: the system's trust store */
	struct cert_cache *certs;	/* where kept chains' certificates come from */
};

/* One connection and handshake, bounded by ctx's timeout and deadline.
 * The result's chain holds references: cert_chain_release() it. */
void probe_run(const struct probe_ctx *ctx, const struct probe_offer *offer,
	       struct probe_result *res);
/* No TLS was spoken: the server is not there, not TLS, or too slow. */
bool probe_status_fatal(enum probe_status status);
/* The deadline of the whole check has passed. */
bool probe_out_of_time(const struct probe_ctx *ctx);
/* An SSL_CTX as probes make it, for asking libssl what it can offer. */
SSL_CTX *probe_ssl_ctx(__u16 version);

/* What a ServerHello says. */
struct server_hello_facts {
	__u16 version;		/* selected, supported_versions included */
	__u16 cipher;
	bool renegotiation_info;	/* RFC 5746: secure renegotiation */
};

/* A ServerHello's handshake message (type byte first). 0 on success, 1
 * for a HelloRetryRequest, -1 when malformed. */
int parse_server_hello(const __u8 *msg, size_t len, struct server_hello_facts *sh);
/* A ClientHello record of our own at `version` (SSL 3.0-TLS 1.2) offering
 * `n` suites, with SNI when sni is a name (check_raw.c): its length, 0 if
 * it does not fit. */
size_t raw_client_hello(__u8 *out, size_t size, __u16 version, const __u16 *suites, int n,
			const char *sni);
/* The server's first bytes: a ServerHello (its version and suite) or an
 * alert into res, and with certs, the chain of the Certificate message
 * that follows (references: cert_chain_release() it); 1 while more bytes
 * are needed, 0 when res is decided. */
int raw_server_reply(const __u8 *buf, size_t len, struct probe_result *res,
		     struct cert_cache *certs);
/* Send a hello of raw_client_hello()'s and read the answer (with the chain
 * if keep_chain), bounded as probe_run() is; the handshake goes no further. */
void probe_raw(const struct probe_ctx *ctx, const __u8 *hello, size_t len, bool keep_chain,
	       struct probe_result *res);

/* The signature scheme of a TLS 1.2 ServerKeyExchange (of an ECDHE suite,
 * else DHE) or of a CertificateVerify (TLS 1.3), type byte first; 0 when it
 * has none or is malformed. */
__u16 parse_server_signature(const __u8 *msg, size_t len, __u16 version, bool ecdhe);

/* ---------------------------------------------------------------- the check */

#define CHECK_VERSIONS	5	/* SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3 */

enum version_verdict {
	VERSION_NOT_CHECKED,	/* not asked (yet), or out of time; what a report starts with */
	VERSION_ACCEPTED,
	VERSION_REFUSED,	/* detail says how */
};

enum cipher_order {
	ORDER_UNKNOWN,		/* fewer than two suites */
	ORDER_SERVER,		/* the server picks by its own preference */
	ORDER_CLIENT,		/* the server takes the client's first */
};

struct version_report {
	__u16 version;
	enum version_verdict verdict;
	char detail[160];
	int n_suites;
	__u16 suites[CHECK_SUITES_MAX];	/* server order when it has one */
	bool suite_raw[CHECK_SUITES_MAX];	/* seen by a hello of our own only */
	bool raw_only;		/* accepted with such suites only: libssl cannot talk at it */
	enum cipher_order order;
	int n_groups_tested;
	int n_groups;
	__u16 groups[CHECK_GROUPS_MAX];	/* IANA ids */
	bool secure_renegotiation;	/* RFC 5746, in the ServerHello of this version */
	int n_sigalgs_tested;		/* TLS 1.2 with an ECDHE/DHE suite, TLS 1.3 */
	int n_sigalgs;
	__u16 sigalgs[CHECK_SIGALGS_MAX];	/* the server signed with each, offered alone */
};

enum sni_case { SNI_GIVEN, SNI_NONE, SNI_UNKNOWN, SNI_CASES };

struct sni_report {
	bool tested;		/* SNI_GIVEN: only with a name */
	char sent[CHECK_HOST_MAX];
	enum probe_status status;
	char detail[160];
	struct cert *leaf;	/* a reference, or NULL */
	bool name_matches;	/* the leaf holds the name checked */
};

enum answer { ANSWER_UNTESTED, ANSWER_NO, ANSWER_YES };

struct resumption_report {
	enum answer session_id;	/* TLS <= 1.2, tickets off */
	enum answer ticket12_issued, ticket12_resumed;
	enum answer ticket13_issued, ticket13_resumed;
};

#define CHECK_ALPN	2
extern const char *const check_alpn_protocols[CHECK_ALPN];	/* h2, http/1.1 */

/* Protocol features (check_features.c). */
struct features_report {
	struct ocsp_staple ocsp;		/* on the first connection */
	enum answer secure_renegotiation;	/* at renegotiation_version */
	__u16 renegotiation_version;		/* the highest accepted, <= TLS 1.2 */
	enum answer fallback_scsv;		/* a retry marked TLS_FALLBACK_SCSV refused */
	__u16 fallback_version;			/* the version the retry offered */
	char fallback_detail[160];		/* what the server did, or why untested */
};

struct alpn_report {
	enum answer accepted[CHECK_ALPN];
	char chosen[32];	/* of both offered; "" none */
};

/* One accepted version or suite, or group, outside a --policy. */
struct policy_miss {
	const char *policy;
	__u16 version;
	__u16 suite;		/* 0: the version itself is outside */
	__u16 group;		/* set: a group outside */
};

#define CHECK_MISSES_MAX	256

struct check_report {
	struct check_target target;
	int n_addresses;		/* HOST resolved to */
	bool all_addresses;		/* each is checked, not only the first */
	char name[CHECK_HOST_MAX];	/* the name sent and checked: "" none */
	char libssl[64];		/* OpenSSL's version text */
	time_t at;
	struct version_report versions[CHECK_VERSIONS];
	bool client_cert_requested;
	struct cert_chain chain;	/* as sent, with SNI */
	bool chain_raw;			/* read after a hello of our own: libssl could not */
	unsigned int findings;
	long verify;
	const char *verify_text;
	const char *trust;		/* "system" or the --cafile */
	struct sni_report sni[SNI_CASES];
	struct resumption_report resumption;
	struct alpn_report alpn;
	struct features_report features;
	int n_pq_known;			/* hybrid post-quantum groups libssl knows */
	int n_policies;
	int n_misses;
	bool misses_cut;
	struct policy_miss misses[CHECK_MISSES_MAX];
	struct check_trace *trace;	/* --trace: its clients judged (not owned); NULL */
	bool out_of_time;		/* stopped by --max-time */
};

struct check_options {
	const char *target;		/* HOST[:PORT] */
	const char *servername;
	const char *cafile;
	const char *trace;		/* --trace FILE */
	bool all_addresses;
	bool json;
	unsigned int timeout_sec;
	unsigned int max_time_sec;
	struct policy_set policies;
};

/* A check in progress: where it connects, and its report. */
struct check_run {
	struct probe_ctx pc;
	struct check_report *r;
	const char *sni;	/* NULL when the name is an address */
};

/* One probe of the check; running out of time is noted in the report. */
void check_probe(struct check_run *run, const struct probe_offer *offer,
		 struct probe_result *res);
/* Each signature scheme the local libssl knows, offered alone at v's
 * version (TLS 1.2, 1.3): those the server signs with. */
void check_sigalgs(struct check_run *run, struct version_report *v);
/* The suites of v's version that libssl cannot offer (those not in known),
 * by hellos of our own, placed in the server's order; first gets the
 * answer to the first hello. The number found. */
int check_raw_suites(struct check_run *run, struct version_report *v, const __u16 *known,
		     int n_known, struct probe_result *first);
/* No chain from libssl, and versions accepted with suites it lacks: the
 * chain that follows the ServerHello to a hello of our own, verified. */
void check_raw_chain(struct check_run *run);
/* v was accepted in a libssl handshake: the probes made with libssl apply. */
bool libssl_accepted(const struct version_report *v);
/* Secure renegotiation and TLS_FALLBACK_SCSV, from the versions accepted. */
void check_features(struct check_run *run);

/* `tlsnoop check ...` (argv[0] is "check"): the exit status. */
int check_main(int argc, char **argv);
/* HOST[:PORT] with IPv6 in brackets into host and port (443 when absent);
 * 0 on success. */
int check_parse_target(const char *s, char *host, size_t size, __u16 *port);
/* Accepted versions, suites and groups outside the policies. */
void check_policy_misses(struct check_report *r, const struct policy_set *set);
const char *probe_status_name(enum probe_status status);

void check_print_text(FILE *out, const struct check_report *r);
void check_print_json(FILE *out, const struct check_report *r);
/* --all-addresses: what differs between the addresses' reports. */
void check_print_comparison(FILE *out, const struct check_report *const *r, int n);

#endif /* __ACTIVE_CHECK_H */
