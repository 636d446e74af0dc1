/* SPDX-License-Identifier: Apache-2.0 */
/*
 * about - what an evidence event says of the exchange it is about: the
 * serving process and the model, read off the decoded exchange into the
 * evidence stage's plain values (evidence.h). The judge and drift both
 * record events about exchanges; this is their one translation.
 */
#ifndef SEALTAP_ABOUT_H
#define SEALTAP_ABOUT_H

#include "evidence.h"
#include "exchange.h"

/* ab borrows x's strings: valid while x is. */
void about_exchange(const struct exchange *x, struct evidence_about *ab);

#endif
