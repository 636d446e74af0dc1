// SPDX-License-Identifier: Apache-2.0
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "elfsym.h"
#include "goplan.h"
#include "procfs.h"
#include "selector.h"
#include "stacks.h"
#include "sslsniff.h"
#include "sslsniff.skel.h"

#define MAX_LIBS 1024          /* distinct executable files examined */
#define MAX_WATCHED 4096       /* processes probed at once */
#define MAX_LIBS_PER_PROC 8    /* TLS libraries one process can map */
#define MAX_SEEN_PER_PROC 3    /* ... and recognised ones it can't be watched in */
#define FAST_SCAN_NS 20000000ull   /* rescan a new process every 20 ms ... */
#define FAST_SCANS 50              /* ... for its first second */
#define SLOW_SCAN_NS 1000000000ull /* then each second */
#define WALK_NS 2000000000ull      /* full /proc walk */

/* The functions probed, of both TLS libraries: data functions (the first
 * ones of each library) get an entry probe and the shared return probe. A
 * file is a TLS library when it defines a send and a receive of one. */
enum sym_idx {
	SYM_WRITE,
	SYM_WRITE_EX,
	SYM_WRITE_EX2,
	SYM_READ,
	SYM_READ_EX,
	SYM_GNUTLS_SEND,
	SYM_GNUTLS_SEND2,
	SYM_GNUTLS_RECV,
	SYM_GNUTLS_RECV_SEQ,
	SYM_SET_FD,
	SYM_SET_RFD,
	SYM_SET_WFD,
	SYM_FREE,
	SYM_GNUTLS_DEINIT,
	SYM__COUNT,
};

#define SYM__DATA (SYM_GNUTLS_RECV_SEQ + 1)

static const char *const sym_names[SYM__COUNT] = {
	[SYM_WRITE] = "SSL_write",
	[SYM_WRITE_EX] = "SSL_write_ex",
	[SYM_WRITE_EX2] = "SSL_write_ex2",
	[SYM_READ] = "SSL_read",
	[SYM_READ_EX] = "SSL_read_ex",
	[SYM_GNUTLS_SEND] = "gnutls_record_send",
	[SYM_GNUTLS_SEND2] = "gnutls_record_send2",
	[SYM_GNUTLS_RECV] = "gnutls_record_recv",
	[SYM_GNUTLS_RECV_SEQ] = "gnutls_record_recv_seq",
	[SYM_SET_FD] = "SSL_set_fd",
	[SYM_SET_RFD] = "SSL_set_rfd",
	[SYM_SET_WFD] = "SSL_set_wfd",
	[SYM_FREE] = "SSL_free",
	[SYM_GNUTLS_DEINIT] = "gnutls_deinit",
};

static bool sym_is_data(int i)
{
	return i < SYM__DATA;
}

/* Which TLS library a file is, by the symbols it defines. */
static enum stack_id tls_stack(const uint64_t *off)
{
	if ((off[SYM_WRITE] || off[SYM_WRITE_EX]) && (off[SYM_READ] || off[SYM_READ_EX]))
		return STACK_OPENSSL;
	if ((off[SYM_GNUTLS_SEND] || off[SYM_GNUTLS_SEND2]) && (off[SYM_GNUTLS_RECV] || off[SYM_GNUTLS_RECV_SEQ]))
		return STACK_GNUTLS;
	return STACK_NONE;
}

/* How the log lines name the probed stacks (tests and operators match them). */
static const char *stack_label(enum stack_id id)
{
	switch (id) {
	case STACK_OPENSSL: return "OpenSSL";
	case STACK_GNUTLS: return "GnuTLS";
	case STACK_GO: return "Go crypto/tls";
	default: return stack_name(id);
	}
}

/* One uprobe of a library: where, and which program. */
struct probe {
	uint64_t off;
	struct bpf_program *prog;
	bool ret; /* a uretprobe (never on Go code) */
};

struct lib {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	enum stack_id stack; /* the TLS stack in it, STACK_NONE for none (most files) */
	bool hooked;         /* a stack, and probes planned: processes mapping it are watched */
	char why[128];       /* a stack, not hooked: the reason */
	char path[256];      /* as the first process that mapped it named it */
	char go_version[32];
	int fd; /* kept open when hooked: probes attach through /proc/self/fd/N */
	struct probe *probes;
	int nprobes;
	struct bpf_link **global_links; /* --all mode: nprobes slots */
	int nglobal;
};

