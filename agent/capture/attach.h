/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attach - which processes and libraries get probes.
 *
 * Owns: the table of ELF files seen mapped executable by watched processes,
 * deduplicated by (device, inode) and parsed once each; the table of watched
 * processes with their uprobe links. A library "has SSL" when it defines
 * SSL_write and SSL_read: libssl itself, or an executable that links OpenSSL
 * statically and exports it (node).
 *
 * Selected mode (the default) attaches every probe with the process's pid as
 * filter, so the kernel installs breakpoints only in that process: others
 * mapping the same library pay nothing. `all` attaches once per library for
 * every process. Files are opened through /proc/PID/root (or map_files for a
 * replaced file) and kept open, so a container's own libssl stays probe-able
 * after the process that revealed it exits.
 *
 * Both tables are fixed-size; what does not fit is counted, never silent.
 */
#ifndef SEALTAP_ATTACH_H
#define SEALTAP_ATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "coverage_account.h"

struct sslsniff_bpf;
struct selector;
struct attach;

struct attach_stats {
	uint64_t probes_attached; /* uprobe links currently held */
	uint64_t attach_errors;   /* links that failed to attach */
	uint64_t libs_ssl;        /* distinct files with OpenSSL symbols found */
	uint64_t libs_table_full; /* files not examined: library table full */
	uint64_t procs_watched;   /* processes currently selected and probed */
	uint64_t procs_table_full; /* selected processes not probed: table full */
};

/* Attach progress goes to stderr: each OpenSSL file found, and one
 * "attached pid N" line per covered process, which tests and operators
 * wait on. */
/* A process exited: its socket watch goes. True if it had one, which the
 * kernel may have given it without the agent (a watched process's child,
 * or an exec into a selected command name). */
bool attach_forget_sockets(struct attach *a, pid_t pid);

/* plain: the selected processes' sockets are watched too (plain_watch). */
struct attach *attach_new(struct sslsniff_bpf *skel, const struct selector *sel, bool plain);
void attach_free(struct attach *a);

/* Walks /proc: selects processes, finds their SSL libraries, attaches, and
 * watches their sockets when plain. Also reaps watched processes that are
 * gone. Returns the number of processes covered: with an SSL library
 * attached, or any selected one when plain. */
int attach_scan_all(struct attach *a);

/* A process called execve (from the kernel's exec tracepoint). */
void attach_on_exec(struct attach *a, pid_t pid);
/* A process exited: its links are released. */
void attach_on_exit(struct attach *a, pid_t pid);

/* Rescans the maps of recently started processes (often, for their first
 * second, since the dynamic loader and dlopen map libssl after exec) and
 * of every watched process (each second), and walks /proc every few
 * seconds. now_ns is CLOCK_MONOTONIC. */
void attach_tick(struct attach *a, uint64_t now_ns);

/* Whether pid is watched and covered by SSL probes (its own, or global ones
 * on a library it maps). */
bool attach_is_watched(const struct attach *a, pid_t pid);

void attach_get_stats(const struct attach *a, struct attach_stats *out);

/* Coverage: what each watched process uses and whether it is watched
 * (evidence/coverage.h's account). Its socket calls moved bytes without a
 * user buffer (fn: an ST_FN_ unseen kind), so its plain sockets are only
 * partly watched. */
void attach_note_unseen(struct attach *a, pid_t pid, unsigned fn);
/* It served a model API exchange: a process whose not being watched matters. */
void attach_note_model_server(struct attach *a, pid_t pid);
/* Changes whenever what attach_coverage lists does. */
uint64_t attach_coverage_generation(const struct attach *a);
/* Fills out[0..max) with the watched processes, each with its stacks: the
 * TLS libraries it maps (hooked or recognised, with the reason), and its
 * plain sockets; reasons[i] is the storage of process i's plain-socket
 * reason. Strings point into attach's tables: valid until its next change.
 * With --all, processes that only use plain sockets, all watched, are
 * counted in *omitted instead (so are those past max). Returns the number
 * filled. */
int attach_coverage(const struct attach *a, struct coverage_process *out, size_t max, char (*reasons)[128],
		    uint32_t *omitted);

#endif
