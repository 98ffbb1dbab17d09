// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The libpcap capture backend: live interfaces without XDP and offline
 * replay of capture files, through the same parser as the XDP program. */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <pcap/pcap.h>
#include "jflowd/parse.h"
#include "clock.h"
#include "flow/flow_hash.h"
#include "log.h"
#include "meter/pcap_meter.h"

#define LIVE_SNAPLEN 256		/* headers only: Ethernet, tags, IPv6 extensions */
#define LIVE_BUFFER (32 << 20)
#define FILE_BUFFER (1 << 20)

/* Packets are parsed as libpcap hands them over, then metered in order,
 * so the cache lookups of the next ones are under way while one is merged
 * (at 50,000 flows a slot is a cache miss, and so is the next one in its
 * bucket's chain). PF_BUCKET packets before a packet is metered its key is
 * hashed and its bucket prefetched (long after the parser's stores, which
 * a load of the whole key right after them would wait for), its slot
 * PF_SLOT before, the chain's next slot or the idle-list neighbours
 * PF_NEIGH before. Sixteen packets between stages, not eight: a replay
 * of 50,000 flows waited for the slots less (1.3 ns per packet). The last
 * PF_BUCKET packets of a full batch wait for the next one, so the pipeline
 * does not restart at every batch. */
#define BATCH 256
#define PF_BUCKET 48
#define PF_SLOT 32
#define PF_NEIGH 16

/* Link types not in every pcap.h */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

struct source {
	pcap_t *p;
	int linktype;
	uint32_t ifindex;
	char name[JF_IFNAME_MAX];
	uint64_t last_drops;
	uint16_t mons;		/* the monitors covering it (bits) */
	/* Filters (src/meter/filter.h): one monitor alone on the source has
	 * its filter set on the capture (pcap_setfilter: the kernel's socket
	 * filter live); with several, each filtered monitor's program runs on
	 * every packet (pcap_offline_filter). */
	bool set_filter;	/* a filter is set on the capture */
	uint16_t check;		/* monitors whose prog[] runs per packet */
	struct bpf_program prog[JF_MONITORS];
};

/* A packet parsed, not yet metered. */
struct pending {
	struct jf_pkt pkt;
	uint32_t hash;		/* of pkt.key */
	uint32_t len;		/* frame length on the wire */
	uint64_t ts_ms;		/* capture time */
	uint8_t reason;		/* JF_PKT_* */
	uint16_t mons;		/* its source's monitors */
};

