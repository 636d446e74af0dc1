// SPDX-License-Identifier: Apache-2.0
#include "capture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "clock.h"
#include "identity.h"
#include "json.h"
#include "record.h"
#include "session.h"
#include "sockdiag.h"
#include "sslsniff.h"
#include "sslsniff.skel.h"
#include "stream.h"

struct capture {
	struct sslsniff_bpf *skel;
	struct attach *attach;
	struct ring_buffer *rb;
	struct capture_opts opts;
	struct stream_table streams;
	struct session_stats sst;
	struct session_env env;
	uint64_t records;
	uint64_t malformed;
	uint64_t unseen_by_fn[ST_FN__MAX + 1]; /* ST_REC_UNSEEN records, by how */
	struct sockdiag_live live; /* the host's sockets, during a sweep */
	int diag_fd;               /* where the sweep asks for them */
	uint64_t next_sweep_ns;
	uint64_t sweeps;       /* lists of the host's sockets taken */
	uint64_t swept;        /* plain connections found gone by the sweep */
	uint64_t sweep_errors; /* sweeps that could not list the host's sockets */
	int ncpus;
};

_Static_assert((int)SESSION_SENT == ST_DIR_WRITE && (int)SESSION_RECEIVED == ST_DIR_READ,
	       "the session's directions are the wire's");

static const char *const fn_names[ST_FN__MAX + 1] = {
	[ST_FN_SSL_WRITE] = "SSL_write",
	[ST_FN_SSL_WRITE_EX] = "SSL_write_ex",
	[ST_FN_SSL_WRITE_EX2] = "SSL_write_ex2",
	[ST_FN_SSL_READ] = "SSL_read",
	[ST_FN_SSL_READ_EX] = "SSL_read_ex",
	[ST_FN_WRITE] = "write",
	[ST_FN_SENDTO] = "sendto",
	[ST_FN_READ] = "read",
	[ST_FN_RECVFROM] = "recvfrom",
	[ST_FN_READV] = "readv",
	[ST_FN_WRITEV] = "writev",
	[ST_FN_SENDMSG] = "sendmsg",
	[ST_FN_RECVMSG] = "recvmsg",
	[ST_FN_SENDFILE] = "sendfile",
	[ST_FN_SPLICE] = "splice",
	[ST_FN_MMSG] = "mmsg",
	[ST_FN_IO_URING] = "io_uring",
	[ST_FN_UNREADABLE_CALL] = "unreadable_call",
	[ST_FN_OTHER_CALL] = "other_call",
	[ST_FN_GNUTLS_SEND] = "gnutls_record_send",
	[ST_FN_GNUTLS_RECV] = "gnutls_record_recv",
	[ST_FN_GO_WRITE] = "crypto/tls.(*Conn).Write",
	[ST_FN_GO_READ] = "crypto/tls.(*Conn).Read",
};

/* How a connection's bytes were captured, by the call that carried them. */
static const char *source_of(uint8_t fn)
{
	if (fn == ST_FN_GNUTLS_SEND || fn == ST_FN_GNUTLS_RECV)
		return "gnutls";
	if (fn == ST_FN_GO_WRITE || fn == ST_FN_GO_READ)
		return "go";
	return fn >= ST_FN_WRITE ? "plain" : "openssl";
}

static void put_addr(FILE *out, const char *name, uint8_t family, const uint8_t *addr,
		     uint16_t port)
{
	char text[64];

	record_format_addr(text, sizeof(text), family, addr, port);
	fprintf(out, ",\"%s\":", name);
	if (text[0])
		fprintf(out, "\"%s\"", text);
	else
		fputs("null", out);
}

static void put_identity(FILE *out, const struct st_record_hdr *h)
{
	fprintf(out, "\"ts_ns\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"uid\":%u,\"cgroup_id\":%" PRIu64
		     ",\"comm\":",
		(uint64_t)h->ts_ns, h->pid, h->tid, h->uid, (uint64_t)h->cgroup_id);
	json_put_string(out, h->comm, strnlen(h->comm, sizeof(h->comm)));
}

