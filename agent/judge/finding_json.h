/* SPDX-License-Identifier: Apache-2.0 */
/*
 * finding_json - a finding's own fields in JSON, shared by `scan` and the
 * agent's event output: what was found, where, how it looks masked, and
 * its fingerprint. Never the value.
 */
#ifndef SEALTAP_FINDING_JSON_H
#define SEALTAP_FINDING_JSON_H

#include <stdio.h>

#include "classify.h"

/* Writes "detector":...,"category":...,"severity":...,"start":N,"end":N,
 * "masked":...,"fingerprint":"hex" (no braces: callers add their fields). */
void finding_put_fields(FILE *out, const struct cl_finding *f);

#endif
