// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "names.h"
#include "summary.h"
#include "top.h"

#define TOP_RATE_SEC		10	/* the "last 10s" window */
#define TOP_TTY_INTERVAL	1
#define TOP_TEXT_INTERVAL	10
#define TOP_LINE_MAX		512

enum sort_by { SORT_FAILURES, SORT_RECENT, SORT_KEY, SORT_MAX };
static const char *const sort_names[SORT_MAX] = { "failures", "most recent", "address" };

struct top_view {
	FILE *out;
	bool tty;		/* stdout is a terminal: full-screen view */
	bool keys;		/* stdin is a terminal, in raw mode */
	struct termios saved;
	char title[128];
	__u64 interval_ns, next_ns;
	bool paused;
	bool redraw;		/* a key changed the view: draw now */
	enum sort_by sort;
	bool by_prefix;		/* group clients by /24 (IPv4) or /64 (IPv6) */
	enum reason reason_filter;	/* REASON_NONE: all */
	int port_filter;	/* index in aggregate.ports, -1: all */
	/* drawing */
	int rows, cols, row;
	FILE *frame;
};

struct top_view *top_open(FILE *out, const char *title, unsigned int interval_sec)
{
	struct top_view *v = calloc(1, sizeof(*v));
	struct termios raw;

	if (!v)
		return NULL;
	v->out = out;
	v->tty = isatty(fileno(out));
	v->port_filter = -1;
	snprintf(v->title, sizeof(v->title), "%s", title);
	if (!interval_sec)
		interval_sec = v->tty ? TOP_TTY_INTERVAL : TOP_TEXT_INTERVAL;
	v->interval_ns = interval_sec * 1000000000ULL;
	if (v->tty && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &v->saved)) {
		raw = v->saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		v->keys = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (v->tty)	/* alternate screen, cursor hidden */
		fputs("\x1b[?1049h\x1b[?25l", out);
	return v;
}

void top_close(struct top_view *v)
{
	if (!v)
		return;
	if (v->tty) {
		fputs("\x1b[?25h\x1b[?1049l", v->out);
		fflush(v->out);
	}
	if (v->keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &v->saved);
	free(v);
}

