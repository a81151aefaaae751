// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One probe of tlsnoop check: a non-blocking TCP connection and a libssl
 * handshake, every wait a poll() bounded by the probe's timeout and the
 * check's deadline. The ServerHello is read from libssl's message
 * callback, so a server that picks a version and suite, then fails the
 * handshake (a client certificate required, say), still counts as having
 * accepted them, as scanners that only read the ServerHello count it.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include "active_check.h"
#include "cursor.h"
#include "names.h"

#define HS_SERVER_HELLO		2
#define HS_NEW_SESSION_TICKET	4
#define HS_SERVER_KEY_EXCHANGE	12
#define HS_CERTIFICATE_REQUEST	13
#define HS_CERTIFICATE_VERIFY	15
#define NAMED_CURVE		3	/* ECParameters.curve_type */
#define EXT_SUPPORTED_VERSIONS	43
#define EXT_RENEGOTIATION_INFO	0xff01
#define TICKET_WAIT_MS		1000	/* TLS 1.3 tickets come after the handshake */
#define RAW_REPLY_MAX		(RAW_FLIGHT_MAX + 1024)	/* the flight and its record headers */

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const __u8 hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

int parse_server_hello(const __u8 *msg, size_t len, struct server_hello_facts *sh)
{
	struct cursor c = { msg, len }, body, random, exts, ext;
	__u32 type, body_len, v, sid_len, suite, comp, exts_len, ext_type, ext_len;

	if (get_u8(&c, &type) || type != HS_SERVER_HELLO || get_u24(&c, &body_len) ||
	    get_bytes(&c, body_len, &body) || get_u16(&body, &v) ||
	    get_bytes(&body, sizeof(hrr_random), &random) || get_u8(&body, &sid_len) ||
	    get_bytes(&body, sid_len, &ext) || get_u16(&body, &suite) || get_u8(&body, &comp))
		return -1;
	memset(sh, 0, sizeof(*sh));
	sh->version = v;
	sh->cipher = suite;
	/* No extensions: an SSL 3.0 or early TLS ServerHello. */
	if (!body.n)
		return !memcmp(random.p, hrr_random, sizeof(hrr_random));
	if (get_u16(&body, &exts_len) || get_bytes(&body, exts_len, &exts) || body.n)
		return -1;
	while (exts.n) {
		if (get_u16(&exts, &ext_type) || get_u16(&exts, &ext_len) ||
		    get_bytes(&exts, ext_len, &ext))
			return -1;
		if (ext_type == EXT_SUPPORTED_VERSIONS) {
			if (get_u16(&ext, &v) || ext.n)
				return -1;
			sh->version = v;
		} else if (ext_type == EXT_RENEGOTIATION_INFO) {
			sh->renegotiation_info = true;
		}
	}
	return !memcmp(random.p, hrr_random, sizeof(hrr_random));
}

const char *probe_status_name(enum probe_status status)
{
	static const char *const names[] = {
		[PROBE_HELLO] = "hello",
		[PROBE_REFUSED] = "refused",
		[PROBE_UNREACHABLE] = "unreachable",
		[PROBE_CONNECT_TIMEOUT] = "connect_timeout",
		[PROBE_TIMEOUT] = "timeout",
		[PROBE_RESET] = "reset",
		[PROBE_CLOSED] = "closed",
		[PROBE_ALERT] = "alert",
		[PROBE_NOT_TLS] = "not_tls",
		[PROBE_LOCAL] = "not_testable",
		[PROBE_FAILED] = "failed",
	};

	return status <= PROBE_FAILED ? names[status] : "?";
}

bool probe_status_fatal(enum probe_status status)
{
	return status == PROBE_REFUSED || status == PROBE_UNREACHABLE ||
	       status == PROBE_CONNECT_TIMEOUT || status == PROBE_TIMEOUT ||
	       status == PROBE_NOT_TLS;
}

static long ms_until(const struct timespec *end)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

bool probe_out_of_time(const struct probe_ctx *ctx)
{
	return ms_until(&ctx->deadline) == 0;
}

/* The earlier of now + ms and the check's deadline. */
static struct timespec probe_end(const struct probe_ctx *ctx, long ms)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += ms % 1000 * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	if (end.tv_sec > ctx->deadline.tv_sec ||
	    (end.tv_sec == ctx->deadline.tv_sec && end.tv_nsec > ctx->deadline.tv_nsec))
		return ctx->deadline;
	return end;
}

