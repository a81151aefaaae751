// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "fnv.h"
#include "escape.h"
#include "json.h"
#include "names.h"
#include "summary.h"
#include "whatif.h"

#define LN2 0.69314718055994530942

/* ------------------------------------------------------------ linear counting */

/* Which bit a client sets. */
static __u64 client_hash(const struct event *e)
{
	__u64 h = fnv1a(FNV_OFFSET, &e->key.family, sizeof(e->key.family));

	return fnv1a(h, e->key.client_addr, sizeof(e->key.client_addr));
}

static void bits_set(__u64 *words, __u32 bits, __u64 hash)
{
	__u32 b = hash & (bits - 1);

	words[b / 64] |= 1ULL << (b % 64);
}

/* ln(x) for x >= 1 without libm: halve to [1, 2), then the atanh series. */
static double ln(double x)
{
	double y, y2, term, sum = 0;
	int halvings = 0, k;

	while (x >= 2) {
		x /= 2;
		halvings++;
	}
	y = (x - 1) / (x + 1);
	y2 = y * y;
	term = y;
	for (k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= y2;
	}
	return 2 * sum + halvings * LN2;
}

/* Distinct clients: m ln(m / zero bits); m ln m when every bit is set. */
static __u64 bits_count(const __u64 *words, __u32 bits, bool *saturated)
{
	__u32 i, zeros = 0;

	for (i = 0; i < bits / 64; i++)
		zeros += 64 - __builtin_popcountll(words[i]);
	*saturated = !zeros;
	return (__u64)(bits * ln((double)bits / (zeros ? zeros : 1)) + 0.5);
}

/* ------------------------------------------------------------ counting */

struct whatif *whatif_new(const struct policy_set *set)
{
	struct whatif *w = calloc(1, sizeof(*w));
	struct whatif_policy *wp;
	int i;

	if (!w)
		return NULL;
	w->n = set->n;
	w->cert = set->cert;
	for (i = 0; i < w->n; i++) {
		wp = &w->p[i];
		wp->policy = &set->policy[i];
		wp->ja4s = (struct topk){ .cap = WHATIF_JA4S, .slot = wp->ja4_slots };
		wp->judged_clients = (struct client_bits){ WHATIF_ALL_BITS,
			calloc(WHATIF_ALL_BITS / 64, sizeof(__u64)) };
		wp->rejected_clients = (struct client_bits){ WHATIF_ALL_BITS,
			calloc(WHATIF_ALL_BITS / 64, sizeof(__u64)) };
		if (!wp->judged_clients.words || !wp->rejected_clients.words) {
			whatif_free(w);
			return NULL;
		}
	}
	return w;
}

void whatif_free(struct whatif *w)
{
	int i;

	if (!w)
		return;
	for (i = 0; i < w->n; i++) {
		free(w->p[i].judged_clients.words);
		free(w->p[i].rejected_clients.words);
	}
	free(w);
}

static __u16 max_offered(const struct client_hello *ch)
{
	if ((ch->flags & HELLO_HAS_SUPP_VERSIONS) && ch->max_version)
		return ch->max_version;
	return ch->legacy_version;
}

static int version_index(__u16 v)
{
	return v >= 0x0300 && v <= 0x0304 ? v - 0x0300 : WHATIF_VERSIONS - 1;
}

static void row_add(struct whatif_row *row, enum policy_reason why, __u16 offered, __u64 hash)
{
	row->handshakes++;
	row->by_reason[why]++;
	row->max_offered = offered;
	bits_set(row->clients, WHATIF_ROW_BITS, hash);
}

static void ja4_row_add(struct whatif_policy *wp, const struct hello_info *h,
			enum policy_reason why, __u16 offered, __u64 hash)
{
	char key[AGG_KEY_MAX] = "-";
	bool fresh;
	int i;

	if (h->ja4[0])
		escape_to_buf(key, sizeof(key), h->ja4, strlen(h->ja4));
	i = topk_add(&wp->ja4s, key, &fresh);
	if (fresh)
		memset(&wp->by_ja4[i], 0, sizeof(wp->by_ja4[i]));
	row_add(&wp->by_ja4[i], why, offered, hash);
}