struct watched {
	pid_t pid; /* 0: free slot */
	int nlibs;
	int fast_scans_left;
	uint64_t next_scan_ns;
	uint16_t libs[MAX_LIBS_PER_PROC];           /* hooked libraries it maps */
	struct bpf_link **links[MAX_LIBS_PER_PROC]; /* the lib's nprobes slots each (NULL: --all) */
	int nlinks[MAX_LIBS_PER_PROC];
	bool mapped[MAX_LIBS_PER_PROC]; /* found in its maps (else attached ahead, for a fresh exec) */
	uint16_t seen[MAX_SEEN_PER_PROC]; /* libraries with a stack it can't be watched in */
	int nseen;
	uint32_t unseen_calls; /* bit (fn - ST_FN_SENDFILE): its sockets moved bytes that way */
	bool model_serving;
	char comm[16];
	bool announced;
};

struct attach {
	struct sslsniff_bpf *skel;
	const struct selector *sel;
	bool plain; /* sockets watched too */
	struct lib libs[MAX_LIBS];
	int nlibs;
	struct watched *watched; /* MAX_WATCHED slots */
	int nslots;              /* slots at and past this one are free: the tables are walked only this far */
	uint64_t next_scan_ns;   /* the soonest of the watched processes' next_scan_ns */
	uint64_t next_walk_ns;
	uint64_t epoch; /* walk generation, to reap vanished processes */
	uint64_t coverage_gen; /* changes with anything attach_coverage lists */
	struct attach_stats st;
};

static struct bpf_program *entry_prog(struct sslsniff_bpf *skel, int sym)
{
	switch (sym) {
	case SYM_WRITE: return skel->progs.ssl_write_enter;
	case SYM_WRITE_EX: return skel->progs.ssl_write_ex_enter;
	case SYM_WRITE_EX2: return skel->progs.ssl_write_ex2_enter;
	case SYM_READ: return skel->progs.ssl_read_enter;
	case SYM_READ_EX: return skel->progs.ssl_read_ex_enter;
	case SYM_GNUTLS_SEND:
	case SYM_GNUTLS_SEND2: return skel->progs.gnutls_send_enter;
	case SYM_GNUTLS_RECV:
	case SYM_GNUTLS_RECV_SEQ: return skel->progs.gnutls_recv_enter;
	case SYM_SET_FD:
	case SYM_SET_RFD:
	case SYM_SET_WFD: return skel->progs.ssl_set_fd_enter;
	case SYM_FREE:
	case SYM_GNUTLS_DEINIT: return skel->progs.ssl_free_enter; /* the session goes */
	}
	return NULL;
}

static struct bpf_link *attach_one(struct attach *a, struct lib *lib, struct bpf_program *prog,
				   pid_t pid, uint64_t off, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret);
	char path[64];
	struct bpf_link *l;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", lib->fd);
	l = bpf_program__attach_uprobe_opts(prog, pid, path, (size_t)off, &opts);
	if (!l) {
		int e = errno;

		/* Said the first time and then at every power of two: counted always. */
		if (!(a->st.attach_errors & (a->st.attach_errors + 1)) || !a->st.attach_errors)
			fprintf(stderr,
				"sealtap: attaching a probe to the library (dev %x:%x inode %llu) for pid %d failed: %s "
				"(%llu so far)\n",
				lib->dev_major, lib->dev_minor, (unsigned long long)lib->ino, pid, strerror(e),
				(unsigned long long)a->st.attach_errors + 1);
		a->st.attach_errors++;
		return NULL;
	}
	a->st.probes_attached++;
	return l;
}

/* Attaches every probe of lib for pid (-1: every process) into *links (made
 * here, nprobes slots). Returns the number of links made. Partial failure
 * leaves what attached in place: a missing SSL_free probe only costs
 * connection-close records. */
static int attach_lib(struct attach *a, struct lib *lib, pid_t pid, struct bpf_link ***links)
{
	int n = 0;

	*links = calloc((size_t)lib->nprobes, sizeof(**links));
	if (!*links) {
		a->st.attach_errors++;
		return 0;
	}
	for (int i = 0; i < lib->nprobes; i++) {
		struct bpf_link *l = attach_one(a, lib, lib->probes[i].prog, pid, lib->probes[i].off, lib->probes[i].ret);

		if (l)
			(*links)[n++] = l;
	}
	return n;
}

