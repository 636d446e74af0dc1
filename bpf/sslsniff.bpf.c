// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * sslsniff.bpf.c - plaintext of OpenSSL's SSL_write and SSL_read calls (and _ex),
 * of GnuTLS's record calls, and of Go's crypto/tls (see go_return).
 *
 * Entry probes save the call's arguments keyed by thread; the return probe
 * checks the result, reserves the call's range in the direction's stream and
 * emits the plaintext as consecutive chunks of at most ST_CHUNK_MAX bytes.
 * Writes are emitted on return too, so a failed or retried call (WANT_WRITE)
 * produces no data and no duplicate.
 *
 * Processes are selected by the agent at attach time (uprobes with a pid
 * filter), so the programs here carry no per-call selection logic beyond
 * ignoring the agent itself.
 *
 * Plain sockets: the socket layer's send and receive tracepoints
 * (sock_send_length, sock_recv_length) run for every socket transfer of
 * every process, and for nothing else: other system calls pay nothing (the
 * sys_enter/sys_exit pair cost every system call ~0.15 us). Their first
 * step is to decide whether the process is watched: one array load in
 * plain_hint, then, for a set slot, plain_watch (the agent fills both as it
 * selects processes, the kernel at fork and exec; --all watches every
 * one). The bytes are in the
 * user buffers the system call named, found from the task's saved
 * registers: copied for read/write/sendto/recvfrom/readv/writev/sendmsg/
 * recvmsg, counted as unseen for sendfile, splice, mmsg and io_uring. A
 * socket's data is numbered and emitted the same way as an SSL call's,
 * keyed by its socket cookie alone; a transfer made inside an SSL call of the
 * same thread carries TLS records, already captured as plaintext above, and
 * is dropped and counted.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "sslsniff.h"

ST_LAYOUT_ASSERTS();

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the agent before load. */
const volatile __u32 targ_self_tgid = 0;  /* never trace the agent's own TLS */
const volatile __u64 wakeup_bytes = 65536; /* batch wake-ups until this much is queued */
const volatile bool targ_plain_all = false; /* --all: every process's sockets */
const volatile bool targ_plain = false;     /* plain sockets are captured at all */
const volatile bool targ_exec_wake_all = true; /* every exec wakes the agent (see handle_exec) */

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define AF_UNIX 1

/* x86_64 system call numbers (the only architecture built here). */
#define NR_READ 0
#define NR_WRITE 1
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDFILE 40
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_SPLICE 275
#define NR_RECVMMSG 299
#define NR_SENDMMSG 307
#define NR_PREADV2 327
#define NR_PWRITEV2 328
#define NR_IO_URING_ENTER 426

#define PF_IO_WORKER 0x00000010
#define PF_KTHREAD 0x00200000
#define MSG_PEEK 2
#define SHUTDOWN_MASK 3
/* A vectored call's iovecs read at most: the kernel's own limit (UIO_MAXIOV). */
#define IOV_MAX_READ 1024

/* The thread's identity, cached: reading comm, uid and cgroup costs ~0.3 us
 * per call on our CI VM, about a tenth of the probe's cost. A change (prctl,
 * setuid, cgroup move) shows within IDENT_REFRESH calls. */
struct ident {
	__u8 age; /* calls left before it is re-read */
	__u32 uid;
	__u64 cgroup_id;
	char comm[ST_COMM_LEN];
};

/* Arguments of an SSL call in flight, saved at entry, consumed at return. */
struct call_args {
	__u64 ssl;
	__u64 buf;
	__u64 outlen_ptr; /* size_t * of the _ex variants, else 0 */
	__u64 num;
	__u8 fn;
	__u8 dir;
	__u8 active; /* entry seen, return not yet */
	struct ident who;
};

#define IDENT_REFRESH 64

/* Per-connection state the kernel side needs to number stream bytes. */
struct conn_state {
	__u64 off[2]; /* next stream offset, per direction */
	__s32 fd;     /* from SSL_set_fd, -1 when unknown */
	__u8 started; /* a DATA record has been emitted */
	__u8 resolved; /* address lookup attempted */
	__u8 family;
	__u8 tls; /* a plain socket that carries TLS records (a memory-BIO TLS stack's): dropped */
	__u32 owner; /* a plain socket's process: its close may be seen from softirq context */
	__u16 lport, rport;
	__u8 laddr[16], raddr[16];
};

struct scratch_buf {
	__u8 bytes[sizeof(struct st_data_record) + ST_CHUNK_MAX];
};

/* Ring buffer: one record per chunk, sized to its payload. Size set by the
 * agent (power of two); a full buffer drops the record and counts it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* the agent sets --ringbuf-size */
} rb SEC(".maps");

/* The call in flight, per thread. Task storage rather than a hash keyed by
 * pid_tgid: after a thread's first SSL call, entry and return reach their
 * slot without hashing or bucket locks (measured: the LRU hash update alone
 * cost the entry probe ~0.35 us), and the kernel frees it when the thread
 * exits, so dead threads can't leak slots. One slot per thread that has made
 * an SSL call in a probed process. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_args);
} active_calls SEC(".maps");

/* Processes whose sockets are watched (tgid -> 1), written by the agent as
 * it selects and forgets them; the size of its process table. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} plain_watch SEC(".maps");

/* In front of plain_watch, for the processes that are not watched (nearly
 * every socket transfer on the host): one byte per slot of tgids, set when a
 * process of that slot is watched and never cleared while the agent runs. A
 * clear slot means "not watched" after one array load (the verifier inlines
 * it); a set one sends the lookup to plain_watch. Sticky, so it has no race
 * with the kernel's own additions (fork, exec): at worst a stale slot costs
 * a hash lookup. The agent sets it before adding to plain_watch. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_PLAIN_HINT_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} plain_hint SEC(".maps");

/* Command names selected (--comm), exact, NUL-padded: a process that execs
 * into one is watched from its first transfer, before the agent has heard
 * of it (a client started after the agent talks at once). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32); /* the agent sets SELECTOR_MAX */
	__type(key, char[ST_COMM_LEN]);
	__type(value, __u8);
} plain_comms SEC(".maps");