/* One screen line, cut to the terminal's width; none past its height. */
static void __attribute__((format(printf, 2, 3))) line(struct top_view *v, const char *fmt, ...)
{
	char buf[TOP_LINE_MAX];
	va_list ap;

	if (v->row >= v->rows - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (v->cols > 0 && v->cols < (int)sizeof(buf))
		buf[v->cols] = '\0';
	fprintf(v->frame, "%s\x1b[K\n", buf);
	v->row++;
}

/* -------------------------------------------------------- filtered tables */

struct table_ctx {
	const struct top_view *v;
	const struct topk *t;
	const __u32 *(*by_reason)(const void *info, int i);
	const __u32 *(*by_port)(const void *info, int i);
	const void *info;
	__u64 (*last_ns)(const void *info, int i);
};

/* What an entry counts under the current filter. */
static __u64 filtered(const struct table_ctx *c, int i)
{
	if (c->v->reason_filter != REASON_NONE)
		return c->by_reason(c->info, i)[c->v->reason_filter];
	if (c->v->port_filter >= 0)
		return c->by_port(c->info, i)[c->v->port_filter];
	return c->t->slot[i].count;
}

static __u64 sort_weight(const void *ctx, int i)
{
	const struct table_ctx *c = ctx;
	__u64 n = filtered(c, i);

	if (!n)
		return 0;	/* filtered out */
	switch (c->v->sort) {
	case SORT_RECENT:
		return c->last_ns ? c->last_ns(c->info, i) : n;
	case SORT_KEY:
		return 1;	/* ties: by key */
	default:
		return n;
	}
}

static const __u32 *client_reasons(const void *info, int i)
{
	return ((const struct client_info *)info)[i].by_reason;
}

static const __u32 *client_ports(const void *info, int i)
{
	return ((const struct client_info *)info)[i].by_port;
}

static __u64 client_last(const void *info, int i)
{
	return ((const struct client_info *)info)[i].last_ns;
}

static const __u32 *sni_reasons(const void *info, int i)
{
	return ((const struct sni_info *)info)[i].by_reason;
}

static const __u32 *sni_ports(const void *info, int i)
{
	return ((const struct sni_info *)info)[i].by_port;
}

/* A table of failing clients, prefixes or backends (client_info each). */
static void draw_client_table(struct top_view *v, const char *title, const struct topk *t,
			      const struct client_info *info, int max_rows)
{
	struct table_ctx c = { v, t, client_reasons, client_ports, info, client_last };
	int idx[AGG_CLIENTS], n = topk_sorted(t, idx, sort_weight, &c), i;

	line(v, "\x1b[7m%-39s %8s  %-22s %-28s %-7s %-36s\x1b[0m", title, "FAILURES",
	     "MAIN REASON", "LAST SNI", "MAX VER", "JA4");
	for (i = 0; i < n && i < max_rows; i++) {
		const struct client_info *ci = &info[idx[i]];

		line(v, "%-39s %7llu%s  %-22s %-28.28s %-7s %s", t->slot[idx[i]].key,
		     (unsigned long long)filtered(&c, idx[i]), t->slot[idx[i]].error ? "~" : " ",
		     reason_name(summary_main_reason(ci->by_reason)),
		     ci->last_sni[0] ? ci->last_sni : "-",
		     ci->max_offered ? tls_version_name(ci->max_offered) : "-",
		     ci->last_ja4[0] ? ci->last_ja4 : "-");
	}
	if (!n)
		line(v, "  (none)");
}

static void draw_clients(struct top_view *v, const struct aggregate *a, int max_rows)
{
	if (v->by_prefix)
		draw_client_table(v, "FAILING CLIENT PREFIX", &a->prefixes, a->prefix_info,
				  max_rows);
	else
		draw_client_table(v, "FAILING CLIENT", &a->clients, a->client_info, max_rows);
}

/* This host's handshakes with its backends, when it has any. */
static void draw_backends(struct top_view *v, const struct aggregate *a, int max_rows)
{
	const struct backend_counts *b = &a->backend;

	if (!b->total)
		return;
	line(v, "backends (this host to them): %llu handshakes, %llu failed",
	     (unsigned long long)b->total, (unsigned long long)(b->total - b->success));
	draw_client_table(v, "FAILING BACKEND", &a->backends, a->backend_info, max_rows);
	line(v, "%s", "");
}

static void draw_snis(struct top_view *v, const struct aggregate *a, int max_rows)
{
	struct table_ctx c = { v, &a->snis, sni_reasons, sni_ports, a->sni_info, NULL };
	int idx[AGG_SNIS], n = topk_sorted(&a->snis, idx, sort_weight, &c), i;

	line(v, "\x1b[7m%-39s %8s  %-22s\x1b[0m", "FAILING SNI", "FAILURES", "MAIN REASON");
	for (i = 0; i < n && i < max_rows; i++)
		line(v, "%-39.39s %7llu%s  %-22s", a->snis.slot[idx[i]].key,
		     (unsigned long long)filtered(&c, idx[i]), a->snis.slot[idx[i]].error ? "~" : " ",
		     reason_name(summary_main_reason(a->sni_info[idx[i]].by_reason)));
	if (!n)
		line(v, "  (none)");
}

static void draw_reasons(struct top_view *v, const struct aggregate *a, const struct agg_rates *w)
{
	int r;

	line(v, "\x1b[7m%-39s %8s %9s\x1b[0m", "FAILURES BY REASON", "LAST 10S", "TOTAL");
	for (r = 1; r < REASON_MAX; r++)
		if (a->by_reason[r])
			line(v, "%-39s %8llu %9llu%s", reason_name(r),
			     (unsigned long long)w->by_reason[r], (unsigned long long)a->by_reason[r],
			     v->reason_filter == (enum reason)r ? "  <- filter" : "");
}

static void draw_mix(struct top_view *v, const struct aggregate *a)
{
	char buf[TOP_LINE_MAX], name[24];
	size_t len = 0;
	int i;

	for (i = AGG_VERSIONS - 2; i >= 0 && len < sizeof(buf); i--)
		if (a->versions[i])
			len += snprintf(buf + len, sizeof(buf) - len, " %s %.0f%%",
					tls_version_name(0x0300 + i),
					100.0 * a->versions[i] / a->success);
	for (i = 0; i < a->n_ciphers && len < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s %s %.0f%%", i ? "," : " |",
				tls_cipher_name(a->cipher_id[i], name, sizeof(name)),
				100.0 * a->cipher_count[i] / a->success);
	line(v, "successes:%s", a->success ? buf : " none yet");
}

static void latency_row(struct top_view *v, const char *what, const struct latency *l)
{
	line(v, "%-20.20s %8.1f %8.1f %8.1f   %8.1f %8.1f %8.1f", what,
	     lat_percentile(&l->server_hello, 50) / 1000.0,
	     lat_percentile(&l->server_hello, 90) / 1000.0,
	     lat_percentile(&l->server_hello, 99) / 1000.0,
	     lat_percentile(&l->established, 50) / 1000.0,
	     lat_percentile(&l->established, 90) / 1000.0,
	     lat_percentile(&l->established, 99) / 1000.0);
}

/* Per port, then for the SNIs with the most handshakes. */
static void draw_latency(struct top_view *v, const struct aggregate *a, int max_snis)
{
	int idx[AGG_LAT_SNIS], n = topk_sorted(&a->lat_snis, idx, sni_latency_count, a), i, shown = 0;
	char what[32];

	line(v, "\x1b[7m%-20s %-30s %-30s\x1b[0m", "LATENCY (ms)", "SERVER HELLO p50/p90/p99",
	     "ESTABLISHED p50/p90/p99");
	for (i = 0; i < a->n_ports; i++) {
		if (!a->port_latency[i].server_hello.n)
			continue;
		snprintf(what, sizeof(what), "port %u", a->ports[i]);
		latency_row(v, what, &a->port_latency[i]);
		shown++;
	}
	for (i = 0; i < n && i < max_snis; i++)
		latency_row(v, a->lat_snis.slot[idx[i]].key, &a->sni_latency[idx[i]]);
	if (!shown)
		line(v, "  (no ServerHello yet)");
}

static void filter_desc(const struct top_view *v, const struct aggregate *a, char *buf,
			size_t size)
{
	if (v->reason_filter != REASON_NONE)
		snprintf(buf, size, "reason %s", reason_name(v->reason_filter));
	else if (v->port_filter >= 0 && v->port_filter < a->n_ports)
		snprintf(buf, size, "port %u", a->ports[v->port_filter]);
	else
		snprintf(buf, size, "none");
}

static void draw_screen(struct top_view *v, const struct aggregate *a, const __u64 *stats,
			__u64 in_progress, __u64 now_ns)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	struct agg_rates w;
	char *text = NULL, clock[16], filter[64];
	size_t size = 0;
	time_t t = time(NULL);
	int table_rows;

	ioctl(fileno(v->out), TIOCGWINSZ, &ws);
	v->rows = ws.ws_row ? ws.ws_row : 40;
	v->cols = ws.ws_col ? ws.ws_col : 120;
	v->row = 0;
	v->frame = open_memstream(&text, &size);
	if (!v->frame)
		return;
	aggregate_rates(a, now_ns, TOP_RATE_SEC, &w);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&t));
	filter_desc(v, a, filter, sizeof(filter));
	line(v, "\x1b[1mtlsnoop top\x1b[0m  %s  %s%s", v->title, clock,
	     v->paused ? "  \x1b[1m[PAUSED]\x1b[0m" : "");
	line(v, "last %ds: %.1f handshakes/s  %.1f failures/s  %.1f%% failed   since start: "
	     "%llu handshakes, %llu failed, %llu in progress", w.seconds, w.handshakes_per_sec,
	     w.failures_per_sec, 100.0 * w.failure_ratio, (unsigned long long)a->total,
	     (unsigned long long)(a->total - a->success), (unsigned long long)in_progress);
	line(v, "sort: %s   group: %s   filter: %s%s", sort_names[v->sort],
	     v->by_prefix ? "/24 and /64" : "address", filter,
	     stats[STAT_RINGBUF_DROPS] ? "   WARNING: events lost (ring buffer full)" : "");
	draw_mix(v, a);
	line(v, "%s", "");
	draw_reasons(v, a, &w);
	line(v, "%s", "");
	/* What is left of the screen goes to the two top tables. */
	table_rows = (v->rows - v->row - 11 - a->n_ports) / 2;
	if (table_rows < 3)
		table_rows = 3;
	draw_clients(v, a, table_rows);
	line(v, "%s", "");
	draw_snis(v, a, table_rows);
	line(v, "%s", "");
	draw_backends(v, a, 3);
	draw_latency(v, a, 3);
	fclose(v->frame);
	fprintf(v->out, "\x1b[H%s\x1b[J\x1b[%d;1H\x1b[7m%-*.*s\x1b[0m", text, v->rows,
		v->cols - 1, v->cols - 1,
		" q quit  s sort  g group by prefix  r filter reason  p filter port  "
		"space pause");
	fflush(v->out);
	free(text);
}