struct jf_pcap_meter {
	struct jf_meter base;
	struct source src[JF_MAX_IFACES];
	int n;
	bool offline;
	/* Monitors (include/jflowd/monitor.h): each one's rate and masks.
	 * simple: monitor 0 alone, keyed by the whole packet, sampled before
	 * the parse (the path of before monitors). */
	uint32_t rate[JF_MONITORS];
	bool masked[JF_MONITORS];
	struct jf_mon_mask mask[JF_MONITORS];
	struct jf_meter_monitor mons[JF_MONITORS];	/* as last given (filters) */
	bool simple;
	uint64_t rng;
	uint64_t first_ms;
	uint64_t clock_ms;
	/* file replay */
	off_t file_size;
	char *file_buf;			/* stdio buffer of the capture file */
	/* A classic pcap file read in place (run_mapped): no copy of the
	 * capture through the kernel and stdio; NULL: through libpcap. */
	const uint8_t *map;
	size_t map_len, map_off;
	bool map_swapped, map_nsec;
	bool progress;
	/* live: bound at open; file replay: given to jf_pcap_meter_run_file */
	struct jf_flow_cache *cache;
	struct jf_meter_stats *st;
	/* per-dispatch context */
	struct source *cur;
	uint32_t tick_ms;
	uint64_t next_tick_ms;
	jf_tick_fn tick;
	void *tick_arg;
	uint64_t got;
	/* parsed, waiting for meter_batch */
	unsigned int n_pend;
	unsigned int n_hashed;		/* pend[0..n_hashed) hashed, bucket prefetched */
	struct pending pend[BATCH];
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static int linktype_ok(int lt)
{
	switch (lt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

/* The frame under its link-layer header, into the shared parser. */
static int parse_frame(int lt, const uint8_t *d, const uint8_t *end, struct jf_pkt *p)
{
	switch (lt) {
	case DLT_EN10MB:
		return jf_parse_eth(d, end, p);
	case DLT_LINUX_SLL:	/* 16 bytes, protocol at 14 */
		if (d + 16 > end)
			return JF_PKT_TRUNC_L2;
		return jf_parse_ethertype(d + 16, end, jf_rd16(d + 14), p);
	case DLT_LINUX_SLL2:	/* 20 bytes, protocol at 0 */
		if (d + 20 > end)
			return JF_PKT_TRUNC_L2;
		return jf_parse_ethertype(d + 20, end, jf_rd16(d), p);
	case DLT_NULL:
	case DLT_LOOP:		/* 4-byte address family, then IP */
		if (d + 4 > end)
			return JF_PKT_TRUNC_L2;
		return jf_parse_ip(d + 4, end, p);
	default:		/* raw IPv4/IPv6 */
		return jf_parse_ip(d, end, p);
	}
}

/* A packet in a flow with what its frame holds, though its IP header
 * claimed more: said beside its fate, once per monitor that counted it. */
static void count_trimmed(struct jf_meter_stats *st, const struct pending *q)
{
	if (q->pkt.trimmed && q->reason == JF_PKT_OK) {
		st->trimmed_packets++;
		st->trimmed_octets += q->pkt.claimed - q->pkt.octets;
	}
}

/* Several monitors, or a coarser record: q counted once for each monitor
 * of its source, sampled by each, into its monitor's flow (the key
 * masked to the monitor's record, its index in the key: the same as the
 * XDP program, include/jflowd/monitor.h). */
static void meter_monitors(struct jf_pcap_meter *m, const struct pending *q, uint64_t now_ms)
{
	uint32_t k;

	for (k = 0; k < JF_MONITORS; k++) {
		struct jf_flow u;
		struct jf_key key;

		if (!(q->mons & (1u << k)))
			continue;
		if (m->rate[k] > 1 && rng_next(&m->rng) % m->rate[k]) {
			jf_meter_count(m->st, k, JF_PKT_NOT_SAMPLED, 1, q->len);
			continue;
		}
		if (q->reason != JF_PKT_OK) {
			jf_meter_count(m->st, k, q->reason, 1, q->pkt.octets ? q->pkt.octets : q->len);
			continue;
		}
		key = q->pkt.key;
		jf_key_for_monitor(&key, m->masked[k] ?
				   &m->mask[k].m[key.family == JF_FAMILY_IPV6][0] : NULL, k);
		u = jf_flow_packet(q->pkt.octets, q->pkt.tcp_flags, q->pkt.ttl, q->pkt.flow_label,
				   q->ts_ms);
		u.frag_id = q->pkt.frag_id;
		jf_cache_update(m->cache, &key, &u, now_ms);
		jf_meter_count(m->st, k, JF_PKT_OK, 1, q->pkt.octets);
		count_trimmed(m->st, q);
	}
}

/* Meter the first n pending packets in capture order: the clock, ticks,
 * expiry and the cache see each exactly as if it came alone. The rest
 * move to the front. */
static void meter_batch(struct jf_pcap_meter *m, unsigned int n)
{
	struct jf_meter_stats *st = m->st;
	struct jf_flow_cache *c = m->cache;
	unsigned int i, all = m->n_pend;
	/* Live, the cache's timeouts run on the monotonic clock. */
	uint64_t live_ms = m->offline ? 0 : jf_mono_ms();

	for (i = 0; i < n; i++) {
		struct pending *q = &m->pend[i];
		uint64_t ts = q->ts_ms;

		for (; m->n_hashed < all && m->n_hashed <= i + PF_BUCKET; m->n_hashed++) {
			struct pending *h = &m->pend[m->n_hashed];

			if (h->reason == JF_PKT_OK && m->simple) {
				h->hash = jf_flow_hash(&h->pkt.key);
				jf_cache_prefetch(c, h->hash, JF_PF_BUCKET);
			}
		}
		if (i + PF_SLOT < all && q[PF_SLOT].reason == JF_PKT_OK && m->simple)
			jf_cache_prefetch(c, q[PF_SLOT].hash, JF_PF_SLOT);
		if (i + PF_NEIGH < all && q[PF_NEIGH].reason == JF_PKT_OK && m->simple)
			jf_cache_prefetch(c, q[PF_NEIGH].hash, JF_PF_NEIGHBOURS);

		if (!m->first_ms)
			m->first_ms = ts ? ts : 1;
		if (ts > m->clock_ms)
			m->clock_ms = ts;	/* never backwards: reordered captures */
		if (m->tick && m->clock_ms >= m->next_tick_ms) {
			m->tick(m->clock_ms, m->tick_arg);
			m->next_tick_ms = m->clock_ms - m->clock_ms % m->tick_ms + m->tick_ms;
		}
		/* Replaying, timeouts are exact on capture time: a flow due at t
		 * leaves before a packet of time t joins it. (Three list heads
		 * looked at per packet; live capture expires on its ticks.) */
		if (m->offline)
			jf_cache_expire(c, m->clock_ms);
		if (!m->simple) {
			meter_monitors(m, q, m->offline ? m->clock_ms : live_ms);
			continue;
		}
		if (q->reason == JF_PKT_OK) {
			struct jf_flow u = jf_flow_packet(q->pkt.octets, q->pkt.tcp_flags,
							  q->pkt.ttl, q->pkt.flow_label, ts);

			u.frag_id = q->pkt.frag_id;
			jf_cache_update_hashed(c, &q->pkt.key, &u,
					       m->offline ? m->clock_ms : live_ms, q->hash);
		}
		jf_meter_count(st, 0, q->reason, 1, q->pkt.octets ? q->pkt.octets : q->len);
		count_trimmed(st, q);
	}
	if (n < all)
		memmove(m->pend, m->pend + n, (all - n) * sizeof(m->pend[0]));
	m->n_pend = all - n;
	m->n_hashed -= n;
}

/* Parse now (libpcap reuses its buffer for the next packet), meter with
 * the batch. */
static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct jf_pcap_meter *m = (struct jf_pcap_meter *)arg;
	struct pending *q = &m->pend[m->n_pend];

	q->ts_ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
	q->len = h->len;
	m->got++;
	memset(&q->pkt, 0, sizeof(q->pkt));
	/* Cut by the snap length: on the wire it was all there. */
	q->pkt.tail_len = h->len > h->caplen ? h->len - h->caplen : 0;
	q->mons = m->cur->mons;
	if (m->cur->check) {
		uint16_t c = m->cur->check;
		int k;

		for (k = 0; c; k++, c >>= 1)
			if ((c & 1) && !pcap_offline_filter(&m->cur->prog[k], h, data))
				q->mons &= (uint16_t)~(1u << k);
		if (!q->mons)
			return;	/* no monitor selects it: in no counter */
	}
	if (m->simple && m->rate[0] > 1 && rng_next(&m->rng) % m->rate[0]) {
		q->reason = JF_PKT_NOT_SAMPLED;
	} else {
		q->reason = (uint8_t)parse_frame(m->cur->linktype, data, data + h->caplen,
						 &q->pkt);
		if (q->reason == JF_PKT_OK)
			q->pkt.key.ifindex = m->cur->ifindex;
	}
	if (++m->n_pend == BATCH)
		meter_batch(m, BATCH - PF_BUCKET);
}

/* Every pcap_dispatch is followed by this: nothing waits past it. */
static int dispatch(struct jf_pcap_meter *m, pcap_t *p, int cnt)
{
	int rc = pcap_dispatch(p, cnt, on_packet, (u_char *)m);

	meter_batch(m, m->n_pend);
	return rc;
}

/* Classic pcap (not pcapng) in this byte order or the other, micro- or
 * nanosecond timestamps. */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_HDR_LEN 24
#define PCAP_REC_LEN 16
#define PCAP_MAX_CAPLEN 262144u	/* libpcap's largest snapshot length */

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

/* A regular file in classic pcap format is read in place: mapped, each
 * record handed to the parser where it lies. libpcap has checked the file
 * header and named the link type already. Anything else (pcapng, a pipe, a
 * failed mapping) is read through libpcap as before. */
static void map_file(struct jf_pcap_meter *m, int fd)
{
	struct stat sb;
	uint32_t magic;
	void *p;

	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size < PCAP_HDR_LEN)
		return;
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return;
	memcpy(&magic, p, 4);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS && swap32(magic) != PCAP_MAGIC_US &&
	    swap32(magic) != PCAP_MAGIC_NS) {
		munmap(p, (size_t)sb.st_size);
		return;
	}
	madvise(p, (size_t)sb.st_size, MADV_SEQUENTIAL);
	m->map = p;
	m->map_len = (size_t)sb.st_size;
	m->map_off = PCAP_HDR_LEN;
	m->map_swapped = magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS;
	m->map_nsec = magic == PCAP_MAGIC_NS || swap32(magic) == PCAP_MAGIC_NS;
}

