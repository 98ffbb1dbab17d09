// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Export messages for NetFlow v9 (RFC 3954) and IPFIX (RFC 7011). */
#include <errno.h>
#include <string.h>
#include "export/flowset.h"

/* Set ids: v9 FlowSet ids 0/1, IPFIX Set ids 2/3; data sets use the
 * template id in both. */
static uint16_t template_set_id(const struct jf_msg *m, const struct jf_template *t)
{
	bool opt = t->kind != JF_TMPL_DATA;

	if (m->wire == JF_WIRE_IPFIX)
		return opt ? 3 : 2;
	return opt ? 1 : 0;
}

static size_t hdr_len(enum jf_wire w)
{
	return w == JF_WIRE_IPFIX ? JF_IPFIX_HDR_LEN : JF_V9_HDR_LEN;
}

void jf_msg_init(struct jf_msg *m, enum jf_wire wire, uint8_t *buf, size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->wire = wire;
	m->buf = buf;
	m->cap = cap;
	m->len = hdr_len(wire);
}

/* v9 pads every FlowSet to 32 bits (RFC 3954 5.3); IPFIX needs no padding. */
static size_t set_pad(const struct jf_msg *m, size_t set_len)
{
	if (m->wire != JF_WIRE_V9)
		return 0;
	return (4 - (set_len & 3)) & 3;
}

static void close_set(struct jf_msg *m)
{
	size_t set_len, pad;

	if (!m->set_off)
		return;
	set_len = m->len - m->set_off;
	pad = set_pad(m, set_len);
	memset(m->buf + m->len, 0, pad);	/* zeros only, shorter than a record */
	m->len += pad;
	set_len += pad;
	jf_put_be(m->buf + m->set_off + 2, set_len, 2);
	m->set_off = 0;
}

/* Make room for `need` bytes in a set `id`, opening a new set if needed.
 * Counts the padding of the set closed now and of this one when it closes,
 * so a finished message never exceeds the capacity. */
static int reserve(struct jf_msg *m, uint16_t id, size_t need, bool own_set)
{
	bool same = m->set_off && m->set_id == id && !own_set;
	size_t end = m->len, set_len;

	if (same) {
		set_len = m->len - m->set_off + need;
	} else {
		if (m->set_off)
			end += set_pad(m, m->len - m->set_off);
		end += 4;
		set_len = 4 + need;
	}
	end += need + set_pad(m, set_len);
	if (end > m->cap)
		return -ENOSPC;
	if (!same) {
		close_set(m);
		m->set_off = m->len;
		m->set_id = id;
		jf_put_be(m->buf + m->len, id, 2);
		jf_put_be(m->buf + m->len + 2, 0, 2);
		m->len += 4;
	}
	return 0;
}

int jf_msg_add_template(struct jf_msg *m, const struct jf_template *t)
{
	uint16_t sid = template_set_id(m, t);
	bool opt = t->kind != JF_TMPL_DATA;
	size_t need = 4 + (opt ? 2 : 0) + 4u * t->nfields;
	uint8_t *p;
	uint16_t i;

	/* Options templates each get a set of their own: nfdump reads only
	 * the first options template of a set, in v9 and IPFIX alike. */
	if (reserve(m, sid, need, opt))
		return -ENOSPC;
	p = m->buf + m->len;
	jf_put_be(p, t->id, 2);
	if (!opt) {
		jf_put_be(p + 2, t->nfields, 2);
		p += 4;
	} else if (m->wire == JF_WIRE_IPFIX) {
		jf_put_be(p + 2, t->nfields, 2);
		jf_put_be(p + 4, t->scope_count, 2);	/* never zero */
		p += 6;
	} else {
		jf_put_be(p + 2, 4u * t->scope_count, 2);	/* scope length, bytes */
		jf_put_be(p + 4, 4u * (t->nfields - t->scope_count), 2);
		p += 6;
	}
	for (i = 0; i < t->nfields; i++, p += 4) {
		jf_put_be(p, t->f[i].ie, 2);
		jf_put_be(p + 2, t->f[i].len, 2);
	}
	m->len += need;
	m->count++;
	m->templates++;
	if (opt)
		close_set(m);
	return 0;
}

static uint8_t *add_record(struct jf_msg *m, const struct jf_template *t, bool own_set)
{
	uint8_t *p;

	if (reserve(m, t->id, t->rec_len, own_set))
		return NULL;
	p = m->buf + m->len;
	m->len += t->rec_len;
	m->count++;
	m->data_records++;
	return p;
}

int jf_msg_add_flow(struct jf_msg *m, const struct jf_template *t,
		    const struct jf_record *r, const struct jf_enc_ctx *ctx)
{
	uint8_t *p = add_record(m, t, false);

	if (!p)
		return -ENOSPC;
	jf_write_flow(p, t, r, ctx);
	m->flow_records++;
	return 0;
}

int jf_msg_add_nat_event(struct jf_msg *m, const struct jf_template *t,
			 const struct jf_nat_event *ev)
{
	uint8_t *p = add_record(m, t, false);

	if (!p)
		return -ENOSPC;
	jf_write_nat_event(p, t, ev);
	m->flow_records++;
	return 0;
}

int jf_msg_add_opt_exporter(struct jf_msg *m, const struct jf_template *t,
			    const struct jf_opt_exporter *v)
{
	uint8_t *p = add_record(m, t, false);

	if (!p)
		return -ENOSPC;
	jf_write_opt_exporter(p, t, v);
	return 0;
}

int jf_msg_add_opt_ifname(struct jf_msg *m, const struct jf_template *t,
			  const struct jf_opt_ifname *v)
{
	/* One record per set: nfdump 1.7.1 steps through interface records
	 * by scope + index + description only, so in a set of several it
	 * reads every record after the first at the wrong offset (our IE 82
	 * follows the description). */
	uint8_t *p = add_record(m, t, true);

	if (!p)
		return -ENOSPC;
	jf_write_opt_ifname(p, t, v);
	return 0;
}

size_t jf_msg_finish(struct jf_msg *m, const struct jf_msg_hdr *h)
{
	uint8_t *p = m->buf;

	close_set(m);
	if (m->wire == JF_WIRE_IPFIX) {
		jf_put_be(p, 10, 2);
		jf_put_be(p + 2, m->len, 2);
		jf_put_be(p + 4, h->export_secs, 4);
		jf_put_be(p + JF_IPFIX_SEQ_OFF, h->sequence, 4);
		jf_put_be(p + 12, h->domain, 4);
	} else {
		jf_put_be(p, 9, 2);
		jf_put_be(p + 2, m->count, 2);
		jf_put_be(p + 4, h->uptime_ms, 4);
		jf_put_be(p + 8, h->export_secs, 4);
		jf_put_be(p + 12, h->sequence, 4);
		jf_put_be(p + 16, h->domain, 4);
	}
	return m->len;
}
