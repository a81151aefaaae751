// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "escape.h"
#include "fmt.h"
#include "fnv.h"

/* ------------------------------------------------------------ Space-Saving */

int topk_add(struct topk *t, const char *key, bool *fresh)
{
	struct topk_slot *min = NULL, *s;
	__u64 hash = fnv1a(FNV_OFFSET, key, strlen(key));
	int i;

	*fresh = false;
	for (i = 0; i < t->n; i++) {
		s = &t->slot[i];
		if (s->hash == hash && !strcmp(s->key, key)) {
			s->count++;
			return i;
		}
		if (!min || s->count < min->count)
			min = s;
	}
	*fresh = true;
	if (t->n < t->cap) {
		s = &t->slot[t->n++];
		fmt_str(s->key, sizeof(s->key), key);
		s->hash = hash;
		s->count = 1;
		s->error = 0;
		return s - t->slot;
	}
	/* The least counted key gives its slot to the new one, whose count
	 * starts from the evicted count: that much may not be its own. */
	fmt_str(min->key, sizeof(min->key), key);
	min->hash = hash;
	min->error = min->count;
	min->count++;
	return min - t->slot;
}

struct sort_ctx {
	const struct topk *t;
	__u64 (*weight)(const void *ctx, int i);
	const void *ctx;
};

static struct sort_ctx sort_by;

static int by_weight_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	__u64 wx = sort_by.weight(sort_by.ctx, x), wy = sort_by.weight(sort_by.ctx, y);

	if (wx != wy)
		return wx < wy ? 1 : -1;
	return strcmp(sort_by.t->slot[x].key, sort_by.t->slot[y].key);
}

int topk_sorted(const struct topk *t, int *idx, __u64 (*weight)(const void *ctx, int i),
		const void *ctx)
{
	int i, n = 0;

	for (i = 0; i < t->n; i++)
		if (weight(ctx, i))
			idx[n++] = i;
	sort_by = (struct sort_ctx){ t, weight, ctx };
	qsort(idx, n, sizeof(*idx), by_weight_desc);
	return n;
}

__u64 topk_count(const void *ctx, int i)
{
	return ((const struct topk *)ctx)->slot[i].count;
}

__u64 sni_latency_count(const void *ctx, int i)
{
	return ((const struct aggregate *)ctx)->sni_latency[i].server_hello.n;
}

/* ------------------------------------------------------- latency histogram */

/* Below LAT_SUB: one bucket per microsecond. Above: LAT_SUB buckets per
 * power of two, so a bucket is at most 1/LAT_SUB of its values wide. */
static int lat_bucket(__u64 us)
{
	int msb, shift;

	if (us < LAT_SUB)
		return us;
	msb = 63 - __builtin_clzll(us);
	shift = msb - 4;		/* keep the top 5 bits: 16..31 */
	if (shift + 1 >= LAT_BUCKETS / LAT_SUB)
		return LAT_BUCKETS - 1;
	return (shift + 1) * LAT_SUB + (int)((us >> shift) - LAT_SUB);
}

/* The middle of a bucket's range. */
static __u64 lat_value(int b)
{
	int shift;
	__u64 low;

	if (b < LAT_SUB)
		return b;
	shift = b / LAT_SUB - 1;
	low = (__u64)(b % LAT_SUB + LAT_SUB) << shift;
	return low + ((1ULL << shift) >> 1);
}

void lat_add(struct lat_hist *h, __u64 us)
{
	h->bucket[lat_bucket(us)]++;
	h->n++;
}

__u64 lat_percentile(const struct lat_hist *h, double p)
{
	__u64 rank, seen = 0;
	int b;

	if (!h->n)
		return 0;
	rank = (__u64)(p / 100.0 * h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	for (b = 0; b < LAT_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank)
			return lat_value(b);
	}
	return lat_value(LAT_BUCKETS - 1);
}

/* --------------------------------------------------------------- aggregate */

void aggregate_init(struct aggregate *a)
{
	struct topk_slot *s = a->slots;

	memset(a, 0, sizeof(*a));
	a->clients = (struct topk){ .cap = AGG_CLIENTS, .slot = s };
	a->prefixes = (struct topk){ .cap = AGG_CLIENTS, .slot = s + AGG_CLIENTS };
	a->snis = (struct topk){ .cap = AGG_SNIS, .slot = s + 2 * AGG_CLIENTS };
	a->lat_snis = (struct topk){ .cap = AGG_LAT_SNIS, .slot = s + 2 * AGG_CLIENTS + AGG_SNIS };
	a->backends = (struct topk){ .cap = AGG_BACKENDS,
				     .slot = s + 2 * AGG_CLIENTS + AGG_SNIS + AGG_LAT_SNIS };
}