/* >0: ready; 0: the time ran out. */
static int wait_fd(int fd, short events, const struct timespec *end)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, ms_until(end));
	while (n < 0 && errno == EINTR);
	return n;
}

static void __attribute__((format(printf, 3, 4)))
fail(struct probe_result *res, enum probe_status status, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

static void connect_failed(struct probe_result *res, int err)
{
	switch (err) {
	case ECONNREFUSED:
		fail(res, PROBE_REFUSED, "connection refused: nothing listens on the port");
		break;
	case ETIMEDOUT:
		fail(res, PROBE_CONNECT_TIMEOUT, "no answer to the TCP connection (%s)",
		     strerror(err));
		break;
	default:
		fail(res, PROBE_UNREACHABLE, "cannot connect: %s", strerror(err));
	}
}

static int tcp_connect(const struct probe_ctx *ctx, const struct timespec *end,
		       struct probe_result *res)
{
	const struct check_target *t = ctx->target;
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(res, errno);
		return -1;
	}
	if (!connect(fd, (const struct sockaddr *)&t->addr, t->addr_len))
		return fd;
	if (errno != EINPROGRESS) {
		connect_failed(res, errno);
	} else if (wait_fd(fd, POLLOUT, end) <= 0) {
		fail(res, PROBE_CONNECT_TIMEOUT, "no answer to the TCP connection within %g s",
		     ctx->timeout_ms / 1000.0);
	} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		connect_failed(res, err ?: errno);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

SSL_CTX *probe_ssl_ctx(__u16 version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	/* Old versions and weak suites are what a check looks for: security
	 * level 0 lets libssl offer them (TLS 1.0 and 1.1 need it), and old
	 * servers without secure renegotiation are still talked to. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (version) {
		SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL");
		SSL_CTX_set_min_proto_version(ctx, version);
		SSL_CTX_set_max_proto_version(ctx, version);
	} else {
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	}
	return ctx;
}

__u16 parse_server_signature(const __u8 *msg, size_t len, __u16 version, bool ecdhe)
{
	struct cursor c = { msg, len }, body, skip;
	__u32 type, body_len, curve_type, v, i;

	if (get_u8(&c, &type) || get_u24(&c, &body_len) || get_bytes(&c, body_len, &body))
		return 0;
	if (type == HS_CERTIFICATE_VERIFY)
		return get_u16(&body, &v) ? 0 : v;
	if (type != HS_SERVER_KEY_EXCHANGE || version != TLS1_2_VERSION)
		return 0;
	if (ecdhe) {
		/* curve_type (named_curve), named_curve, the point. */
		if (get_u8(&body, &curve_type) || curve_type != NAMED_CURVE ||
		    get_u16(&body, &v) || get_u8(&body, &v) || get_bytes(&body, v, &skip))
			return 0;
	} else {
		/* p, g, Ys: DHE. */
		for (i = 0; i < 3; i++)
			if (get_u16(&body, &v) || get_bytes(&body, v, &skip))
				return 0;
	}
	return get_u16(&body, &v) ? 0 : v;
}

/* The suite's key exchange is ECDHE (its ServerKeyExchange, an EC point). */
static bool suite_is_ecdhe(const SSL *ssl, __u16 suite)
{
	const unsigned char id[2] = { suite >> 8, suite & 0xff };
	const SSL_CIPHER *c = SSL_CIPHER_find((SSL *)ssl, id);

	return c && SSL_CIPHER_get_kx_nid(c) == NID_kx_ecdhe;
}

/* libssl's message callback: what the server said, read as it arrives. */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len,
		       SSL *ssl, void *arg)
{
	struct probe_result *res = arg;
	const __u8 *msg = buf;
	struct server_hello_facts sh;

	(void)version;
	if (write_p || !len)
		return;
	if (content_type == SSL3_RT_ALERT && len == 2 && res->status != PROBE_HELLO) {
		res->status = PROBE_ALERT;
		res->alert = msg[1];
	} else if (content_type == SSL3_RT_HANDSHAKE) {
		if (msg[0] == HS_SERVER_HELLO && !parse_server_hello(msg, len, &sh)) {
			res->status = PROBE_HELLO;
			res->version = sh.version;
			res->cipher = sh.cipher;
		} else if (msg[0] == HS_CERTIFICATE_REQUEST) {
			res->client_cert_requested = true;
		} else if (msg[0] == HS_NEW_SESSION_TICKET) {
			res->ticket = true;
		} else if (msg[0] == HS_SERVER_KEY_EXCHANGE || msg[0] == HS_CERTIFICATE_VERIFY) {
			res->sigalg = parse_server_signature(msg, len, res->version,
							     suite_is_ecdhe(ssl, res->cipher));
		}
	}
}

