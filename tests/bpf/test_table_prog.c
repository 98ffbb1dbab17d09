// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The real XDP program with the persistent flow table (table_slots set),
 * through BPF_PROG_TEST_RUN, read by the agent's module (src/flow_table.c)
 * through a mapping of the array: both sides agree on layout and hash,
 * every packet is in a slot, the stash or the spill ring, and a removed
 * flow comes back in a slot of its own. The split slot: IPv6 and MPLS keys
 * that differ only in the words kept in the slot's second cache line get
 * slots of their own, keys read back whole, and an IPv4 key in a slot an
 * IPv6 key had reads back with zero cold words. The clock: slot times are
 * CLOCK_MONOTONIC ns from jiffies, never ahead of clock_gettime, never more
 * than a tick behind it, monotonic. Exits 77 without root. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meter/bpf_clock.h"
#include "meter/flow_table.h"
#include "meter/table_segs.h"
#include "jflowd/monitor.h"
#include "jflowd.skel.h"
#include "../lib/pktbuild.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		printf("FAIL %s:%d: ", __FILE__, __LINE__); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		failures++; \
	} \
} while (0)

struct sink {
	uint64_t packets, octets, deltas;
	int far;		/* slots more than JF_TABLE_MAX_PROBE from home */
	uint32_t nslots;
};

static void collect(void *arg, uint32_t idx, const struct jf_key *key,
		    const struct jf_table_delta *d)
{
	struct sink *s = arg;
	uint32_t home = jf_table_home(jf_table_hash(key), s->nslots);
	uint32_t dist = idx >= home ? idx - home : idx + s->nslots - home;

	s->packets += d->packets;
	s->octets += d->octets;
	s->deltas++;
	s->far += dist >= JF_TABLE_MAX_PROBE;
}

static int send_flow(int prog_fd, uint32_t flow)
{
	struct pb p;

	pb_init(&p);
	pb_eth(&p);
	pb_u16(&p, 0x0800);
	pb_ipv4(&p, 0x0a000000u + flow, 0xc6336407u, 6, 0, 64, 40, 0, 0);
	pb_tcp(&p, 40000, 443, 0x10);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p.b, .data_size_in = p.len,
			    .repeat = 1);
		return bpf_prog_test_run_opts(prog_fd, &o);
	}
}

static uint64_t stat_packets(struct jflowd_bpf *skel, uint32_t reason)
{
	int ncpu = libbpf_num_possible_cpus();
	struct jf_stat v[ncpu];
	uint32_t idx = JF_STAT_IDX(0, reason);
	uint64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &idx, v))
		return UINT64_MAX;
	for (i = 0; i < ncpu; i++)
		sum += v[i].packets;
	return sum;
}

