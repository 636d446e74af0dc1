/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag - which sockets still exist on the host, by cookie, asked of the
 * kernel's socket diagnostics (NETLINK_SOCK_DIAG): TCP over IPv4 and IPv6
 * and Unix sockets, every state.
 *
 * A plain connection's end is a tracepoint for TCP closed by its process,
 * and nothing at all for a Unix socket or a TCP connection reset under it;
 * its cookie missing from this list is how the agent learns it is gone.
 */
#ifndef SEALTAP_SOCKDIAG_H
#define SEALTAP_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

struct sockdiag_live {
	uint64_t *cookies; /* sorted */
	size_t n, cap;
};

/* The netlink socket the lists are asked on, or a negative errno. Kept open
 * for the agent's life (one descriptor, not one per sweep). */
int sockdiag_open(void);

/* Fills live with the cookies of every TCP and Unix socket of the caller's
 * network namespace (up to max), asked on fd. Returns 0, -E2BIG when there
 * were more than max (live then holds a part and must not be used to close
 * anything), or a negative errno. */
int sockdiag_list(int fd, struct sockdiag_live *live, size_t max);

/* Whether cookie is in live (sorted by sockdiag_list). */
int sockdiag_has(const struct sockdiag_live *live, uint64_t cookie);

void sockdiag_release(struct sockdiag_live *live);

#endif
