/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evidence - the agent's signed record: every finding (and lifecycle, gap,
 * capture loss, heartbeat)
 * becomes an Event (proto/evidence.proto) with the next sequence number of
 * this agent's stream and the leaf hash of the event before it; its exact
 * serialised bytes go to the spool and into an RFC 6962 tree whose frontier
 * is kept here. Every second, or every 256 events, the spool is synced and
 * a C2SP checkpoint of the tree is signed with the agent's Ed25519 key
 * (STATE_DIR/agent.key: 32 random bytes made on first start, mode 0600;
 * the public key is the agent's identity).
 *
 * Restarts: the spool is replayed; if it holds an unbroken chain the stream
 * goes on where it stopped (events the crash tore off were never signed,
 * so never shipped), else a new stream begins. Either way a lifecycle start
 * event opens the run. A spool too full for an event drops it before it
 * has a sequence number, counts it, and a gap event with the count is the
 * next thing recorded once there is room: never a silent hole.
 */
#ifndef SEALTAP_EVIDENCE_H
#define SEALTAP_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chain.h"
#include "coverage_account.h"
#include "note.h"

#define EVIDENCE_FINGERPRINT 32 /* a finding's keyed fingerprint (HMAC-SHA-256) */

struct Sealtap__Evidence__V1__Event;
/* Told of each event once it is in the spool with its final sequence
 * number: copies of the record (JSON lines, OTLP) hang off this. */
typedef void (*evidence_observer_fn)(void *ctx, const struct Sealtap__Evidence__V1__Event *e, const uint8_t *pub);

struct evidence_opts {
	const char *state_dir;   /* agent.key and spool/ live here */
	const char *node;        /* this host's name (copied) */
	const char *version;             /* with config_digest: must outlive the log */
	uint64_t spool_max_bytes;
	unsigned checkpoint_every;       /* events */
	uint64_t checkpoint_interval_ns; /* or this much time, whichever first */
	const uint8_t *config_digest;    /* SHA-256 of the configuration, or NULL */
	evidence_observer_fn observer;   /* or NULL; pub is the agent's public key */
	void *observer_ctx;
};

struct evidence_stats {
	uint64_t events, checkpoints;
	uint64_t dropped;     /* refused by a full spool, before sequencing */
	uint64_t gap_events;  /* events that reported drops */
	uint64_t errors;      /* spool writes or syncs that failed */
	bool resumed;         /* this run continues the previous stream */
	bool new_stream;      /* a previous stream could not be continued */
};

/*
 * The values an event records, filled by its producer from its own types:
 * this module knows nothing of exchanges, detectors or drift tests. Strings
 * are borrowed for the call; NULL records as "".
 */

/* Which process and which model an event is about. */
struct evidence_about {
	uint64_t connection_id;     /* 0: unknown */
	const char *capture_source; /* "openssl", ... */
	uint32_t pid, uid;
	uint64_t cgroup_id;
	const char *executable, *comm, *container_id, *pod_uid;
	const char *peer; /* "ip:port", "" when unknown (never guessed) */
	bool process_is_server;
	const char *api, *model_requested, *model_reported, *endpoint, *system_fingerprint;
	const char *host; /* Host or :authority */
	uint64_t exchange_id;
};

/* One sensitive value seen: never the value, its masked preview and
 * keyed fingerprint only. */
struct evidence_finding {
	const char *detector, *category, *severity;
	bool input;    /* in the prompt, else in the output */
	int leak;      /* 0 none (input), 1 echo, 2 novel, 3 cross_identity */
	const char *part; /* message, completion, tool_call... */
	int index;
	const char *role;
	uint64_t start, end; /* byte offsets in the part's text */
	const char *masked;
	const uint8_t *fingerprint; /* EVIDENCE_FINGERPRINT bytes */
};

/* A finding that broke a rule of the data-routing policy. */
struct evidence_policy_violation {
	const char *rule, *reason, *provider;
	const char *detector, *category, *severity;
	bool input;
	const char *masked;
	const uint8_t *fingerprint; /* EVIDENCE_FINGERPRINT bytes */
	int64_t finding_seq;        /* the finding's event, -1 when not recorded */
};

/* A key's instructions changed (proto: PromptChange, which defines the
 * digests). */
struct evidence_prompt_change {
	const char *key;
	const uint8_t *previous_digest, *digest; /* 32 bytes each */
	bool instructions_changed, tools_changed;
	uint64_t previous_instructions_length, previous_tools_length, instructions_length, tools_length;
	uint64_t previous_first_seen_ns, previous_exchanges;
	uint32_t known_prompts;
};

/* A window of observations a drift test compared. */
struct evidence_span {
	uint64_t start_ns, end_ns, count;
};

/* A drift alert: which test moved on which feature of which key. */
struct evidence_drift {
	const char *key, *layer, *feature, *test;
	double statistic, threshold, effect_size, p_value;
	double reference_value, current_value, fixed_reference_value;
	struct evidence_span reference, current;
	const char *const *contributors;
	size_t ncontributors;
};

/* The model a key reports changed version. */
struct evidence_model_change {
	const char *previous, *current;
	const char *previous_fingerprint, *current_fingerprint;
};

struct evidence;

struct evidence *evidence_open(const struct evidence_opts *o, char *err, size_t errsz);
/* Records the stop and signs a last checkpoint (the spool stays open for
 * shipping); evidence_close does it too if it was not done. */
void evidence_finish(struct evidence *ev);
void evidence_close(struct evidence *ev);

/* Records a finding; returns its sequence number, or -1 if it was dropped
 * (counted) or could not be written. */
int64_t evidence_finding(struct evidence *ev, const struct evidence_about *ab, const struct evidence_finding *f);
/* A policy_violation event about the exchange ab. Returns its sequence
 * number or -1. */
int64_t evidence_policy_violation(struct evidence *ev, const struct evidence_about *ab,
				  const struct evidence_policy_violation *v);
/* A prompt_change event about the exchange ab, where the new prompt was
 * first seen. Returns its sequence number or -1. */
int64_t evidence_prompt_change(struct evidence *ev, const struct evidence_about *ab,
			       const struct evidence_prompt_change *p);
/* A drift event, or the reported model changing; ab may be NULL (an alert
 * no single exchange raised). Returns the sequence number or -1. */
int64_t evidence_drift(struct evidence *ev, const struct evidence_about *ab, const struct evidence_drift *d);
int64_t evidence_model_change(struct evidence *ev, const struct evidence_about *ab,
			      const struct evidence_model_change *m);
/* A policy_change event: the configuration in force changed (a reload). */
int64_t evidence_policy_change(struct evidence *ev, const uint8_t digest[32]);
/* A capture_loss event: n reasons with the counts lost since the previous
 * one (zero counts are left out). Returns its sequence number or -1. */
int64_t evidence_capture_loss(struct evidence *ev, const char *const *reasons, const uint64_t *counts, size_t n);
struct evidence_heartbeat {
	uint64_t exchanges, bytes_captured, interval_ms;
	uint32_t processes_watched;
};
int64_t evidence_heartbeat(struct evidence *ev, const struct evidence_heartbeat *hb);
/* A coverage event holding the account (coverage_account.h), unless it is
 * the one whose digest is *last (SHA-256 of its encoding), which it then
 * becomes. Returns 1 when recorded, 0 when unchanged (no event), -1 when
 * the event could not be made or appended. */
int evidence_coverage(struct evidence *ev, const struct coverage_account *acc, uint8_t last[32]);
/* Signs a checkpoint when one is due. */
void evidence_tick(struct evidence *ev, uint64_t now_ns);

void evidence_stream_id(const struct evidence *ev, uint8_t id[CHAIN_STREAM_ID]);
void evidence_public_key(const struct evidence *ev, uint8_t pub[NOTE_PUBKEY]);
/* The key name in its checkpoint signatures ("sealtap-agent-<16 hex>"). */
const char *evidence_key_name(const struct evidence *ev);
/* The tree size the newest signed checkpoint covers. */
uint64_t evidence_checkpointed(const struct evidence *ev);
/* The signed note inside a spool checkpoint record (NULL if it is not one). */
const uint8_t *evidence_checkpoint_note(const uint8_t *rec, size_t len, size_t *note_len);
const struct evidence_stats *evidence_stats(const struct evidence *ev);
/* ,"evidence":{...} for the agent's stats line: these counts and the spool's. */
void evidence_write_stats(const struct evidence *ev, FILE *out);
struct spool *evidence_spool(struct evidence *ev);

#endif