static void destroy_links(struct attach *a, struct bpf_link **links, int n)
{
	for (int i = 0; i < n; i++) {
		bpf_link__destroy(links[i]);
		a->st.probes_attached--;
	}
	free(links);
}

static void plan_probe(struct lib *lib, uint64_t off, struct bpf_program *prog, bool ret)
{
	lib->probes[lib->nprobes++] = (struct probe){ .off = off, .prog = prog, .ret = ret };
}

/* OpenSSL's or GnuTLS's functions: an entry probe each, and the shared
 * return probe on the data functions. */
static int plan_c_library(struct attach *a, struct lib *lib, const uint64_t *off)
{
	lib->probes = calloc(SYM__COUNT + SYM__DATA, sizeof(*lib->probes));
	if (!lib->probes)
		return -ENOMEM;
	for (int i = 0; i < SYM__COUNT; i++) {
		if (!off[i])
			continue;
		plan_probe(lib, off[i], entry_prog(a->skel, i), false);
		if (sym_is_data(i))
			plan_probe(lib, off[i], a->skel->progs.ssl_data_return, true);
	}
	return 0;
}

/* Go's crypto/tls: Write and Read where their bodies begin (past the stack
 * check, so once per call), Close's entry, and a uprobe on every return
 * instruction of Write and Read (go_return in sslsniff.bpf.c). */
static int plan_go(struct attach *a, struct lib *lib, const struct go_plan *g)
{
	lib->probes = calloc(3 + g->nwrite_rets + g->nread_rets, sizeof(*lib->probes));
	if (!lib->probes)
		return -ENOMEM;
	plan_probe(lib, g->write_body, a->skel->progs.go_write_enter, false);
	plan_probe(lib, g->read_body, a->skel->progs.go_read_enter, false);
	if (g->close_off)
		plan_probe(lib, g->close_off, a->skel->progs.go_close_enter, false);
	for (size_t i = 0; i < g->nwrite_rets; i++)
		plan_probe(lib, g->write_rets[i], a->skel->progs.go_return, false);
	for (size_t i = 0; i < g->nread_rets; i++)
		plan_probe(lib, g->read_rets[i], a->skel->progs.go_return, false);
	return 0;
}

/* Which TLS stack the file at fd holds and how to probe it (lib->stack,
 * lib->hooked, lib->probes), or why it can't be (lib->why). */
static void lib_plan(struct attach *a, struct lib *lib, int fd)
{
	uint64_t off[SYM__COUNT];
	struct go_plan g;

	lib->stack = elfsym_find(fd, sym_names, SYM__COUNT, off) > 0 ? tls_stack(off) : STACK_NONE;
	if (lib->stack != STACK_NONE) {
		lib->hooked = plan_c_library(a, lib, off) == 0;
		return;
	}
	if (goplan_make(fd, &g) || !g.uses_tls) {
		/* Not probed: perhaps a stack known by name, said as unwatched. */
		lib->stack = stacks_recognise(fd, lib->why, sizeof(lib->why));
		return;
	}
	lib->stack = STACK_GO;
	snprintf(lib->go_version, sizeof(lib->go_version), "%s", g.bin.version[0] ? g.bin.version : "unknown");
	if (g.why[0]) {
		snprintf(lib->why, sizeof(lib->why), "%s", g.why);
		return;
	}
	lib->hooked = plan_go(a, lib, &g) == 0;
	/* The socket programs look for a Go call behind a transfer from now. */
	if (lib->hooked)
		a->skel->bss->go_probes_live = 1;
}

static struct lib *lib_find(struct attach *a, const struct maps_entry *e)
{
	for (int i = 0; i < a->nlibs; i++) {
		struct lib *l = &a->libs[i];

		if (l->ino == e->ino && l->dev_major == e->dev_major && l->dev_minor == e->dev_minor)
			return l;
	}
	return NULL;
}

/* Opens a mapped file as the process sees it: through its root for mount
 * namespaces, through map_files when the path no longer names that file. */
