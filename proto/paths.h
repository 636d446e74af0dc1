/* SPDX-License-Identifier: Apache-2.0 */
/* paths - the one size of a path buffer, for agent and collector alike. */
#ifndef SEALTAP_PATHS_H
#define SEALTAP_PATHS_H

#include <limits.h>

/* A directory of up to PATH_MAX bytes (a directory alone is held in
 * PATH_MAX) with a file name under it ("/spool/0000000000000001.seg",
 * "/agent.key", "/drift.state"). */
#define PATH_BUF (PATH_MAX + 104)

#endif
