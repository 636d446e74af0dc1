/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tally - labelled counters for /metrics, in bounded memory: findings by
 * detector (with its category and severity), direction and leak label, and
 * exchanges by API and reported model, policy violations by rule, detector,
 * direction and provider. Past TALLY_DETECTORS detectors or
 * TALLY_MODELS (api, model) pairs or TALLY_VIOLATIONS violation rows, the rest are counted under
 * detector="other" / model="other", so a flood of made-up model names
 * cannot grow the agent or the metrics.
 */
#ifndef SEALTAP_TALLY_H
#define SEALTAP_TALLY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detectors.h"

#define TALLY_DETECTORS 320
#define TALLY_MODELS 64
#define TALLY_VIOLATIONS 256 /* (rule, detector, direction, provider) rows */

struct tally;

struct tally *tally_new(void);
void tally_free(struct tally *t);
/* leak: 0 none (an input), 1 echo, 2 novel, 3 cross_identity. */
void tally_finding(struct tally *t, const struct detector *d, bool input, int leak);
void tally_exchange(struct tally *t, const char *api, const char *model);
/* A routing policy violation; provider NULL: not a well-known one. */
void tally_violation(struct tally *t, const char *rule, const struct detector *d, bool input, const char *provider);
void tally_write_prometheus(const struct tally *t, FILE *out);

#endif
