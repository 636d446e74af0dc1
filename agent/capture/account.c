// SPDX-License-Identifier: Apache-2.0
#include "account.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "json.h"

/* Processes listed at most: the rest are counted (the evidence event and
 * the files stay bounded on a node running thousands). */
#define ACCOUNT_MAX_PROCS 1024
#define ACCOUNT_PATH 4096

struct account {
	char json_path[ACCOUNT_PATH], txt_path[ACCOUNT_PATH]; /* "" : no files */
	const char *const *model_comms;
	int nmodel_comms;
	struct coverage_process *procs; /* ACCOUNT_MAX_PROCS, made at the first update */
	char (*reasons)[128];
	struct coverage_account acc;
	uint64_t gen;
	bool drawn;
};

struct account *account_new(const char *state_dir, const char *const *model_comms, int nmodel_comms)
{
	struct account *ac = calloc(1, sizeof(*ac));

	if (!ac)
		return NULL;
	if (state_dir) {
		snprintf(ac->json_path, sizeof(ac->json_path), "%s/coverage.json", state_dir);
		snprintf(ac->txt_path, sizeof(ac->txt_path), "%s/coverage.txt", state_dir);
	}
	ac->model_comms = model_comms;
	ac->nmodel_comms = nmodel_comms;
	return ac;
}

void account_free(struct account *ac)
{
	if (!ac)
		return;
	free(ac->procs);
	free(ac->reasons);
	free(ac);
}