/* The selected pids (--pid), when the selection is one the kernel side can
 * tell on exec (targ_exec_wake_all off): the execs that wake the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32); /* the agent sets SELECTOR_MAX */
	__type(key, __u32);
	__type(value, __u8);
} exec_wake SEC(".maps");

/* Open connections. LRU bounds it; an evicted connection restarts at offset 0
 * with ST_FLAG_CONN_START, which the agent counts. SSL_free deletes entries. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct st_conn_key);
	__type(value, struct conn_state);
} conns SEC(".maps");

/* One chunk being assembled: ringbuf_output needs a bounded source and a
 * record sized to its payload can't be reserved with a variable size on
 * this kernel's verifier rules. The copy from here to the ring is a kernel
 * memcpy, cheap next to the uprobe trap. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch_buf);
} scratch SEC(".maps");

/* Counters by enum st_counter. Per-CPU: no atomics on the hot path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += n;
}

static __always_inline bool should_trace(__u32 tgid)
{
	return tgid != targ_self_tgid;
}

static __always_inline void fill_hdr(struct st_record_hdr *h, __u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->kind = kind;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Set by the agent before a long idle poll, cleared by the first record
 * queued after it, which wakes the agent: a quiet agent polls 4 times a
 * second, yet the first records after a quiet spell wait no longer than
 * when it is busy (and evidence times, stamped when the agent emits, keep
 * their order across agents). */
volatile __u32 consumer_idle = 0;

/* Wake the consumer when this record's size takes the queued bytes across a
 * multiple of wakeup_bytes: once per wakeup_bytes, not on every record while
 * the consumer is still on its way (each forced wake-up is an irq_work and a
 * cross-CPU wake, dear in a VM; the streaming benchmark's agent made 783
 * epoll_wait calls for 40,000 events before, 604 after). The
 * consumer's poll timeout bounds the wait for the rest; a crossing missed
 * by two CPUs racing is made good at the next multiple. wakeup_bytes 0:
 * every record wakes; so does the first after the agent went idle.
 * queued_after: the queue with this record in it. */
/* The bytes a record of size takes in the ring: an 8-byte header, 8-byte
 * aligned (what BPF_RB_AVAIL_DATA counts). */
static __always_inline __u64 ring_bytes(__u64 size)
{
	return (size + 8 + 7) & ~7ull;
}

static __always_inline __u64 wake_flag_at(__u64 queued_after, __u64 size)
{
	__u64 before;

	if (consumer_idle) {
		consumer_idle = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	size = ring_bytes(size);
	before = queued_after > size ? queued_after - size : 0;

	if (wakeup_bytes == 0 || before / wakeup_bytes != queued_after / wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* For a record already reserved (it is in the queue's count). */
static __always_inline __u64 wake_flag(__u64 size)
{
	return wake_flag_at(bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA), size);
}

/* For a record bpf_ringbuf_output is about to add. */
static __always_inline __u64 wake_flag_adding(__u64 size)
{
	return wake_flag_at(bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) + ring_bytes(size), size);
}

static __always_inline int save_args(__u8 fn, __u8 dir, void *ssl, const void *buf, __u64 num,
				     void *outlen_ptr)
{
	struct call_args *a;

	if (!should_trace(bpf_get_current_pid_tgid() >> 32))
		return 0;
	a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a) {
		count(ST_CNT_LOST_NO_ENTRY, 1);
		return 0;
	}
	/* A nested call on the same thread (SSL_write_ex -> SSL_write_ex2 in
	 * OpenSSL >= 3.3) overwrites the outer entry: the inner return emits
	 * the data once and the outer return finds the slot inactive (counted
	 * as unpaired). Overwriting also heals a slot left active by a return
	 * that was never seen (probes detached mid-call). */
	a->ssl = (__u64)ssl;
	a->buf = (__u64)buf;
	a->outlen_ptr = (__u64)outlen_ptr;
	a->num = num;
	a->fn = fn;
	a->dir = dir;
	a->active = 1;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num)
{
	return save_args(ST_FN_SSL_WRITE, ST_DIR_WRITE, ssl, buf, num < 0 ? 0 : num, NULL);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return save_args(ST_FN_SSL_WRITE_EX, ST_DIR_WRITE, ssl, buf, num, written);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex2_enter, void *ssl, const void *buf, __u64 num, __u64 flags,
	       __u64 *written)
{
	return save_args(ST_FN_SSL_WRITE_EX2, ST_DIR_WRITE, ssl, buf, num, written);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num)
{
	return save_args(ST_FN_SSL_READ, ST_DIR_READ, ssl, buf, num < 0 ? 0 : num, NULL);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return save_args(ST_FN_SSL_READ_EX, ST_DIR_READ, ssl, buf, num, readbytes);
}

/* GnuTLS: the same calls, keyed by gnutls_session_t. send2's pad and
 * flags and recv_seq's sequence out-pointer change nothing captured. */
SEC("uprobe")
int BPF_KPROBE(gnutls_send_enter, void *session, const void *data, __u64 size)
{
	return save_args(ST_FN_GNUTLS_SEND, ST_DIR_WRITE, session, data, size, NULL);
}

SEC("uprobe")
int BPF_KPROBE(gnutls_recv_enter, void *session, void *data, __u64 size)
{
	return save_args(ST_FN_GNUTLS_RECV, ST_DIR_READ, session, data, size, NULL);
}

/* The struct sock behind descriptor fd of the current task, or NULL when fd
 * is not a socket. Reads only kernel memory, through CO-RE. */
static __always_inline struct sock *sock_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	unsigned int max_fds;

	if (fd < 0)
		return NULL;
	max_fds = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned int)fd >= max_fds)
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* Local and peer address of a TCP socket; family stays UNKNOWN for others
 * (a Unix socket has no address worth the name). */
