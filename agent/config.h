/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config - the agent's YAML configuration file (libyaml), read into the
 * same long options the command line takes, so both are checked by one
 * parser and say the same thing (the file first, the command line after
 * it: a flag overrides a setting; repeatable ones add up):
 *
 *   selectors:   { all: false, pids: [..], comms: [..], exes: [..], cgroups: [..] }
 *   model_ports: [8000]                 model_processes: [vllm]
 *   detectors:   { disable: [..], severity: {..}, custom: [..] }   (as --detectors)
 *   detectors_file: /etc/sealtap/detectors.yaml                    (or in a file)
 *   classification: { fingerprint_key: PATH, leak_window: 3600, leak_slots: 16384 }
 *   drift:       { enabled: true, banned: PATH, refusals: PATH, keys: 128, rate_shift: 0.03 }
 *   evidence:    { state_dir: PATH, spool_max: 256M, node: NAME, heartbeat_interval: 60 }
 *   collector:   { url: https://..., ca: PATH, cert: PATH, key: PATH, public_key: HEX }
 *   outputs:     { evidence_json: PATH, otlp: { url: ..., ca: PATH, headers: { name: value } } }
 *   metrics:     { listen: 127.0.0.1:9464 }
 *   limits:      { ringbuf_size: 16M, wakeup_bytes: 64K, max_conns: 65536,
 *                  idle_timeout: 300, max_body: 4M }
 *   stats_interval: 10
 *
 * An unknown key, a value of the wrong shape or one the option parser
 * refuses is an error naming the file, the line and what was expected.
 * A file others can write is refused: it decides what is watched.
 *
 * The digest (SHA-256 over the file and the policy files it names:
 * detectors, banned content, refusal lexicon) goes into the lifecycle
 * events and, on a reload, into a policy_change event.
 */
#ifndef SEALTAP_CONFIG_H
#define SEALTAP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "yaml_options.h"

#define CONFIG_DIGEST 32

/* The agent's file as options, by the keys of its option table (defs:
 * agent_option_defs, options.h); released with yopt_release. */
int config_load(const char *path, const struct opt_def *defs, struct yopt_args *out, char *err, size_t errsz);

/* SHA-256 over the file's bytes (NULL: none), each policy file's path and
 * bytes (NULL paths skipped) and the options in effect (args: what the
 * command line and the file said, in order). 0, or -1 with err set. */
int config_digest(const char *config_path, const char *const *policy_paths, int n, char *const *args, int nargs,
		  uint8_t out[CONFIG_DIGEST], char *err, size_t errsz);


#endif
