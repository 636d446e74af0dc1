/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fanout - the one sink capture hands every decoded exchange to, passing
 * each event on to the stages after decoding: the judge first (drift counts
 * an exchange's output findings by category), then drift, then the
 * exchange dump; prompt change management sees each request; and attach learns which processes serve models, for the
 * coverage account. A new consumer of exchanges is added here, not in capture.
 */
#ifndef SEALTAP_FANOUT_H
#define SEALTAP_FANOUT_H

#include <stdio.h>

#include "exchange.h"

struct judge;
struct drift;
struct prompts;
struct attach;

struct fanout {
	struct exchange_sink sink; /* what capture is given; ctx is the fanout */
	struct judge *judge;       /* NULL: not classified */
	struct drift *drift;       /* NULL: not measured */
	struct prompts *prompts;   /* NULL: prompt changes not followed */
	FILE *dump;                /* every finished exchange as a JSON line (--dump exchanges), or NULL */
	struct attach *att;        /* told which processes serve models (the coverage account), or NULL */
};

/* Fills f->sink; the stages are read at each call, so they may be set later. */
void fanout_init(struct fanout *f, struct judge *judge, struct drift *drift, FILE *dump);

#endif