void client_prefix(const struct event *e, char *buf, size_t size)
{
	__u8 addr[16] = {};

	if (e->key.family == 6) {
		memcpy(addr, e->key.client_addr, 8);
		inet_ntop(AF_INET6, addr, buf, size);
		strncat(buf, "/64", size - strlen(buf) - 1);
	} else {
		memcpy(addr, e->key.client_addr, 3);
		inet_ntop(AF_INET, addr, buf, size);
		strncat(buf, "/24", size - strlen(buf) - 1);
	}
}

int aggregate_port_index(const struct aggregate *a, __u16 port)
{
	int i;

	for (i = 0; i < a->n_ports; i++)
		if (a->ports[i] == port)
			return i;
	return -1;
}

static int port_index_add(struct aggregate *a, __u16 port)
{
	int i = aggregate_port_index(a, port);

	if (i >= 0 || a->n_ports == AGG_PORTS)
		return i;
	a->ports[a->n_ports] = port;
	return a->n_ports++;
}

static __u16 max_offered(const struct client_hello *ch)
{
	if (!(ch->flags & HELLO_SEEN))
		return 0;
	if ((ch->flags & HELLO_HAS_SUPP_VERSIONS) && ch->max_version)
		return ch->max_version;
	return ch->legacy_version;
}

/* The SNI as shown: escaped, cut to fit; "" when none was sent. */
static void sni_key(const struct client_hello *ch, char *buf, size_t size)
{
	buf[0] = '\0';
	if (ch->sni_len)
		escape_to_buf(buf, size, (const __u8 *)ch->sni, ch->sni_len);
}

static void client_add(struct topk *t, struct client_info *info, const char *key,
		       const struct report *r, const char *sni, int port, __u64 now_ns)
{
	const struct client_hello *ch = &r->e->flow.ch;
	struct client_info *ci;
	bool fresh;
	int i = topk_add(t, key, &fresh);

	ci = &info[i];
	if (fresh)
		memset(ci, 0, sizeof(*ci));
	ci->by_reason[r->d.reason]++;
	if (port >= 0)
		ci->by_port[port]++;
	if (sni[0])
		fmt_str(ci->last_sni, sizeof(ci->last_sni), sni);
	if (max_offered(ch) > ci->max_offered)
		ci->max_offered = max_offered(ch);
	if (r->hello && r->hello->ja4[0])
		escape_to_buf(ci->last_ja4, sizeof(ci->last_ja4), r->hello->ja4,
			      strlen(r->hello->ja4));
	ci->last_ns = now_ns;
}

static void success_add(struct aggregate *a, const struct report *r)
{
	const struct server_hello *sh = &r->e->flow.sh;
	int v = sh->version - 0x0300, i;

	a->success++;
	a->versions[(sh->flags & SERVER_HELLO_SEEN) && v >= 0 && v < AGG_VERSIONS - 1 ?
		    v : AGG_VERSIONS - 1]++;
	if (!(sh->flags & SERVER_HELLO_SEEN))
		return;
	for (i = 0; i < a->n_ciphers; i++)
		if (a->cipher_id[i] == sh->cipher)
			break;
	if (i == a->n_ciphers && a->n_ciphers < AGG_CIPHERS)
		a->cipher_id[a->n_ciphers++] = sh->cipher;
	a->cipher_count[i]++;	/* i == AGG_CIPHERS: other */
}

static void latency_add(struct latency *l, const struct report *r)
{
	const struct flow *f = &r->e->flow;

	/* Out of order (a reordered capture, a spoofed server packet), the
	 * ServerHello can come first: no latency then, not a wrapped one. */
	if (!f->t_client_hello || f->t_server_hello < f->t_client_hello)
		return;
	lat_add(&l->server_hello, (f->t_server_hello - f->t_client_hello) / 1000);
	if (r->d.success)
		lat_add(&l->established, (r->e->t_end - f->t_client_hello) / 1000);
}

