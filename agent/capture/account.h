/* SPDX-License-Identifier: Apache-2.0 */
/*
 * account - the coverage account (coverage_account.h) of the running agent:
 * drawn up from attach when it changes, and shown where an operator or an
 * auditor looks:
 *
 *   STATE_DIR/coverage.json, coverage.txt   replaced whole at each change;
 *                             `sealtap-agent coverage` prints them
 *   sealtap_process_coverage{stack,state,model_serving}   processes, by the
 *                             state of each stack they use (metrics)
 *
 * and handed to the evidence (a signed coverage event) by main.
 */
#ifndef SEALTAP_ACCOUNT_H
#define SEALTAP_ACCOUNT_H

#include <stdbool.h>
#include <stdio.h>

#include "coverage_account.h"

struct attach;
struct account;

/* state_dir: where the files go (NULL: none). model_comms: --model-process
 * names, whose processes count as model serving before they serve. */
struct account *account_new(const char *state_dir, const char *const *model_comms, int nmodel_comms);
void account_free(struct account *ac);

/* The account drawn up again if attach changed since the last call (the
 * first call always draws it), its files replaced. Returns it when it was
 * drawn up, NULL when nothing changed. Valid until the next call. */
const struct coverage_account *account_update(struct account *ac, const struct attach *a);

/* The drawn account, or NULL before the first account_update. */
const struct coverage_account *account_current(const struct account *ac);

/* One line for a person: "TLS: openssl watched in 2, boringssl unwatched
 * in 1; plain sockets watched in 69" (plain: the listed processes and the
 * unlisted ones, which --all leaves out because they are all watched). */
void account_summary(const struct coverage_account *acc, char *buf, size_t cap);

void account_write_prometheus(const struct account *ac, FILE *out);

/* sealtap-agent coverage [--state-dir DIR] [--json]: prints the running
 * agent's account. Returns the exit status: 0, 1 when the agent that wrote
 * it is not running (the last account is printed, with a warning), 2 when
 * there is none or on a usage error. */
int account_command(int argc, char **argv);

#endif
