// SPDX-License-Identifier: Apache-2.0
#include "evidence_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_json.h"

struct evidence_copy {
	FILE *json;
	bool json_is_stdout;
	uint64_t json_lines, json_errors;
	struct otlp *otlp;
};

struct evidence_copy *evidence_copy_new(const struct evidence_copy_opts *o, char *err, size_t errsz)
{
	struct evidence_copy *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (o->json_path && strcmp(o->json_path, "-") == 0) {
		c->json = stdout;
		c->json_is_stdout = true;
	} else if (o->json_path) {
		int fd = open(o->json_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);

		c->json = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!c->json) {
			snprintf(err, errsz, "%s: %s", o->json_path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(c);
			return NULL;
		}
	}
	if (o->otlp.url && !(c->otlp = otlp_new(&o->otlp, err, errsz))) {
		evidence_copy_free(c);
		return NULL;
	}
	return c;
}

void evidence_copy_free(struct evidence_copy *c)
{
	if (!c)
		return;
	if (c->json && !c->json_is_stdout)
		fclose(c->json);
	otlp_free(c->otlp);
	free(c);
}

void evidence_copy_event(void *ctx, const struct Sealtap__Evidence__V1__Event *e, const uint8_t *pub)
{
	struct evidence_copy *c = ctx;

	if (c->json) {
		event_json(c->json, e);
		if (fflush(c->json) == 0 && !ferror(c->json)) {
			c->json_lines++;
		} else {
			c->json_errors++;
			clearerr(c->json);
		}
	}
	if (c->otlp)
		otlp_event(c->otlp, e, pub);
}

void evidence_copy_tick(struct evidence_copy *c, uint64_t now_ns)
{
	if (c)
		otlp_tick(c->otlp, now_ns);
}

void evidence_copy_flush(struct evidence_copy *c, uint64_t timeout_ns)
{
	if (c)
		otlp_flush(c->otlp, timeout_ns);
}

void evidence_copy_write_stats(const struct evidence_copy *c, FILE *out)
{
	if (!c)
		return;
	if (c->json)
		fprintf(out, ",\"evidence_json\":{\"lines\":%" PRIu64 ",\"errors\":%" PRIu64 "}", c->json_lines,
			c->json_errors);
	if (c->otlp)
		otlp_write_stats(c->otlp, out);
}
