// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "fmt.h"
#include "names.h"
#include "report.h"

static void format_addr(__u8 family, const __u8 *addr, char *buf)
{
	if (family == 6)
		inet_ntop(AF_INET6, addr, buf, INET6_ADDRSTRLEN);
	else
		fmt_ipv4(buf, addr);
}

/* Offered versions from the ClientHello, highest first. Without a
 * supported_versions extension only the legacy version is known. */
static void decode_offered(struct report *r, const struct client_hello *ch)
{
	__u8 mask = ch->versions_mask;
	int v;

	if (!(ch->flags & HELLO_HAS_SUPP_VERSIONS))
		mask = VERSION_BIT(ch->legacy_version);
	for (v = 0x0304; v >= 0x0300; v--)
		if (mask & VERSION_BIT(v))
			r->offered[r->n_offered++] = tls_version_name(v);
}

/* ALPN protocol_name_list: u8-length-prefixed names. */
static void decode_alpn(struct report *r, const struct client_hello *ch)
{
	__u32 off = 0, len = ch->alpn_len;

	while (off < len && r->n_alpn < REPORT_ALPN_MAX) {
		__u8 n = ch->alpn[off];

		if (n == 0 || off + 1 + n > len)
			break;
		r->alpn[r->n_alpn].name = &ch->alpn[off + 1];
		r->alpn[r->n_alpn].len = n;
		r->n_alpn++;
		off += 1 + n;
	}
}

/* TLS 1.3 resumes only with a PSK (a ticket is one). Below, the server
 * echoes the session id, which a client resuming from a ticket also sends
 * (RFC 5077, 3.4): its ticket tells the two apart. */
static __u8 resumption_kind(const struct flow *f)
{
	if (!(f->sh.flags & SERVER_RESUMED))
		return RESUME_NONE;
	if (f->sh.version >= 0x0304)
		return RESUME_PSK;
	return f->ch.flags & HELLO_HAS_TICKET ? RESUME_TICKET : RESUME_SESSION_ID;
}

/* A PSK or a ticket asks to resume; so does a session id, but only from a
 * client without TLS 1.3, whose 32-byte legacy session id is random (RFC
 * 8446, D.4). */
static bool resumption_offered(const struct client_hello *ch)
{
	if (ch->flags & (HELLO_HAS_PSK | HELLO_HAS_TICKET))
		return true;
	return ch->session_id_len && !(ch->versions_mask & VERSION_BIT(0x0304));
}

void report_init(struct report *r, const struct event *e, const struct hello_info *hello,
		 __s64 mono_to_wall)
{
	const struct flow *f = &e->flow;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->hello = hello;
	diagnose(e, &r->d);
	r->wall_ns = e->t_end + mono_to_wall;
	format_addr(e->key.family, e->key.client_addr, r->client_ip);
	format_addr(e->key.family, e->key.server_addr, r->server_ip);
	if (f->sh.flags & SERVER_HELLO_SEEN) {
		r->version = tls_version_name(f->sh.version);
		r->cipher = tls_cipher_name(f->sh.cipher, r->cipher_buf, sizeof(r->cipher_buf));
	}
	if (f->ch.flags & HELLO_SEEN) {
		decode_offered(r, &f->ch);
		decode_alpn(r, &f->ch);
		r->resumption_offered = resumption_offered(&f->ch);
	}
	r->resumption = resumption_kind(f);
}

void report_certificates(struct report *r, struct flight_table *flights,
			 struct cert_cache *cache, unsigned int warn_days)
{
	const struct client_hello *ch = &r->e->flow.ch;
	/* A name cut short cannot be matched. */
	size_t sni_len = ch->flags & HELLO_SNI_TRUNCATED ? 0 : ch->sni_len;
	time_t at = r->wall_ns / 1000000000ULL;
	int side;

	flight_table_take(flights, &r->e->key, cache, r->chain);
	for (side = SIDE_CLIENT; side <= SIDE_SERVER; side++)
		r->cert_findings[side] = cert_findings(cache, &r->chain[side],
						       side == SIDE_SERVER ? ch->sni : NULL,
						       side == SIDE_SERVER ? sni_len : 0, at,
						       warn_days);
}

void report_release(struct report *r)
{
	cert_chain_release(&r->chain[SIDE_CLIENT]);
	cert_chain_release(&r->chain[SIDE_SERVER]);
}

const char *resumption_name(__u8 kind)
{
	static const char *const names[RESUME_KINDS] = {
		[RESUME_NONE] = "none", [RESUME_SESSION_ID] = "session_id",
		[RESUME_TICKET] = "ticket", [RESUME_PSK] = "psk",
	};

	return kind < RESUME_KINDS ? names[kind] : "none";
}

const char *role_name(__u8 role)
{
	return role == ROLE_BACKEND ? "backend" : "frontend";
}

const char *side_name(__u8 side)
{
	return side == SIDE_CLIENT ? "client" : side == SIDE_SERVER ? "server" : "none";
}

const char *close_kind_name(__u8 kind)
{
	return kind == CLOSE_FIN ? "fin" : kind == CLOSE_RST ? "rst" : "none";
}

const char *end_cause_name(__u8 cause)
{
	switch (cause) {
	case END_ESTABLISHED: return "established";
	case END_ALERT: return "alert";
	case END_CLOSE: return "close";
	case END_NOT_TLS: return "not_tls";
	case END_TIMEOUT: return "timeout";
	default: return "unknown";
	}
}

static __u8 clamp_len(__u8 len, __u8 max)
{
	return len < max ? len : max;
}

void event_clamp(struct event *e)
{
	struct flow *f = &e->flow;

	f->hist_len = clamp_len(f->hist_len, TLSNOOP_HIST_MAX);
	f->peek_len = clamp_len(f->peek_len, TLSNOOP_PEEK_MAX);
	f->ch.sni_len = clamp_len(f->ch.sni_len, TLSNOOP_SNI_MAX);
	f->ch.alpn_len = clamp_len(f->ch.alpn_len, TLSNOOP_ALPN_MAX);
	f->ch.session_id_len = clamp_len(f->ch.session_id_len, TLSNOOP_SID_MAX);
	f->sh.alpn_len = clamp_len(f->sh.alpn_len, TLSNOOP_SERVER_ALPN_MAX);
}