static int open_mapped(pid_t pid, const struct maps_entry *e)
{
	char path[PROCFS_PATH_MAX + 64];

	if (e->deleted)
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
			 (unsigned long long)e->start, (unsigned long long)e->end);
	else
		snprintf(path, sizeof(path), "/proc/%d/root%s", pid, e->path);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static struct lib *lib_examine(struct attach *a, pid_t pid, const struct maps_entry *e)
{
	struct lib *lib = lib_find(a, e);
	int fd;

	if (lib)
		return lib;
	if (a->nlibs >= MAX_LIBS) {
		a->st.libs_table_full++;
		return NULL;
	}
	fd = open_mapped(pid, e);
	if (fd < 0)
		return NULL; /* raced with exit or unmap: the next scan retries */
	lib = &a->libs[a->nlibs++];
	memset(lib, 0, sizeof(*lib));
	lib->dev_major = e->dev_major;
	lib->dev_minor = e->dev_minor;
	lib->ino = e->ino;
	lib->fd = -1;
	snprintf(lib->path, sizeof(lib->path), "%s", e->path);
	lib_plan(a, lib, fd);
	if (lib->stack != STACK_NONE && !lib->hooked) {
		if (!lib->why[0])
			snprintf(lib->why, sizeof(lib->why), "out of memory planning its probes");
		fprintf(stderr, "sealtap: %s in %s (pid %d) is not watched: %s\n", stack_label(lib->stack), e->path,
			pid, lib->why);
	}
	if (!lib->hooked) {
		close(fd);
		return lib;
	}
	lib->fd = fd;
	a->st.libs_ssl++;
	if (lib->go_version[0])
		fprintf(stderr, "sealtap: %s found in %s (%s, %d probes, pid %d, dev %x:%x inode %llu)\n",
			stack_label(lib->stack), e->path, lib->go_version, lib->nprobes, pid, e->dev_major,
			e->dev_minor, (unsigned long long)e->ino);
	else
		fprintf(stderr, "sealtap: %s found in %s (pid %d, dev %x:%x inode %llu)\n", stack_label(lib->stack),
			e->path, pid, e->dev_major, e->dev_minor, (unsigned long long)e->ino);
	if (a->sel->all) {
		lib->nglobal = attach_lib(a, lib, -1, &lib->global_links);
		fprintf(stderr, "sealtap: attached %d probes to %s for all processes\n",
			lib->nglobal, e->path);
	}
	return lib;
}

static struct watched *watched_find(const struct attach *a, pid_t pid)
{
	if (pid == 0)
		return NULL;
	for (int i = 0; i < a->nslots; i++)
		if (a->watched[i].pid == pid)
			return &a->watched[i];
	return NULL;
}

static struct watched *watched_free_slot(struct attach *a)
{
	for (int i = 0; i < a->nslots; i++)
		if (!a->watched[i].pid)
			return &a->watched[i];
	return a->nslots < MAX_WATCHED ? &a->watched[a->nslots++] : NULL;
}

/* mapped: the process maps lib now (else its probes go in ahead of the
 * loader). */
static void watched_attach_lib(struct attach *a, struct watched *w, struct lib *lib, bool mapped)
{
	uint16_t idx = (uint16_t)(lib - a->libs);
	int slot;

	for (int i = 0; i < w->nlibs; i++)
		if (w->libs[i] == idx) {
			if (mapped && !w->mapped[i]) {
				w->mapped[i] = true;
				a->coverage_gen++;
			}
			return;
		}
	if (w->nlibs >= MAX_LIBS_PER_PROC) {
		a->st.attach_errors++;
		return;
	}
	slot = w->nlibs++;
	w->libs[slot] = idx;
	w->mapped[slot] = mapped;
	a->coverage_gen++;
	/* --all: the library's global probes cover it; listed, not linked. */
	if (!a->sel->all)
		w->nlinks[slot] = attach_lib(a, lib, w->pid, &w->links[slot]);
}

/* A library with a TLS stack the process can't be watched in: listed. */
static void watched_note_seen(struct attach *a, struct watched *w, struct lib *lib)
{
	uint16_t idx = (uint16_t)(lib - a->libs);

	for (int i = 0; i < w->nseen; i++)
		if (w->seen[i] == idx)
			return;
	if (w->nseen < MAX_SEEN_PER_PROC) {
		w->seen[w->nseen++] = idx;
		a->coverage_gen++;
	}
}

/* Reads the process's maps, examines each executable file once, attaches to
 * the TLS ones (w NULL: only learns them). Returns how many TLS libraries
 * with probes the process maps, or -ENOENT when the process is gone. */
