// SPDX-License-Identifier: Apache-2.0
#include "event_json.h"

#include <inttypes.h>
#include <string.h>

#include "hex.h"
#include "json.h"

typedef Sealtap__Evidence__V1__Event Event;

/* ,"key":"text" - the text as it is (UTF-8), escaped by the shared writer. */

const char *event_kind_name(const Sealtap__Evidence__V1__Event *e)
{
	switch (e->kind_case) {
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING: return "finding";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_DRIFT: return "drift";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_MODEL_CHANGE: return "model_change";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_CHANGE: return "policy_change";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE: return "lifecycle";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS: return "capture_loss";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP: return "gap";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT: return "heartbeat";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_COVERAGE: return "coverage";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION: return "policy_violation";
	case SEALTAP__EVIDENCE__V1__EVENT__KIND_PROMPT_CHANGE: return "prompt_change";
	default: return "unknown";
	}
}

const uint8_t *event_fingerprint(const Event *e)
{
	const ProtobufCBinaryData *fp = NULL;

	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING)
		fp = &e->finding->fingerprint;
	else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION)
		fp = &e->policy_violation->fingerprint;
	return fp && fp->len == 32 ? fp->data : NULL;
}

/* ,"coverage":{"processes":[{"pid":..,"comm":..,"model_serving":..,
 * "stacks":[{"stack":..,"state":..,"reason":..,"file":..}]}],"omitted":N} */