static void utc_now(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void write_json(const struct account *ac, FILE *f, const char *when)
{
	fprintf(f, "{\"agent_pid\":%d,\"time\":\"%s\",\"omitted\":%u,\"processes\":[", (int)getpid(), when,
		ac->acc.omitted);
	for (size_t i = 0; i < ac->acc.nprocs; i++) {
		const struct coverage_process *p = &ac->acc.procs[i];

		fprintf(f, "%s{\"pid\":%u", i ? "," : "", p->pid);
		json_put_field(f, "comm", p->comm);
		fprintf(f, ",\"model_serving\":%s,\"stacks\":[", p->model_serving ? "true" : "false");
		for (size_t k = 0; k < p->nstacks; k++) {
			fputs(k ? ",{\"stack\":" : "{\"stack\":", f);
			json_put_string(f, p->stacks[k].stack, strlen(p->stacks[k].stack));
			json_put_field(f, "state", p->stacks[k].state);
			json_put_field(f, "reason", p->stacks[k].reason);
			json_put_field(f, "file", p->stacks[k].file);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
}

static void write_table(const struct account *ac, FILE *f, const char *when)
{
	fprintf(f, "# sealtap-agent pid %d at %s: %zu processes listed, %u not listed\n", (int)getpid(), when,
		ac->acc.nprocs, ac->acc.omitted);
	fprintf(f, "%-8s %-16s %-5s %-15s %-10s %s\n", "PID", "COMM", "MODEL", "STACK", "STATE", "FILE / REASON");
	for (size_t i = 0; i < ac->acc.nprocs; i++) {
		const struct coverage_process *p = &ac->acc.procs[i];

		for (size_t k = 0; k < p->nstacks; k++) {
			const struct coverage_stack *st = &p->stacks[k];

			bool detail = st->file[0] || st->reason[0];

			fprintf(f, detail ? "%-8u %-16s %-5s %-15s %-10s %s%s%s\n" : "%-8u %-16s %-5s %-15s %s\n", p->pid,
				p->comm, p->model_serving ? "yes" : "-", st->stack, st->state, st->file,
				st->file[0] && st->reason[0] ? ": " : "", st->reason);
		}
	}
}

/* Replaced whole (a reader never sees half a file): written beside, renamed. */
static void save(const struct account *ac, const char *path, void (*writer)(const struct account *, FILE *, const char *),
		 const char *when)
{
	char tmp[ACCOUNT_PATH + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "we")))
		return;
	writer(ac, f, when);
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

const struct coverage_account *account_update(struct account *ac, const struct attach *a)
{
	uint64_t gen = attach_coverage_generation(a);
	char when[32];
	int n;

	if (ac->drawn && gen == ac->gen)
		return NULL;
	if (!ac->procs) {
		ac->procs = calloc(ACCOUNT_MAX_PROCS, sizeof(*ac->procs));
		ac->reasons = calloc(ACCOUNT_MAX_PROCS, sizeof(*ac->reasons));
		if (!ac->procs || !ac->reasons) {
			free(ac->procs);
			free(ac->reasons);
			ac->procs = NULL;
			ac->reasons = NULL;
			return NULL; /* tried again at the next call */
		}
	}
	n = attach_coverage(a, ac->procs, ACCOUNT_MAX_PROCS, ac->reasons, &ac->acc.omitted);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < ac->nmodel_comms && !ac->procs[i].model_serving; k++)
			ac->procs[i].model_serving = strcmp(ac->procs[i].comm, ac->model_comms[k]) == 0;
	ac->acc.procs = ac->procs;
	ac->acc.nprocs = (size_t)n;
	ac->gen = gen;
	ac->drawn = true;
	if (ac->json_path[0]) {
		utc_now(when, sizeof(when));
		save(ac, ac->json_path, write_json, when);
		save(ac, ac->txt_path, write_table, when);
	}
	return &ac->acc;
}

/* Processes counted by stack and state (and whether model serving, when
 * by_model): the groups the metrics and the start-up line show. */
struct stack_count {
	const char *stack, *state;
	bool model;
	unsigned n;
};
#define STACK_COUNTS 64 /* more kinds than exist today: the rest left out, never wrong */

static size_t count_stacks(const struct coverage_account *acc, bool by_model, struct stack_count *by)
{
	size_t nby = 0;

	for (size_t i = 0; i < acc->nprocs; i++) {
		const struct coverage_process *p = &acc->procs[i];
		bool model = by_model && p->model_serving;

		for (size_t k = 0; k < p->nstacks; k++) {
			size_t j = 0;

			while (j < nby && !(by[j].model == model && !strcmp(by[j].stack, p->stacks[k].stack) &&
					    !strcmp(by[j].state, p->stacks[k].state)))
				j++;
			if (j == nby) {
				if (nby == STACK_COUNTS)
					continue;
				by[nby++] = (struct stack_count){ p->stacks[k].stack, p->stacks[k].state, model, 0 };
			}
			by[j].n++;
		}
	}
	return nby;
}

const struct coverage_account *account_current(const struct account *ac)
{
	return ac && ac->drawn ? &ac->acc : NULL;
}

void account_summary(const struct coverage_account *acc, char *buf, size_t cap)
{
	struct stack_count by[STACK_COUNTS];
	size_t nby = count_stacks(acc, false, by), at = 0;
	unsigned plain = acc->omitted;
	bool tls = false;

	buf[0] = 0;
	for (size_t j = 0; j < nby && at < cap; j++) {
		if (!strcmp(by[j].stack, "plain")) {
			if (!strcmp(by[j].state, "watched"))
				plain += by[j].n;
			continue;
		}
		at += (size_t)snprintf(buf + at, cap - at, "%s%s %s in %u", tls ? ", " : "TLS: ", by[j].stack,
				       by[j].state, by[j].n);
		tls = true;
	}
	if (at < cap && plain)
		snprintf(buf + at, cap - at, "%splain sockets watched in %u", tls ? "; " : "", plain);
	else if (at < cap && !tls)
		snprintf(buf + at, cap - at, "no TLS library in them yet");
}

void account_write_prometheus(const struct account *ac, FILE *out)
{
	struct stack_count by[STACK_COUNTS];
	size_t nby;

	if (!ac->drawn)
		return;
	nby = count_stacks(&ac->acc, true, by);
	fputs("# HELP sealtap_process_coverage Selected processes using a TLS stack (or plain sockets), by whether "
	      "it is watched\n# TYPE sealtap_process_coverage gauge\n",
	      out);
	for (size_t j = 0; j < nby; j++)
		fprintf(out, "sealtap_process_coverage{stack=\"%s\",state=\"%s\",model_serving=\"%s\"} %u\n", by[j].stack,
			by[j].state, by[j].model ? "true" : "false", by[j].n);
	fprintf(out,
		"# HELP sealtap_process_coverage_unlisted Selected processes not in the account: plain sockets only, "
		"all watched (--all), or past its cap\n# TYPE sealtap_process_coverage_unlisted gauge\n"
		"sealtap_process_coverage_unlisted %u\n",
		ac->acc.omitted);
}

/* Whether the agent that wrote the account still runs. */
static bool agent_alive(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "sealtap-agent", 13) == 0;
}

int account_command(int argc, char **argv)
{
	const char *dir = "/var/lib/sealtap";
	char path[ACCOUNT_PATH + 32], buf[65536];
	bool json = false;
	int pid = 0;
	size_t n;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--state-dir") && i + 1 < argc)
			dir = argv[++i];
		else
			return fprintf(stderr, "usage: sealtap-agent coverage [--state-dir DIR] [--json]\n"), 2;
	}
	snprintf(path, sizeof(path), "%s/coverage.%s", dir, json ? "json" : "txt");
	if (!(f = fopen(path, "re"))) {
		fprintf(stderr, "sealtap-agent coverage: no account in %s (%s): is an agent running with --state-dir %s?\n",
			path, strerror(errno), dir);
		return 2;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	if (sscanf(buf, json ? "{\"agent_pid\":%d" : "# sealtap-agent pid %d", &pid) != 1) {
		fclose(f);
		fprintf(stderr, "sealtap-agent coverage: %s is not an account the agent wrote\n", path);
		return 2;
	}
	if (!agent_alive(pid))
		fprintf(stderr, "sealtap-agent coverage: the agent that wrote %s (pid %d) is not running; its last "
				"account follows\n",
			path, pid);
	do
		fwrite(buf, 1, n, stdout);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0);
	fclose(f);
	return agent_alive(pid) ? 0 : 1;
}
