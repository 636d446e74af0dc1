/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options - everything the agent can be told, from the command line or its
 * configuration file (config.h), defined once in agent_option_defs: the
 * getopt table, --help, the file's keys and docs/agent-options.md are all
 * made from it (proto/opt.h). main parses; this module only declares.
 */
#ifndef SEALTAP_AGENT_OPTIONS_H
#define SEALTAP_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event_view.h"
#include "evidence_copy.h"
#include "opt.h"
#include "selector.h"
#include "ship.h"

#define MAX_MODEL_PORTS 16

struct agent_options {
	struct selector sel;
	enum output_format output; /* --output: auto, json, human */
	bool dump_capture;
	bool dump_exchanges;
	bool verbose;
	bool no_plain;           /* --no-plain-sockets: no plain HTTP from the sockets */
	double duration_s;       /* 0: until signalled */
	double stats_interval_s; /* 0: only at exit */
	unsigned long ringbuf_bytes;
	unsigned long wakeup_bytes;
	unsigned long max_conns;
	double idle_timeout_s;
	unsigned long max_body;
	uint16_t model_ports[MAX_MODEL_PORTS];
	int nmodel_ports;
	const char *model_comms[MAX_MODEL_PORTS];
	int nmodel_comms;
	const char *fingerprint_key;
	const char *detectors_file;
	const char *state_dir;
	const char *node;
	unsigned long spool_max;
	struct ship_opts ship;
	double leak_window_s;
	unsigned long leak_slots;
	double heartbeat_s; /* 0: no heartbeat events */
	bool no_drift;
	const char *drift_banned, *drift_refusals;
	unsigned long drift_keys;
	double drift_rate_shift;
	struct evidence_copy_opts copy;
	const char *metrics_listen;    /* --metrics ADDR:PORT */
	const char *config_path;       /* --config */
	bool check_config;             /* --check-config: validate and exit */
	const char *detectors_section; /* the config file, when it has a detectors section */
	const char *routing_file;      /* --routing FILE: the data-routing policy */
	const char *routing_section;   /* the config file, when it has a routing section */
	uint8_t digest[CONFIG_DIGEST]; /* of the configuration in effect */
};

/* The ids of the options main handles itself (the others are stored as the
 * table says). */
enum agent_option_id {
	AOPT_PID = 256, AOPT_COMM, AOPT_EXE, AOPT_CGROUP, AOPT_ALL, AOPT_DUMP, AOPT_DURATION, AOPT_RINGBUF,
	AOPT_WAKEUP, AOPT_STATS, AOPT_MAXCONNS, AOPT_IDLE, AOPT_MAXBODY, AOPT_MODELPORT, AOPT_MODELPROC, AOPT_FPKEY,
	AOPT_LEAKWINDOW, AOPT_LEAKSLOTS, AOPT_DETECTORS, AOPT_STATEDIR, AOPT_NODE, AOPT_SPOOLMAX, AOPT_COLLECTOR,
	AOPT_COLLECTOR_CA, AOPT_COLLECTOR_CERT, AOPT_COLLECTOR_KEY, AOPT_COLLECTOR_PUBKEY, AOPT_HEARTBEAT,
	AOPT_DRIFT_BANNED, AOPT_DRIFT_REFUSALS, AOPT_DRIFT_KEYS, AOPT_DRIFT_SHIFT, AOPT_NO_DRIFT, AOPT_METRICS,
	AOPT_CONFIG, AOPT_CHECK_CONFIG, AOPT_DETECTORS_SECTION, AOPT_EVIDENCE_JSON, AOPT_OTLP, AOPT_OTLP_CA,
	AOPT_OTLP_HEADER, AOPT_VERSION, AOPT_OPTIONS_REFERENCE, AOPT_NO_PLAIN, AOPT_ROUTING, AOPT_ROUTING_SECTION,
	AOPT_OUTPUT,
	AOPT_VERBOSE = 'v', AOPT_HELP = 'h',
};

extern const struct opt_def agent_option_defs[];

/* The defaults, before the file and the command line. */
void agent_options_init(struct agent_options *o);

#endif
