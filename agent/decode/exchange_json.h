/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exchange_json - an exchange as one JSON line (--dump exchanges). It holds
 * prompt and completion text: plaintext, for debugging only.
 */
#ifndef SEALTAP_EXCHANGE_JSON_H
#define SEALTAP_EXCHANGE_JSON_H

#include <stdio.h>

#include "exchange.h"

void exchange_write_json(FILE *out, const struct exchange *x);
/* ,"identity":{pid, uid, cgroup, comm, exe, container, pod, addresses, role}
 * (with its leading comma): who an exchange or a finding belongs to. */
void exchange_write_identity(FILE *out, const struct x_identity *w);

#endif