/* "h2,http/1.1" in ALPN's wire format; its length, 0 when it does not fit. */
static size_t alpn_wire(const char *list, __u8 *out, size_t size)
{
	size_t n = 0, len;

	while (*list) {
		len = strcspn(list, ",");
		if (!len || len > 255 || n + 1 + len > size)
			return 0;
		out[n++] = len;
		memcpy(out + n, list, len);
		n += len;
		list += len + (list[len] == ',');
	}
	return n;
}

static int configure(SSL_CTX *sctx, const struct probe_ctx *ctx, const struct probe_offer *offer)
{
	if ((offer->ciphers && !SSL_CTX_set_cipher_list(sctx, offer->ciphers)) ||
	    (offer->suites && !SSL_CTX_set_ciphersuites(sctx, offer->suites)) ||
	    (offer->groups && !SSL_CTX_set1_groups_list(sctx, offer->groups)) ||
	    (offer->sigalgs && !SSL_CTX_set1_sigalgs_list(sctx, offer->sigalgs)))
		return -1;
	if (offer->fallback_scsv)
		SSL_CTX_set_mode(sctx, SSL_MODE_SEND_FALLBACK_SCSV);
	if (offer->no_tickets)
		SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
	if (!offer->keep_chain)
		return 0;
	if (ctx->cafile)
		return SSL_CTX_load_verify_file(sctx, ctx->cafile) ? 0 : -1;
	return SSL_CTX_set_default_verify_paths(sctx) ? 0 : -1;
}

static SSL *new_ssl(SSL_CTX *sctx, const struct probe_offer *offer, int fd,
		    struct probe_result *res)
{
	SSL *ssl = SSL_new(sctx);
	__u8 alpn[64];
	size_t alpn_len;

	if (!ssl)
		return NULL;
	SSL_set_fd(ssl, fd);
	SSL_set_msg_callback(ssl, on_message);
	SSL_set_msg_callback_arg(ssl, res);
	if (offer->sni && !SSL_set_tlsext_host_name(ssl, offer->sni))
		goto fail;
	if (offer->alpn) {
		alpn_len = alpn_wire(offer->alpn, alpn, sizeof(alpn));
		/* SSL_set_alpn_protos returns 0 on success. */
		if (!alpn_len || SSL_set_alpn_protos(ssl, alpn, alpn_len))
			goto fail;
	}
	if (offer->resume && !SSL_set_session(ssl, offer->resume))
		goto fail;
	if (offer->status_request && !SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp))
		goto fail;
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

/* Why the handshake stopped, when the server sent no ServerHello. */
static void handshake_failed(struct probe_result *res, int ssl_err, int sys_err)
{
	unsigned long e = ERR_peek_error();
	int reason = ERR_GET_REASON(e);

	if (res->status == PROBE_ALERT) {
		fail(res, PROBE_ALERT, "alert %s(%u)", tls_alert_name(res->alert) ?: "unknown",
		     res->alert);
	} else if (ssl_err == SSL_ERROR_SYSCALL && sys_err == ECONNRESET) {
		fail(res, PROBE_RESET, "connection reset by the server during the handshake");
	} else if ((ssl_err == SSL_ERROR_SYSCALL && !e) ||
		   (ERR_GET_LIB(e) == ERR_LIB_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		fail(res, PROBE_CLOSED, "connection closed by the server without a TLS answer");
	} else if (ERR_GET_LIB(e) == ERR_LIB_SSL && (reason == SSL_R_WRONG_VERSION_NUMBER ||
						     reason == SSL_R_PACKET_LENGTH_TOO_LONG)) {
		fail(res, PROBE_NOT_TLS, "the server answered, but not in TLS (%s)",
		     ERR_reason_error_string(e));
	} else if (ERR_GET_LIB(e) == ERR_LIB_SSL && (reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
						     reason == SSL_R_NO_CIPHERS_AVAILABLE)) {
		fail(res, PROBE_LOCAL, "this libssl cannot offer it (%s)", ERR_reason_error_string(e));
	} else {
		fail(res, PROBE_FAILED, "handshake failed: %s",
		     e ? ERR_reason_error_string(e) ?: "unknown error" : strerror(sys_err));
	}
}

/* The handshake, each wait bounded by end. */
static void handshake(SSL *ssl, int fd, const struct probe_ctx *ctx, const struct timespec *end,
		      struct probe_result *res)
{
	int ret, err;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		ret = SSL_connect(ssl);
		if (ret == 1) {
			res->established = true;
			return;
		}
		err = SSL_get_error(ssl, ret);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			break;
		if (wait_fd(fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, end) <= 0) {
			if (res->status != PROBE_HELLO)
				fail(res, PROBE_TIMEOUT, "connected, but no TLS answer within %g s",
				     ctx->timeout_ms / 1000.0);
			return;
		}
	}
	if (res->status != PROBE_HELLO)
		handshake_failed(res, err, errno);
	else
		snprintf(res->detail, sizeof(res->detail), "handshake failed after the ServerHello");
}