/* Up to cnt records of the mapped file through on_packet, then the batch
 * metered (as dispatch() does). Returns the records read, 0 at the end,
 * -1 on a truncated or corrupt record (err says which, as libpcap would). */
static int dispatch_mapped(struct jf_pcap_meter *m, int cnt, char *err, size_t errlen)
{
	int n = 0, rc = 0;

	while (n < cnt && m->map_off < m->map_len) {
		const uint8_t *r = m->map + m->map_off;
		size_t left = m->map_len - m->map_off;
		struct pcap_pkthdr h;
		uint32_t w[4];

		if (left < PCAP_REC_LEN) {
			snprintf(err, errlen, "truncated dump file; tried to read %d header bytes, "
				 "only got %zu", PCAP_REC_LEN, left);
			rc = -1;
			break;
		}
		memcpy(w, r, sizeof(w));
		if (m->map_swapped) {
			w[0] = swap32(w[0]);
			w[1] = swap32(w[1]);
			w[2] = swap32(w[2]);
			w[3] = swap32(w[3]);
		}
		if (w[2] > PCAP_MAX_CAPLEN) {
			snprintf(err, errlen, "invalid packet capture length %u, bigger than maximum "
				 "of %u", w[2], PCAP_MAX_CAPLEN);
			rc = -1;
			break;
		}
		if (left - PCAP_REC_LEN < w[2]) {
			snprintf(err, errlen, "truncated dump file; tried to read %u captured "
				 "bytes, only got %zu", w[2], left - PCAP_REC_LEN);
			rc = -1;
			break;
		}
		h.ts.tv_sec = w[0];
		h.ts.tv_usec = m->map_nsec ? w[1] / 1000 : w[1];
		h.caplen = w[2];
		h.len = w[3];
		on_packet((u_char *)m, &h, r + PCAP_REC_LEN);
		m->map_off += PCAP_REC_LEN + w[2];
		n++;
	}
	meter_batch(m, m->n_pend);
	return rc ? rc : n;
}