static __always_inline void addr_from_sock(struct conn_state *c, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	c->resolved = 1;
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	c->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(c->laddr, &l, 4);
		__builtin_memcpy(c->raddr, &r, 4);
		c->family = ST_AF_INET;
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&c->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&c->raddr, sk, __sk_common.skc_v6_daddr);
		c->family = ST_AF_INET6;
	} else {
		c->lport = c->rport = 0;
		return;
	}
	/* Not connected yet (client before connect): try again on next data. */
	if (c->rport == 0) {
		c->family = ST_AF_UNKNOWN;
		c->resolved = 0;
	}
}

/* An SSL connection's addresses, from the socket fd it was given. */
static __always_inline void resolve_addr(struct conn_state *c)
{
	struct sock *sk = sock_of_fd(c->fd);

	c->resolved = 1;
	if (!sk || BPF_CORE_READ(sk, sk_type) != SOCK_STREAM)
		return;
	addr_from_sock(c, sk);
}

static __always_inline struct conn_state *conn_get(__u32 tgid, __u64 ssl)
{
	struct st_conn_key k = { .tgid = tgid, .ssl = ssl };
	struct conn_state *c = bpf_map_lookup_elem(&conns, &k);
	struct conn_state fresh = { .fd = -1 };

	if (c)
		return c;
	bpf_map_update_elem(&conns, &k, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&conns, &k);
}

SEC("uprobe")
int BPF_KPROBE(ssl_set_fd_enter, void *ssl, int fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct conn_state *c;

	if (!should_trace(tgid))
		return 0;
	c = conn_get(tgid, (__u64)ssl);
	if (c) {
		c->fd = fd;
		c->resolved = 0;
	}
	return 0;
}

struct emit_ctx {
	__u64 buf;   /* contiguous calls: the buffer; vectored: the iovec array */
	__u64 total; /* bytes the call moved */
	/* vectored calls only: */
	__u64 iovcnt;  /* entries in the array */
	__u64 iov_idx; /* next entry to read */
	__u64 base;    /* the current entry's bytes left to emit start here */
	__u64 left;    /* ... and this many of them are the call's */
	__u64 done;    /* bytes of the call emitted or lost so far */
	struct st_data_record tmpl; /* last: it ends in a flexible array */
};

/* One chunk: n (1..ST_CHUNK_MAX) bytes at src, call_off into the call. */
static __always_inline void emit_piece(struct emit_ctx *e, __u64 src, __u32 n, __u64 call_off)
{
	__u32 zero = 0;
	struct scratch_buf *s;
	struct st_data_record *rec;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	rec = (struct st_data_record *)s->bytes;
	__builtin_memcpy(rec, &e->tmpl, sizeof(*rec));
	rec->stream_off = e->tmpl.stream_off + call_off;
	rec->call_off = call_off;
	rec->data_len = n;
	if (call_off)
		rec->flags &= ~ST_FLAG_CONN_START;
	/* Verifier: n is in [1, ST_CHUNK_MAX]; restate it where it can see it. */
	if (n == 0 || n > ST_CHUNK_MAX)
		return;
	if (bpf_probe_read_user(s->bytes + sizeof(*rec), n, (void *)src)) {
		count(ST_CNT_LOST_FAULT, 1);
		count(ST_CNT_LOST_FAULT_BYTES, n);
		return;
	}
	if (bpf_ringbuf_output(&rb, s->bytes, sizeof(*rec) + n, wake_flag_adding(sizeof(*rec) + n))) {
		count(ST_CNT_LOST_RINGBUF, 1);
		count(ST_CNT_LOST_RINGBUF_BYTES, n);
		return;
	}
	count(ST_CNT_CHUNKS, 1);
}

static long emit_chunk(__u32 i, void *arg)
{
	struct emit_ctx *e = arg;
	__u64 off = (__u64)i * ST_CHUNK_MAX;

	if (off >= e->total)
		return 1;
	emit_piece(e, e->buf + off, e->total - off > ST_CHUNK_MAX ? ST_CHUNK_MAX : e->total - off, off);
	return 0;
}

/* A vectored call's progress lives in a map, not on the stack: the verifier
 * tracks stack values exactly from one bpf_loop step to the next, and a
 * position that grows by 16 KiB a step never converges. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct emit_ctx);
} vector_calls SEC(".maps");

/* A vectored call, iovec by iovec: each step emits one chunk of the current
 * entry, or reads the next entry. An entry that can't be read ends the call
 * there; the rest of its range is the offset jump the agent sees (counted). */