void whatif_add(struct whatif *w, const struct report *r)
{
	const struct policy_verdicts *v = &r->policy;
	struct whatif_policy *wp;
	enum policy_reason why;
	__u16 offered;
	__u64 hash;
	int i;

	if (!v->n) {
		w->not_judged++;
		return;
	}
	hash = client_hash(r->e);
	offered = max_offered(&r->hello->ch);
	for (i = 0; i < v->n && i < w->n; i++) {
		wp = &w->p[i];
		why = v->why[i];
		wp->judged++;
		bits_set(wp->judged_clients.words, wp->judged_clients.bits, hash);
		if (why == POLICY_ACCEPT)
			continue;
		wp->rejected++;
		wp->by_reason[why]++;
		bits_set(wp->rejected_clients.words, wp->rejected_clients.bits, hash);
		ja4_row_add(wp, r->hello, why, offered, hash);
		row_add(&wp->by_version[version_index(offered)], why, offered, hash);
	}
}

/* ------------------------------------------------------------ report */

/* 1234567 -> "1,234,567" */
static const char *thousands(__u64 v, char *buf, size_t size)
{
	char digits[24];
	size_t n, i, o = 0;

	n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	for (i = 0; i < n && o + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *clients_string(const __u64 *words, __u32 bits, char *buf, size_t size)
{
	bool saturated;
	char n[28];

	thousands(bits_count(words, bits, &saturated), n, sizeof(n));
	snprintf(buf, size, "%s%s", saturated ? ">" : "", n);
	return buf;
}

static void reasons_line(FILE *out, const __u64 *by_reason)
{
	char n[32];
	int why;

	for (why = POLICY_VERSION; why < POLICY_REASON_MAX; why++)
		if (by_reason[why])
			fprintf(out, " %s=%s", policy_reason_name(why),
				thousands(by_reason[why], n, sizeof(n)));
}

static enum policy_reason main_reason(const __u64 *by_reason)
{
	int why, best = POLICY_VERSION;

	for (why = POLICY_VERSION; why < POLICY_REASON_MAX; why++)
		if (by_reason[why] > by_reason[best])
			best = why;
	return best;
}

static void print_row(FILE *out, const char *key, const struct whatif_row *row)
{
	char clients[32], handshakes[32];
	const char *v = tls_version_name(row->max_offered);

	fprintf(out, "    %-38s %8s %10s  %-7s %-4s", key,
		clients_string(row->clients, WHATIF_ROW_BITS, clients, sizeof(clients)),
		thousands(row->handshakes, handshakes, sizeof(handshakes)),
		policy_reason_name(main_reason(row->by_reason)), v ? v : "-");
	reasons_line(out, row->by_reason);
	fputc('\n', out);
}

static void print_ja4s(FILE *out, const struct whatif_policy *wp)
{
	int idx[WHATIF_JA4S], n, i;

	n = topk_sorted(&wp->ja4s, idx, topk_count, &wp->ja4s);
	if (!n)
		return;
	fprintf(out, "  by JA4 (clients, handshakes, main reason, max offered, reasons):\n");
	for (i = 0; i < n && i < SUMMARY_TOP; i++)
		print_row(out, wp->ja4s.slot[idx[i]].key, &wp->by_ja4[idx[i]]);
	if (n > SUMMARY_TOP)
		fprintf(out, "    (%d more JA4s)\n", n - SUMMARY_TOP);
}

static void print_versions(FILE *out, const struct whatif_policy *wp)
{
	const struct whatif_row *row;
	const char *v;
	int i;

	if (!wp->rejected)
		return;
	fprintf(out, "  by highest offered version (clients, handshakes, main reason, version, "
		"reasons):\n");
	for (i = WHATIF_VERSIONS - 2; i >= -1; i--) {
		row = &wp->by_version[i < 0 ? WHATIF_VERSIONS - 1 : i];
		if (!row->handshakes)
			continue;
		v = i < 0 ? NULL : tls_version_name(0x0300 + i);
		print_row(out, v ? v : "other", row);
	}
}

static void print_policy(FILE *out, const struct whatif_policy *wp, enum policy_cert cert)
{
	const struct policy *p = wp->policy;
	char clients[32], judged_clients[32], rejected[32], judged[32];

	fputs("moving to ", out);
	text_escape(out, p->name, strlen(p->name));
	fprintf(out, " breaks %s clients (%s handshakes) of %s clients (%s handshakes) judged\n",
		clients_string(wp->rejected_clients.words, wp->rejected_clients.bits, clients,
			       sizeof(clients)),
		thousands(wp->rejected, rejected, sizeof(rejected)),
		clients_string(wp->judged_clients.words, wp->judged_clients.bits, judged_clients,
			       sizeof(judged_clients)),
		thousands(wp->judged, judged, sizeof(judged)));
	fprintf(out, "  policy: %s to %s, %d cipher suites, %d groups, %s certificate\n",
		policy_version_name(p->min_version), policy_version_name(p->max_version),
		p->n_suites, p->n_groups, cert == POLICY_CERT_RSA ? "RSA" : "ECDSA");
	if (wp->rejected) {
		fputs("  rejected because:", out);
		reasons_line(out, wp->by_reason);
		fputc('\n', out);
	}
	print_ja4s(out, wp);
	print_versions(out, wp);
}

void whatif_print_policies(FILE *out, const struct whatif *w)
{
	char n[32];
	int i;

	for (i = 0; i < w->n; i++)
		print_policy(out, &w->p[i], w->cert);
	if (w->not_judged)
		fprintf(out, "handshakes without a complete ClientHello (not judged): %s\n",
			thousands(w->not_judged, n, sizeof(n)));
	fflush(out);
}

void whatif_print(FILE *out, const struct whatif *w)
{
	fputs("--- tlsnoop whatif ---\n", out);
	whatif_print_policies(out, w);
}

/* ------------------------------------------------------------ JSON */

static void json_clients(struct json *j, const __u64 *words, __u32 bits)
{
	bool saturated;

	json_uint(j, "clients", bits_count(words, bits, &saturated));
	if (saturated)
		json_bool(j, "clients_saturated", true);
}

static void json_reasons(struct json *j, const __u64 *by_reason)
{
	int why;

	json_open(j, "by_reason", '{');
	for (why = POLICY_VERSION; why < POLICY_REASON_MAX; why++)
		if (by_reason[why])
			json_uint(j, policy_reason_name(why), by_reason[why]);
	json_close(j, '}');
}

static void json_row(struct json *j, const char *key, const char *value,
		     const struct whatif_row *row)
{
	const char *v = tls_version_name(row->max_offered);

	json_open(j, NULL, '{');
	json_bytes(j, key, value, strlen(value));
	json_clients(j, row->clients, WHATIF_ROW_BITS);
	json_uint(j, "handshakes", row->handshakes);
	json_str(j, "main_reason", policy_reason_name(main_reason(row->by_reason)));
	if (v)
		json_str(j, "max_offered", v);
	json_reasons(j, row->by_reason);
	json_close(j, '}');
}

static void json_policy(struct json *j, const struct whatif_policy *wp, enum policy_cert cert)
{
	const struct policy *p = wp->policy;
	int idx[WHATIF_JA4S], n, i;

	json_open(j, NULL, '{');
	json_bytes(j, "name", p->name, strlen(p->name));
	json_str(j, "min_version", policy_version_name(p->min_version));
	json_str(j, "max_version", policy_version_name(p->max_version));
	json_str(j, "certificate", cert == POLICY_CERT_RSA ? "rsa" : "ecdsa");
	json_open(j, "judged", '{');
	json_clients(j, wp->judged_clients.words, wp->judged_clients.bits);
	json_uint(j, "handshakes", wp->judged);
	json_close(j, '}');
	json_open(j, "rejected", '{');
	json_clients(j, wp->rejected_clients.words, wp->rejected_clients.bits);
	json_uint(j, "handshakes", wp->rejected);
	json_reasons(j, wp->by_reason);
	json_close(j, '}');
	json_open(j, "by_ja4", '[');
	n = topk_sorted(&wp->ja4s, idx, topk_count, &wp->ja4s);
	for (i = 0; i < n; i++)
		json_row(j, "ja4", wp->ja4s.slot[idx[i]].key, &wp->by_ja4[idx[i]]);
	json_close(j, ']');
	json_open(j, "by_max_offered", '[');
	for (i = WHATIF_VERSIONS - 2; i >= -1; i--) {
		const struct whatif_row *row = &wp->by_version[i < 0 ? WHATIF_VERSIONS - 1 : i];
		const char *v = i < 0 ? NULL : tls_version_name(0x0300 + i);

		if (row->handshakes)
			json_row(j, "version", v ? v : "other", row);
	}
	json_close(j, ']');
	json_close(j, '}');
}

void whatif_json(struct json *j, const struct whatif *w)
{
	int i;

	json_open(j, "policies", '[');
	for (i = 0; i < w->n; i++)
		json_policy(j, &w->p[i], w->cert);
	json_close(j, ']');
	json_uint(j, "not_judged", w->not_judged);
}