static struct jf_pcap_meter *meter_new(uint32_t sample_rate)
{
	struct jf_pcap_meter *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->base.ops = &jf_pcap_meter_ops;
	m->rate[0] = sample_rate;
	m->simple = true;
	if (getrandom(&m->rng, sizeof(m->rng), 0) != sizeof(m->rng) || !m->rng)
		m->rng = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull | 1;
	return m;
}

struct jf_pcap_meter *jf_pcap_meter_open_fp(FILE *f, const char *name, uint32_t sample_rate,
					    char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct jf_pcap_meter *m = meter_new(sample_rate);
	struct stat sb;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		fclose(f);
		return NULL;
	}
	m->offline = true;
	m->n = 1;
	m->src[0].mons = 1;	/* monitor 0 (jf_pcap_meter_set_monitors) */
	if (!fstat(fileno(f), &sb))
		m->file_size = sb.st_size;
	m->src[0].p = pcap_fopen_offline(f, perr);
	if (!m->src[0].p) {
		snprintf(err, errlen, "read %s: %s", name, perr);
		fclose(f);
		free(m);
		return NULL;
	}
	m->src[0].linktype = pcap_datalink(m->src[0].p);
	if (!linktype_ok(m->src[0].linktype)) {
		snprintf(err, errlen, "read %s: link type %s is not supported (Ethernet, "
			 "Linux cooked SLL/SLL2, raw IP, BSD loopback are)", name,
			 pcap_datalink_val_to_name(m->src[0].linktype) ?
			 pcap_datalink_val_to_name(m->src[0].linktype) : "?");
		jf_pcap_meter_close(m);
		return NULL;
	}
	m->progress = isatty(STDERR_FILENO);
	return m;
}