static void dump_chunk(struct capture *c, const struct st_data_record *d, uint64_t gap, uint64_t conn_id)
{
	FILE *out = c->opts.out;

	fprintf(out, "{\"type\":\"chunk\",\"connection_id\":%" PRIu64 ",", conn_id);
	put_identity(out, &d->h);
	fprintf(out,
		",\"fn\":\"%s\",\"dir\":\"%s\",\"conn\":\"%u:0x%" PRIx64 "\",\"fd\":%d,"
		"\"offset\":%" PRIu64 ",\"len\":%u,\"total\":%" PRIu64 ",\"call_offset\":%" PRIu64
		",\"gap\":%" PRIu64 ",\"start\":%s",
		fn_names[d->fn], d->dir == ST_DIR_WRITE ? "write" : "read", d->h.pid, (uint64_t)d->ssl,
		d->fd, (uint64_t)d->stream_off, d->data_len, (uint64_t)d->call_total,
		(uint64_t)d->call_off, gap,
		(d->flags & ST_FLAG_CONN_START) ? "true" : "false");
	put_addr(out, "local", d->family, d->laddr, d->lport);
	put_addr(out, "peer", d->family, d->raddr, d->rport);
	fputs(",\"data\":\"", out);
	json_put_base64(out, d->data, d->data_len);
	fputs("\"}\n", out);
}

/* Who a record says its connection is. */
static void origin_of(const struct stream_conn *conn, const struct st_data_record *d, struct session_origin *o)
{
	*o = (struct session_origin){
		.conn_id = conn->id,
		.capture = d->fn,
		.pid = d->h.pid,
		.tid = d->h.tid,
		.uid = d->h.uid,
		.cgroup_id = d->h.cgroup_id,
		.family = d->family,
	};
	memcpy(o->comm, d->h.comm, sizeof(o->comm));
	memcpy(o->laddr, d->laddr, sizeof(o->laddr));
	memcpy(o->raddr, d->raddr, sizeof(o->raddr));
	if (d->family != ST_AF_UNKNOWN) {
		o->lport = d->lport;
		o->rport = d->rport;
	}
}

/* The connection's session, made at its first record; a later record may
 * be the first to know the addresses (a TLS library's first call served
 * from bytes it read before: the kernel learns the socket at the next). */
static struct session *session_of(struct capture *c, struct stream_conn *conn, const struct st_data_record *d)
{
	struct session_origin o;

	if (!conn->user) {
		origin_of(conn, d, &o);
		if (!(conn->user = session_new(&c->env, &o)))
			c->sst.no_memory++;
	} else if (d->family != ST_AF_UNKNOWN) {
		origin_of(conn, d, &o);
		session_learn_addresses(conn->user, &o);
	}
	return conn->user;
}

/* A connection's last activity is its record's kernel time (the clock
 * clock_mono_ns reads): no clock read per record. */
static void on_data(struct capture *c, const struct st_data_record *d)
{
	struct stream_conn *conn = NULL;
	struct session *s;
	uint64_t gap = stream_on_data(&c->streams, d->h.pid, d->ssl, d->dir, d->stream_off,
				      d->data_len, d->flags & ST_FLAG_CONN_START, d->h.ts_ns, &conn);

	if (c->opts.dump_chunks)
		dump_chunk(c, d, gap, conn ? conn->id : 0);
	if (conn && (s = session_of(c, conn, d)))
		session_data(s, d->dir, d->data, d->data_len, d->h.ts_ns, gap);
}

/* Bytes a plain socket moved without a user buffer (sendfile, splice,
 * io_uring): the kernel counted them; here they are a gap in the
 * connection's stream, so its decoder resynchronises after them, and they
 * are disclosed as unseen, not as lost. */