static long emit_iov_step(__u32 i, void *arg)
{
	__u32 zero = 0;
	struct emit_ctx *e = bpf_map_lookup_elem(&vector_calls, &zero);
	struct iovec iov;
	__u64 n;

	if (!e || e->done >= e->total)
		return 1;
	if (e->left == 0) {
		if (e->iov_idx >= e->iovcnt ||
		    bpf_probe_read_user(&iov, sizeof(iov), (void *)(e->buf + e->iov_idx * sizeof(iov)))) {
			count(ST_CNT_LOST_FAULT, 1);
			count(ST_CNT_LOST_FAULT_BYTES, e->total - e->done);
			return 1;
		}
		e->iov_idx++;
		e->base = (__u64)iov.iov_base;
		e->left = iov.iov_len < e->total - e->done ? iov.iov_len : e->total - e->done;
		return 0;
	}
	n = e->left > ST_CHUNK_MAX ? ST_CHUNK_MAX : e->left;
	emit_piece(e, e->base, n, e->done);
	e->base += n;
	e->left -= n;
	e->done += n;
	return 0;
}

/* The record every chunk of one call starts from: the call's range is
 * reserved in the direction's stream here. */
static __always_inline void start_call(struct emit_ctx *e, struct conn_state *c, __u64 key, struct ident *who,
				       __u8 dir, __u8 fn, __u64 total)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (who->age == 0) {
		who->uid = (__u32)bpf_get_current_uid_gid();
		who->cgroup_id = bpf_get_current_cgroup_id();
		bpf_get_current_comm(who->comm, sizeof(who->comm));
		who->age = IDENT_REFRESH;
	}
	who->age--;
	e->tmpl.h.kind = ST_REC_DATA;
	e->tmpl.h.pid = id >> 32;
	e->tmpl.h.tid = (__u32)id;
	e->tmpl.h.uid = who->uid;
	e->tmpl.h.ts_ns = bpf_ktime_get_ns();
	e->tmpl.h.cgroup_id = who->cgroup_id;
	__builtin_memcpy(e->tmpl.h.comm, who->comm, sizeof(who->comm));
	e->tmpl.ssl = key;
	e->tmpl.dir = dir;
	e->tmpl.stream_off = __sync_fetch_and_add(&c->off[dir], total);
	e->tmpl.call_total = total;
	e->tmpl.fn = fn;
	e->tmpl.fd = c->fd;
	e->tmpl.flags = c->started ? 0 : ST_FLAG_CONN_START;
	c->started = 1;
	e->tmpl.family = c->family;
	e->tmpl.lport = c->lport;
	e->tmpl.rport = c->rport;
	__builtin_memcpy(e->tmpl.laddr, c->laddr, 16);
	__builtin_memcpy(e->tmpl.raddr, c->raddr, 16);
	e->total = total;
	count(ST_CNT_CALLS, 1);
	count(ST_CNT_BYTES, total);
}

/* Emits the data of one call on connection c (key: its SSL*, or its
 * socket's cookie) from one buffer, as chunks. */
static __always_inline void emit_call(struct conn_state *c, __u64 key, struct ident *who, __u8 dir, __u8 fn,
				      __u64 buf, __u64 total)
{
	struct emit_ctx e = {};

	start_call(&e, c, key, who, dir, fn, total);
	e.buf = buf;
	/* Most calls fit one chunk: skip bpf_loop's indirect call for them. */
	if (total <= ST_CHUNK_MAX)
		emit_chunk(0, &e);
	else
		bpf_loop((total + ST_CHUNK_MAX - 1) / ST_CHUNK_MAX, emit_chunk, &e, 0);
}

/* The same from an iovec array of iovcnt entries. */
static __always_inline void emit_vector(struct conn_state *c, __u64 key, struct ident *who, __u8 dir, __u8 fn,
					__u64 iov, __u64 iovcnt, __u64 total)
{
	__u32 zero = 0;
	struct emit_ctx *e = bpf_map_lookup_elem(&vector_calls, &zero);

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	start_call(e, c, key, who, dir, fn, total);
	e->buf = iov;
	e->iovcnt = iovcnt > IOV_MAX_READ ? IOV_MAX_READ : iovcnt;
	/* Each entry costs a step to read and may end in a partial chunk: at
	 * most total / ST_CHUNK_MAX full chunks plus two steps per entry. */
	bpf_loop(total / ST_CHUNK_MAX + 2 * e->iovcnt, emit_iov_step, NULL, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_data_return, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call_args *a;
	struct conn_state *c;
	__u64 total = 0;

	if (!should_trace(id >> 32))
		return 0;
	a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->active) {
		count(ST_CNT_UNPAIRED_RETURNS, 1);
		return 0;
	}
	if (a->outlen_ptr) {
		/* _ex: success is 1, the length is behind the out-pointer. */
		if ((int)ret == 1)
			bpf_probe_read_user(&total, sizeof(total), (void *)a->outlen_ptr);
	} else if ((int)ret > 0) {
		total = (int)ret;
	}
	if (total == 0 || total > a->num) {
		count(ST_CNT_FAILED_CALLS, 1);
		goto out;
	}

	c = conn_get(id >> 32, a->ssl);
	if (!c) {
		count(ST_CNT_LOST_NO_CONN, 1);
		goto out;
	}
	if (!c->resolved)
		resolve_addr(c);
	emit_call(c, a->ssl, &a->who, a->dir & 1, a->fn, a->buf, total);
out:
	a->active = 0;
	return 0;
}