struct jf_pcap_meter *jf_pcap_meter_open_file(const char *path, uint32_t sample_rate,
					      char *err, size_t errlen)
{
	struct jf_pcap_meter *m;
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		snprintf(err, errlen, "read %s: %s", path, strerror(errno));
		return NULL;
	}
	/* libpcap reads a record at a time through stdio: a large buffer
	 * turns 250,000 read() calls per GB into a thousand. (glibc ignores
	 * the size unless it is given the buffer.) */
	buf = malloc(FILE_BUFFER);
	if (buf)
		setvbuf(f, buf, _IOFBF, FILE_BUFFER);
	m = jf_pcap_meter_open_fp(f, path, sample_rate, err, errlen);
	if (m) {
		m->file_buf = buf;
		map_file(m, fileno(pcap_file(m->src[0].p)));
	} else {
		free(buf);
	}
	return m;
}

static void drop_filters(struct source *s);

static void close_source(struct source *s)
{
	drop_filters(s);
	if (s->p)
		pcap_close(s->p);
	s->p = NULL;
}

/* A live capture on one interface: ingress, non-blocking. 0 or -1 with
 * err (s->p may be left open: close_source). */
static int open_source(struct source *s, const char *name, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->ifindex = if_nametoindex(s->name);
	if (!s->ifindex) {
		snprintf(err, errlen, "interface %s: %s", s->name, strerror(errno));
		return -1;
	}
	s->p = pcap_create(s->name, perr);
	if (!s->p) {
		snprintf(err, errlen, "capture %s: %s", s->name, perr);
		return -1;
	}
	pcap_set_snaplen(s->p, LIVE_SNAPLEN);
	pcap_set_promisc(s->p, 1);	/* a mirror port carries others' frames */
	pcap_set_immediate_mode(s->p, 1);
	pcap_set_buffer_size(s->p, LIVE_BUFFER);
	rc = pcap_activate(s->p);
	if (rc < 0) {
		snprintf(err, errlen, "capture %s: %s", s->name, pcap_geterr(s->p));
		return -1;
	}
	/* Ingress only, as the XDP program sees it. */
	if (pcap_setdirection(s->p, PCAP_D_IN))
		log_warn("capture %s: cannot restrict to inbound packets: %s", s->name,
			 pcap_geterr(s->p));
	if (pcap_setnonblock(s->p, 1, perr)) {
		snprintf(err, errlen, "capture %s: %s", s->name, perr);
		return -1;
	}
	s->linktype = pcap_datalink(s->p);
	if (!linktype_ok(s->linktype)) {
		snprintf(err, errlen, "capture %s: link type %d is not supported",
			 s->name, s->linktype);
		return -1;
	}
	log_info("metering %s (ifindex %u) with libpcap", s->name, s->ifindex);
	return 0;
}

struct jf_pcap_meter *jf_pcap_meter_open_live(const struct jf_meter_params *p,
					      struct jf_flow_cache *cache,
					      struct jf_meter_stats *st, char *err, size_t errlen)
{
	struct jf_pcap_meter *m = meter_new(p->sample_rate);
	int i;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->cache = cache;
	m->st = st;
	for (i = 0; i < p->n_ifaces; i++) {
		m->n = i + 1;	/* closed on failure too */
		if (open_source(&m->src[i], p->ifaces[i], err, errlen))
			goto fail;
	}
	jf_pcap_meter_set_monitors(m, p);
	return m;
fail:
	jf_pcap_meter_close(m);
	return NULL;
}

/* The per-packet programs of s. */
static void drop_filters(struct source *s)
{
	int k;

	for (k = 0; k < JF_MONITORS; k++)
		if (s->check & (1u << k))
			pcap_freecode(&s->prog[k]);
	s->check = 0;
}

/* expr compiled for s's link type into prog; logs and returns -1 when it
 * cannot be (then the monitor meters every packet of s). */
static int compile_for(struct source *s, int k, const char *expr, struct bpf_program *prog)
{
	if (!pcap_compile(s->p, prog, expr, 1, PCAP_NETMASK_UNKNOWN))
		return 0;
	log_err("%s: monitor index %d: filter '%s': %s; metering every packet", s->name, k,
		expr, pcap_geterr(s->p));
	return -1;
}

