// SPDX-License-Identifier: Apache-2.0
#include "sockdiag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int push(struct sockdiag_live *l, const uint32_t cookie[2], size_t max)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		uint64_t *p;

		if (l->n >= max)
			return -E2BIG;
		if (cap > max)
			cap = max;
		p = realloc(l->cookies, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->cookies = p;
		l->cap = cap;
	}
	l->cookies[l->n++] = (uint64_t)cookie[0] | (uint64_t)cookie[1] << 32;
	return 0;
}

/* One dump: sends req, reads every answer until NLMSG_DONE. */
static int dump(int fd, const void *req, size_t reqlen, int family, struct sockdiag_live *l, size_t max)
{
	struct {
		struct nlmsghdr nh;
		uint8_t body[64];
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static uint8_t buf[32768];
	int err = 0;

	memset(&msg, 0, sizeof(msg));
	msg.nh.nlmsg_len = (uint32_t)NLMSG_LENGTH(reqlen);
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(msg.body, req, reqlen);
	if (sendto(fd, &msg, msg.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return err;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EPROTO;
			}
			if (err)
				continue; /* read the dump to its end, keep the first error */
			if (family == AF_UNIX && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
				err = push(l, ((const struct unix_diag_msg *)NLMSG_DATA(h))->udiag_cookie, max);
			else if (family != AF_UNIX && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				err = push(l, ((const struct inet_diag_msg *)NLMSG_DATA(h))->id.idiag_cookie, max);
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int sockdiag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

int sockdiag_list(int fd, struct sockdiag_live *l, size_t max)
{
	struct unix_diag_req ur = { .sdiag_family = AF_UNIX, .udiag_states = ~0u };
	struct inet_diag_req_v2 ir = { .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u };
	int err;

	l->n = 0;
	ur.udiag_cookie[0] = ur.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	err = dump(fd, &ur, sizeof(ur), AF_UNIX, l, max);
	ir.sdiag_family = AF_INET;
	if (!err)
		err = dump(fd, &ir, sizeof(ir), AF_INET, l, max);
	ir.sdiag_family = AF_INET6;
	if (!err)
		err = dump(fd, &ir, sizeof(ir), AF_INET6, l, max);
	if (l->n)
		qsort(l->cookies, l->n, sizeof(*l->cookies), cmp_u64);
	return err;
}

int sockdiag_has(const struct sockdiag_live *l, uint64_t cookie)
{
	return l->n && bsearch(&cookie, l->cookies, l->n, sizeof(*l->cookies), cmp_u64) != NULL;
}

void sockdiag_release(struct sockdiag_live *l)
{
	free(l->cookies);
	memset(l, 0, sizeof(*l));
}