/* A connection ends: a close record with its final stream lengths (so the
 * agent can tell a loss at the very end), then its slot goes. A slot that
 * never carried data (a TLS socket's, dropped) has nothing to tell. */
static __always_inline void close_conn(struct st_conn_key *k)
{
	struct conn_state *c = bpf_map_lookup_elem(&conns, k);
	struct st_close_record *r;

	if (!c)
		return;
	if (c->started) {
		r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
		if (r) {
			fill_hdr(&r->h, ST_REC_CLOSE);
			if (c->owner)
				r->h.pid = c->owner;
			r->ssl = k->ssl;
			r->write_bytes = c->off[ST_DIR_WRITE];
			r->read_bytes = c->off[ST_DIR_READ];
			bpf_ringbuf_submit(r, wake_flag(sizeof(*r)));
		} else {
			count(ST_CNT_LOST_EVENT, 1);
		}
	}
	bpf_map_delete_elem(&conns, k);
}

SEC("uprobe")
int BPF_KPROBE(ssl_free_enter, void *ssl)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct st_conn_key k = { .tgid = id >> 32, .ssl = (__u64)ssl };

	if (!should_trace(k.tgid))
		return 0;
	close_conn(&k);
	return 0;
}

/* ---- Go's crypto/tls: (*Conn).Write and (*Conn).Read ----
 *
 * Go code gets no uretprobe: the runtime grows a goroutine's stack by
 * copying it elsewhere, and a return address the kernel swapped for its
 * trampoline breaks that. The agent puts a uprobe on each return
 * instruction of the function instead (found by disassembling it), and
 * go_return runs at every one.
 *
 * Under the register ABI (Go 1.17 and later, amd64) the receiver and the
 * []byte arrive in ax (the *tls.Conn), bx (the bytes), cx (their length),
 * the count returned is in ax at the return, and r14 is the goroutine's g
 * throughout. The entry probes sit where the body begins, past the stack
 * check: a goroutine whose stack must grow runs the first instruction
 * twice, the body once. A goroutine that blocks inside a call (a Read
 * waiting for its peer, a Write to a slow reader) is parked and may resume
 * on another thread, and its thread runs other goroutines meanwhile: the
 * call in flight is keyed by goroutine, never by thread, and the thread's
 * own active_calls slot (which says "inside an SSL call" to the socket
 * programs) is left alone. */

struct go_call {
	__u64 conn; /* *tls.Conn: with the process, the connection key */
	__u64 buf;
	__u64 num;
	__u8 fn;
	__u8 dir;
};

/* Calls in flight, one per goroutine inside Write or Read: an idle
 * keep-alive connection's reader is one. A plain hash (an LRU update costs
 * the entry ~0.35 us more): a full map refuses the entry (a Read's data is
 * then lost, counted as no_entry; a Write's is taken anyway); a dead
 * process's entries are dropped by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct st_go_call_key);
	__type(value, struct go_call);
} go_calls SEC(".maps");

/* Set by the agent once it has attached a Go probe: until then the socket
 * programs don't look for a Go call behind a transfer. */
volatile __u32 go_probes_live = 0;

/* The call begins (the probe sits past the prologue's stack check, so it
 * runs once per call): *v is the call, recorded for its return and for the
 * socket transfers made inside it. Returns 0 when recorded, -1 for the
 * agent's own calls, -2 when the map refused it. */
static __always_inline int go_enter(struct pt_regs *ctx, __u8 fn, __u8 dir, struct go_call *v)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct st_go_call_key k = { .tgid = tgid, .g = ctx->r14 };

	if (!should_trace(tgid))
		return -1;
	*v = (struct go_call){ .conn = ctx->ax, .buf = ctx->bx, .num = ctx->cx, .fn = fn, .dir = dir };
	/* An entry left by a call whose return was never seen (a panic
	 * unwound it) is replaced: the latest is the one. */
	return bpf_map_update_elem(&go_calls, &k, v, BPF_ANY) ? -2 : 0;
}

/* The plaintext of a call on its connection, from the thread's identity
 * cache (the thread's slot only for that: its active flag is the thread's
 * SSL calls', not this goroutine's). */
static __always_inline void go_emit(__u32 tgid, const struct go_call *v, __u64 n)
{
	struct call_args *t = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct conn_state *c = conn_get(tgid, v->conn);

	if (!t || !c) {
		count(t ? ST_CNT_LOST_NO_CONN : ST_CNT_LOST_NO_ENTRY, 1);
		return;
	}
	if (!c->resolved && c->fd >= 0)
		resolve_addr(c);
	emit_call(c, v->conn, &t->who, v->dir & 1, v->fn, v->buf, n);
}

/* A Write's bytes are emitted where it begins, not where it returns: its
 * peer may answer, and the goroutine reading the answer return with it,
 * before this goroutine runs again to reach its return, and an answer
 * must never come before its request. Go's Write returns short only when
 * the connection failed (every later write fails too): the cut is counted
 * at the return. */
SEC("uprobe")
int go_write_enter(struct pt_regs *ctx)
{
	struct go_call v;

	if (go_enter(ctx, ST_FN_GO_WRITE, ST_DIR_WRITE, &v) != -1 && v.num)
		go_emit(bpf_get_current_pid_tgid() >> 32, &v, v.num);
	return 0;
}

SEC("uprobe")
int go_read_enter(struct pt_regs *ctx)
{
	struct go_call v;

	if (go_enter(ctx, ST_FN_GO_READ, ST_DIR_READ, &v) == -2)
		count(ST_CNT_LOST_NO_ENTRY, 1);
	return 0;
}