/* s's filters for the monitors (mons) that cover it. */
static void source_filters(struct source *s, const struct jf_meter_monitor *mons)
{
	struct bpf_program prog;
	uint16_t filtered = 0;
	int k, n = 0, only = -1;

	drop_filters(s);
	if (!s->p)
		return;
	for (k = 0; k < JF_MONITORS; k++) {
		if (!(s->mons & (1u << k)))
			continue;
		n++;
		only = k;
		if (mons[k].used && mons[k].filter[0])
			filtered |= (uint16_t)(1u << k);
	}
	if (n == 1 && filtered) {
		if (!compile_for(s, only, mons[only].filter, &prog)) {
			if (pcap_setfilter(s->p, &prog))
				log_err("%s: filter '%s': %s", s->name, mons[only].filter,
					pcap_geterr(s->p));
			else
				s->set_filter = true;
			pcap_freecode(&prog);
		}
		return;
	}
	if (s->set_filter && !compile_for(s, 0, "", &prog)) {	/* every packet again */
		if (!pcap_setfilter(s->p, &prog))
			s->set_filter = false;
		pcap_freecode(&prog);
	}
	for (k = 0; k < JF_MONITORS; k++)
		if ((filtered & (1u << k)) && !compile_for(s, k, mons[k].filter, &s->prog[k]))
			s->check |= (uint16_t)(1u << k);
}

void jf_pcap_meter_close(struct jf_pcap_meter *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		drop_filters(&m->src[i]);
		if (m->src[i].p)
			pcap_close(m->src[i].p);
	}
	free(m->file_buf);	/* after pcap_close has closed the stream */
	if (m->map)
		munmap((void *)m->map, m->map_len);
	free(m);
}

static void show_progress(struct jf_pcap_meter *m, double start, bool last)
{
	double el = jf_mono_s() - start;
	long pos = m->map ? (long)m->map_off : ftell(pcap_file(m->src[0].p));
	double pct = m->file_size > 0 && pos >= 0 ? 100.0 * (double)pos / (double)m->file_size : 0;

	if (last)
		pct = 100;
	fprintf(stderr, "\rjflowd: %llu packets read, %.0f packets/s, %.0f%%%s",
		(unsigned long long)m->got, el > 0 ? (double)m->got / el : 0.0, pct,
		last ? "\n" : "   ");
}

int jf_pcap_meter_run_file(struct jf_pcap_meter *m, struct jf_flow_cache *cache,
			   struct jf_meter_stats *st, uint32_t tick_ms, jf_tick_fn tick,
			   void *arg, char *err, size_t errlen)
{
	double start = jf_mono_s(), next_progress = start + 0.5;
	int rc;

	m->cache = cache;
	m->st = st;
	m->cur = &m->src[0];
	m->tick_ms = tick_ms ? tick_ms : 1000;
	m->tick = tick;
	m->tick_arg = arg;
	m->next_tick_ms = 0;
	for (;;) {
		rc = m->map ? dispatch_mapped(m, 4096, err, errlen) : dispatch(m, m->src[0].p, 4096);
		if (rc < 0)
			break;
		if (m->progress && jf_mono_s() >= next_progress) {
			show_progress(m, start, false);
			next_progress += 0.5;
		}
		if (rc == 0)
			break;
	}
	st->files_read_packets = m->got;
	if (m->progress)
		show_progress(m, start, true);
	if (rc < 0) {
		/* A truncated file: what was read is metered and exported. */
		if (!m->map)
			snprintf(err, errlen, "%s", pcap_geterr(m->src[0].p));
		return -1;
	}
	return 0;
}

uint64_t jf_pcap_meter_first_ms(const struct jf_pcap_meter *m)
{
	return m->first_ms;
}

uint64_t jf_pcap_meter_clock_ms(const struct jf_pcap_meter *m)
{
	return m->clock_ms;
}

/* One per capture, in order; a capture closed while its interface is
 * gone is -1, which poll skips. */