static uint64_t hash_entries(int fd)
{
	struct jf_key k, next;
	void *prev = NULL;
	uint64_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static uint64_t ring_records;

static int on_ring(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	ring_records++;
	return 0;
}

static int wait_rcu(void *arg)
{
	(void)arg;
	/* Test runs hold rcu_read_lock; a grace period outlasts them. */
	return syscall(__NR_membarrier, 1 << 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0) ? -errno : 0;
}

/* Slot i's cold line in a mapped table of n slots: line n + i. */
static struct jf_slot_cold *cold_line(struct jf_slot *mem, uint32_t n, uint32_t i)
{
	return (struct jf_slot_cold *)(mem + n) + i;
}

/* The table's memory (its segments, mapped side by side). */
static struct jf_table_segs segs;
static struct jf_table_mem tmem = { .fd0 = -1 };

/* Load the real program with a table of `slots` slots (and a stash of
 * `stash` entries, 0: the default), and map the table as the agent does,
 * in segments of a quarter of it at most (so a probe crosses segments):
 * the program's fd, or -1 with *mem MAP_FAILED. The clock: calibrated
 * when clk is given. */
static int load_table(struct jflowd_bpf *skel, uint32_t slots, uint32_t stash,
		      const struct jf_bpf_clock *clk, struct jf_slot **mem)
{
	uint32_t shift = jf_table_seg_shift(slots);
	int model, rc;

	*mem = MAP_FAILED;
	skel->rodata->table_on = 1;
	skel->rodata->table_seg_shift = shift;
	skel->data->table_slots[0] = slots;
	if (clk) {
		skel->rodata->jiffy_ns = clk->tick_ns;
		skel->bss->clock_off_ns = clk->off_ns;
	}
	model = jf_table_segs_prepare(skel->maps.flow_segs, shift, slots);
	CHECK(model >= 0, "segments: %s", strerror(-model));
	/* The stash: the flow map of epoch 0. */
	if (stash)
		bpf_map__set_max_entries(skel->maps.flows_a, stash);
	rc = model < 0 ? model : jflowd_bpf__load(skel);
	if (model >= 0)
		close(model);
	if (rc) {
		CHECK(0, "load with %u slots: %s", slots, strerror(-rc));
		return -1;
	}
	segs = (struct jf_table_segs){ .fd = bpf_map__fd(skel->maps.flow_segs), .shift = shift };
	rc = jf_table_mem_make(&segs, 0, slots, &tmem);
	CHECK(!rc, "map the table: %s", strerror(-rc));
	if (rc)
		return -1;
	*mem = tmem.mem;
	return bpf_program__fd(skel->progs.jflowd_xdp);
}

/* A table of `slots` slots and a stash of `stash` entries, `flows` flows of
 * `per_flow` packets each. */
static void run(uint32_t slots, uint32_t stash, uint32_t flows, uint32_t per_flow,
		bool overflow)
{
	struct jflowd_bpf *skel = jflowd_bpf__open();
	struct sink sk = { .nslots = slots };
	struct ring_buffer *rb = NULL;
	struct jf_table *t = NULL;
	uint64_t in_stash, sent = (uint64_t)flows * per_flow;
	struct jf_slot *mem = MAP_FAILED;
	uint32_t f, k;
	int fd;

	CHECK(skel, "open: %s", strerror(errno));
	if (!skel)
		return;
	fd = load_table(skel, slots, stash, NULL, &mem);
	if (fd < 0)
		goto out;
	t = jf_table_new(mem, slots);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.spill), on_ring, NULL, NULL);
	CHECK(t && rb, "table or ring: out of memory");
	if (!t || !rb)
		goto out;
	ring_records = 0;
	for (k = 0; k < per_flow; k++)
		for (f = 0; f < flows; f++)
			CHECK(!send_flow(fd, f), "test run: %s", strerror(errno));
	ring_buffer__consume(rb);
	jf_table_scan(t, 1, collect, &sk);
	in_stash = hash_entries(bpf_map__fd(skel->maps.flows_a));
	printf("%u slots, %u flows x %u: %llu packets in %llu slots, %llu flows in the stash, "
	       "%llu spilled\n", slots, flows, per_flow, (unsigned long long)sk.packets,
	       (unsigned long long)sk.deltas, (unsigned long long)in_stash,
	       (unsigned long long)ring_records);
	CHECK(sk.far == 0, "%d slots beyond the probe limit from their home", sk.far);
	CHECK(sk.octets == sk.packets * 40, "octets %llu for %llu packets",
	      (unsigned long long)sk.octets, (unsigned long long)sk.packets);
	CHECK(stat_packets(skel, JF_PKT_OK) + stat_packets(skel, JF_PKT_SPILLED) == sent,
	      "stats: %llu ok + %llu spilled, %llu sent",
	      (unsigned long long)stat_packets(skel, JF_PKT_OK),
	      (unsigned long long)stat_packets(skel, JF_PKT_SPILLED), (unsigned long long)sent);
	CHECK(stat_packets(skel, JF_PKT_SPILLED) == ring_records, "spill counter %llu, ring %llu",
	      (unsigned long long)stat_packets(skel, JF_PKT_SPILLED),
	      (unsigned long long)ring_records);
	if (!overflow) {
		/* Room for all: every packet in a slot, one slot per flow. */
		CHECK(sk.packets == sent && sk.deltas == flows && in_stash == 0,
		      "%llu packets in %llu slots", (unsigned long long)sk.packets,
		      (unsigned long long)sk.deltas);
		/* Removed, then seen again: the flow gets a slot again. */
		CHECK(jf_table_remove_all(t, wait_rcu, NULL, NULL, NULL) == (long)flows,
		      "remove all");
		for (f = 0; f < flows; f++)
			CHECK(!send_flow(fd, f), "test run: %s", strerror(errno));
		memset(&sk, 0, sizeof(sk));
		sk.nslots = slots;
		jf_table_scan(t, 2, collect, &sk);
		CHECK(sk.packets == flows && sk.deltas == flows, "after removal: %llu packets in "
		      "%llu slots", (unsigned long long)sk.packets, (unsigned long long)sk.deltas);
	} else {
		/* Overflow: the table is full, the stash too, the ring
		 * holds the rest (one spilled packet per leftover flow). */
		CHECK(sk.deltas <= slots && in_stash == stash, "%llu slots, %llu in the stash",
		      (unsigned long long)sk.deltas, (unsigned long long)in_stash);
		CHECK(sk.deltas + in_stash + ring_records / per_flow == flows,
		      "slots %llu + stash %llu + spilled flows %llu != %u flows",
		      (unsigned long long)sk.deltas, (unsigned long long)in_stash,
		      (unsigned long long)(ring_records / per_flow), flows);
	}
