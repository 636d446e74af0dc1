// SPDX-License-Identifier: Apache-2.0
#include "metrics.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "jsonview.h"

/* Values that go up and down (or are sizes and states): gauges. Every
 * other number is a counter. */
static const char *const gauges[] = {
	"agent_conns_active",	   "attach_probes",	  "attach_ssl_libraries", "attach_processes",
	"classify_leak_remembered", "evidence_resumed",	  "evidence_new_stream",  "evidence_spool_bytes",
	"evidence_spool_segments",  "ship_acked",		  "ship_last_status",	  "otlp_queued",
	"drift_keys",		    "memory_rss",	  "memory_heap_in_use",	  "memory_heap_held",
	NULL,
};

static bool is_gauge(const char *name)
{
	for (const char *const *g = gauges; *g; g++)
		if (!strcmp(*g, name))
			return true;
	return false;
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; our keys already are, but a key
 * from elsewhere is made so. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			*s = '_';
}

int metrics_from_stats(const char *json, size_t len, FILE *out)
{
	struct jdoc d;
	int g;


	if (jdoc_parse(&d, json, len) || d.t[0].type != JTOK_OBJECT) {
		jdoc_release(&d);
		return -1;
	}
	/* Top level: "type" and the groups; a group: key -> number or boolean.
	 * An object's tokens are key, value, key, ...: jdoc_next from a value
	 * gives the next key. */
	g = 1;
	for (int gi = 0; gi < d.t[0].size && g > 0; gi++, g = jdoc_next(&d, 0, g + 1)) {
		int val = g + 1, k = val + 1;
		char group[64];

		if (d.t[val].type != JTOK_OBJECT)
			continue;
		snprintf(group, sizeof(group), "%.*s", d.t[g].end - d.t[g].start, json + d.t[g].start);
		for (int ki = 0; ki < d.t[val].size && k > 0; ki++, k = jdoc_next(&d, val, k + 1)) {
			const struct jtok *v = &d.t[k + 1];
			char name[160], num[32];

			if (v->type != JTOK_PRIMITIVE)
				continue;
			snprintf(name, sizeof(name), "%s_%.*s", group, d.t[k].end - d.t[k].start, json + d.t[k].start);
			sanitize(name);
			snprintf(num, sizeof(num), "%.*s", v->end - v->start, json + v->start);
			if (!strcmp(num, "true") || !strcmp(num, "false"))
				strcpy(num, num[0] == 't' ? "1" : "0");
			else if (num[0] == 'n')
				continue; /* null */
			if (is_gauge(name))
				fprintf(out, "# HELP sealtap_%s %s: %s (see docs/operator-guide.md, Counters)\n# TYPE sealtap_%s gauge\n"
					     "sealtap_%s %s\n",
					name, group, name + strlen(group) + 1, name, name, num);
			else
				fprintf(out, "# HELP sealtap_%s_total %s: %s (see docs/operator-guide.md, Counters)\n"
					     "# TYPE sealtap_%s_total counter\nsealtap_%s_total %s\n",
					name, group, name + strlen(group) + 1, name, name, num);
		}
	}
	jdoc_release(&d);
	return 0;
}

struct metrics {
	struct MHD_Daemon *d;
	struct metrics_source src;
	unsigned long scrapes;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *r;
	char *stats = NULL, *body = NULL;
	size_t stats_len = 0, body_len = 0;
	FILE *f;
	enum MHD_Result ret;
	unsigned status = 200;

	(void)version, (void)upload_data, (void)upload_size, (void)state;
	if (strcmp(method, "GET") || strcmp(url, "/metrics")) {
		static const char msg[] = "GET /metrics\n";

		r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		ret = MHD_queue_response(conn, strcmp(url, "/metrics") ? 404 : 405, r);
		MHD_destroy_response(r);
		return ret;
	}
	f = open_memstream(&stats, &stats_len);
	if (f) {
		m->src.write_stats(m->src.ctx, f);
		fclose(f);
	}
	f = open_memstream(&body, &body_len);
	if (!f || !stats || metrics_from_stats(stats, stats_len, f))
		status = 500;
	if (f) {
		if (m->src.write_labelled)
			m->src.write_labelled(m->src.ctx, f);
		fprintf(f, "# HELP sealtap_metrics_scrapes_total scrapes of this endpoint\n"
			   "# TYPE sealtap_metrics_scrapes_total counter\nsealtap_metrics_scrapes_total %lu\n",
			++m->scrapes);
		fclose(f);
	}
	free(stats);
	r = MHD_create_response_from_buffer(body ? body_len : 0, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct metrics *metrics_start(const char *listen, const struct metrics_source *src, char *err, size_t errsz)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char addr[64], *colon;
	unsigned long port;

	if (!m) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	m->src = *src;
	snprintf(addr, sizeof(addr), "%s", listen);
	colon = strrchr(addr, ':');
	if (!colon || (port = strtoul(colon + 1, NULL, 10)) == 0 || port > 65535 ||
	    (*colon = '\0', inet_pton(AF_INET, addr, &sa.sin_addr) != 1)) {
		snprintf(err, errsz, "%s: expected IPv4-ADDR:PORT", listen);
		free(m);
		return NULL;
	}
	sa.sin_port = htons((uint16_t)port);
	/* No MHD thread: metrics_poll serves from the agent's loop. */
	m->d = MHD_start_daemon(MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, on_request, m, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errsz, "cannot listen on %s", listen);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_poll(struct metrics *m)
{
	if (m)
		MHD_run(m->d);
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