static int scan_maps(struct attach *a, pid_t pid, struct watched *w)
{
	char path[64], line[PROCFS_PATH_MAX + 128];
	FILE *f;
	int nssl = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		struct maps_entry e;
		struct lib *lib;

		if (procfs_parse_maps_line(line, &e) || !e.exec || e.path[0] != '/')
			continue;
		lib = lib_examine(a, pid, &e);
		if (lib && w && lib->stack != STACK_NONE && !lib->hooked)
			watched_note_seen(a, w, lib);
		if (!lib || !lib->hooked)
			continue;
		nssl++;
		if (w)
			watched_attach_lib(a, w, lib, true);
	}
	fclose(f);
	return nssl;
}

/* Outside --all, the kernel watches a selected process's sockets only once
 * it is in plain_watch (with --all, every process is). */
static void plain_watch(struct attach *a, pid_t pid, bool on)
{
	uint32_t key = (uint32_t)pid, slot;
	uint8_t one = 1;
	int fd = bpf_map__fd(a->skel->maps.plain_watch);

	if (a->sel->all || !a->plain)
		return;
	if (!on) {
		bpf_map_delete_elem(fd, &key);
		return;
	}
	/* The kernel's hint in front of plain_watch, set first (see
	 * sslsniff.bpf.c: plain_hint); it is sticky, so setting it can't race. */
	slot = key & (ST_PLAIN_HINT_SLOTS - 1);
	bpf_map_update_elem(bpf_map__fd(a->skel->maps.plain_hint), &slot, &one, BPF_ANY);
	if (bpf_map_update_elem(fd, &key, &one, BPF_ANY) == 0) {
		fprintf(stderr, "sealtap: watching pid %d (sockets)\n", pid);
	} else {
		/* The map is the process table's size, so only stale entries
		 * could fill it: say so, and count it where attach failures go. */
		a->st.attach_errors++;
		fprintf(stderr, "sealtap: cannot watch the sockets of pid %d: %s\n", pid, strerror(errno));
	}
}

static void watched_release(struct attach *a, struct watched *w)
{
	plain_watch(a, w->pid, false);
	for (int i = 0; i < w->nlibs; i++)
		destroy_links(a, w->links[i], w->nlinks[i]);
	memset(w, 0, sizeof(*w));
	while (a->nslots > 0 && !a->watched[a->nslots - 1].pid)
		a->nslots--;
	a->st.procs_watched--;
	a->coverage_gen++;
}

static struct watched *watched_add(struct attach *a, pid_t pid, const char *comm)
{
	struct watched *w = watched_free_slot(a);

	if (!w) {
		a->st.procs_table_full++;
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	snprintf(w->comm, sizeof(w->comm), "%s", comm);
	a->coverage_gen++;
	w->fast_scans_left = FAST_SCANS;
	w->next_scan_ns = clock_mono_ns();
	if (w->next_scan_ns < a->next_scan_ns)
		a->next_scan_ns = w->next_scan_ns;
	a->st.procs_watched++;
	plain_watch(a, pid, true);
	return w;
}

/* Says once that a process is covered: tests and operators wait on it. In
 * --all mode the probes are global, so a process is covered once it maps an
 * SSL library; otherwise once its own probes are in place. */
static void announce(struct attach *a, struct watched *w, int nssl)
{
	int n = 0;

	for (int i = 0; i < w->nlibs; i++)
		n += w->nlinks[i];
	if (w->announced || (a->sel->all ? nssl <= 0 : n == 0))
		return;
	w->announced = true;
	if (a->sel->all)
		fprintf(stderr, "sealtap: attached pid %d (global probes)\n", w->pid);
	else
		fprintf(stderr, "sealtap: attached pid %d (%d probes)\n", w->pid, n);
}

/* In --all mode processes are tracked for scanning only; probes are global. */
static void consider(struct attach *a, pid_t pid, bool fresh)
{
	struct proc_info info;
	struct watched *w = watched_find(a, pid);

	if (w && !fresh)
		return;
	if (!selector_may_match(a->sel, pid) || procfs_read_info(pid, &info) || !selector_match(a->sel, &info)) {
		if (w && fresh) /* exec'd into something unselected */
			watched_release(a, w);
		return;
	}
	if (pid == getpid())
		return;
	if (w) {
		/* exec replaced its mappings: what it maps is found again. */
		w->fast_scans_left = FAST_SCANS;
		memset(w->mapped, 0, sizeof(w->mapped));
		w->nseen = 0;
		snprintf(w->comm, sizeof(w->comm), "%s", info.comm);
		a->coverage_gen++;
	} else
		w = watched_add(a, pid, info.comm);
	if (!w) {
		scan_maps(a, pid, NULL); /* still learn its libraries */
		return;
	}
	if (!a->sel->all && fresh) {
		/* Probes for libraries we already know, before the loader maps
		 * them: the kernel installs them when the mapping appears, so the
		 * first SSL call of a short-lived process is not missed. Go's
		 * are executables, mapped by the exec itself: the scan finds them. */
		for (int i = 0; i < a->nlibs; i++)
			if (a->libs[i].hooked && a->libs[i].stack != STACK_GO)
				watched_attach_lib(a, w, &a->libs[i], false);
	}
	announce(a, w, scan_maps(a, pid, w));
}

struct attach *attach_new(struct sslsniff_bpf *skel, const struct selector *sel, bool plain)
{
	struct attach *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->watched = calloc(MAX_WATCHED, sizeof(*a->watched));
	if (!a->watched) {
		free(a);
		return NULL;
	}
	a->skel = skel;
	a->sel = sel;
	a->plain = plain;
	if (plain && !sel->all)
		for (int i = 0; i < sel->ncomms; i++) {
			char key[ST_COMM_LEN] = { 0 };
			uint8_t one = 1;

			strncpy(key, sel->comms[i], sizeof(key) - 1);
			bpf_map_update_elem(bpf_map__fd(skel->maps.plain_comms), key, &one, BPF_ANY);
		}
	for (int i = 0; i < sel->npids; i++) {
		uint32_t pid = (uint32_t)sel->pids[i];
		uint8_t one = 1;

		bpf_map_update_elem(bpf_map__fd(skel->maps.exec_wake), &pid, &one, BPF_ANY);
	}
	return a;
}

void attach_free(struct attach *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->nslots; i++)
		if (a->watched[i].pid)
			watched_release(a, &a->watched[i]);
	for (int i = 0; i < a->nlibs; i++) {
		destroy_links(a, a->libs[i].global_links, a->libs[i].nglobal);
		free(a->libs[i].probes);
		if (a->libs[i].fd >= 0)
			close(a->libs[i].fd);
	}
	free(a->watched);
	free(a);
}