out:
	ring_buffer__free(rb);
	jf_table_free(t);
	jf_table_mem_unmap(&segs, &tmem, NULL);
	jflowd_bpf__destroy(skel);
}

static int send_frame(int prog_fd, const struct pb *p)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->len, .repeat = 1);

	return bpf_prog_test_run_opts(prog_fd, &o);
}

/* Frame kinds of the split-slot test. */
enum kind { K_V6_SRC, K_V6_DST, K_MPLS, K_V4, K_V4_MPLS };

/* Flow v of a kind: the variable part only in words the slot keeps in its
 * second line (IPv6 address words 1-3, the MPLS label); the IPv4 address
 * words (src[0], dst[0]), ports, protocol equal across v. */
static void build(struct pb *p, enum kind k, uint32_t v)
{
	uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 };

	pb_init(p);
	pb_eth(p);
	switch (k) {
	case K_V6_SRC:
	case K_V6_DST:
		s6[15] = 1;
		d6[15] = 2;
		(k == K_V6_SRC ? s6 : d6)[4 + v % 12] = (uint8_t)(0x80 + v / 12);
		pb_u16(p, 0x86dd);
		pb_ipv6(p, s6, d6, 17, 0, 0, 64, 8);
		pb_udp(p, 5000, 53, 8);
		return;
	case K_MPLS:
	case K_V4_MPLS:
		pb_u16(p, 0x8847);
		pb_mpls(p, k == K_MPLS ? 100 + v : 99, 0, 1, 64);
		break;
	case K_V4:
		pb_u16(p, 0x0800);
		break;
	}
	pb_ipv4(p, 0x0a000001u, 0xc6336407u, 17, 0, 64, 28, 0, 0);
	pb_udp(p, 5000, 53, 8);
}

struct keys {
	uint32_t n;
	struct jf_key k[64];
	uint64_t packets[64];
};

static void keep(void *arg, uint32_t idx, const struct jf_key *key,
		 const struct jf_table_delta *d)
{
	struct keys *ks = arg;

	(void)idx;
	if (ks->n < 64) {
		ks->k[ks->n] = *key;
		ks->packets[ks->n++] = d->packets;
	}
}