static void on_unseen(struct capture *c, const struct st_data_record *d)
{
	struct stream_conn *conn = NULL;
	struct session *s;
	uint64_t gap = stream_on_data(&c->streams, d->h.pid, d->ssl, d->dir, d->stream_off, d->call_total,
				      d->flags & ST_FLAG_CONN_START, d->h.ts_ns, &conn);

	c->unseen_by_fn[d->fn]++;
	attach_note_unseen(c->attach, (pid_t)d->h.pid, d->fn);
	if (c->opts.dump_chunks) {
		fprintf(c->opts.out, "{\"type\":\"unseen\",\"connection_id\":%" PRIu64 ",", conn ? conn->id : 0);
		put_identity(c->opts.out, &d->h);
		fprintf(c->opts.out,
			",\"fn\":\"%s\",\"dir\":\"%s\",\"conn\":\"%u:0x%" PRIx64 "\",\"fd\":%d,\"offset\":%" PRIu64
			",\"total\":%" PRIu64 ",\"gap\":%" PRIu64 "}\n",
			fn_names[d->fn], d->dir == ST_DIR_WRITE ? "write" : "read", d->h.pid, (uint64_t)d->ssl, d->fd,
			(uint64_t)d->stream_off, (uint64_t)d->call_total, gap);
	}
	if (conn && (s = session_of(c, conn, d)))
		session_data(s, d->dir, NULL, 0, d->h.ts_ns, gap + d->call_total);
}

/* An exchange's identity, as capture knows its connection: the addresses
 * off the wire and the process's executable, container and pod (cached per
 * process by identity.c). */
static void identify(void *ctx, const struct session_origin *o, struct x_identity *who, uint64_t now_ns)
{
	(void)ctx;
	snprintf(who->source, sizeof(who->source), "%s", source_of(o->capture));
	record_format_addr(who->local, sizeof(who->local), o->family, o->laddr, o->lport);
	record_format_addr(who->peer, sizeof(who->peer), o->family, o->raddr, o->rport);
	identity_fill(who, now_ns);
}

static void release_session(void *user)
{
	session_close(user);
}

static void on_close(struct capture *c, const struct st_close_record *r)
{
	uint64_t tail = stream_on_close(&c->streams, r->h.pid, r->ssl, r->write_bytes,
					r->read_bytes);

	if (!c->opts.dump_chunks)
		return;
	fputs("{\"type\":\"close\",", c->opts.out);
	put_identity(c->opts.out, &r->h);
	fprintf(c->opts.out,
		",\"conn\":\"%u:0x%" PRIx64 "\",\"write_bytes\":%" PRIu64 ",\"read_bytes\":%" PRIu64
		",\"tail_lost\":%" PRIu64 "}\n",
		r->h.pid, (uint64_t)r->ssl, (uint64_t)r->write_bytes, (uint64_t)r->read_bytes, tail);
}

/* Drops a dead process's entries from a kernel map keyed by process first
 * (conns, go_calls: 16-byte keys, tgid at the start): SSL_free is never
 * called when a process is killed, nor does a goroutine return; the LRU
 * would keep conns' entries until pressure evicts them, and go_calls has
 * none. */
static void forget_bpf_keys(int fd, uint32_t pid)
{
	struct st_conn_key key, next, doomed[64];
	int ndoomed;

	_Static_assert(sizeof(struct st_conn_key) == sizeof(struct st_go_call_key) &&
			       __builtin_offsetof(struct st_go_call_key, tgid) == 0,
		       "one walk serves both maps");
	/* In batches: a walk's position is lost to a delete. Each pass starts
	 * over, so the whole map is seen; the maps are bounded, so is this. */
	do {
		void *prev = NULL;

		ndoomed = 0;
		while (ndoomed < 64 && bpf_map_get_next_key(fd, prev, &next) == 0) {
			if (next.tgid == pid)
				doomed[ndoomed++] = next;
			key = next;
			prev = &key;
		}
		for (int i = 0; i < ndoomed; i++)
			bpf_map_delete_elem(fd, &doomed[i]);
	} while (ndoomed == 64);
}