static void put_coverage(FILE *out, const Sealtap__Evidence__V1__Coverage *c)
{
	fputs(",\"coverage\":{\"processes\":[", out);
	for (size_t i = 0; i < c->n_processes; i++) {
		const Sealtap__Evidence__V1__ProcessCoverage *p = c->processes[i];

		fprintf(out, "%s{\"pid\":%u", i ? "," : "", p->pid);
		json_put_field(out, "comm", p->comm);
		fprintf(out, ",\"model_serving\":%s,\"stacks\":[", p->model_serving ? "true" : "false");
		for (size_t k = 0; k < p->n_stacks; k++) {
			const Sealtap__Evidence__V1__StackCoverage *st = p->stacks[k];

			fputs(k ? ",{\"stack\":" : "{\"stack\":", out);
			json_put_string(out, st->stack, strlen(st->stack));
			json_put_field(out, "state", st->state);
			json_put_field(out, "reason", st->reason);
			json_put_field(out, "file", st->file);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fprintf(out, "],\"omitted\":%u}", c->processes_omitted);
}

void event_json(FILE *out, const Event *e)
{
	fputs("{\"type\":\"evidence\",\"stream\":\"", out);
	hex_put(out, e->stream_id.data, e->stream_id.len);
	fprintf(out, "\",\"seq\":%" PRIu64 ",\"time_unix_nano\":%" PRIu64, e->seq, e->time_unix_nano);
	json_put_field(out, "node", e->node);
	json_put_field(out, "kind", event_kind_name(e));
	if (e->identity) {
		fprintf(out, ",\"identity\":{\"pid\":%u,\"uid\":%u", e->identity->pid, e->identity->uid);
		json_put_field(out, "executable", e->identity->executable);
		json_put_field(out, "container_id", e->identity->container_id);
		json_put_field(out, "pod_uid", e->identity->pod_uid);
		json_put_field(out, "peer", e->identity->peer);
		if (e->identity->connection_id)
			fprintf(out, ",\"connection_id\":%" PRIu64, e->identity->connection_id);
		json_put_field(out, "capture_source", e->identity->capture_source);
		fputc('}', out);
	}
	if (e->model) {
		fputs(",\"model\":{\"exchange_id\":", out);
		fprintf(out, "%" PRIu64, e->model->exchange_id);
		json_put_field(out, "api", e->model->api);
		json_put_field(out, "requested", e->model->requested);
		json_put_field(out, "reported", e->model->reported);
		json_put_field(out, "endpoint", e->model->endpoint);
		if (e->model->host && *e->model->host)
			json_put_field(out, "host", e->model->host);
		fputc('}', out);
	}
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING) {
		const Sealtap__Evidence__V1__Finding *f = e->finding;
		static const char *const leaks[] = { "", "echo", "novel", "cross_identity" };

		fputs(",\"finding\":{\"direction\":", out);
		fputs(f->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? "\"input\"" : "\"output\"", out);
		json_put_field(out, "detector", f->detector);
		json_put_field(out, "category", f->category);
		json_put_field(out, "severity", f->severity);
		json_put_field(out, "leak", (unsigned)f->leak < 4 ? leaks[f->leak] : "");
		json_put_field(out, "part", f->part);
		fprintf(out, ",\"start\":%" PRIu64 ",\"end\":%" PRIu64, f->start, f->end);
		json_put_field(out, "masked", f->masked);
		fputs(",\"fingerprint\":\"", out);
		hex_put(out, f->fingerprint.data, f->fingerprint.len);
		fputs("\"}", out);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION) {
		const Sealtap__Evidence__V1__PolicyViolation *v = e->policy_violation;

		fputs(",\"policy_violation\":{\"rule\":", out);
		json_put_string(out, v->rule, strlen(v->rule));
		json_put_field(out, "reason", v->reason);
		fputs(",\"direction\":", out);
		fputs(v->direction == SEALTAP__EVIDENCE__V1__DIRECTION__DIRECTION_INPUT ? "\"input\"" : "\"output\"", out);
		json_put_field(out, "detector", v->detector);
		json_put_field(out, "category", v->category);
		json_put_field(out, "severity", v->severity);
		json_put_field(out, "provider", v->provider);
		json_put_field(out, "masked", v->masked);
		fputs(",\"fingerprint\":\"", out);
		hex_put(out, v->fingerprint.data, v->fingerprint.len);
		fprintf(out, "\",\"finding_seq\":%" PRIu64 "}", v->finding_seq);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_PROMPT_CHANGE) {
		const Sealtap__Evidence__V1__PromptChange *p = e->prompt_change;

		fputs(",\"prompt_change\":{\"key\":", out);
		json_put_string(out, p->key, strlen(p->key));
		fputs(",\"previous_digest\":\"", out);
		hex_put(out, p->previous_digest.data, p->previous_digest.len);
		fputs("\",\"digest\":\"", out);
		hex_put(out, p->digest.data, p->digest.len);
		fprintf(out,
			"\",\"instructions_changed\":%s,\"tools_changed\":%s,\"previous_instructions_length\":%" PRIu64
			",\"previous_tools_length\":%" PRIu64 ",\"instructions_length\":%" PRIu64 ",\"tools_length\":%" PRIu64
			",\"previous_first_seen_unix_nano\":%" PRIu64 ",\"previous_exchanges\":%" PRIu64
			",\"known_prompts\":%u}",
			p->instructions_changed ? "true" : "false", p->tools_changed ? "true" : "false",
			p->previous_instructions_length, p->previous_tools_length, p->instructions_length, p->tools_length,
			p->previous_first_seen_unix_nano, p->previous_exchanges, p->known_prompts);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_GAP) {
		fprintf(out, ",\"gap\":{\"dropped\":%" PRIu64 "}", e->gap->dropped);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_DRIFT) {
		const Sealtap__Evidence__V1__Drift *d = e->drift;

		fputs(",\"drift\":{", out);
		fputs("\"key\":", out);
		json_put_string(out, d->key ? d->key : "", d->key ? strlen(d->key) : 0);
		json_put_field(out, "layer", d->layer);
		json_put_field(out, "feature", d->feature);
		json_put_field(out, "test", d->test);
		fprintf(out, ",\"statistic\":%.6g,\"threshold\":%.6g,\"effect_size\":%.6g", d->statistic, d->threshold,
			d->effect_size);
		if (d->p_value >= 0)
			fprintf(out, ",\"p_value\":%.6g", d->p_value);
		if (d->current)
			fprintf(out, ",\"current\":{\"start_unix_nano\":%" PRIu64 ",\"end_unix_nano\":%" PRIu64
				     ",\"count\":%" PRIu64 "}",
				d->current->start_unix_nano, d->current->end_unix_nano, d->current->count);
		if (d->reference)
			fprintf(out, ",\"reference\":{\"start_unix_nano\":%" PRIu64 ",\"end_unix_nano\":%" PRIu64
				     ",\"count\":%" PRIu64 "}",
				d->reference->start_unix_nano, d->reference->end_unix_nano, d->reference->count);
		fputs(",\"contributors\":[", out);
		for (size_t i = 0; i < d->n_contributors; i++) {
			if (i)
				fputc(',', out);
			json_put_string(out, d->contributors[i], strlen(d->contributors[i]));
		}
		fputs("]}", out);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_MODEL_CHANGE) {
		fputs(",\"model_change\":{\"previous\":", out);
		json_put_string(out, e->model_change->previous, strlen(e->model_change->previous));
		json_put_field(out, "current", e->model_change->current);
		json_put_field(out, "previous_fingerprint", e->model_change->previous_fingerprint);
		json_put_field(out, "current_fingerprint", e->model_change->current_fingerprint);
		fputc('}', out);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_CAPTURE_LOSS) {
		fputs(",\"capture_loss\":{", out);
		for (size_t i = 0; i < e->capture_loss->n_counts; i++) {
			const char *k = e->capture_loss->counts[i]->key;

			if (i)
				fputc(',', out);
			json_put_string(out, k ? k : "", k ? strlen(k) : 0);
			fprintf(out, ":%" PRIu64, e->capture_loss->counts[i]->value);
		}
		fputc('}', out);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_HEARTBEAT) {
		const Sealtap__Evidence__V1__Heartbeat *h = e->heartbeat;

		fprintf(out,
			",\"heartbeat\":{\"exchanges\":%" PRIu64 ",\"bytes_captured\":%" PRIu64
			",\"processes_watched\":%u,\"interval_ms\":%" PRIu64 "}",
			h->exchanges, h->bytes_captured, h->processes_watched, h->interval_ms);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_COVERAGE) {
		put_coverage(out, e->coverage);
	} else if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_LIFECYCLE) {
		fprintf(out, ",\"lifecycle\":{\"phase\":\"%s\"",
			e->lifecycle->phase == SEALTAP__EVIDENCE__V1__AGENT_LIFECYCLE__PHASE__PHASE_START ? "start" : "stop");
		json_put_field(out, "version", e->lifecycle->version);
		json_put_field(out, "kernel", e->lifecycle->kernel);
		fputc('}', out);
	}
	fputs("}\n", out);
}

void event_json_bytes(FILE *out, const uint8_t *bytes, size_t len)
{
	Event *e = sealtap__evidence__v1__event__unpack(NULL, len, bytes);

	if (!e) {
		fputs("{\"error\":\"not an Event\"}\n", out);
		return;
	}
	event_json(out, e);
	sealtap__evidence__v1__event__free_unpacked(e, NULL);
}