static void print_text(struct top_view *v, const struct aggregate *a, const __u64 *stats,
		       __u64 in_progress, __u64 now_ns)
{
	char clock[32];
	time_t t = time(NULL);

	strftime(clock, sizeof(clock), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
	fprintf(v->out, "\n=== tlsnoop %s %s ===", v->title, clock);
	summary_print(v->out, a, stats, in_progress, now_ns);
	fflush(v->out);
}

void top_tick(struct top_view *v, const struct aggregate *a, const __u64 *stats,
	      __u64 in_progress, __u64 now_ns)
{
	if (now_ns < v->next_ns && !v->redraw)
		return;
	v->next_ns = now_ns + v->interval_ns;
	if (!v->tty)
		print_text(v, a, stats, in_progress, now_ns);
	else if (!v->paused || v->redraw)
		draw_screen(v, a, stats, in_progress, now_ns);
	v->redraw = false;
}

/* The next reason with failures after the current filter, then none. */
static enum reason next_reason(const struct aggregate *a, enum reason cur)
{
	int r;

	for (r = cur + 1; r < REASON_MAX; r++)
		if (a->by_reason[r])
			return r;
	return REASON_NONE;
}

bool top_keys(struct top_view *v, const struct aggregate *a)
{
	char keys[32];
	ssize_t n, i;

	if (!v->keys)
		return false;
	n = read(STDIN_FILENO, keys, sizeof(keys));
	for (i = 0; i < n; i++) {
		switch (keys[i]) {
		case 'q':
		case 'Q':
			return true;
		case 's':
			v->sort = (v->sort + 1) % SORT_MAX;
			break;
		case 'g':
			v->by_prefix = !v->by_prefix;
			break;
		case 'r':
			v->reason_filter = next_reason(a, v->reason_filter);
			v->port_filter = -1;
			break;
		case 'p':
			v->port_filter = v->port_filter + 1 < a->n_ports ? v->port_filter + 1 : -1;
			v->reason_filter = REASON_NONE;
			break;
		case ' ':
			v->paused = !v->paused;
			break;
		default:
			continue;
		}
		v->redraw = true;
	}
	return false;
}
