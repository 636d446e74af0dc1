// SPDX-License-Identifier: Apache-2.0
#include "record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sslsniff.h"

ST_LAYOUT_ASSERTS();

int record_check(const void *data, size_t size)
{
	struct st_record_hdr h;
	struct st_data_record d;

	if (!data || size < sizeof(h))
		return -EBADMSG;
	memcpy(&h, data, sizeof(h));
	switch (h.kind) {
	case ST_REC_DATA:
		if (size < sizeof(d))
			return -EBADMSG;
		memcpy(&d, data, sizeof(d));
		if (d.data_len == 0 || d.data_len > ST_CHUNK_MAX ||
		    size != sizeof(d) + d.data_len || d.dir > ST_DIR_READ ||
		    d.call_off >= d.call_total || d.data_len > d.call_total - d.call_off ||
		    !ST_FN_COPIES(d.fn))
			return -EBADMSG;
		return ST_REC_DATA;
	case ST_REC_UNSEEN:
		if (size != sizeof(d))
			return -EBADMSG;
		memcpy(&d, data, sizeof(d));
		if (d.data_len != 0 || d.call_total == 0 || d.dir > ST_DIR_READ || !ST_FN_UNSEEN(d.fn) ||
		    !(d.ssl & ST_PLAIN_KEY))
			return -EBADMSG;
		return ST_REC_UNSEEN;
	case ST_REC_CLOSE:
		return size == sizeof(struct st_close_record) ? ST_REC_CLOSE : -EBADMSG;
	case ST_REC_EXEC:
	case ST_REC_EXIT:
		return size == sizeof(h) ? (int)h.kind : -EBADMSG;
	}
	return -EBADMSG;
}

void record_format_addr(char *out, size_t outsz, uint8_t family, const uint8_t *addr, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (family == ST_AF_INET && inet_ntop(AF_INET, addr, text, sizeof(text)))
		snprintf(out, outsz, "%s:%u", text, port);
	else if (family == ST_AF_INET6 && inet_ntop(AF_INET6, addr, text, sizeof(text)))
		snprintf(out, outsz, "[%s]:%u", text, port);
}
