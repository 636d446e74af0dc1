// SPDX-License-Identifier: Apache-2.0
#include "webhook.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "event_json.h"
#include "hex.h"

struct item {
	char *body;
	size_t len;
	char event[64]; /* stream hex / seq */
};

struct webhook {
	char url[2048], ca[1024];
	uint8_t secret[128];
	size_t secret_len;
	int min_rank;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct item q[WEBHOOK_QUEUE];
	size_t head, n;
	struct webhook_stats st;
};

static int rank(const char *severity)
{
	static const char *const names[] = { "low", "medium", "high", "critical" };

	for (int i = 0; i < 4; i++)
		if (severity && !strcmp(severity, names[i]))
			return i + 1;
	return 0;
}

/* Findings at or above the severity asked for; every policy violation (a
 * control the operator set up was broken). */
static bool wanted(const struct webhook *w, const Sealtap__Evidence__V1__Event *e)
{
	if (e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_POLICY_VIOLATION)
		return true;
	return e->kind_case == SEALTAP__EVIDENCE__V1__EVENT__KIND_FINDING && rank(e->finding->severity) >= w->min_rank;
}

void webhook_event(struct webhook *w, const Sealtap__Evidence__V1__Event *e)
{
	struct item it = { 0 };
	char stream[33];
	FILE *f;

	if (!w || !wanted(w, e))
		return;
	f = open_memstream(&it.body, &it.len);
	if (!f)
		return;
	event_json(f, e);
	fclose(f);
	if (it.len && it.body[it.len - 1] == '\n')
		it.body[--it.len] = '\0';
	hex_encode(e->stream_id.data, e->stream_id.len > 16 ? 16 : e->stream_id.len, stream);
	snprintf(it.event, sizeof(it.event), "%s/%llu", stream, (unsigned long long)e->seq);
	pthread_mutex_lock(&w->lock);
	if (w->n == WEBHOOK_QUEUE) {
		w->st.dropped++;
		free(it.body);
	} else {
		w->q[(w->head + w->n++) % WEBHOOK_QUEUE] = it;
		w->st.queued++;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
}

/* 2: sent; 1: retry later; 0: refused for good. */
static int post(struct webhook *w, CURL *c, const struct item *it)
{
	unsigned char mac[32];
	unsigned int maclen = 0;
	char sig[32 + 2 * EVP_MAX_MD_SIZE + 1] = "X-Sealtap-Signature: sha256=", ev[96];
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode rc;

	HMAC(EVP_sha256(), w->secret, (int)w->secret_len, (const unsigned char *)it->body, it->len, mac, &maclen);
	hex_encode(mac, maclen, sig + strlen(sig));
	snprintf(ev, sizeof(ev), "X-Sealtap-Event: %s", it->event);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, sig);
	h = curl_slist_append(h, ev);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)it->len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (w->ca[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, w->ca);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 2;
	if (rc == CURLE_OK && status >= 400 && status < 500 && status != 429 && status != 408)
		return 0;
	return 1;
}

static void *run(void *arg)
{
	struct webhook *w = arg;
	CURL *c = curl_easy_init();
	uint64_t backoff_ms = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct item it;
		int r;

		if (!w->n) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		it = w->q[w->head];
		pthread_mutex_unlock(&w->lock);
		r = c ? post(w, c, &it) : 1;
		pthread_mutex_lock(&w->lock);
		if (r == 1) {
			struct timespec until;
			uint8_t jitter;

			w->st.failed_attempts++;
			backoff_ms = backoff_ms ? (backoff_ms * 2 > 60000 ? 60000 : backoff_ms * 2) : 1000;
			RAND_bytes(&jitter, 1);
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)((backoff_ms / 2 + backoff_ms / 2 * jitter / 255) % 1000) * 1000000L;
			until.tv_sec += (time_t)((backoff_ms / 2 + backoff_ms / 2 * jitter / 255) / 1000) +
					until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
				;
			continue;
		}
		backoff_ms = 0;
		if (r == 2)
			w->st.sent++;
		else
			w->st.given_up++;
		free(w->q[w->head].body);
		w->head = (w->head + 1) % WEBHOOK_QUEUE;
		w->n--;
	}
	pthread_mutex_unlock(&w->lock);
	curl_easy_cleanup(c);
	return NULL;
}

struct webhook *webhook_start(const char *url, const char *ca_file, const uint8_t *secret, size_t secret_len,
			      const char *min_severity, char *err, size_t errsz)
{
	struct webhook *w;

	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)) {
		snprintf(err, errsz, "--webhook %s: expected an http(s) URL", url);
		return NULL;
	}
	if (!rank(min_severity)) {
		snprintf(err, errsz, "--webhook-severity %s: expected low, medium, high or critical", min_severity);
		return NULL;
	}
	if (secret_len < 16 || secret_len > sizeof(w->secret)) {
		snprintf(err, errsz, "the webhook secret must be 16 to 128 bytes");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsz, "out of memory");
		free(w);
		return NULL;
	}
	snprintf(w->url, sizeof(w->url), "%s", url);
	snprintf(w->ca, sizeof(w->ca), "%s", ca_file ? ca_file : "");
	memcpy(w->secret, secret, secret_len);
	w->secret_len = secret_len;
	w->min_rank = rank(min_severity);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, run, w)) {
		snprintf(err, errsz, "cannot start the webhook thread");
		free(w);
		return NULL;
	}
	return w;
}

void webhook_stop(struct webhook *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (size_t i = 0; i < w->n; i++)
		free(w->q[(w->head + i) % WEBHOOK_QUEUE].body);
	OPENSSL_cleanse(w->secret, sizeof(w->secret));
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	curl_global_cleanup();
	free(w);
}

void webhook_get_stats(struct webhook *w, struct webhook_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->st;
	out->dropped += w->stop ? w->n : 0;
	pthread_mutex_unlock(&w->lock);
}