static void forget_bpf_conns(struct capture *c, uint32_t pid)
{
	forget_bpf_keys(bpf_map__fd(c->skel->maps.conns), pid);
	forget_bpf_keys(bpf_map__fd(c->skel->maps.go_calls), pid);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	int kind = record_check(data, size);
	struct st_record_hdr h;
	bool had_sockets;

	if (kind < 0) {
		c->malformed++;
		return 0;
	}
	c->records++;
	memcpy(&h, data, sizeof(h));
	switch (kind) {
	case ST_REC_DATA:
		on_data(c, data);
		break;
	case ST_REC_UNSEEN:
		on_unseen(c, data);
		break;
	case ST_REC_CLOSE:
		on_close(c, data);
		break;
	case ST_REC_EXEC:
		attach_on_exec(c->attach, (pid_t)h.pid);
		break;
	case ST_REC_EXIT:
		/* Every exit on the node arrives here; only processes that had
		 * SSL probes or watched sockets (the agent's, or given by the
		 * kernel at fork or exec) own connection state worth a table walk. */
		had_sockets = attach_forget_sockets(c->attach, (pid_t)h.pid);
		if (had_sockets || attach_is_watched(c->attach, (pid_t)h.pid)) {
			stream_forget_pid(&c->streams, h.pid);
			forget_bpf_conns(c, h.pid);
		}
		attach_on_exit(c->attach, (pid_t)h.pid);
		break;
	}
	return 0;
}

struct capture *capture_new(struct sslsniff_bpf *skel, struct attach *a,
			    const struct capture_opts *opts)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->skel = skel;
	c->attach = a;
	c->opts = *opts;
	c->ncpus = libbpf_num_possible_cpus();
	/* Opened now, so the descriptor count is the same from the start (a
	 * failure is retried, and counted, at each sweep). */
	c->diag_fd = opts->plain ? sockdiag_open() : -1;
	if (c->ncpus <= 0 || stream_init(&c->streams, opts->max_conns)) {
		free(c);
		return NULL;
	}
	c->streams.release_user = release_session;
	c->env.sink = opts->sink;
	c->env.identify = identify;
	c->env.st = &c->sst;
	c->env.max_body = opts->max_body;
	c->env.model_ports = opts->model_ports;
	c->env.nmodel_ports = opts->nmodel_ports;
	c->env.model_comms = opts->model_comms;
	c->env.nmodel_comms = opts->nmodel_comms;
	c->rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), on_record, c, NULL);
	if (!c->rb) {
		stream_release(&c->streams);
		free(c);
		return NULL;
	}
	return c;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	stream_release(&c->streams);
	if (c->diag_fd >= 0)
		close(c->diag_fd);
	free(c);
}

struct sweep {
	struct capture *c;
	uint64_t listed_ns; /* when the list of live sockets was asked for */
	ino_t netns;        /* the agent's network namespace: the only one listed */
	uint32_t last_pid;  /* the last process asked about, and its answer */
	bool last_same;
};

