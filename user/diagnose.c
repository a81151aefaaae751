// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How each reason is inferred is documented in docs/reasons.md; keep the
 * two in step.
 */
#include <string.h>
#include "diagnose.h"

/* A TLS 1.3 client Finished alone is 53 (SHA-256) or 69 (SHA-384) bytes. */
#define TLS13_FINISHED_MAX	69

static const char *const reason_names[REASON_MAX] = {
	[REASON_NONE] = "none",
	[REASON_PROTOCOL_VERSION] = "protocol_version",
	[REASON_NO_SHARED_CIPHER] = "no_shared_cipher",
	[REASON_UNTRUSTED_CERTIFICATE] = "untrusted_certificate",
	[REASON_EXPIRED_CERTIFICATE] = "expired_certificate",
	[REASON_REVOKED_CERTIFICATE] = "revoked_certificate",
	[REASON_MISSING_SNI] = "missing_sni",
	[REASON_UNKNOWN_SNI] = "unknown_sni",
	[REASON_CLIENT_CERTIFICATE] = "client_certificate",
	[REASON_ALPN_MISMATCH] = "alpn_mismatch",
	[REASON_NOT_TLS] = "not_tls",
	[REASON_NO_CLIENT_HELLO] = "no_client_hello",
	[REASON_CLIENT_ABORT] = "client_abort",
	[REASON_SERVER_ABORT] = "server_abort",
	[REASON_TIMEOUT] = "timeout",
	[REASON_OTHER_ALERT] = "other_alert",
};

const char *reason_name(enum reason r)
{
	return r < REASON_MAX ? reason_names[r] : "unknown";
}

static int is_tls13(const struct flow *f)
{
	return (f->sh.flags & SERVER_HELLO_SEEN) && f->sh.version >= 0x0304;
}

/* A plaintext alert: its code and sender say why. */
static enum reason from_alert(const struct flow *f)
{
	const struct alert *a = &f->alert;
	bool server = a->from == SIDE_SERVER;
	bool cert_requested = f->sh.flags & SERVER_CERT_REQUEST;

	switch (a->code) {
	case 70:	/* protocol_version */
	case 86:	/* inappropriate_fallback */
		return REASON_PROTOCOL_VERSION;
	case 40:	/* handshake_failure */
	case 71:	/* insufficient_security */
		if (!server)
			return REASON_OTHER_ALERT;
		if (!(f->sh.flags & SERVER_HELLO_SEEN))
			return REASON_NO_SHARED_CIPHER;
		return cert_requested ? REASON_CLIENT_CERTIFICATE : REASON_OTHER_ALERT;
	case 42: case 43: case 46: case 48:
		return server ? REASON_CLIENT_CERTIFICATE : REASON_UNTRUSTED_CERTIFICATE;
	case 44:
		return server ? REASON_CLIENT_CERTIFICATE : REASON_REVOKED_CERTIFICATE;
	case 45:
		return server ? REASON_CLIENT_CERTIFICATE : REASON_EXPIRED_CERTIFICATE;
	case 47:	/* illegal_parameter: about a certificate only if one was asked */
		return server && cert_requested ? REASON_CLIENT_CERTIFICATE : REASON_OTHER_ALERT;
	case 116:	/* certificate_required */
		return REASON_CLIENT_CERTIFICATE;
	case 112:	/* unrecognized_name */
		return f->ch.flags & HELLO_HAS_SNI ? REASON_UNKNOWN_SNI : REASON_MISSING_SNI;
	case 120:	/* no_application_protocol */
		return REASON_ALPN_MISMATCH;
	default:
		return REASON_OTHER_ALERT;
	}
}

/*
 * The client refuses the old version the server chose (TLS 1.1 or below)
 * with an alert that does not say so: OpenSSL 3 at its default security
 * level sends internal_error, others handshake_failure or
 * insufficient_security. A server that accepts only TLS 1.0/1.1 fails so.
 */
static bool client_refused_old_version(const struct flow *f)
{
	const struct alert *a = &f->alert;

	return a->from == SIDE_CLIENT && (f->sh.flags & SERVER_HELLO_SEEN) &&
	       f->sh.version >= 0x0300 && f->sh.version < 0x0303 &&
	       (a->code == 40 || a->code == 71 || a->code == 80);
}

/*
 * An encrypted alert (TLS 1.3 after the ServerHello, or TLS 1.2 after
 * ChangeCipherSpec): its code is hidden, so the flight before it tells.
 */
static enum reason from_encrypted_alert(const struct flow *f)
{
	const struct record_stream *client = &f->dir[SIDE_CLIENT];

	if (!is_tls13(f))
		return REASON_OTHER_ALERT;
	if (f->alert.from == SIDE_CLIENT)
		/* Before its Finished, a client only refuses the server's
		 * certificate (expired or untrusted: the code says which). */
		return client->enc_records == 0 ? REASON_UNTRUSTED_CERTIFICATE
						 : REASON_OTHER_ALERT;
	/* The server answers a client flight that carried more than a
	 * Finished: a certificate (or an empty one) it asked for. */
	if (client->enc_records > 1 || client->enc_bytes > TLS13_FINISHED_MAX)
		return REASON_CLIENT_CERTIFICATE;
	return REASON_OTHER_ALERT;
}

void diagnose(const struct event *e, struct diagnosis *d)
{
	const struct flow *f = &e->flow;
	const struct alert *a = &f->alert;

	memset(d, 0, sizeof(*d));
	if (e->end_cause == END_ESTABLISHED) {
		d->success = true;
		return;
	}
	if (e->end_cause == END_NOT_TLS) {
		d->reason = REASON_NOT_TLS;
		return;
	}
	if (f->ch.flags & HELLO_SSLV2) {
		d->reason = REASON_PROTOCOL_VERSION;
		return;
	}
	if ((a->flags & ALERT_SEEN) && !(a->flags & ALERT_ENCRYPTED) &&
	    a->code != 0 && a->code != 90) {	/* close_notify, user_canceled */
		d->inferred = client_refused_old_version(f);
		d->reason = d->inferred ? REASON_PROTOCOL_VERSION : from_alert(f);
		return;
	}
	if ((a->flags & ALERT_SEEN) && (a->flags & ALERT_ENCRYPTED)) {
		d->reason = from_encrypted_alert(f);
		d->inferred = true;
		return;
	}
	if (e->end_cause == END_TIMEOUT) {
		d->reason = REASON_TIMEOUT;
		return;
	}
	if (!(f->ch.flags & HELLO_SEEN) && !f->dir[SIDE_CLIENT].saw_payload) {
		d->reason = REASON_NO_CLIENT_HELLO;
		return;
	}
	/* Who gave up: who closed, or who said close_notify/user_canceled. */
	d->reason = (f->close_from != SIDE_NONE ? f->close_from : a->from) == SIDE_SERVER
			    ? REASON_SERVER_ABORT : REASON_CLIENT_ABORT;
}
