// SPDX-License-Identifier: Apache-2.0
/*
 * tlsloop - an in-process TLS write/read loop for the probe-cost benchmark.
 * A client and a server SSL object talk through a BIO pair (no sockets, no
 * scheduler noise); each iteration is one SSL_write of SIZE bytes on the
 * client and one SSL_read of them on the server.
 *
 * usage: tlsloop CERT KEY ITERATIONS [SIZE]
 * Prints "ready" after the handshake, waits for a line on stdin (so probes
 * can be attached to this pid), runs, prints "ns_per_iter N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int pump(SSL *cli, SSL *srv)
{
	int rc = SSL_do_handshake(cli), rs = SSL_do_handshake(srv);

	return rc == 1 && rs == 1;
}

int main(int argc, char **argv)
{
	SSL_CTX *cctx, *sctx;
	SSL *cli, *srv;
	BIO *cb, *sb;
	long iters, size;
	char *buf, *rbuf, line[16];
	struct timespec t0, t1;

	if (argc < 4)
		return fprintf(stderr, "usage: tlsloop CERT KEY ITERATIONS [SIZE]\n"), 2;
	iters = atol(argv[3]);
	size = argc > 4 ? atol(argv[4]) : 1024;
	cctx = SSL_CTX_new(TLS_client_method());
	sctx = SSL_CTX_new(TLS_server_method());
	if (SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	cli = SSL_new(cctx);
	srv = SSL_new(sctx);
	/* Pair buffer large enough that one write never blocks. */
	BIO_new_bio_pair(&cb, (size_t)size * 2 + 65536, &sb, (size_t)size * 2 + 65536);
	SSL_set_bio(cli, cb, cb);
	SSL_set_bio(srv, sb, sb);
	SSL_set_connect_state(cli);
	SSL_set_accept_state(srv);
	for (int i = 0; i < 100 && !pump(cli, srv); i++)
		;
	if (!SSL_is_init_finished(cli) || !SSL_is_init_finished(srv)) {
		fprintf(stderr, "handshake failed\n");
		return 1;
	}
	buf = malloc((size_t)size);
	rbuf = malloc((size_t)size);
	memset(buf, 'x', (size_t)size);
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < iters; i++) {
		if (SSL_write(cli, buf, (int)size) != size || SSL_read(srv, rbuf, (int)size) != size) {
			fprintf(stderr, "loop failed at %ld\n", i);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ns_per_iter %.1f\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)iters);
	return 0;
}
