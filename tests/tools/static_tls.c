// SPDX-License-Identifier: Apache-2.0
/* static_tls: OpenSSL linked in statically and stripped, so it exports no
 * symbol a probe could be attached by: the coverage account's example of a
 * process whose TLS the agent recognises and cannot watch (as Envoy's
 * BoringSSL). Makes a TLS context, says "ready", and waits to be killed. */
#include <openssl/ssl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return 1;
	printf("ready\n");
	fflush(stdout);
	pause();
	SSL_CTX_free(ctx);
	return 0;
}