static bool has_key(const struct keys *ks, const struct jf_key *k, uint64_t packets)
{
	uint32_t i;

	for (i = 0; i < ks->n; i++)
		if (!memcmp(&ks->k[i], k, sizeof(*k)))
			return ks->packets[i] == packets;
	return false;
}

/* The key the program builds for a frame: the parser, as in the program. */
static struct jf_key key_of(const struct pb *p, uint32_t ifindex)
{
	struct jf_pkt pk;

	memset(&pk, 0, sizeof(pk));
	jf_parse_eth(p->b, p->b + p->len, &pk);
	pk.key.ifindex = ifindex;
	return pk.key;
}

static void split_slots(void)
{
	const enum kind kinds[] = { K_V6_SRC, K_V6_DST, K_MPLS };
	struct jflowd_bpf *skel = jflowd_bpf__open();
	const uint32_t slots = 48, per = 12;
	struct jf_slot *mem = MAP_FAILED;
	struct jf_table *t = NULL;
	struct keys ks = { 0 };
	uint32_t v, k, r, i, want = 0;
	struct pb p;
	int fd;

	CHECK(skel, "open: %s", strerror(errno));
	if (!skel)
		return;
	fd = load_table(skel, slots, 0, NULL, &mem);
	if (fd < 0)
		goto out;
	t = jf_table_new(mem, slots);
	CHECK(t, "table: out of memory");
	if (!t)
		goto out;
	/* Flow v of kind k gets v + 1 packets: a merge of two flows shows. */
	for (k = 0; k < 3; k++)
		for (v = 0; v < per; v++)
			for (r = 0; r <= v; r++) {
				build(&p, kinds[k], v);
				CHECK(!send_frame(fd, &p), "test run: %s", strerror(errno));
			}
	/* IPv4 with and without a label stack, same 5-tuple: two flows. */
	build(&p, K_V4, 0);
	CHECK(!send_frame(fd, &p), "test run");
	build(&p, K_V4_MPLS, 0);
	CHECK(!send_frame(fd, &p), "test run");
	CHECK(!send_frame(fd, &p), "test run");
	jf_table_scan(t, 1, keep, &ks);
	printf("split slot: %u slots for %u IPv6/MPLS flows differing only in line 1, "
	       "+ IPv4 with and without MPLS\n", ks.n, 3 * per);
	CHECK(ks.n == 3 * per + 2, "%u slots, want %u", ks.n, 3 * per + 2);
	for (k = 0; k < 3; k++)
		for (v = 0; v < per; v++) {
			struct jf_key key;

			build(&p, kinds[k], v);
			key = key_of(&p, 1);
			want += has_key(&ks, &key, v + 1);
		}
	CHECK(want == 3 * per, "%u of %u flows read back with their own key and count", want,
	      3 * per);
	build(&p, K_V4, 0);
	{
		struct jf_key key = key_of(&p, 1);

		CHECK(has_key(&ks, &key, 1), "IPv4 flow");
	}
	build(&p, K_V4_MPLS, 0);
	{
		struct jf_key key = key_of(&p, 1);

		CHECK(has_key(&ks, &key, 2), "IPv4 over MPLS flow");
	}

	/* Every slot freed, then IPv4 flows into slots IPv6 keys had: their
	 * cold words must read zero, and each must still match its own
	 * packets (a hit compares the hot words only). */
	CHECK(jf_table_remove_all(t, wait_rcu, NULL, NULL, NULL) == (long)ks.n, "remove all");
	for (i = 0; i < slots; i++) {
		struct jf_slot_cold *cl = cold_line(mem, slots, i);

		/* As if every slot had held an IPv6 key: an insert must
		 * write the cold words too. */
		memset(cl->cold, 0xa5, sizeof(cl->cold));
		mem[i].state = JF_SLOT_EMPTY;
	}
	memset(&ks, 0, sizeof(ks));
	for (v = 0; v < 40; v++)
		for (r = 0; r < 2; r++) {
			pb_init(&p);
			pb_eth(&p);
			pb_u16(&p, 0x0800);
			pb_ipv4(&p, 0x0a000100u + v, 0xc6336407u, 17, 0, 64, 28, 0, 0);
			pb_udp(&p, 5000, 53, 8);
			CHECK(!send_frame(fd, &p), "test run");
		}
	jf_table_scan(t, 2, keep, &ks);
	want = 0;
	for (i = 0; i < ks.n; i++) {
		const uint32_t *w = (const uint32_t *)&ks.k[i];

		want += !(w[1] | w[2] | w[3] | w[5] | w[6] | w[7] | w[9] | w[10] | w[11]) &&
			ks.packets[i] == 2;
	}
	CHECK(ks.n == 40 && want == 40, "IPv4 in reused slots: %u slots, %u with zero cold words "
	      "and 2 packets", ks.n, want);
out:
	jf_table_free(t);
	jf_table_mem_unmap(&segs, &tmem, NULL);
	jflowd_bpf__destroy(skel);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Slot times against clock_gettime(CLOCK_MONOTONIC) around each packet:
 * never ahead (but for the 50 us a jiffy edge is known to), monotonic, and
 * at most a tick (plus a quarter for the interrupt's own latency) behind.
 * A VM's tick interrupt is now and then late by milliseconds (seen once
 * in CI: 7 ms behind at HZ 250), and jiffies are stale until it comes: a
 * few of the 150 packets may lag more. A wrong offset would put most of
 * them out. */
#define CLOCK_LATE_MAX 5
static void clock_times(void)
{
	struct jflowd_bpf *skel = NULL;
	struct jf_bpf_clock clk;
	const uint32_t slots = 64;
	struct jf_slot *mem = MAP_FAILED;
	uint64_t before, after, prev = 0, lag_max = 0, lag_min = UINT64_MAX, first = 0;
	int64_t ahead_max = INT64_MIN;
	struct jf_counters c;
	int fd, i, rc, bad = 0, late = 0;

	rc = jf_bpf_clock_init(&clk);
	CHECK(!rc, "clock: %s", strerror(-rc));
	if (rc)
		return;
	printf("clock: HZ %u, %llu ns a tick\n", clk.hz, (unsigned long long)clk.tick_ns);
	CHECK(clk.tick_ns == jf_bpf_clock_tick_ns(clk.hz), "tick %llu for HZ %u",
	      (unsigned long long)clk.tick_ns, clk.hz);
	skel = jflowd_bpf__open();
	CHECK(skel, "open: %s", strerror(errno));
	if (!skel)
		goto out;
	fd = load_table(skel, slots, 0, &clk, &mem);
	if (fd < 0)
		goto out;
	for (i = 0; i < 150; i++) {
		uint32_t s;

		before = mono_ns();
		CHECK(!send_flow(fd, 7), "test run");
		after = mono_ns();
		for (s = 0; s < slots && mem[s].state != JF_SLOT_LIVE; s++)
			;
		if (s == slots) {
			CHECK(0, "no live slot");
			break;
		}
		jf_slot_get_counters(&mem[s], cold_line(mem, slots, s), &c);
		if (!first)
			first = c.first_ns;
		if ((int64_t)(c.last_ns - after) > ahead_max)
			ahead_max = (int64_t)(c.last_ns - after);
		if (before - c.last_ns > lag_max && (int64_t)(before - c.last_ns) > 0)
			lag_max = before - c.last_ns;
		if ((int64_t)(before - c.last_ns) > 0 && before - c.last_ns < lag_min)
			lag_min = before - c.last_ns;
		bad += (int64_t)(c.last_ns - after) > 50000 || c.last_ns < prev ||
		       c.first_ns != first;
		late += (int64_t)(before - c.last_ns) > (int64_t)(clk.tick_ns + clk.tick_ns / 4);
		prev = c.last_ns;
		usleep(1000 + (unsigned)(i % 7) * 400);
		if (i % 50 == 49) {
			rc = jf_bpf_clock_check(&clk);
			CHECK(rc == 0, "the offset needed a correction (%d) in a quiet run", rc);
		}
	}
	printf("clock: 150 packets, slot time behind CLOCK_MONOTONIC by %llu-%llu ns, ahead of "
	       "it by at most %lld ns; %d ahead or not monotonic, %d behind by more than "
	       "1.25 ticks\n", (unsigned long long)lag_min, (unsigned long long)lag_max,
	       (long long)ahead_max, bad, late);
	CHECK(!bad, "%d slot times ahead or not monotonic", bad);
	CHECK(late <= CLOCK_LATE_MAX, "%d slot times more than 1.25 ticks behind (at most %d: "
	      "late tick interrupts)", late, CLOCK_LATE_MAX);

	/* A drain's check puts a wrong offset right: ten ticks behind, then
	 * ten ahead. */
	{
		uint64_t good = clk.off_ns, d;

		clk.off_ns = good - 10 * clk.tick_ns;
		rc = jf_bpf_clock_check(&clk);
		d = clk.off_ns > good ? clk.off_ns - good : good - clk.off_ns;
		CHECK(rc == 1 && d <= clk.tick_ns, "offset 10 ticks behind: check %d, now %llu ns off",
		      rc, (unsigned long long)d);
		clk.off_ns = good + 10 * clk.tick_ns;
		rc = jf_bpf_clock_check(&clk);
		d = clk.off_ns > good ? clk.off_ns - good : good - clk.off_ns;
		CHECK(rc == 1 && d <= clk.tick_ns, "offset 10 ticks ahead: check %d, now %llu ns off",
		      rc, (unsigned long long)d);
		CHECK(jf_bpf_clock_check(&clk) == 0, "a corrected offset needs no other correction");
	}
out:
	jf_table_mem_unmap(&segs, &tmem, NULL);
	jflowd_bpf__destroy(skel);
	jf_bpf_clock_fini(&clk);
}

/* The id of the map in entry key of flow_segs (0: none). */
static uint32_t seg_id(int flow_segs, uint32_t key)
{
	uint32_t id = 0;

	return bpf_map_lookup_elem(flow_segs, &key, &id) ? 0 : id;
}

static uint32_t fd_id(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The segments' sizes, and tables handed over as the agent grows and
 * shrinks them: a dropped table's entries in flow_segs name the table in
 * use (so its maps go), and a table mapped into a column takes all of it
 * (no entry keeps an older table's map). */
static void segments(void)
{
	struct jflowd_bpf *skel = jflowd_bpf__open();
	struct jf_table_segs sg = { .fd = -1, .shift = 9 };
	struct jf_table_mem a = { .fd0 = -1 }, b = { .fd0 = -1 }, c = { .fd0 = -1 };
	uint32_t i, bad = 0;
	int model, rc;

	CHECK(jf_table_seg_shift(65536) == 17 && jf_table_seg_shift(1536) == 9 &&
	      jf_table_seg_shift(1) == 6 && jf_table_seg_shift(40000) == 14 &&
	      jf_table_seg_shift(2282898) == 17, "segment sizes: %u %u %u %u %u",
	      jf_table_seg_shift(65536), jf_table_seg_shift(1536), jf_table_seg_shift(1),
	      jf_table_seg_shift(40000), jf_table_seg_shift(2282898));
	CHECK(jf_table_segs_for(1536, 9) == 6 && jf_table_segs_for(1000, 9) == 4 &&
	      jf_table_segs_for(65536, 17) == 1 && jf_table_segs_for(2282898, 17) == 35,
	      "segments a table takes");
	CHECK(skel, "open: %s", strerror(errno));
	if (!skel)
		return;
	skel->rodata->table_on = 1;
	skel->rodata->table_seg_shift = sg.shift;
	model = jf_table_segs_prepare(skel->maps.flow_segs, sg.shift, 4096);
	rc = model < 0 ? model : jflowd_bpf__load(skel);
	if (model >= 0)
		close(model);
	CHECK(!rc, "load: %s", strerror(-rc));
	if (rc)
		goto out;
	sg.fd = bpf_map__fd(skel->maps.flow_segs);
	CHECK(bpf_map__max_entries(skel->maps.flow_segs) == 32, "flow_segs: %u entries",
	      bpf_map__max_entries(skel->maps.flow_segs));
	rc = jf_table_mem_make(&sg, 0, 1536, &a);
	CHECK(!rc && a.nseg == 6 && a.len == 6 * 512 * 64 && sg.used[0] == 6, "table a: %s",
	      strerror(-rc));
	/* The agent's view is one array over all segments. */
	if (!rc) {
		a.mem[1535].packets = 7;	/* segment 2 */
		((struct jf_slot_cold *)(a.mem + 1536))[1535].first_ns = 9;	/* segment 5 */
		CHECK(a.mem[1535].packets == 7, "written through the mapping");
	}
	rc = jf_table_mem_make(&sg, 1, 3072, &b);
	CHECK(!rc && b.nseg == 12 && sg.used[1] == 12, "table b: %s", strerror(-rc));
	if (rc)
		goto out;
	/* a: even entries 0-10; b: odd entries 1-23. */
	CHECK(seg_id(sg.fd, 0) == fd_id(a.fd0) && seg_id(sg.fd, 1) == fd_id(b.fd0) &&
	      seg_id(sg.fd, 10) != 0 && seg_id(sg.fd, 12) == 0 && seg_id(sg.fd, 23) != 0 &&
	      seg_id(sg.fd, 25) == 0, "both tables in flow_segs, interleaved");
	jf_table_mem_unmap(&sg, &a, &b);
	for (i = 0; i < 6; i++)
		bad += seg_id(sg.fd, i << 1) != fd_id(b.fd0);
	CHECK(!bad && !a.mem, "table a dropped: %u of its 6 entries still name another map", bad);
	/* A smaller table in column 0: all 6 entries become its own. */
	rc = jf_table_mem_make(&sg, 0, 1000, &c);
	CHECK(!rc && c.nseg == 4 && sg.used[0] == 6, "table c: %s", strerror(-rc));
	bad = 0;
	for (i = 0; i < 6 && !rc; i++)
		bad += seg_id(sg.fd, i << 1) == fd_id(b.fd0) || !seg_id(sg.fd, i << 1);
	CHECK(!rc && !bad && seg_id(sg.fd, 5 << 1) == fd_id(c.fd0),
	      "table c took column 0: %u entries are not its own", bad);
out:
	jf_table_mem_unmap(&sg, &c, NULL);
	jf_table_mem_unmap(&sg, &b, NULL);
	jf_table_mem_unmap(&sg, &a, NULL);
	jflowd_bpf__destroy(skel);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	run(1536, 64, 1000, 3, false);	/* 2/3 load, like the default sizing */
	run(64, 16, 40, 3, false);	/* room for all */
	run(16, 8, 40, 2, true);	/* full table, full stash, spill ring */
	split_slots();
	segments();
	clock_times();
	CHECK(jf_bpf_clock_hz(4000000) == 250 && jf_bpf_clock_hz(3333333) == 300 &&
	      jf_bpf_clock_hz(1010000) == 1000 && jf_bpf_clock_hz(7000000) == 0,
	      "HZ from a measured tick");
	/* The kernel's TICK_NSEC: (NSEC_PER_SEC + HZ / 2) / HZ. */
	CHECK(jf_bpf_clock_tick_ns(250) == 4000000 && jf_bpf_clock_tick_ns(300) == 3333333 &&
	      jf_bpf_clock_tick_ns(1000) == 1000000 && jf_bpf_clock_tick_ns(100) == 10000000 &&
	      jf_bpf_clock_tick_ns(1024) == 976563, "ns per tick for a HZ");
	printf("%s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
