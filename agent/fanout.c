// SPDX-License-Identifier: Apache-2.0
#include "fanout.h"

#include "attach.h"
#include "drift.h"
#include "exchange_json.h"
#include "judge.h"
#include "prompts.h"

static void on_request(void *ctx, struct exchange *x)
{
	struct fanout *f = ctx;

	if (f->att && x->who.process_is_server)
		attach_note_model_server(f->att, (pid_t)x->who.pid);
	if (f->judge)
		judge_request(f->judge, x);
	prompts_request(f->prompts, x);
}

static void on_delta(void *ctx, struct exchange *x, int choice, const char *text, size_t len)
{
	struct fanout *f = ctx;

	if (f->judge)
		judge_delta(f->judge, x, choice, text, len);
	drift_delta(f->drift, x, choice, text, len);
}

static void on_done(void *ctx, struct exchange *x)
{
	struct fanout *f = ctx;

	if (f->judge)
		judge_done(f->judge, x); /* first: drift counts the output findings by category */
	drift_done(f->drift, x);
	if (f->dump)
		exchange_write_json(f->dump, x);
}

void fanout_init(struct fanout *f, struct judge *judge, struct drift *drift, FILE *dump)
{
	*f = (struct fanout){
		.sink = { .on_request = on_request, .on_delta = on_delta, .on_done = on_done, .ctx = f },
		.judge = judge,
		.drift = drift,
		.dump = dump,
	};
}