/* At a return instruction of Write or Read: ax is the count (Write's is
 * what it wrote before any error, Read's what it read). */
SEC("uprobe")
int go_return(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct st_go_call_key k = { .tgid = tgid, .g = ctx->r14 };
	struct go_call *p, v;
	long n = (long)ctx->ax;

	if (!should_trace(tgid))
		return 0;
	p = bpf_map_lookup_elem(&go_calls, &k);
	if (!p) {
		count(ST_CNT_UNPAIRED_RETURNS, 1);
		return 0;
	}
	v = *p;
	bpf_map_delete_elem(&go_calls, &k);
	if (v.dir == ST_DIR_WRITE) {
		if (n < 0)
			n = 0;
		if ((__u64)n < v.num) {
			count(ST_CNT_WRITES_CUT, 1);
			count(ST_CNT_WRITES_CUT_BYTES, v.num - n);
		}
		return 0;
	}
	if (n <= 0 || (__u64)n > v.num) {
		count(ST_CNT_FAILED_CALLS, 1);
		return 0;
	}
	go_emit(tgid, &v, (__u64)n);
	return 0;
}

/* (*Conn).Close: the connection ends (its receiver in ax). */
SEC("uprobe")
int go_close_enter(struct pt_regs *ctx)
{
	struct st_conn_key k = { .tgid = bpf_get_current_pid_tgid() >> 32, .ssl = ctx->ax };

	if (!should_trace(k.tgid))
		return 0;
	close_conn(&k);
	return 0;
}

/* ---- plain sockets: the socket layer's send and receive of watched processes ---- */

static __always_inline bool plain_watched(__u32 tgid)
{
	__u32 slot = tgid & (ST_PLAIN_HINT_SLOTS - 1);
	__u8 *hint;

	if (tgid == targ_self_tgid)
		return false;
	if (targ_plain_all)
		return true;
	hint = bpf_map_lookup_elem(&plain_hint, &slot);
	return hint && *hint && bpf_map_lookup_elem(&plain_watch, &tgid);
}

/* Watches tgid's sockets from the kernel side: the hint first, so no
 * reader can see the process in plain_watch behind a clear slot. */
static __always_inline void plain_watch_add(__u32 tgid)
{
	__u32 slot = tgid & (ST_PLAIN_HINT_SLOTS - 1);
	__u8 one = 1, *hint = bpf_map_lookup_elem(&plain_hint, &slot);

	if (hint)
		*hint = 1;
	bpf_map_update_elem(&plain_watch, &tgid, &one, BPF_ANY);
}

/* A TCP (v4, v6) or Unix stream socket: what model traffic runs on.
 * Datagram, netlink and other sockets are left alone, never copied. */
static __always_inline bool is_stream_sock(struct sock *sk)
{
	__u16 family;

	/* sk is the tracepoint's own (a trusted BTF pointer): read directly. */
	if (sk->sk_type != SOCK_STREAM)
		return false;
	family = sk->__sk_common.skc_family;
	return family == AF_INET || family == AF_INET6 || family == AF_UNIX;
}

/* A plain connection's key: the socket's cookie, unique for the kernel's
 * life, so a struct sock reused by the next connection is never merged with
 * the last one. The top bit keeps it apart from any SSL* address. */
static __always_inline __u64 plain_key(struct sock *sk)
{
	return bpf_get_socket_cookie(sk) | ST_PLAIN_KEY;
}

/* A TLS record header: content type 20-23 (change_cipher_spec, alert,
 * handshake, application_data), version 3.x (SSL 3.0 to TLS 1.3's 3.3 on
 * the wire). No HTTP message starts with these bytes. */
static __always_inline bool starts_tls_record(__u64 buf, __u64 len)
{
	__u8 h[3];

	if (len < 3 || bpf_probe_read_user(h, sizeof(h), (void *)buf))
		return false;
	return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4;
}

/* The system call that moved a socket's bytes, from the task's saved user
 * registers (orig_ax is its number, di/si/dx its first arguments, unchanged
 * while it runs): where its user buffers are, or that they can't be read. */
struct plain_call {
	__u8 fn;      /* enum st_function */
	__u8 vector;  /* buf is an iovec array of len entries */
	__s32 fd;     /* -1 when the call has none */
	__u64 buf;
	__u64 len;
	__u64 g;      /* r14: a Go caller's goroutine (in other code, any value) */
};