void resumption_count(struct resumption_counts *rc, const struct report *r)
{
	if (!r->d.success)
		return;
	rc->established++;
	rc->offered += r->resumption_offered;
	if (r->resumption != RESUME_NONE && r->resumption < RESUME_KINDS)
		rc->resumed[r->resumption]++;
}

__u64 resumption_total(const struct resumption_counts *rc)
{
	__u64 n = 0;
	int k;

	for (k = RESUME_NONE + 1; k < RESUME_KINDS; k++)
		n += rc->resumed[k];
	return n;
}

static void backend_add(struct aggregate *a, const struct report *r, const char *sni, int port,
			__u64 now_ns)
{
	char key[AGG_KEY_MAX];

	a->backend.total++;
	if (r->d.success) {
		a->backend.success++;
		return;
	}
	a->backend.by_reason[r->d.reason]++;
	snprintf(key, sizeof(key), r->e->key.family == 6 ? "[%s]:%u" : "%s:%u", r->server_ip,
		 r->e->key.server_port);
	client_add(&a->backends, a->backend_info, key, r, sni, port, now_ns);
}

static void window_add(struct aggregate *a, const struct report *r, __u64 now_ns)
{
	__u64 sec = now_ns / 1000000000ULL;
	struct agg_second *w = &a->window[sec % AGG_WINDOW_SEC];

	if (w->sec != sec)
		*w = (struct agg_second){ .sec = sec };
	w->total++;
	if (!r->d.success) {
		w->failures++;
		w->by_reason[r->d.reason]++;
	}
}

void aggregate_add(struct aggregate *a, const struct report *r, __u64 now_ns)
{
	const struct client_hello *ch = &r->e->flow.ch;
	char sni[AGG_KEY_MAX], prefix[AGG_KEY_MAX];
	int port = port_index_add(a, r->e->key.server_port), i;
	bool fresh;

	sni_key(ch, sni, sizeof(sni));
	cert_counts_add(&a->certs, r);
	if (port >= 0) {
		latency_add(&a->port_latency[port], r);
		resumption_count(&a->port_resumption[port], r);
	}
	if (sni[0]) {
		i = topk_add(&a->lat_snis, sni, &fresh);
		if (fresh) {
			memset(&a->sni_latency[i], 0, sizeof(a->sni_latency[i]));
			memset(&a->sni_resumption[i], 0, sizeof(a->sni_resumption[i]));
		}
		latency_add(&a->sni_latency[i], r);
		resumption_count(&a->sni_resumption[i], r);
	}
	if (r->e->flow.role == ROLE_BACKEND) {
		backend_add(a, r, sni, port, now_ns);
		return;
	}
	a->total++;
	window_add(a, r, now_ns);
	if (r->d.success) {
		success_add(a, r);
		return;
	}
	a->by_reason[r->d.reason]++;
	a->inferred += r->d.inferred;
	client_add(&a->clients, a->client_info, r->client_ip, r, sni, port, now_ns);
	client_prefix(r->e, prefix, sizeof(prefix));
	client_add(&a->prefixes, a->prefix_info, prefix, r, sni, port, now_ns);
	i = topk_add(&a->snis, sni[0] ? sni : "(none)", &fresh);
	if (fresh)
		memset(&a->sni_info[i], 0, sizeof(a->sni_info[i]));
	a->sni_info[i].by_reason[r->d.reason]++;
	if (port >= 0)
		a->sni_info[i].by_port[port]++;
}

void aggregate_rates(const struct aggregate *a, __u64 now_ns, int seconds, struct agg_rates *out)
{
	__u64 now = now_ns / 1000000000ULL, total = 0, failures = 0;
	int i, r;

	memset(out, 0, sizeof(*out));
	if (seconds > AGG_WINDOW_SEC)
		seconds = AGG_WINDOW_SEC;
	if (seconds < 1)
		seconds = 1;
	for (i = 0; i < AGG_WINDOW_SEC; i++) {
		const struct agg_second *w = &a->window[i];

		if (!w->total || w->sec > now || now - w->sec >= (__u64)seconds)
			continue;
		total += w->total;
		failures += w->failures;
		for (r = 0; r < REASON_MAX; r++)
			out->by_reason[r] += w->by_reason[r];
	}
	out->seconds = seconds;
	out->handshakes_per_sec = (double)total / seconds;
	out->failures_per_sec = (double)failures / seconds;
	out->failure_ratio = total ? (double)failures / total : 0;
}
