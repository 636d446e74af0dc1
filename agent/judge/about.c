// SPDX-License-Identifier: Apache-2.0
#include "about.h"

void about_exchange(const struct exchange *x, struct evidence_about *ab)
{
	const struct x_identity *w = &x->who;

	*ab = (struct evidence_about){
		.connection_id = w->conn_id,
		.capture_source = w->source,
		.pid = w->pid,
		.uid = w->uid,
		.cgroup_id = w->cgroup_id,
		.executable = w->exe,
		.comm = w->comm,
		.container_id = w->container_id,
		.pod_uid = w->pod_uid,
		.peer = w->peer,
		.process_is_server = w->process_is_server,
		.api = llm_flavor_name(x->flavor),
		.model_requested = x->model_requested,
		.model_reported = x->model_reported,
		.endpoint = x->path,
		.system_fingerprint = x->system_fingerprint,
		.host = x->host,
		.exchange_id = x->id,
	};
}