static __always_inline void classify_call(struct task_struct *task, struct plain_call *pc)
{
	struct pt_regs *regs;
	struct user_msghdr mh;
	long nr;

	pc->fd = -1;
	pc->vector = 0;
	pc->g = 0;
	/* io_uring workers and kernel threads have no user call behind them:
	 * their saved registers are not this transfer's. */
	if (task->flags & (PF_KTHREAD | PF_IO_WORKER)) {
		pc->fn = task->flags & PF_IO_WORKER ? ST_FN_IO_URING : ST_FN_OTHER_CALL;
		return;
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = regs->orig_ax;
	pc->g = regs->r14;
	pc->buf = regs->si;
	pc->len = regs->dx;
	switch (nr) {
	case NR_READ: pc->fn = ST_FN_READ; break;
	case NR_WRITE: pc->fn = ST_FN_WRITE; break;
	case NR_RECVFROM: pc->fn = ST_FN_RECVFROM; break;
	case NR_SENDTO: pc->fn = ST_FN_SENDTO; break;
	case NR_READV:
	case NR_PREADV2:
		pc->fn = ST_FN_READV, pc->vector = 1;
		break;
	case NR_WRITEV:
	case NR_PWRITEV2:
		pc->fn = ST_FN_WRITEV, pc->vector = 1;
		break;
	case NR_RECVMSG:
	case NR_SENDMSG:
		pc->fn = nr == NR_RECVMSG ? ST_FN_RECVMSG : ST_FN_SENDMSG;
		pc->vector = 1;
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)regs->si)) {
			pc->fn = ST_FN_UNREADABLE_CALL, pc->vector = 0;
			break;
		}
		pc->buf = (__u64)mh.msg_iov;
		pc->len = mh.msg_iovlen;
		break;
	/* Bytes the kernel moved from a file, a pipe or a ring, never through
	 * a user buffer of this call: counted as unseen, not copied. */
	case NR_SENDFILE: pc->fn = ST_FN_SENDFILE; break;
	case NR_SPLICE: pc->fn = ST_FN_SPLICE; break;
	case NR_SENDMMSG:
	case NR_RECVMMSG:
		pc->fn = ST_FN_MMSG;
		break;
	case NR_IO_URING_ENTER: pc->fn = ST_FN_IO_URING; break;
	default: pc->fn = ST_FN_OTHER_CALL; break;
	}
	if (pc->fn != ST_FN_IO_URING && pc->fn != ST_FN_OTHER_CALL)
		pc->fd = (int)regs->di;
}

static __always_inline bool call_is_copied(const struct plain_call *pc)
{
	return pc->fn <= ST_FN_RECVMSG;
}

/* The first bytes of a vectored call: its first non-empty iovec's. */
static __always_inline __u64 first_bytes(const struct plain_call *pc, __u64 *len)
{
	struct iovec iov;

	if (!pc->vector) {
		*len = pc->len;
		return pc->buf;
	}
	for (__u64 i = 0; i < 4 && i < pc->len; i++) {
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(pc->buf + i * sizeof(iov))))
			break;
		if (iov.iov_len) {
			*len = iov.iov_len;
			return (__u64)iov.iov_base;
		}
	}
	*len = 0;
	return 0;
}

/* A TLS library's socket I/O inside its own call (GnuTLS, Go's crypto/tls,
 * or OpenSSL with a socket BIO set up without SSL_set_fd): the TLS
 * connection learns its socket from it, usually before its first record
 * (a call served from bytes the library had already read learns it at the
 * next one that reaches the socket; the agent takes the addresses late).
 * Never its bytes: those are ciphertext. */
static __always_inline void tls_conn_learns_socket(__u32 tgid, __u64 ssl, struct sock *sk, int fd)
{
	struct conn_state *c = conn_get(tgid, ssl);

	if (c && c->fd < 0 && fd >= 0) {
		c->fd = fd;
		addr_from_sock(c, sk);
	}
}

/* An unseen transfer: its range is reserved in the stream like a copied
 * call's, so the loss is exact, per connection and per direction, and said
 * by a record of its own. */
static __always_inline void emit_unseen(struct conn_state *c, __u64 key, __u8 dir, __u8 fn, __u64 total)
{
	struct st_data_record *r;
	__u64 off = __sync_fetch_and_add(&c->off[dir], total);

	count(ST_CNT_UNSEEN_CALLS, 1);
	count(ST_CNT_UNSEEN_BYTES, total);
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count(ST_CNT_LOST_EVENT, 1);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ST_REC_UNSEEN);
	r->ssl = key;
	r->stream_off = off;
	r->call_total = total;
	r->fd = c->fd;
	r->dir = dir;
	r->fn = fn;
	r->flags = c->started ? 0 : ST_FLAG_CONN_START;
	c->started = 1;
	r->family = c->family;
	r->lport = c->lport;
	r->rport = c->rport;
	__builtin_memcpy(r->laddr, c->laddr, 16);
	__builtin_memcpy(r->raddr, c->raddr, 16);
	bpf_ringbuf_submit(r, wake_flag(sizeof(*r)));
}

/* Bytes a watched process moved on a stream socket: ret bytes, already in
 * (receive) or still in (send) the call's user buffers. */
