/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sslsniff.h - the records sslsniff.bpf.c writes into the ring buffer, and
 * the counters it keeps, for the SSL probes and the plain socket calls alike
 * (a plain socket's connection key holds its kernel struct sock where an SSL
 * connection's holds its SSL*). This header is the contract between the kernel side
 * and the agent: fixed-width types only, no kernel headers, layout checked at
 * build time on both sides (see ST_LAYOUT_ASSERTS at the bottom).
 *
 * Stream model: every TLS connection is keyed by (tgid, SSL*) (a GnuTLS
 * session, a Go *tls.Conn), a plain one by
 * its socket's cookie (ST_PLAIN_KEY); records carry the process. Each direction of a
 * connection is a byte stream; every DATA record carries the offset of its
 * first byte in that stream. The offset of a call is reserved when the call
 * returns, before any chunk is emitted, so a chunk that is lost (ring buffer
 * full, fault reading user memory) shows up to the consumer as a jump in the
 * offsets, and is also counted in st_counters by reason.
 */
#ifndef SEALTAP_SSLSNIFF_H
#define SEALTAP_SSLSNIFF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Largest payload carried by one DATA record. A call larger than this is
 * delivered as consecutive records. 16 KiB is the TLS record size: most
 * calls fit in one record, and the per-CPU scratch buffer stays small. */
#define ST_CHUNK_MAX 16384u

#define ST_COMM_LEN 16

enum st_record_kind {
	ST_REC_DATA = 1,  /* plaintext of one SSL call, or a chunk of it */
	ST_REC_CLOSE = 2, /* SSL_free: the connection key is no longer valid */
	ST_REC_EXEC = 3,  /* a process called execve: candidate for selection */
	ST_REC_EXIT = 4,  /* a process (thread-group leader) exited */
	ST_REC_UNSEEN = 5, /* a plain socket moved bytes no user buffer held: counted, not copied */
};

enum st_direction {
	ST_DIR_WRITE = 0, /* the process handed plaintext to SSL_write* (gnutls_record_send, a socket) */
	ST_DIR_READ = 1,  /* the process received plaintext from SSL_read* (gnutls_record_recv, a socket) */
};

/* Which library function produced a DATA record (wire values, never renumber). */
enum st_function {
	ST_FN_SSL_WRITE = 1,
	ST_FN_SSL_WRITE_EX = 2,
	ST_FN_SSL_WRITE_EX2 = 3,
	ST_FN_SSL_READ = 4,
	ST_FN_SSL_READ_EX = 5,
	/* Plain sockets: the system call that moved the bytes. */
	ST_FN_WRITE = 6,
	ST_FN_SENDTO = 7,
	ST_FN_READ = 8,
	ST_FN_RECVFROM = 9,
	ST_FN_READV = 10,   /* readv, preadv2 */
	ST_FN_WRITEV = 11,  /* writev, pwritev2 */
	ST_FN_SENDMSG = 12,
	ST_FN_RECVMSG = 13,
	/* ... and, on ST_REC_UNSEEN records, how bytes went uncopied. */
	ST_FN_SENDFILE = 14,
	ST_FN_SPLICE = 15,
	ST_FN_MMSG = 16,            /* sendmmsg, recvmmsg */
	ST_FN_IO_URING = 17,        /* io_uring_enter, or an io_uring worker */
	ST_FN_UNREADABLE_CALL = 18, /* the call's message header could not be read */
	ST_FN_OTHER_CALL = 19,      /* any other call that reached the socket */
	/* GnuTLS (libgnutls): plaintext, keyed by gnutls_session_t. */
	ST_FN_GNUTLS_SEND = 20,  /* gnutls_record_send, _send2 */
	ST_FN_GNUTLS_RECV = 21,  /* gnutls_record_recv, _recv_seq */
	/* Go's crypto/tls: plaintext, keyed by the *tls.Conn. */
	ST_FN_GO_WRITE = 22, /* crypto/tls.(*Conn).Write */
	ST_FN_GO_READ = 23,  /* crypto/tls.(*Conn).Read */
	ST_FN__MAX = 23,
};

/* The functions whose records carry bytes, and the ways bytes go unseen. */
#define ST_FN_COPIES(fn) (((fn) >= ST_FN_SSL_WRITE && (fn) <= ST_FN_RECVMSG) || \
			  ((fn) >= ST_FN_GNUTLS_SEND && (fn) <= ST_FN_GO_READ))
#define ST_FN_UNSEEN(fn) ((fn) >= ST_FN_SENDFILE && (fn) <= ST_FN_OTHER_CALL)

/* A plain connection's key is its socket's cookie with this bit set: never
 * an SSL* (user addresses stay below 2^47). */
#define ST_PLAIN_KEY (1ull << 63)

/* Slots of the kernel's plain_hint array (tgid & (slots - 1)): the agent
 * sets a process's slot before it watches the process's sockets. */
#define ST_PLAIN_HINT_SLOTS (1u << 20)

/* DATA record flags. */
#define ST_FLAG_CONN_START 0x01 /* first record of this connection key seen by the kernel side */

/* Address families as carried on the wire (not the kernel's values, which
 * the agent would otherwise have to assume). */
enum st_addr_family {
	ST_AF_UNKNOWN = 0, /* not resolved: memory BIO, custom BIO, or not a TCP socket */
	ST_AF_INET = 4,
	ST_AF_INET6 = 6,
};

