// SPDX-License-Identifier: Apache-2.0
/* The ring-buffer record check: any bytes, any length. */
#include <stddef.h>
#include <stdint.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	record_check(data, size);
	return 0;
}