static ino_t netns_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* The socket diagnostics list the agent's own network namespace only: a
 * process in another (a pod's) is never swept; its connections end by the
 * TCP tracepoint, its exit or the idle timeout. */
static bool in_agent_netns(struct sweep *s, uint32_t pid)
{
	char path[64];

	if (pid != s->last_pid) {
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
		s->last_pid = pid;
		s->last_same = s->netns && netns_of(path) == s->netns;
	}
	return s->last_same;
}

/* A plain connection whose socket no longer exists, and that saw nothing
 * since the list was made (a newer one may be missing from it). Its kernel
 * entry goes here too: no record can come for a dead socket. */
static bool plain_conn_gone(const struct stream_conn *conn, void *arg)
{
	struct sweep *s = arg;
	struct st_conn_key k = { .tgid = 0, .ssl = conn->key.ssl }; /* a plain socket's kernel key */

	if (!(conn->key.ssl & ST_PLAIN_KEY) || conn->last_seen_ns >= s->listed_ns ||
	    sockdiag_has(&s->c->live, conn->key.ssl & ~ST_PLAIN_KEY) || !in_agent_netns(s, conn->key.pid))
		return false;
	bpf_map_delete_elem(bpf_map__fd(s->c->skel->maps.conns), &k);
	if (s->c->opts.dump_chunks)
		fprintf(s->c->opts.out, "{\"type\":\"close\",\"connection_id\":%" PRIu64
					",\"conn\":\"%u:0x%" PRIx64 "\",\"reason\":\"socket_gone\"}\n",
			conn->id, conn->key.pid, (uint64_t)conn->key.ssl);
	return true;
}

/* Unix sockets have no close tracepoint, and a TCP connection reset in
 * softirq context has no process: the socket missing from the kernel's own
 * list says the connection ended, which finishes what its decoder held (a
 * response that ran to the close). Bounded: a host with more sockets than
 * the cap is not swept (counted) and relies on exit and idle eviction. */
#define SWEEP_INTERVAL_NS 2000000000ull
#define SWEEP_MAX_SOCKETS (1u << 20)

static bool is_plain(const struct stream_conn *conn, void *unused)
{
	(void)unused;
	return conn->key.ssl & ST_PLAIN_KEY;
}

static void sweep_plain(struct capture *c, uint64_t now_ns)
{
	struct sweep s = { .c = c };
	size_t n;
	int queued;

	if (!c->opts.plain || now_ns < c->next_sweep_ns)
		return;
	c->next_sweep_ns = now_ns + SWEEP_INTERVAL_NS;
	/* Listing every socket on the host is the sweep's cost: not done while
	 * no plain connection is tracked (a TLS-only or idle agent). */
	if (!stream_any(&c->streams, is_plain, NULL))
		return;
	s.netns = netns_of("/proc/self/ns/net");
	s.listed_ns = clock_mono_ns();
	if (c->diag_fd < 0 && (c->diag_fd = sockdiag_open()) < 0) {
		c->sweep_errors++;
		return;
	}
	if (sockdiag_list(c->diag_fd, &c->live, SWEEP_MAX_SOCKETS)) {
		c->sweep_errors++;
		sockdiag_release(&c->live);
		return;
	}
	/* Records queued while the list was made are of sockets alive then:
	 * taking them now marks their connections seen after the list. */
	c->sweeps++;
	queued = ring_buffer__consume(c->rb);

	n = stream_remove_if(&c->streams, plain_conn_gone, &s);
	/* The list is as large as the host's socket count: not kept between
	 * sweeps. */
	sockdiag_release(&c->live);
	c->swept += n;
	c->streams.st.closed += n;
	/* What the closed sessions finished is out now, not at the next record. */
	if (n || queued > 0)
		fflush(c->opts.out);
}

void capture_tick(struct capture *c, uint64_t now_ns)
{
	if (c->opts.idle_timeout_ns && now_ns > c->opts.idle_timeout_ns)
		stream_evict_idle(&c->streams, now_ns - c->opts.idle_timeout_ns);
	sweep_plain(c, now_ns);
}

void capture_mark_idle(struct capture *c)
{
	/* Seen by the next record's program, which clears it and wakes us;
	 * a record already queued is taken by the poll at once anyway. */
	__atomic_store_n(&c->skel->bss->consumer_idle, 1, __ATOMIC_SEQ_CST);
}

int capture_poll(struct capture *c, int timeout_ms)
{
	int n = ring_buffer__poll(c->rb, timeout_ms), m;

	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(c->rb);
	if (m < 0)
		return m;
	/* A batch, not a line, per flush: readers see records within a poll. */
	if (n > 0 || m > 0)
		fflush(c->opts.out);
	return (n > 0 ? n : 0) + m;
}

static void read_counters(struct capture *c, uint64_t *sum)
{
	int fd = bpf_map__fd(c->skel->maps.counters);
	uint64_t *percpu = calloc((size_t)c->ncpus, sizeof(uint64_t));

	memset(sum, 0, ST_CNT__MAX * sizeof(*sum));
	if (!percpu)
		return;
	for (uint32_t k = 0; k < ST_CNT__MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, percpu))
			continue;
		for (int cpu = 0; cpu < c->ncpus; cpu++)
			sum[k] += percpu[cpu];
	}
	free(percpu);
}