/* TLS 1.3 tickets follow the handshake: read until one came, or a while. */
static void wait_ticket(SSL *ssl, int fd, const struct probe_ctx *ctx, struct probe_result *res)
{
	struct timespec end = probe_end(ctx, TICKET_WAIT_MS);
	char byte;
	int ret;

	while (!res->ticket) {
		ret = SSL_read(ssl, &byte, 1);
		if (ret > 0 || SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ ||
		    wait_fd(fd, POLLIN, &end) <= 0)
			break;
	}
}

static void keep_chain(SSL *ssl, const struct probe_ctx *ctx, struct probe_result *res)
{
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
	unsigned char *der;
	struct cert *cert;
	int i, len;

	res->verify = SSL_get_verify_result(ssl);
	for (i = 0; sk && i < sk_X509_num(sk); i++) {
		if (res->chain.n == CERT_CHAIN_MAX) {
			res->chain.cut = true;
			break;
		}
		der = NULL;
		len = i2d_X509(sk_X509_value(sk, i), &der);
		cert = len > 0 ? cert_cache_get(ctx->certs, der, len) : NULL;
		OPENSSL_free(der);
		if (cert)
			res->chain.cert[res->chain.n++] = cert;
	}
}

/* The stapled OCSP response: its status and its first single response. */
static void keep_ocsp(SSL *ssl, struct ocsp_staple *o)
{
	const ASN1_GENERALIZEDTIME *this_update = NULL, *next_update = NULL;
	const unsigned char *der = NULL, *p;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	OCSP_SINGLERESP *single;
	ASN1_GENERALIZEDTIME *revoked, *tu, *nu;
	struct tm tm;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
	int reason;

	o->response_status = o->cert_status = -1;
	if (len <= 0 || !der)
		return;
	o->stapled = true;
	p = der;
	resp = d2i_OCSP_RESPONSE(NULL, &p, len);
	if (!resp)
		return;
	o->response_status = OCSP_response_status(resp);
	basic = OCSP_response_get1_basic(resp);
	single = basic ? OCSP_resp_get0(basic, 0) : NULL;
	if (single) {
		o->cert_status = OCSP_single_get0_status(single, &reason, &revoked, &tu, &nu);
		this_update = tu;
		next_update = nu;
	}
	if (this_update && ASN1_TIME_to_tm(this_update, &tm))
		o->this_update = timegm(&tm);
	if (next_update && ASN1_TIME_to_tm(next_update, &tm))
		o->next_update = timegm(&tm);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
}

static void read_outcome(SSL *ssl, int fd, const struct probe_ctx *ctx,
			 const struct probe_offer *offer, struct probe_result *res)
{
	const unsigned char *alpn;
	unsigned int alpn_len;

	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if (alpn_len >= sizeof(res->alpn))
		alpn_len = sizeof(res->alpn) - 1;
	if (alpn_len)
		memcpy(res->alpn, alpn, alpn_len);
	res->alpn[alpn_len] = '\0';
	if (offer->keep_chain)
		keep_chain(ssl, ctx, res);
	if (offer->status_request)
		keep_ocsp(ssl, &res->ocsp);
	if (res->status == PROBE_HELLO)
		res->secure_renegotiation = SSL_get_secure_renegotiation_support(ssl);
	if (!res->established)
		return;
	/* A session freed without a close_notify sent is made unresumable. */
	SSL_shutdown(ssl);
	res->resumed = SSL_session_reused(ssl);
	if (offer->keep_session) {
		if (SSL_version(ssl) == TLS1_3_VERSION)
			wait_ticket(ssl, fd, ctx, res);
		res->session = SSL_get1_session(ssl);
	}
}