int attach_scan_all(struct attach *a)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		consider(a, (pid_t)pid, false);
	}
	closedir(d);
	/* Reap what vanished without an exit record (lost event, or pid
	 * namespace games); a watched pid whose /proc entry is gone is dead. */
	for (int i = 0; i < a->nslots; i++) {
		struct watched *w = &a->watched[i];
		char path[32];

		if (!w->pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d", w->pid);
		if (access(path, F_OK) != 0)
			watched_release(a, w);
		else if (w->nlibs > 0 || a->sel->all || a->plain)
			n++;
	}
	a->next_walk_ns = clock_mono_ns() + WALK_NS;
	return n;
}

void attach_on_exec(struct attach *a, pid_t pid)
{
	consider(a, pid, true);
}

bool attach_forget_sockets(struct attach *a, pid_t pid)
{
	uint32_t key = (uint32_t)pid;
	uint8_t v;

	return a->plain && !a->sel->all &&
	       bpf_map_lookup_and_delete_elem(bpf_map__fd(a->skel->maps.plain_watch), &key, &v) == 0;
}

void attach_on_exit(struct attach *a, pid_t pid)
{
	struct watched *w = watched_find(a, pid);

	if (w && pid)
		watched_release(a, w);
}

void attach_tick(struct attach *a, uint64_t now)
{
	/* Called after every batch of records: most calls have nothing due. */
	if (now >= a->next_scan_ns) {
		a->next_scan_ns = UINT64_MAX;
		for (int i = 0; i < a->nslots; i++) {
			struct watched *w = &a->watched[i];

			if (!w->pid)
				continue;
			if (now >= w->next_scan_ns) {
				if (w->fast_scans_left > 0)
					w->fast_scans_left--;
				w->next_scan_ns = now + (w->fast_scans_left ? FAST_SCAN_NS : SLOW_SCAN_NS);
				int nssl = scan_maps(a, w->pid, w);

				if (nssl == -ENOENT) {
					watched_release(a, w);
					continue;
				}
				announce(a, w, nssl);
			}
			if (w->next_scan_ns < a->next_scan_ns)
				a->next_scan_ns = w->next_scan_ns;
		}
	}
	if (now >= a->next_walk_ns)
		attach_scan_all(a);
}

bool attach_is_watched(const struct attach *a, pid_t pid)
{
	const struct watched *w = watched_find(a, pid);

	return w && pid && w->announced;
}

