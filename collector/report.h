/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report - the evidence report of an audit period: one self-contained HTML
 * document (no script, no external resource: styles and the timeline's
 * SVG are inline), printable to PDF by any browser. What was watched, what
 * was found, how the record was verified, which SOC 2 criteria each part
 * supports, and the commands an auditor runs to check it independently.
 *
 * It shows what period.h gathered: counts, masked previews, fingerprints
 * and names, never a value. Every string from the record is escaped.
 */
#ifndef SEALTAP_REPORT_H
#define SEALTAP_REPORT_H

#include <stdio.h>

#include "period.h"

/* store_name: how the store is named in the commands (its path or URI as
 * given); collector_key_hex: the key cosignatures were checked with, or
 * NULL. */
void report_html(FILE *out, const struct period *p, const char *store_name, const char *collector_key_hex);

/* "2026-12-03T21:08:14Z" for a Unix time in nanoseconds ("-" for 0). */
void report_utc(uint64_t ns, char out[32]);

#endif