static int capture_fds(const struct jf_pcap_meter *m, struct pollfd *pfd, int max)
{
	int i;

	for (i = 0; i < m->n && i < max; i++) {
		pfd[i].fd = m->src[i].p ? pcap_get_selectable_fd(m->src[i].p) : -1;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return i;
}

int jf_pcap_meter_poll(struct jf_pcap_meter *m, int timeout_ms)
{
	struct pollfd pfd[JF_MAX_IFACES];
	int i, rc, total = 0;

	capture_fds(m, pfd, JF_MAX_IFACES);
	rc = poll(pfd, (nfds_t)m->n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	m->tick = NULL;
	for (i = 0; i < m->n; i++) {
		if (!pfd[i].revents)
			continue;
		m->cur = &m->src[i];
		do {
			rc = dispatch(m, m->src[i].p, 1024);
			if (rc > 0)
				total += rc;
		} while (rc == 1024);
		if (rc < 0 && rc != PCAP_ERROR_BREAK)
			log_warn("capture %s: %s", m->src[i].name, pcap_geterr(m->src[i].p));
	}
	return total;
}

void jf_pcap_meter_update_drops(struct jf_pcap_meter *m)
{
	struct jf_meter_stats *st = m->st;
	int i;

	for (i = 0; i < m->n; i++) {
		struct pcap_stat ps;

		if (m->offline || !m->src[i].p || pcap_stats(m->src[i].p, &ps))
			continue;
		/* ps_drop is 32 bits and wraps: accumulate deltas. Every
		 * monitor of the interface would have seen them. */
		uint32_t d = (uint32_t)(ps.ps_drop - (uint32_t)m->src[i].last_drops), k;

		st->capture_drops += d;
		for (k = 0; k < JF_MONITORS; k++)
			if (m->src[i].mons & (1u << k))
				st->mon[k].capture_drops += d;
		m->src[i].last_drops = ps.ps_drop;
	}
}

uint32_t jf_pcap_meter_ifindex(const struct jf_pcap_meter *m, int i)
{
	return m->src[i].ifindex;
}

void jf_pcap_meter_set_monitors(struct jf_pcap_meter *m, const struct jf_meter_params *p)
{
	int k, i, j, used = 0;

	m->simple = true;
	memcpy(m->mons, p->mons, sizeof(m->mons));
	for (k = 0; k < JF_MONITORS; k++) {
		m->rate[k] = jf_meter_mon_rate(p, k);
		m->masked[k] = p->mons[k].used && p->mons[k].masked;
		if (m->masked[k])
			m->mask[k] = p->mons[k].mask;
		if (p->mons[k].used && (k || m->masked[k]))
			m->simple = false;
		used += p->mons[k].used;
	}
	if (used > 1)
		m->simple = false;
	for (i = 0; i < m->n; i++) {
		m->src[i].mons = 0;
		for (k = 0; k < JF_MONITORS; k++) {
			if (m->offline) {
				/* A capture file: every monitor, whatever its
				 * interfaces. */
				if (used ? p->mons[k].used : k == 0)
					m->src[i].mons |= (uint16_t)(1u << k);
				continue;
			}
			for (j = 0; j < p->n_ifaces; j++)
				if (!strcmp(p->ifaces[j], m->src[i].name) &&
				    (jf_meter_mon_dirs(p, k, j) & JF_DIR_IN))
					m->src[i].mons |= (uint16_t)(1u << k);
		}
		source_filters(&m->src[i], m->mons);
	}
}

/* --- struct jf_meter_ops (live capture) --- */

static struct jf_pcap_meter *pcap_of(const struct jf_meter *m)
{
	return jf_meter_priv(m, struct jf_pcap_meter);
}

static struct jf_meter *ops_open(const struct jf_meter_params *p, struct jf_flow_cache *cache,
				 struct jf_meter_stats *st, char *err, size_t errlen)
{
	struct jf_pcap_meter *m = jf_pcap_meter_open_live(p, cache, st, err, errlen);

	return m ? &m->base : NULL;
}

static int ops_poll(struct jf_meter *m, int timeout_ms, uint64_t now_ms)
{
	(void)now_ms;	/* packets carry their own time */
	return jf_pcap_meter_poll(pcap_of(m), timeout_ms);
}

static int ops_tick(struct jf_meter *m, uint64_t now_ms)
{
	(void)now_ms;
	jf_pcap_meter_update_drops(pcap_of(m));
	return 0;
}

/* What the kernel still holds for us, then its final drop counts. */
static int ops_stop(struct jf_meter *m, uint64_t now_ms)
{
	(void)now_ms;
	jf_pcap_meter_poll(pcap_of(m), 0);
	jf_pcap_meter_update_drops(pcap_of(m));
	return 0;
}

/* Sampling and masks happen here, as packets are read: what was read is
 * metered by the old ones first, every later packet by the new. */
static int ops_set_monitors(struct jf_meter *mm, const struct jf_meter_params *p,
			    uint64_t now_ms)
{
	struct jf_pcap_meter *m = pcap_of(mm);

	(void)now_ms;
	jf_pcap_meter_poll(m, 0);
	jf_pcap_meter_set_monitors(m, p);
	return 0;
}

static int ops_set_ifaces(struct jf_meter *mm, const struct jf_meter_params *p, char *err,
			  size_t errlen)
{
	struct jf_pcap_meter *m = pcap_of(mm);
	struct source next[JF_MAX_IFACES];
	bool kept[JF_MAX_IFACES] = { false }, fresh[JF_MAX_IFACES];
	int i, j;

	for (i = 0; i < p->n_ifaces; i++) {
		fresh[i] = true;
		for (j = 0; j < m->n; j++) {
			if (!kept[j] && !strcmp(m->src[j].name, p->ifaces[i])) {
				kept[j] = true;
				fresh[i] = false;
				next[i] = m->src[j];
				break;
			}
		}
		if (fresh[i] && open_source(&next[i], p->ifaces[i], err, errlen)) {
			close_source(&next[i]);
			for (j = 0; j < i; j++)
				if (fresh[j])
					close_source(&next[j]);
			return -ENODEV;
		}
	}
	/* What the removed captures hold is metered before they close. */
	jf_pcap_meter_poll(m, 0);
	jf_pcap_meter_update_drops(m);
	for (j = 0; j < m->n; j++) {
		if (kept[j])
			continue;
		log_info("no longer metering %s", m->src[j].name);
		close_source(&m->src[j]);
	}
	memcpy(m->src, next, sizeof(next[0]) * (size_t)p->n_ifaces);
	m->n = p->n_ifaces;
	m->cur = NULL;
	jf_pcap_meter_set_monitors(m, p);	/* the new sources' monitors */
	return 0;
}

/* The interface is gone: meter what its capture still holds, then close
 * it, so that a dead descriptor does not wake every poll. */
static void ops_iface_gone(struct jf_meter *mm, int i)
{
	struct jf_pcap_meter *m = pcap_of(mm);

	jf_pcap_meter_poll(m, 0);
	jf_pcap_meter_update_drops(m);
	close_source(&m->src[i]);
	m->cur = NULL;
}

/* The interface is back (a new ifindex): capture on it again. CAP_NET_RAW
 * is kept for this (keep_caps below). */
static int ops_iface_back(struct jf_meter *mm, int i, uint32_t ifindex, char *err,
			  size_t errlen)
{
	struct jf_pcap_meter *m = pcap_of(mm);
	char name[JF_IFNAME_MAX];

	uint16_t mons = m->src[i].mons;

	snprintf(name, sizeof(name), "%s", m->src[i].name);
	close_source(&m->src[i]);
	if (open_source(&m->src[i], name, err, errlen)) {
		close_source(&m->src[i]);
		snprintf(m->src[i].name, sizeof(m->src[i].name), "%s", name);
		m->src[i].mons = mons;
		return -ENODEV;
	}
	m->src[i].mons = mons;	/* its monitors, and their filters */
	source_filters(&m->src[i], m->mons);
	log_info("interface %s is back (ifindex %u): capturing on it again", name, ifindex);
	return 0;
}

static uint32_t ops_ifindex(const struct jf_meter *m, int i)
{
	return jf_pcap_meter_ifindex(pcap_of(m), i);
}

static uint64_t ops_kernel_bytes(const struct jf_meter *m)
{
	(void)m;
	return 0;	/* libpcap's ring is not ours to count */
}

static void ops_close(struct jf_meter *m)
{
	jf_pcap_meter_close(pcap_of(m));
}

static int ops_pollfds(const struct jf_meter *m, struct pollfd *pfd, int max, int *wait_ms)
{
	(void)wait_ms;
	return capture_fds(pcap_of(m), pfd, max);
}

const struct jf_meter_ops jf_pcap_meter_ops = {
	.name = "pcap",
	.keep_caps = 1ULL << CAP_NET_RAW,	/* open a capture socket again */
	.open = ops_open,
	.poll = ops_poll,
	.tick = ops_tick,
	.stop = ops_stop,
	.set_monitors = ops_set_monitors,
	.set_ifaces = ops_set_ifaces,
	.iface_gone = ops_iface_gone,
	.iface_back = ops_iface_back,
	.ifindex = ops_ifindex,
	.kernel_bytes = ops_kernel_bytes,
	.close = ops_close,
	.pollfds = ops_pollfds,
};
