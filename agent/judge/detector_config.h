/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detector_config - the detectors an agent runs: the built-ins, minus those
 * turned off, with severities overridden, plus custom detectors, read from
 * a YAML file (libyaml):
 *
 *   disable: [pii.ip_address]
 *   severity: { pii.email: low }
 *   custom:
 *     - id: custom.employee_id
 *       category: pii                # pii, financial, health, secret
 *       severity: medium             # low, medium, high, critical
 *       pattern: 'EMP-[0-9]{6}'      # Hyperscan syntax, the value only
 *       characters: 'A-Z0-9-'        # what the value is made of (ranges)
 *       length: [10, 10]             # shortest and longest value
 *       validator: luhn              # optional: see VALIDATORS in the .c
 *       context: [employee, staff]   # optional words near the value ...
 *       context_required: true       # ... that it must have
 *       mask: last2                  # last4, last2, first2, none, prefix:N
 *       normalise: upper             # digits, upper, lower, exact
 *       min_entropy: 0               # optional, bits per byte
 *
 * Anything unknown or out of range is refused with the file, the line and
 * what was expected; nothing is half-applied. A file that others can write
 * is refused too: detectors decide what is reported.
 */
#ifndef SEALTAP_DETECTOR_CONFIG_H
#define SEALTAP_DETECTOR_CONFIG_H

#include <stddef.h>

#include "detectors.h"

struct detector_set {
	struct detector *dets;
	size_t n;
	char **strings; /* what custom detectors point into */
	size_t nstrings;
};

/* path NULL: the built-ins as they are. section: the key of the agent's
 * configuration file holding these settings (NULL: the whole file is
 * them). Returns 0, or -1 with err set. */
int detector_set_load(struct detector_set *set, const char *path, const char *section, char *err, size_t errsz);
void detector_set_release(struct detector_set *set);

#endif