void attach_get_stats(const struct attach *a, struct attach_stats *out)
{
	*out = a->st;
}

void attach_note_unseen(struct attach *a, pid_t pid, unsigned fn)
{
	struct watched *w = watched_find(a, pid);
	uint32_t bit;

	if (!w || !pid || fn < ST_FN_SENDFILE || fn > ST_FN_OTHER_CALL)
		return;
	bit = 1u << (fn - ST_FN_SENDFILE);
	if (!(w->unseen_calls & bit)) {
		w->unseen_calls |= bit;
		a->coverage_gen++;
	}
}

void attach_note_model_server(struct attach *a, pid_t pid)
{
	struct watched *w = watched_find(a, pid);

	if (w && pid && !w->model_serving) {
		w->model_serving = true;
		a->coverage_gen++;
	}
}

uint64_t attach_coverage_generation(const struct attach *a)
{
	return a->coverage_gen;
}

static const char *const unseen_names[] = { "sendfile", "splice", "sendmmsg/recvmmsg", "io_uring",
					    "unreadable message headers", "other calls" };

/* The plain sockets' row: watched, partly (bytes moved without a user
 * buffer: counted, not copied), or not at all. */
static void plain_row(const struct attach *a, const struct watched *w, struct coverage_stack *st, char *reason,
		      size_t reasonsz)
{
	size_t n = 0;

	st->stack = stack_name(STACK_PLAIN);
	st->file = "";
	st->reason = reason;
	reason[0] = '\0';
	if (!a->plain) {
		st->state = "unwatched";
		st->reason = "plaintext capture is off (--no-plain-sockets)";
		return;
	}
	st->state = w->unseen_calls ? "partial" : "watched";
	for (unsigned i = 0; i < sizeof(unseen_names) / sizeof(unseen_names[0]); i++)
		if (w->unseen_calls & (1u << i))
			n += (size_t)snprintf(reason + n, n < reasonsz ? reasonsz - n : 0, "%s%s", n ? ", " : "bytes moved by ",
					      unseen_names[i]);
	if (n)
		snprintf(reason + n, n < reasonsz ? reasonsz - n : 0, " are counted, not copied");
}

int attach_coverage(const struct attach *a, struct coverage_process *out, size_t max, char (*reasons)[128],
		    uint32_t *omitted)
{
	size_t n = 0;

	*omitted = 0;
	for (int i = 0; i < a->nslots; i++) {
		const struct watched *w = &a->watched[i];
		struct coverage_process *p;

		if (!w->pid)
			continue;
		if (n >= max) {
			(*omitted)++;
			continue;
		}
		p = &out[n];
		memset(p, 0, sizeof(*p));
		p->pid = (uint32_t)w->pid;
		memcpy(p->comm, w->comm, sizeof(p->comm));
		p->model_serving = w->model_serving;
		for (int k = 0; k < w->nlibs && p->nstacks < COVERAGE_STACKS_MAX - 1; k++) {
			const struct lib *lib = &a->libs[w->libs[k]];
			int linked = a->sel->all ? lib->nglobal : w->nlinks[k];
			struct coverage_stack *st = &p->stacks[p->nstacks];

			if (!w->mapped[k])
				continue;
			st->stack = stack_name(lib->stack);
			st->file = lib->path;
			st->state = linked == lib->nprobes ? "watched" : linked ? "partial" : "unwatched";
			st->reason = linked == lib->nprobes ? ""
				     : linked		  ? "some of its probes could not be attached"
							  : "its probes could not be attached";
			p->nstacks++;
		}
		for (int k = 0; k < w->nseen && p->nstacks < COVERAGE_STACKS_MAX - 1; k++) {
			const struct lib *lib = &a->libs[w->seen[k]];

			p->stacks[p->nstacks++] = (struct coverage_stack){ .stack = stack_name(lib->stack),
									   .state = "unwatched",
									   .reason = lib->why,
									   .file = lib->path };
		}
		plain_row(a, w, &p->stacks[p->nstacks], reasons[n], sizeof(reasons[n]));
		p->nstacks++;
		/* --all lists what is not plain and fully watched; the host's
		 * every other process is a count. */
		if (a->sel->all && p->nstacks == 1 && !strcmp(p->stacks[0].state, "watched") && !w->model_serving) {
			(*omitted)++;
			continue;
		}
		n++;
	}
	return (int)n;
}