/* Common header of every record. */
struct st_record_hdr {
	__u32 kind;    /* enum st_record_kind */
	__u32 pid;     /* tgid */
	__u32 tid;
	__u32 uid;
	__u64 ts_ns;   /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cgroup_id;
	char comm[ST_COMM_LEN];
};

/* ST_REC_DATA: followed by data_len bytes of plaintext. ST_REC_UNSEEN has
 * the same header, data_len 0: call_total bytes at stream_off were moved and
 * not copied. */
struct st_data_record {
	struct st_record_hdr h;
	__u64 ssl;          /* SSL* in the process, or ST_PLAIN_KEY | socket cookie:
			     * with h.pid, the connection key */
	__u64 stream_off;   /* offset of data[0] in this direction's stream */
	__u64 call_total;   /* bytes the whole call transferred */
	__u64 call_off;     /* offset of data[0] within the call */
	__u32 data_len;     /* bytes following this header */
	__s32 fd;           /* socket fd when known, else -1 */
	__u8 dir;           /* enum st_direction */
	__u8 fn;            /* enum st_function */
	__u8 flags;         /* ST_FLAG_* */
	__u8 family;        /* enum st_addr_family */
	__u16 lport;        /* host byte order */
	__u16 rport;        /* host byte order */
	__u8 laddr[16];     /* IPv4 in the first 4 bytes, network order */
	__u8 raddr[16];
	__u8 data[];
};

/* ST_REC_CLOSE: the SSL object was freed. */
struct st_close_record {
	struct st_record_hdr h;
	__u64 ssl;
	__u64 write_bytes; /* final stream lengths, so the consumer can tell a */
	__u64 read_bytes;  /* loss at the very end of a connection */
};

/* ST_REC_EXEC / ST_REC_EXIT carry only the header. */

/* Key of the kernel's map of Go calls in flight (go_calls): the process
 * and the goroutine (its runtime.g, which the register ABI keeps in r14).
 * The agent walks it to drop a dead process's entries. */
struct st_go_call_key {
	__u32 tgid;
	__u32 pad; /* zeroed: the key is hashed as bytes */
	__u64 g;
};

/* Key of the kernel's per-connection map (conns): the agent walks it to drop
 * a dead process's entries, so its layout is part of the contract. A plain
 * socket's key has tgid 0 (the socket alone names it; its process is in the
 * records). */
struct st_conn_key {
	__u32 tgid;
	__u32 pad; /* zeroed: the key is hashed as bytes */
	__u64 ssl;
};

/* Loss and activity counters, one per-CPU array slot each (wire values). */
enum st_counter {
	ST_CNT_CALLS = 0,           /* successful SSL data calls seen */
	ST_CNT_BYTES = 1,           /* plaintext bytes those calls moved */
	ST_CNT_CHUNKS = 2,          /* DATA records written */
	ST_CNT_LOST_RINGBUF = 3,    /* DATA records dropped: ring buffer full */
	ST_CNT_LOST_RINGBUF_BYTES = 4,
	ST_CNT_LOST_FAULT = 5,      /* chunks dropped: user memory could not be read */
	ST_CNT_LOST_FAULT_BYTES = 6,
	ST_CNT_LOST_NO_ENTRY = 7,   /* calls whose arguments could not be saved at entry */
	ST_CNT_LOST_NO_CONN = 8,    /* calls whose connection slot could not be made */
	ST_CNT_LOST_EVENT = 9,      /* CLOSE/EXEC/EXIT records dropped: ring buffer full */
	ST_CNT_FAILED_CALLS = 10,   /* calls that returned failure: no data, by design */
	ST_CNT_UNPAIRED_RETURNS = 11, /* returns with no saved entry: the outer return of a
				       * nested call (its data was emitted once, by the inner
				       * return), or a call already in flight at attach */
	ST_CNT_TLS_SOCKET_CALLS = 12, /* socket calls made inside an SSL call: TLS records, dropped */
	ST_CNT_TLS_SOCKET_BYTES = 13,
	ST_CNT_UNSEEN_CALLS = 14,   /* plain transfers with no user buffer to copy (sendfile, ...) */
	ST_CNT_UNSEEN_BYTES = 15,
	ST_CNT_WRITES_CUT = 16,       /* Go writes (emitted where they begin) that wrote less: */
	ST_CNT_WRITES_CUT_BYTES = 17, /* the connection failed, and these bytes never left */
	ST_CNT__MAX = 18,
};

#define ST_LAYOUT_ASSERTS()                                                                   \
	_Static_assert(sizeof(struct st_record_hdr) == 48, "st_record_hdr layout");          \
	_Static_assert(__builtin_offsetof(struct st_data_record, data_len) == 80,             \
		       "st_data_record layout");                                                \
	_Static_assert(sizeof(struct st_data_record) == 128, "st_data_record layout");        \
	_Static_assert(sizeof(struct st_close_record) == 72, "st_close_record layout");      \
	_Static_assert(sizeof(struct st_conn_key) == 16, "st_conn_key layout");              \
	_Static_assert(__builtin_offsetof(struct st_conn_key, ssl) == 8, "st_conn_key layout");      \
	_Static_assert(sizeof(struct st_go_call_key) == 16, "st_go_call_key layout")

#endif /* SEALTAP_SSLSNIFF_H */