size_t capture_losses(struct capture *c, const char **names, uint64_t *counts, size_t cap)
{
	static const char *const reasons[CAPTURE_LOSS_REASONS] = {
		"ringbuf_full",	      "ringbuf_full_bytes", "unreadable",	  "unreadable_bytes",
		"untracked_call",     "untracked_connection", "event_lost",	  "malformed_record",
		"stream_gap",	      "stream_gap_bytes",   "connection_evicted", "request_dropped",
		"h2_stream_dropped", "body_truncated",	    "no_memory",	  "midstream_skipped_bytes",
		"unseen_transfers",  "unseen_bytes",
	};
	const struct stream_stats *s = &c->streams.st;
	uint64_t k[ST_CNT__MAX];
	size_t n;

	read_counters(c, k);
	const uint64_t v[CAPTURE_LOSS_REASONS] = {
		k[ST_CNT_LOST_RINGBUF],	  k[ST_CNT_LOST_RINGBUF_BYTES], k[ST_CNT_LOST_FAULT],
		k[ST_CNT_LOST_FAULT_BYTES], k[ST_CNT_LOST_NO_ENTRY],	  k[ST_CNT_LOST_NO_CONN],
		k[ST_CNT_LOST_EVENT],	  c->malformed,			  s->gaps,
		s->gap_bytes,
		s->evicted, /* for room; idle evictions lose nothing */
		c->sst.pending_dropped,	  c->sst.h2_streams_dropped,	  c->sst.body_truncated,
		c->sst.no_memory,	  c->sst.resync_skipped_bytes,
		k[ST_CNT_UNSEEN_CALLS],	  k[ST_CNT_UNSEEN_BYTES],
	};
	for (n = 0; n < cap && n < CAPTURE_LOSS_REASONS; n++) {
		names[n] = reasons[n];
		counts[n] = v[n];
	}
	return n;
}

void capture_seen(struct capture *c, struct capture_seen *out)
{
	uint64_t k[ST_CNT__MAX];
	struct attach_stats as;

	read_counters(c, k);
	attach_get_stats(c->attach, &as);
	out->exchanges = c->sst.exchanges;
	out->bytes = k[ST_CNT_BYTES];
	out->processes = (uint32_t)as.procs_watched;
}

