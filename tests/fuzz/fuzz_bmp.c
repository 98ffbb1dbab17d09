// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target over the BMP station's input path: the stream cut into
 * messages, each parsed into a RIB with a small memory bound (peer up and
 * down, routes, withdrawals), as a session's bytes would be; the RIB is
 * then looked up. Each message sits in a buffer of exactly its size so
 * ASan sees any read past its end. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "flow/bgp_rib.h"
#include "flow/bmp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct jf_rib *rib;
};

static enum jf_rib_kind kind_of(const struct jf_bmp_peer *p)
{
	if (p->type == JF_BMP_PEER_LOC_RIB)
		return JF_RIB_LOC;
	return (p->flags & JF_BMP_FLAG_L) ? JF_RIB_POST : JF_RIB_PRE;
}

static int up(void *arg, const struct jf_bmp_peer *p)
{
	struct ctx *c = arg;
	int id = jf_rib_table_find(c->rib, 1, p, kind_of(p));

	if (id >= 0)
		jf_rib_table_close(c->rib, id);
	jf_rib_table_open(c->rib, 1, p, kind_of(p), 0);
	return 0;
}

static void down(void *arg, const struct jf_bmp_peer *p, uint8_t reason)
{
	struct ctx *c = arg;

	(void)reason;
	jf_rib_table_close(c->rib, jf_rib_table_find(c->rib, 1, p, kind_of(p)));
}

static int route(void *arg, const struct jf_bmp_peer *p, const struct jf_bgp_prefix *pfx,
		 const struct jf_bgp_attrs *a)
{
	struct ctx *c = arg;
	int id = jf_rib_table_find(c->rib, 1, p, kind_of(p));

	if (id < 0 && a)
		id = jf_rib_table_open(c->rib, 1, p, kind_of(p), 0);
	if (id < 0)
		return 0;
	if (a)
		jf_rib_announce(c->rib, id, pfx, a, 0);
	else
		jf_rib_withdraw(c->rib, id, pfx, 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { .rib = jf_rib_new(4 << 20) };
	struct jf_bmp_handler h = { .peer_up = up, .peer_down = down, .route = route, .arg = &c };
	struct jf_bmp_parser ps;
	struct jf_rib_answer ans;
	uint32_t addr[4] = { 0 };
	size_t off = 0;

	if (!c.rib)
		return 0;
	jf_bmp_parser_init(&ps);
	while (off < size) {
		long len = jf_bmp_msg_len(&ps, data + off, size - off);
		uint8_t *msg;
		int rc;

		if (len <= 0 || (size_t)len > size - off)
			break;
		msg = malloc((size_t)len);
		if (!msg)
			break;
		memcpy(msg, data + off, (size_t)len);
		rc = jf_bmp_parse(&ps, msg, (size_t)len, &h);
		free(msg);
		if (rc)
			break;
		off += (size_t)len;
	}
	if (size >= 4)
		memcpy(addr, data, 4);
	jf_rib_lookup(c.rib, 4, addr, -1, addr, &ans);
	jf_rib_lookup(c.rib, 6, addr, -1, NULL, &ans);
	jf_bmp_parser_free(&ps);
	jf_rib_free(c.rib);
	return 0;
}
