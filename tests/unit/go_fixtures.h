/* SPDX-License-Identifier: Apache-2.0 */
/*
 * go_fixtures - the Go programs make builds for the tests (tests/go, under
 * GO_FIXTURES), opened by name ("tlsclient-stripped"). Include after
 * cmocka.h.
 */
#ifndef SEALTAP_TEST_GO_FIXTURES_H
#define SEALTAP_TEST_GO_FIXTURES_H

#include <fcntl.h>
#include <stdio.h>

static inline int open_fixture(const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", GO_FIXTURES, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

#endif
