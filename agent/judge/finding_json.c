// SPDX-License-Identifier: Apache-2.0
#include "finding_json.h"

#include <string.h>

#include "hex.h"
#include "json.h"

void finding_put_fields(FILE *out, const struct cl_finding *f)
{
	fputs("\"detector\":", out);
	json_put_string(out, f->det->id, strlen(f->det->id));
	fprintf(out, ",\"category\":\"%s\",\"severity\":\"%s\",\"start\":%llu,\"end\":%llu,\"masked\":",
		det_category_name(f->det->category), det_severity_name(f->det->severity),
		(unsigned long long)f->start, (unsigned long long)f->end);
	json_put_string(out, f->masked, strlen(f->masked));
	fputs(",\"fingerprint\":\"", out);
	hex_put(out, f->fingerprint, CL_FINGERPRINT_LEN);
	fputc('"', out);
}
