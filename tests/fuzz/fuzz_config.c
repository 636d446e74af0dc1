// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's configuration file and its detectors section: any bytes as
 * YAML, through the settings reader and the detectors parser (custom
 * patterns compiled by Hyperscan). Errors must say file and line.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "options.h"
#include "detector_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct yopt_args args;
	struct detector_set set;
	char err[1024];
	int fd;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/sealtap-fuzz-config-%d.yaml", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	if (config_load(path, agent_option_defs, &args, err, sizeof(err)) == 0)
		yopt_release(&args);
	else if (!strstr(err, path))
		abort(); /* an error that does not name the file */
	if (detector_set_load(&set, path, "detectors", err, sizeof(err)) == 0)
		detector_set_release(&set);
	return 0;
}
