/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json - the few writers the agent's JSON-lines output needs: escaped
 * strings (input may be any bytes: a process names itself) and base64.
 */
#ifndef SEALTAP_JSON_H
#define SEALTAP_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..n) as a JSON string literal with quotes. Valid UTF-8 passes
 * through; control characters are escaped; bytes that are not UTF-8 become
 * U+FFFD, so the output is always valid JSON whatever the input. */
void json_put_string(FILE *out, const char *s, size_t n);
/* ,"key":"s" (NULL s: ""), for writing an object's fields in order. */
void json_put_field(FILE *out, const char *key, const char *s);

/* Writes the base64 (RFC 4648, padded) of data[0..n), without quotes. */
void json_put_base64(FILE *out, const unsigned char *data, size_t n);

#endif
