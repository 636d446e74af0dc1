// SPDX-License-Identifier: Apache-2.0
/* Shipping (agent/evidence/ship.c) against a peer on loopback that plays
 * the collector's side of the wire (libmicrohttpd, plain HTTP): the answers
 * that are hard to make the real collector give on demand. A 503 is retried
 * and the batch then acknowledged; an Ack cosigned with another key than
 * --collector-pubkey releases nothing and is counted; a 409 gap moves the
 * next batch's start to the collector's count; a 403 is counted as refused.
 * The real collector is tested end to end in tests/e2e/test_collector.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "chain.h"
#include "evidence.h"
#include "evidence.pb-c.h"
#include "note.h"
#include "ship.h"

#define PEER_MAX_BODY (16u << 20)

/* What the peer answers, in turn, and what it saw. */
struct peer {
	int script[8]; /* statuses to answer; the last repeats */
	int nscript, calls;
	uint64_t gap_to;  /* a 409's Ack says the collector has this many */
	struct note_signer *cosigner;
	uint64_t first_seq[8], next_seq[8]; /* each batch's range as received */
	uint8_t *body;
	size_t len;
};

static struct peer peer;

/* The Ack a collector answers: tree size, and the batch's checkpoint with
 * a cosignature by the peer's key. */
static void ack_for(const Sealtap__Evidence__V1__Batch *b, uint64_t size, uint8_t **out, size_t *n)
{
	Sealtap__Evidence__V1__Ack a = SEALTAP__EVIDENCE__V1__ACK__INIT;
	char note[NOTE_MAX + 512];
	int k = 0;

	a.stream_id = b->stream_id;
	a.tree_size = size;
	if (peer.cosigner && b->checkpoint.len < NOTE_MAX) {
		memcpy(note, b->checkpoint.data, b->checkpoint.len);
		k = note_sign(peer.cosigner, note, b->checkpoint.len, sizeof(note));
		if (k > 0)
			a.cosigned_checkpoint = (ProtobufCBinaryData){ (size_t)k, (uint8_t *)note };
	}
	*n = sealtap__evidence__v1__ack__get_packed_size(&a);
	*out = malloc(*n);
	sealtap__evidence__v1__ack__pack(&a, *out);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **state)
{
	Sealtap__Evidence__V1__Batch *b;
	struct MHD_Response *r;
	uint8_t *reply = NULL;
	size_t n = 0;
	int status;
	enum MHD_Result ok;

	(void)cls, (void)url, (void)method, (void)version;
	if (!*state) { /* the headers: the body follows */
		*state = &peer;
		peer.len = 0;
		return MHD_YES;
	}
	if (*size) {
		if (peer.len + *size <= PEER_MAX_BODY) {
			memcpy(peer.body + peer.len, data, *size);
			peer.len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	status = peer.script[peer.calls < peer.nscript ? peer.calls : peer.nscript - 1];
	b = sealtap__evidence__v1__batch__unpack(NULL, peer.len, peer.body);
	if (b && peer.calls < 8) {
		peer.first_seq[peer.calls] = b->first_seq;
		peer.next_seq[peer.calls] = b->first_seq + b->n_events;
	}
	peer.calls++;
	if (b && status == 200)
		ack_for(b, b->first_seq + b->n_events, &reply, &n);
	else if (b && status == 409)
		ack_for(b, peer.gap_to, &reply, &n);
	if (b)
		sealtap__evidence__v1__batch__free_unpacked(b, NULL);
	r = MHD_create_response_from_buffer(n, reply, MHD_RESPMEM_MUST_FREE);
	if (status == 503)
		MHD_add_response_header(r, "Retry-After", "0");
	ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

static struct MHD_Daemon *daemon_;
static char url[64];

static int setup(void **state)
{
	const union MHD_DaemonInfo *info;

	(void)state;
	peer.body = malloc(PEER_MAX_BODY);
	assert_non_null(peer.body);
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL,
				   MHD_OPTION_SOCK_ADDR,
				   (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET,
									    .sin_addr.s_addr = htonl(0x7f000001) },
				   MHD_OPTION_END);
	assert_non_null(daemon_);
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/batches", info->port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	free(peer.body);
	return 0;
}

static struct note_signer *collector_key(uint8_t fill, uint8_t pub[NOTE_PUBKEY])
{
	uint8_t seed[NOTE_SEED];
	char name[NOTE_NAME_MAX];
	struct note_signer *probe, *s;

	memset(seed, fill, sizeof(seed));
	probe = note_signer_new("k", seed);
	note_signer_public(probe, pub);
	note_signer_free(probe);
	note_key_name("collector", pub, name);
	s = note_signer_new(name, seed);
	assert_non_null(s);
	return s;
}

/* The ship stats line's value for key ("acked":N -> N). */
static uint64_t stat(struct ship *s, const char *key)
{
	char buf[1024], want[64], *p;
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ship_write_stats(s, f);
	fputc('\0', f);
	fclose(f);
	snprintf(want, sizeof(want), "\"%s\":", key);
	p = strstr(buf, want);
	if (!p)
		fail_msg("no %s in %s", key, buf);
	return strtoull(p + strlen(want), NULL, 10);
}

/* An agent's evidence with n findings recorded and signed, shipping to the
 * peer (checking cosignatures against pub when given). */
static struct ship *agent(struct evidence **ev, char *dir, size_t dirsz, int n, const uint8_t *pub)
{
	static const uint8_t fp[EVIDENCE_FINGERPRINT];
	struct evidence_opts o = { .node = "unit", .version = "test", .spool_max_bytes = 1 << 24 };
	struct ship_opts so = { .url = url };
	char err[256];
	struct ship *s;

	snprintf(dir, dirsz, "/tmp/sealtap-ship-XXXXXX");
	assert_non_null(mkdtemp(dir));
	o.state_dir = dir;
	*ev = evidence_open(&o, err, sizeof(err));
	assert_non_null(*ev);
	for (int i = 0; i < n; i++)
		assert_true(evidence_finding(*ev, &(struct evidence_about){ .exchange_id = (uint64_t)i },
					     &(struct evidence_finding){ .detector = "pii.email", .masked = "m****@x.io",
									 .fingerprint = fp }) >= 0);
	evidence_tick(*ev, UINT64_MAX); /* sign a checkpoint over them now */
	if (pub) {
		so.check_cosignature = true;
		memcpy(so.collector_key, pub, NOTE_PUBKEY);
	}
	s = ship_new(*ev, &so, err, sizeof(err));
	assert_non_null(s);
	return s;
}

static void done(struct ship *s, struct evidence *ev, const char *dir)
{
	char cmd[128];

	ship_free(s);
	evidence_close(ev);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void script(int a, int b, int c)
{
	memset(peer.first_seq, 0, sizeof(peer.first_seq));
	peer.calls = 0;
	peer.script[0] = a, peer.script[1] = b, peer.script[2] = c;
	peer.nscript = 3;
}

static void test_ship_retries_503_then_is_acknowledged(void **state)
{
	uint8_t pub[NOTE_PUBKEY];
	struct evidence *ev;
	struct ship *s;
	char dir[64];

	(void)state;
	peer.cosigner = collector_key(0x51, pub);
	script(503, 200, 200);
	s = agent(&ev, dir, sizeof(dir), 5, pub);
	ship_flush(s, 10000000000ull);
	assert_true(peer.calls >= 2);
	assert_int_equal(peer.first_seq[0], 0);
	assert_int_equal(peer.first_seq[1], 0);         /* the same batch, again */
	assert_int_equal(stat(s, "failures"), 1);
	assert_int_equal(stat(s, "acked"), evidence_checkpointed(ev)); /* everything signed */
	assert_int_equal(stat(s, "cosign_invalid"), 0);
	done(s, ev, dir);
	note_signer_free(peer.cosigner);
}

static void test_ship_refuses_an_ack_cosigned_by_another_key(void **state)
{
	uint8_t pub[NOTE_PUBKEY], other[NOTE_PUBKEY];
	struct evidence *ev;
	struct ship *s;
	char dir[64];

	(void)state;
	peer.cosigner = collector_key(0x52, other); /* the peer signs with a key not configured */
	note_signer_free(collector_key(0x53, pub)); /* the key the agent is told to expect */
	script(200, 200, 200);
	s = agent(&ev, dir, sizeof(dir), 3, pub);
	ship_flush(s, 1500000000ull);
	assert_true(peer.calls >= 1);
	assert_true(stat(s, "cosign_invalid") >= 1);
	assert_int_equal(stat(s, "acked"), 0); /* the spool keeps it all */
	done(s, ev, dir);
	note_signer_free(peer.cosigner);
}

static void test_ship_follows_a_gap_answer(void **state)
{
	struct evidence *ev;
	struct ship *s;
	char dir[64];

	(void)state;
	peer.cosigner = NULL;
	peer.gap_to = 2; /* the collector says it has events 0 and 1 */
	script(409, 200, 200);
	s = agent(&ev, dir, sizeof(dir), 4, NULL);
	ship_flush(s, 10000000000ull);
	assert_true(peer.calls >= 2);
	assert_int_equal(peer.first_seq[0], 0);
	assert_int_equal(peer.first_seq[1], 2); /* resent from the collector's count */
	assert_int_equal(stat(s, "refused"), 1);
	assert_int_equal(stat(s, "acked"), evidence_checkpointed(ev));
	done(s, ev, dir);
}

static void test_ship_counts_a_refusal(void **state)
{
	struct evidence *ev;
	struct ship *s;
	char dir[64];

	(void)state;
	script(403, 403, 403);
	s = agent(&ev, dir, sizeof(dir), 2, NULL);
	ship_flush(s, 1000000000ull);
	assert_int_equal(stat(s, "last_status"), 403);
	assert_true(stat(s, "refused") >= 1);
	assert_int_equal(stat(s, "acked"), 0);
	done(s, ev, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ship_retries_503_then_is_acknowledged),
		cmocka_unit_test(test_ship_refuses_an_ack_cosigned_by_another_key),
		cmocka_unit_test(test_ship_follows_a_gap_answer),
		cmocka_unit_test(test_ship_counts_a_refusal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
