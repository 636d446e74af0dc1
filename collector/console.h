/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console - the auditor's web console: its files (console/ in the source
 * tree) built into the collector binary, so it works on an air-gapped
 * network and nothing is fetched at run time. The API serves them behind
 * the auditor and admin roles (api.c); only login.html, a form that holds
 * no evidence, is served to anyone (http.c).
 */
#ifndef SEALTAP_CONSOLE_H
#define SEALTAP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct console_asset {
	const char *name, *type;
	const unsigned char *data;
	size_t len;
};

/* The file of that name ("index.html", "app.js", ...) into *out; false
 * when there is none. */
bool console_asset(const char *name, struct console_asset *out);

#endif