static __always_inline void plain_transfer(struct sock *sk, int ret, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct task_struct *task;
	struct call_args *t;
	struct conn_state *c;
	struct plain_call pc;
	__u64 key, head, headlen;

	if (ret <= 0 || !plain_watched(tgid) || !is_stream_sock(sk))
		return;
	task = bpf_get_current_task_btf();
	classify_call(task, &pc);
	/* The thread's slot, shared with its SSL calls: one lookup tells
	 * whether an SSL call is in flight and holds the identity cache. */
	t = bpf_task_storage_get(&active_calls, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count(ST_CNT_LOST_NO_ENTRY, 1);
		return;
	}
	/* Inside an SSL call of this thread: TLS records, whose plaintext the
	 * SSL probes take. Never twice. */
	if (t->active) {
		count(ST_CNT_TLS_SOCKET_CALLS, 1);
		count(ST_CNT_TLS_SOCKET_BYTES, ret);
		tls_conn_learns_socket(tgid, t->ssl, sk, pc.fd);
		return;
	}
	/* Keyed by the socket alone (tgid 0): a reset ends it in softirq
	 * context, where no process is at hand to name the key. */
	key = plain_key(sk);
	c = conn_get(0, key);
	if (!c) {
		count(ST_CNT_LOST_NO_CONN, 1);
		return;
	}
	if (!c->owner)
		c->owner = tgid;
	/* Inside a Go crypto/tls call of this goroutine: the same as inside
	 * an SSL call. Looked for only on a socket that carries TLS or has
	 * carried nothing yet: one that went on plain is never a Go TLS
	 * connection's, and its transfers pay no lookup. */
	if (go_probes_live && pc.g && (c->tls || !c->started)) {
		struct st_go_call_key gk = { .tgid = tgid, .g = pc.g };
		struct go_call *gc = bpf_map_lookup_elem(&go_calls, &gk);

		if (gc) {
			c->tls = 1;
			count(ST_CNT_TLS_SOCKET_CALLS, 1);
			count(ST_CNT_TLS_SOCKET_BYTES, ret);
			tls_conn_learns_socket(tgid, gc->conn, sk, pc.fd);
			return;
		}
	}
	/* A TLS stack with memory BIOs (Python asyncio, node) does its socket
	 * I/O outside SSL calls: its first bytes, a TLS record, say so. */
	if (!c->started && !c->tls && call_is_copied(&pc)) {
		head = first_bytes(&pc, &headlen);
		if (head && starts_tls_record(head, headlen))
			c->tls = 1;
	}
	if (c->tls) {
		count(ST_CNT_TLS_SOCKET_CALLS, 1);
		count(ST_CNT_TLS_SOCKET_BYTES, ret);
		return;
	}
	if (!c->resolved) {
		c->fd = pc.fd;
		addr_from_sock(c, sk);
	}
	if (!call_is_copied(&pc)) {
		emit_unseen(c, key, dir, pc.fn, (__u64)ret);
		return;
	}
	if (pc.vector)
		emit_vector(c, key, &t->who, dir, pc.fn, pc.buf, pc.len, (__u64)ret);
	else
		emit_call(c, key, &t->who, dir, pc.fn, pc.buf, (__u64)ret);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(plain_send, struct sock *sk, int ret, int flags)
{
	plain_transfer(sk, ret, ST_DIR_WRITE);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(plain_recv, struct sock *sk, int ret, int flags)
{
	/* A peek leaves the bytes queued: the read that takes them is seen. */
	if (!(flags & MSG_PEEK))
		plain_transfer(sk, ret, ST_DIR_READ);
	return 0;
}

/* A TCP connection ends for its process when the process closes it (both
 * directions shut, then FIN_WAIT1, LAST_ACK or CLOSE) or it is reset (in
 * softirq context, any process current): its entry goes, with the close
 * record. Every TCP state change on the host runs this; a socket that never
 * got a cookie was never keyed here, so it costs one load, and no cookie is
 * made for it. Unix sockets have no such tracepoint; the agent finds their
 * end by asking the kernel which sockets still live. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(plain_tcp_state, const struct sock *sk, int oldstate, int newstate)
{
	struct st_conn_key k;

	if (newstate != TCP_CLOSE &&
	    !((newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK) &&
	      (sk->sk_shutdown & SHUTDOWN_MASK) == SHUTDOWN_MASK))
		return 0;
	if (!sk->__sk_common.skc_cookie.counter)
		return 0;
	k.tgid = 0;
	k.pad = 0;
	k.ssl = plain_key((struct sock *)sk);
	close_conn(&k);
	return 0;
}

static __always_inline void emit_proc_event(__u32 kind, __u64 wake)
{
	struct st_record_hdr *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r) {
		count(ST_CNT_LOST_EVENT, 1);
		return;
	}
	fill_hdr(r, kind);
	bpf_ringbuf_submit(r, wake);
}

/* tp_btf, not tp/: attaching by BTF id needs no tracefs, which is often not
 * mounted (it is not on our CI machines, nor in many containers). */
SEC("tp_btf/sched_process_exec")
int handle_exec(void *ctx)
{
	char comm[ST_COMM_LEN] = {};
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bool wake = targ_exec_wake_all;

	/* A selected command name is watched here, in the kernel: the agent
	 * hears of the exec only after the process may have sent its request. */
	if (targ_plain && !targ_plain_all && tgid != targ_self_tgid) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (bpf_map_lookup_elem(&plain_comms, comm)) {
			plain_watch_add(tgid);
			wake = true;
		}
	}
	if (!wake && bpf_map_lookup_elem(&exec_wake, &tgid))
		wake = true;
	/* The agent attaches on exec, and a new process may start talking at
	 * once: a process that may be selected wakes it now. The rest of the
	 * host's execs wait for its next poll: a forced wake-up costs every
	 * exec ~20 us in a VM (an irq_work and a cross-CPU wake), and the agent
	 * only rules them out. */
	emit_proc_event(ST_REC_EXEC, wake ? BPF_RB_FORCE_WAKEUP : wake_flag(sizeof(struct st_record_hdr)));
	return 0;
}

/* A watched process's children are watched from birth, in the kernel: a
 * pre-fork server's workers, a gateway's helpers. They match what their
 * parent matched (the same command, executable and cgroup) or were born of
 * a --pid; the agent learns of them from their traffic and their exit. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(plain_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	if (child->pid != child->tgid) /* a thread: its process is already decided */
		return 0;
	if (bpf_map_lookup_elem(&plain_watch, &ptgid))
		plain_watch_add(ctgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int handle_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	/* Thread slots in active_calls go with the task; only processes matter. */
	if ((__u32)id == (id >> 32))
		emit_proc_event(ST_REC_EXIT, wake_flag(sizeof(struct st_record_hdr))); /* cleanup can wait for the next poll */
	return 0;
}
