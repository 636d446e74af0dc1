// SPDX-License-Identifier: Apache-2.0
#include "console.h"

#include <string.h>

/* Each file of console/ assembled in as it is (.incbin: no generator, no
 * xxd; the Makefile makes this object depend on the folder's files). */
#define ASSET(sym, path)                                                                                             \
	__asm__(".section .rodata\n.global " #sym "_start\n.global " #sym "_end\n.balign 16\n" #sym "_start:\n"   \
		".incbin \"" path "\"\n" #sym "_end:\n.byte 0\n.previous\n");                                            \
	extern const unsigned char sym##_start[], sym##_end[]

ASSET(console_index, "console/index.html");
ASSET(console_login, "console/login.html");
ASSET(console_app_js, "console/app.js");
ASSET(console_app_css, "console/app.css");
ASSET(console_login_js, "console/login.js");

static const struct {
	const char *name, *type;
	const unsigned char *start, *end;
} files[] = {
	{ "index.html", "text/html; charset=utf-8", console_index_start, console_index_end },
	{ "login.html", "text/html; charset=utf-8", console_login_start, console_login_end },
	{ "app.js", "text/javascript; charset=utf-8", console_app_js_start, console_app_js_end },
	{ "app.css", "text/css; charset=utf-8", console_app_css_start, console_app_css_end },
	{ "login.js", "text/javascript; charset=utf-8", console_login_js_start, console_login_js_end },
};

bool console_asset(const char *name, struct console_asset *out)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(files[i].name, name)) {
			*out = (struct console_asset){ files[i].name, files[i].type, files[i].start,
						       (size_t)(files[i].end - files[i].start) };
			return true;
		}
	return false;
}