void capture_write_stats(struct capture *c, FILE *out)
{
	static const char *const names[ST_CNT__MAX] = {
		[ST_CNT_CALLS] = "calls",
		[ST_CNT_BYTES] = "bytes",
		[ST_CNT_CHUNKS] = "chunks",
		[ST_CNT_LOST_RINGBUF] = "lost_ringbuf",
		[ST_CNT_LOST_RINGBUF_BYTES] = "lost_ringbuf_bytes",
		[ST_CNT_LOST_FAULT] = "lost_fault",
		[ST_CNT_LOST_FAULT_BYTES] = "lost_fault_bytes",
		[ST_CNT_LOST_NO_ENTRY] = "lost_no_entry",
		[ST_CNT_LOST_NO_CONN] = "lost_no_conn",
		[ST_CNT_LOST_EVENT] = "lost_event",
		[ST_CNT_FAILED_CALLS] = "failed_calls",
		[ST_CNT_UNPAIRED_RETURNS] = "unpaired_returns",
		[ST_CNT_TLS_SOCKET_CALLS] = "tls_socket_calls",
		[ST_CNT_TLS_SOCKET_BYTES] = "tls_socket_bytes",
		[ST_CNT_UNSEEN_CALLS] = "unseen_calls",
		[ST_CNT_UNSEEN_BYTES] = "unseen_bytes",
		[ST_CNT_WRITES_CUT] = "writes_cut",
		[ST_CNT_WRITES_CUT_BYTES] = "writes_cut_bytes",
	};
	uint64_t k[ST_CNT__MAX];
	const struct stream_stats *s = &c->streams.st;
	struct attach_stats as;
	const char *sep = "";

	read_counters(c, k);
	attach_get_stats(c->attach, &as);
	fputs("{\"type\":\"stats\",\"kernel\":{", out);
	for (int i = 0; i < ST_CNT__MAX; i++) {
		if (!names[i])
			continue;
		fprintf(out, "%s\"%s\":%" PRIu64, sep, names[i], k[i]);
		sep = ",";
	}
	fprintf(out,
		"},\"agent\":{\"records\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"gaps\":%" PRIu64
		",\"gap_bytes\":%" PRIu64 ",\"tail_bytes\":%" PRIu64 ",\"overlaps\":%" PRIu64
		",\"restarts\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"idle_evicted\":%" PRIu64
		",\"conns_opened\":%" PRIu64
		",\"conns_closed\":%" PRIu64 ",\"conns_active\":%" PRIu64 "}",
		c->records, c->malformed, s->gaps, s->gap_bytes, s->tail_bytes, s->overlaps,
		s->restarts, s->evicted, s->idle_evicted, s->opened, s->closed, s->active);
	/* Plain sockets: connections found gone by the sweep, and the calls that
	 * moved bytes without copying them (sendfile, ...). */
	fprintf(out, ",\"plain\":{\"sweeps\":%" PRIu64 ",\"swept\":%" PRIu64 ",\"sweep_errors\":%" PRIu64
		     ",\"unseen\":{",
		c->sweeps, c->swept, c->sweep_errors);
	sep = "";
	for (int fn = ST_FN_SENDFILE; fn <= ST_FN_OTHER_CALL; fn++) {
		fprintf(out, "%s\"%s\":%" PRIu64, sep, fn_names[fn], c->unseen_by_fn[fn]);
		sep = ",";
	}
	fputs("}}", out);
	fprintf(out,
		",\"decode\":{\"sessions\":%" PRIu64 ",\"http1\":%" PRIu64 ",\"http2\":%" PRIu64
		",\"other_protocol\":%" PRIu64 ",\"resynced\":%" PRIu64 ",\"resync_skipped_bytes\":%" PRIu64
		",\"requests\":%" PRIu64 ",\"responses\":%" PRIu64
		",\"non_model_requests\":%" PRIu64 ",\"exchanges\":%" PRIu64 ",\"incomplete\":%" PRIu64
		",\"parse_errors\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"json_errors\":%" PRIu64
		",\"truncated\":%" PRIu64 ",\"decode_errors\":%" PRIu64 ",\"pending_dropped\":%" PRIu64
		",\"unpaired_responses\":%" PRIu64 ",\"grpc\":%" PRIu64 ",\"h2_streams_dropped\":%" PRIu64
		",\"h2_table_clamped\":%" PRIu64 ",\"no_memory\":%" PRIu64 "}",
		c->sst.sessions, c->sst.proto_http1, c->sst.proto_http2, c->sst.proto_other, c->sst.resynced,
		c->sst.resync_skipped_bytes, c->sst.http_requests, c->sst.http_responses, c->sst.http_other, c->sst.exchanges,
		c->sst.incomplete, c->sst.parse_errors, c->sst.gaps, c->sst.json_errors,
		c->sst.body_truncated, c->sst.decode_errors, c->sst.pending_dropped,
		c->sst.unpaired_responses, c->sst.grpc, c->sst.h2_streams_dropped,
		c->sst.h2_table_clamped, c->sst.no_memory);
	fprintf(out,
		",\"attach\":{\"probes\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"ssl_libraries\":%" PRIu64
		",\"lib_table_full\":%" PRIu64 ",\"processes\":%" PRIu64 ",\"proc_table_full\":%" PRIu64
		"}",
		as.probes_attached, as.attach_errors, as.libs_ssl, as.libs_table_full,
		as.procs_watched, as.procs_table_full);
	if (c->opts.extra_stats)
		c->opts.extra_stats(c->opts.extra_ctx, out);
	fputs("}\n", out);
	fflush(out);
}