/* A result that says nothing yet (not PROBE_HELLO, enum's 0); false when
 * the check's time has run out, said in res. */
static bool probe_begin(const struct probe_ctx *ctx, struct probe_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = PROBE_FAILED;
	res->verify = X509_V_OK;
	if (!probe_out_of_time(ctx))
		return true;
	fail(res, PROBE_TIMEOUT, "not tried: the check's time (--max-time) ran out");
	return false;
}

void probe_raw(const struct probe_ctx *ctx, const __u8 *hello, size_t len, bool keep_chain,
	       struct probe_result *res)
{
	struct timespec end = probe_end(ctx, ctx->timeout_ms);
	__u8 buf[RAW_REPLY_MAX];
	size_t sent = 0, got = 0;
	ssize_t n;
	int fd;

	if (!probe_begin(ctx, res))
		return;
	if (!len) {
		fail(res, PROBE_LOCAL, "the hello does not fit");
		return;
	}
	fd = tcp_connect(ctx, &end, res);
	if (fd < 0)
		return;
	while (sent < len) {
		n = send(fd, hello + sent, len - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			goto closed;
		else if (wait_fd(fd, POLLOUT, &end) <= 0)
			goto timeout;
	}
	for (;;) {
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n > 0) {
			got += n;
			if (!raw_server_reply(buf, got, res, keep_chain ? ctx->certs : NULL))
				break;
			/* That long and still undecided: no ServerHello, or a chain cut. */
			if (got == sizeof(buf)) {
				if (res->status == PROBE_HELLO)
					res->chain.cut = true;
				else
					fail(res, PROBE_FAILED,
					     "no ServerHello in the server's first %zu bytes", got);
				break;
			}
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			goto closed;
		} else if (wait_fd(fd, POLLIN, &end) <= 0) {
			goto timeout;
		}
	}
	goto out;
closed:
	/* The ServerHello came, the chain did not: the answer stands. */
	if (res->status == PROBE_HELLO)
		res->chain.cut = true;
	else if (n < 0 && errno == ECONNRESET)
		fail(res, PROBE_RESET, "connection reset by the server during the handshake");
	else
		fail(res, PROBE_CLOSED, "connection closed by the server without a TLS answer");
	goto out;
timeout:
	if (res->status == PROBE_HELLO)
		res->chain.cut = true;
	else
		fail(res, PROBE_TIMEOUT, "connected, but no TLS answer within %g s",
		     ctx->timeout_ms / 1000.0);
out:
	close(fd);
}

void probe_run(const struct probe_ctx *ctx, const struct probe_offer *offer,
	       struct probe_result *res)
{
	struct timespec end = probe_end(ctx, ctx->timeout_ms);
	SSL_CTX *sctx = NULL;
	SSL *ssl = NULL;
	int fd;

	if (!probe_begin(ctx, res))
		return;
	sctx = probe_ssl_ctx(offer->version);
	if (!sctx || configure(sctx, ctx, offer)) {
		fail(res, PROBE_LOCAL, "this libssl cannot offer it (%s)",
		     ERR_reason_error_string(ERR_peek_error()) ?: "no reason given");
		goto out;
	}
	fd = tcp_connect(ctx, &end, res);
	if (fd < 0)
		goto out;
	ssl = new_ssl(sctx, offer, fd, res);
	if (!ssl) {
		fail(res, PROBE_LOCAL, "this libssl cannot offer it (%s)",
		     ERR_reason_error_string(ERR_peek_error()) ?: "no reason given");
	} else {
		res->status = PROBE_FAILED;	/* until the server says something */
		handshake(ssl, fd, ctx, &end, res);
		read_outcome(ssl, fd, ctx, offer, res);
		SSL_free(ssl);
	}
	close(fd);
out:
	SSL_CTX_free(sctx);
	ERR_clear_error();
}
