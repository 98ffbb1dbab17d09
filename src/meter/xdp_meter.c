// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The XDP capture backend: the only module that touches the BPF skeleton. */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "meter/bpf_clock.h"
#include "meter/epoch.h"
#include "clock.h"
#include "meter/filter.h"
#include "meter/flow_table.h"
#include "log.h"
#include "meter/mirror.h"
#include "service/privs.h"
#include "meter/table_maker.h"
#include "meter/table_segs.h"
#include "meter/tc_meter.h"
#include "meter/vlan_offload.h"
#include "meter/xdp_meter.h"
#include "jflowd/monitor.h"
#include "jflowd.skel.h"

/* Linux 6.3 uapi; not in older distributions' headers. */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

#define DRAIN_BATCH 1024	/* entries per batch syscall */
#define JF_TABLE_START_SLOTS 65536u	/* the first table; it grows with its flows */
#define JF_TABLE_CHECK_MS 20		/* the table's fill is looked at this often */
#define JF_TABLE_ASK_POLL_MS 2		/* ... and this often while one is made */
#define JF_TABLE_AHEAD_MS 1000	/* a growth makes room for this long's inserts, */
#define JF_TABLE_AHEAD_MAX_MS 3000	/* or twice the last growth's, up to this */
#define JF_TABLE_SHRINK_MS 2000		/* a sixth in use this long: the table shrinks */
#define JF_TABLE_PRESSURE_MS 250	/* near --max-flows: a pass this often */
#define JF_TABLE_EMERGENCY_IDLE_MS 1000	/* near --max-flows: the idle timeout */

struct jf_xdp_meter {
	struct jf_meter base;
	struct jflowd_bpf *skel;
	bool quiesce_seq;		/* else an RCU grace period */
	int ncpus;
	int n_ifaces;
	uint32_t ifindex[JF_MAX_IFACES];
	uint32_t attach_flags[JF_MAX_IFACES];
	bool attached[JF_MAX_IFACES];
	int link_fd[JF_MAX_IFACES];
	char name[JF_MAX_IFACES][JF_IFNAME_MAX];
	uint8_t dirs[JF_MAX_IFACES];	/* JF_DIR_* */
	/* --vlan-offload: a device-bound copy of the program, sharing every
	 * map but .rodata, on each interface whose driver gives the tag its
	 * NIC stripped; NULL: the plain program. */
	struct jflowd_bpf *bound[JF_MAX_IFACES];
	bool vlan_warned[JF_MAX_IFACES];	/* the one warning is out */
	enum jf_vlan_offload vlan_offload;
	bool generic;			/* generic XDP only */
	int map_fd[2];
	int stats_fd;
	struct ring_buffer *ring;
	struct jf_tc_meter *tc;		/* egress metering (IFACE:out), or NULL */
	struct jf_mirror *mirror;	/* promiscuous membership (--mirror), or NULL */
	/* Drain buffers. */
	struct jf_key *keys;
	struct jf_counters *vals;
	struct jf_flow *updates;
	struct jf_stat *percpu;		/* ncpus values of one stats entry */
	/* Bound at open. */
	struct jf_flow_cache *cache;
	struct jf_meter_stats *st;
	/* Ring callback context. */
	uint64_t now_ms;
	int64_t mono_to_real_ns;
	uint64_t spill_seen[2];		/* ring records per epoch parity */
	uint64_t spill_merged[JF_MONITORS];	/* per monitor */
	uint64_t spill_merged_octets[JF_MONITORS];
	/* Read from the stash maps since start, per monitor. */
	uint64_t stash_packets[JF_MONITORS];
	uint64_t stash_octets[JF_MONITORS];
	/* Monitors: as last programmed, the monitors ever used (their
	 * counters are harvested), and the ifindex each interface's entry
	 * of ifconf was written for. */
	struct jf_meter_monitor mons[JF_MONITORS];
	char mon_ifaces[JF_MAX_IFACES][JF_IFNAME_MAX];	/* what mons[].dirs index */
	int n_mon_ifaces;
	bool mons_given;		/* else monitor 0 over everything */
	uint16_t mon_seen;
	uint32_t conf_ifindex[JF_MAX_IFACES];
	/* The persistent flow table. It grows with its flows (docs/scale.md,
	 * "Growing"): each table is segment maps made here, mapped once, as
	 * table tab_cur of flow_segs; the other holds the old table while
	 * its flows move. */
	struct jf_table *table;
	struct jf_table_mem tab[2];	/* .mem NULL: none */
	uint32_t tab_cur;
	struct jf_table_segs segs;	/* flow_segs, the segments' size */
	uint32_t max_slots;		/* what --max-flows allows */
	uint32_t min_slots;		/* it shrinks to no less (--min-flows) */
	uint64_t small_ms;		/* since then a sixth in use or less; 0: not */
	uint64_t listed_ms;		/* a jflowctl listing walked the table then */
	struct jf_table_maker *maker;	/* makes the larger tables; NULL: no growth */
	uint64_t grow_retry_ms;		/* a failed growth is tried again then */
	uint64_t rate_ins, rate_ms;	/* inserts counted at the last rate reading */
	uint64_t ins_per_s;		/* the program's inserts a second, then */
	uint64_t grow_ms;		/* how long the last growth took */
	uint32_t ask_slots;		/* the maker makes a table this big; 0: none */
	uint64_t ask_ms;		/* since then */
	uint64_t pass_ms;		/* the last table pass (emergency passes) */
	uint32_t table_flows;		/* capacity asked for; 0: no table */
	uint32_t map_flows;		/* each epoch map: the stash */
	uint32_t idle_ms, active_ms, fin_ms;
	bool warned_full;		/* the one warning near --max-flows is out */
	bool warned_stash;		/* the one about a stash half full is out */
	/* The program's clock (jiffies); clock.skel NULL: bpf_ktime_get_ns. */
	struct jf_bpf_clock clock;
	uint64_t clock_checked_ms;	/* agent time of the last check */
	bool stopping;			/* detached: every slot goes */
	int stop_drains;		/* drains since: both parities after 2 */
};

static int64_t mono_to_real_offset(void)
{
	struct timespec r, m;

	/* The main loop's reading for this tick, the one the exporter
	 * dates the records' messages with. */
	if (jf_wall_offset_ns)
		return jf_wall_offset_ns;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000ll + (r.tv_nsec - m.tv_nsec);
}

static uint64_t to_real_ms(const struct jf_xdp_meter *m, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + m->mono_to_real_ns) / 1000000u;
}

static int on_spill(void *ctx, void *data, size_t size)
{
	struct jf_xdp_meter *m = ctx;
	const struct jf_spill *s = data;
	struct jf_flow u;

	if (size < sizeof(*s))
		return 0;
	u = jf_flow_packet(s->octets, s->tcp_flags, s->ttl, s->flow_label,
			   to_real_ms(m, s->ts_ns));
	u.frag_id = s->frag_id;
	jf_cache_update(m->cache, &s->key, &u, m->now_ms);
	m->spill_seen[s->epoch & 1]++;
	m->spill_merged[jf_key_monitor(&s->key)]++;
	m->spill_merged_octets[jf_key_monitor(&s->key)] += s->octets;
	return 0;
}

/* The program hangs on each interface by a bpf_link: the kernel detaches it
 * when the last descriptor closes, so a killed agent leaves nothing behind
 * and can start again at once. A link never replaces another program. */
static int detach_one(struct jf_xdp_meter *m, int i)
{
	if (!m->attached[i])
		return 0;
	close(m->link_fd[i]);
	m->link_fd[i] = -1;
	m->attached[i] = false;
	return 0;
}

static int link_xdp(struct jf_xdp_meter *m, int i, uint32_t mode_flag)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flag);
	int fd;

	fd = bpf_link_create(m->bound[i] ? bpf_program__fd(m->bound[i]->progs.jflowd_xdp_vlan) :
				 bpf_program__fd(m->skel->progs.jflowd_xdp),
			     (int)m->ifindex[i], BPF_XDP, &opts);
	if (fd < 0)
		return fd;
	m->link_fd[i] = fd;
	m->attach_flags[i] = mode_flag;
	m->attached[i] = true;
	return 0;
}

/* Once per interface: VLAN ids of the frames whose tag the NIC strips will
 * read 0, and what to do about it. Silent where nothing is stripped. */
static void vlan_warn(struct jf_xdp_meter *m, int i, const char *why)
{
	struct jf_vlan_caps c;

	if (m->vlan_warned[i] || jf_vlan_caps_get(m->name[i], m->ifindex[i], &c))
		return;
	if (!c.strip_ctag && !c.strip_stag)
		return;
	m->vlan_warned[i] = true;
	log_warn("%s: the NIC strips VLAN tags before XDP (rx-vlan offload) and %s: such "
		 "frames report VLAN 0; run 'ethtool -K %s %s'", m->name[i], why, m->name[i],
		 c.strip_stag && c.strip_ctag ? "rxvlan off rx-vlan-stag-hw-parse off" :
		 c.strip_stag ? "rx-vlan-stag-hw-parse off" : "rxvlan off");
}

static void unbind(struct jf_xdp_meter *m, int i)
{
	jflowd_bpf__destroy(m->bound[i]);
	m->bound[i] = NULL;
}

/* A copy of the object whose only program is the device-bound one, with
 * every map of the loaded object but .rodata (its constants are copied:
 * the verifier reads them from the program's own frozen map). */
static int load_bound(struct jf_xdp_meter *m, int i)
{
	struct bpf_map *mine, *theirs = NULL;
	struct bpf_program *prog;
	struct jflowd_bpf *b;
	uint64_t eff, prm, bnd;
	int rc;

	/* After the capability drop: refused, say so without libbpf's noise. */
	if (!jf_privs_current(&eff, &prm, &bnd) &&
	    !(eff & (1ULL << CAP_BPF | 1ULL << CAP_SYS_ADMIN)))
		return -EPERM;
	b = jflowd_bpf__open();
	if (!b)
		return -errno;
	bpf_object__for_each_map(mine, b->obj) {
		theirs = bpf_object__next_map(m->skel->obj, theirs);
		if (!theirs || strcmp(bpf_map__name(mine), bpf_map__name(theirs))) {
			rc = -EINVAL;
			goto fail;
		}
		if (mine == b->maps.rodata)
			continue;
		rc = bpf_map__reuse_fd(mine, bpf_map__fd(theirs));
		if (rc)
			goto fail;
	}
	memcpy(b->rodata, m->skel->rodata, sizeof(*b->rodata));
	bpf_object__for_each_program(prog, b->obj)
		bpf_program__set_autoload(prog, prog == b->progs.jflowd_xdp_vlan);
	prog = b->progs.jflowd_xdp_vlan;
	bpf_program__set_ifindex(prog, m->ifindex[i]);
	bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_XDP_DEV_BOUND_ONLY);
	rc = jflowd_bpf__load(b);
	if (rc)
		goto fail;
	m->bound[i] = b;
	return 0;
fail:
	jflowd_bpf__destroy(b);
	return rc;
}

/* Which program the i-th interface gets (before its attach): the bound
 * one wherever the driver gives stripped tags, whatever ethtool says now:
 * the offload can be turned on while jflowd runs, and veth hands over a
 * tag its peer did not write into the frame with its rx-vlan offload off. */
static void choose_prog(struct jf_xdp_meter *m, int i, bool started)
{
	struct jf_vlan_caps c;
	int rc;

	unbind(m, i);
	if (m->vlan_offload == JF_VLAN_OFFLOAD_OFF)
		return;
	if (jf_vlan_caps_get(m->name[i], m->ifindex[i], &c))
		return;
	if (!c.xdp_tag) {
		vlan_warn(m, i, "its driver does not give them to XDP");
		return;
	}
	if (m->generic) {
		vlan_warn(m, i, "generic XDP (-m xdp-generic) cannot read them");
		return;
	}
	rc = load_bound(m, i);
	if (!rc)
		return;
	if (started && rc == -EPERM) {
		/* Loading needs CAP_BPF, given up after start-up: what a link
		 * that comes back, or a reload, cannot do. */
		vlan_warn(m, i, "jflowd, without CAP_BPF since start-up, cannot load the program "
			  "that reads them for a new device (restart jflowd to read them)");
	} else {
		char why[160];

		snprintf(why, sizeof(why), "the program that reads them did not load (%s%s)",
			 strerror(-rc), rc == -EPERM ? "" : "; -v shows the verifier's messages");
		vlan_warn(m, i, why);
	}
}

static const char *vlan_note(const struct jf_xdp_meter *m, int i)
{
	return m->bound[i] ? " (device-bound: VLAN tags the NIC strips read from the driver)" : "";
}

static void log_metering(const struct jf_xdp_meter *m, int i)
{
	log_info("metering %s (ifindex %u) with %s XDP%s", m->name[i], m->ifindex[i],
		 jf_xdp_meter_mode(m, i), vlan_note(m, i));
}

static int attach_one(struct jf_xdp_meter *m, int i, const char *name, bool generic,
		      char *err, size_t errlen)
{
	int rc;

	if (!generic) {
		rc = link_xdp(m, i, XDP_FLAGS_DRV_MODE);
		if (!rc)
			return 0;
		if (rc == -EBUSY || rc == -EEXIST) {
			snprintf(err, errlen, "attach %s: another XDP program is attached "
				 "(see 'ip link show %s')", name, name);
			return rc;
		}
		log_warn("attach %s: native XDP failed (%s); falling back to generic XDP, "
			 "which is slower", name, strerror(-rc));
		/* A device-bound program runs in the driver only. */
		if (m->bound[i]) {
			unbind(m, i);
			vlan_warn(m, i, "generic XDP cannot read them");
		}
	}
	rc = link_xdp(m, i, XDP_FLAGS_SKB_MODE);
	if (rc) {
		snprintf(err, errlen, "attach %s: %s", name,
			 rc == -EBUSY || rc == -EEXIST ? "another XDP program is attached" :
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/* --- monitors (include/jflowd/monitor.h) --- */

/* Interface i's entry of ifconf: the monitors covering it each way (the
 * monitors' interfaces by name: the meter's list and the parameters'
 * may be in different orders during a reload). */
static void ifconf_of(const struct jf_xdp_meter *m, int i, struct jf_ifconf *c)
{
	int k, j;

	memset(c, 0, sizeof(*c));
	for (j = 0; j < m->n_mon_ifaces; j++)
		if (!strcmp(m->mon_ifaces[j], m->name[i]))
			break;
	for (k = 0; k < JF_MONITORS; k++) {
		uint8_t d;

		if (m->mons_given ? !m->mons[k].used : k != 0)
			continue;
		if (!m->mons_given)
			d = m->dirs[i];
		else
			d = j < m->n_mon_ifaces ? m->mons[k].dirs[j] : 0;
		if ((d & JF_DIR_IN) && c->n_in < JF_MON_PER_IF) {
			c->in[c->n_in++] = (uint8_t)k;
			c->in_mask |= (uint16_t)(1u << k);
		}
		if ((d & JF_DIR_OUT) && c->n_out < JF_MON_PER_IF) {
			c->out[c->n_out++] = (uint8_t)k;
			c->out_mask |= (uint16_t)(1u << k);
		}
	}
}

/* Write one interface's entry (ifindex 0: clear the old one). A running
 * program may read it half written: the lists name monitors in use
 * either way, and a reload drains (an epoch switch) before it lets go of
 * a monitor. */
static void ifconf_write(struct jf_xdp_meter *m, uint32_t ifindex, const struct jf_ifconf *c)
{
	if (ifindex < JF_IFCONF_SLOTS) {
		memcpy(&m->skel->data_mon->ifconf[ifindex], c, sizeof(*c));
	} else if (c->n_in || c->n_out) {
		bpf_map_update_elem(bpf_map__fd(m->skel->maps.ifconf_big), &ifindex, c, BPF_ANY);
	} else {
		bpf_map_delete_elem(bpf_map__fd(m->skel->maps.ifconf_big), &ifindex);
	}
}

/* Whether monitor k alone covers every interface as it is metered: the
 * program may then count every packet for it without asking ifconf. */
static bool covers_all(const struct jf_xdp_meter *m, int k)
{
	struct jf_ifconf c;
	int i;

	for (i = 0; i < m->n_ifaces; i++) {
		ifconf_of(m, i, &c);
		if (((m->dirs[i] & JF_DIR_IN) && !(c.in_mask & (1u << k))) ||
		    ((m->dirs[i] & JF_DIR_OUT) && !(c.out_mask & (1u << k))))
			return false;
	}
	return true;
}

/* The same for interface i alone, for the one monitor. */
static bool covers_all_one(const struct jf_xdp_meter *m, int i)
{
	struct jf_ifconf c;
	uint32_t k = m->skel->bss->mon_single;

	ifconf_of(m, i, &c);
	return !(((m->dirs[i] & JF_DIR_IN) && !(c.in_mask & (1u << k))) ||
		 ((m->dirs[i] & JF_DIR_OUT) && !(c.out_mask & (1u << k))));
}

static void ifconf_update(struct jf_xdp_meter *m, int i)
{
	static const struct jf_ifconf none;
	struct jf_ifconf c;

	if (m->conf_ifindex[i] && m->conf_ifindex[i] != m->ifindex[i])
		ifconf_write(m, m->conf_ifindex[i], &none);
	ifconf_of(m, i, &c);
	ifconf_write(m, m->ifindex[i], &c);
	m->conf_ifindex[i] = m->ifindex[i];
}

/* Monitor k's filter into the program: the slot not in use, then the
 * switch to it (bpf/filter.h). The configuration checked that the program
 * can run it; should it fail here, the monitor meters every packet, and
 * says so. */
static void program_filter(struct jf_xdp_meter *m, int k, const char *expr)
{
	struct jflowd_bpf__bss *bss = m->skel->bss;
	struct jf_cbpf *f;
	char err[600];
	uint32_t slot, key;

	if (!expr[0]) {
		bss->filter_on[k] = 0;
		return;
	}
	f = malloc(sizeof(*f));
	if (!f || jf_filter_to_cbpf(expr, f, err, sizeof(err))) {
		log_err("monitor index %d: %s; metering every packet", k, f ? err : "out of memory");
		free(f);
		bss->filter_on[k] = 0;
		return;
	}
	slot = bss->filter_on[k] == 1 ? 1 : 0;	/* the other one */
	key = (uint32_t)k * 2 + slot;
	if (bpf_map_update_elem(bpf_map__fd(m->skel->maps.mon_filter), &key, f, BPF_ANY)) {
		log_err("monitor index %d: filter: %s; metering every packet", k, strerror(errno));
		bss->filter_on[k] = 0;
	} else {
		__sync_synchronize();
		bss->filter_on[k] = (uint8_t)(slot + 1);
	}
	free(f);
}

/* The monitors of p into the program: sampling rates for the epoch
 * parities in parities (bit 0, bit 1), masks, the interfaces' monitors,
 * and last the switch between one monitor and several. */
static void program_monitors(struct jf_xdp_meter *m, const struct jf_meter_params *p,
			     unsigned parities)
{
	struct jflowd_bpf__bss *bss = m->skel->bss;
	int k, i, used = 0, single = 0;

	m->mons_given = false;
	for (k = 0; k < JF_MONITORS; k++)
		m->mons_given |= p->mons[k].used;
	memcpy(m->mons, p->mons, sizeof(m->mons));
	for (i = 0; i < p->n_ifaces; i++)
		snprintf(m->mon_ifaces[i], sizeof(m->mon_ifaces[i]), "%s", p->ifaces[i]);
	m->n_mon_ifaces = p->n_ifaces;
	for (k = 0; k < JF_MONITORS; k++) {
		bool on = m->mons_given ? p->mons[k].used : k == 0;
		uint32_t rate = jf_meter_mon_rate(p, k);

		if (!on)
			continue;
		used++;
		single = k;
		m->mon_seen |= (uint16_t)(1u << k);
		if (parities & 1)
			bss->sample_rate[2 * k] = rate;
		if (parities & 2)
			bss->sample_rate[2 * k + 1] = rate;
		if (m->mons_given && p->mons[k].masked)
			memcpy(&m->skel->data_mon->mon_mask[k], &p->mons[k].mask,
			       sizeof(m->skel->data_mon->mon_mask[k]));
		bss->mon_mask_on[k] = m->mons_given && p->mons[k].masked;
		program_filter(m, k, m->mons_given ? p->mons[k].filter : "");
	}
	for (i = 0; i < m->n_ifaces; i++)
		ifconf_update(m, i);
	__sync_synchronize();
	if (used > 1 || !covers_all(m, single)) {
		bss->mon_by_iface = 1;
	} else {
		bss->mon_single = (uint32_t)single;
		__sync_synchronize();
		bss->mon_by_iface = 0;
	}
}

/* The table of n slots (2n lines) whose segments fds holds (the array
 * is freed, the descriptors are the table's now), mapped once as table e
 * of flow_segs: the kernel maps every page now, and each pass is then a
 * walk over ordinary memory (docs/scale.md). */
static int table_map(struct jf_xdp_meter *m, uint32_t e, uint32_t n, int *fds)
{
	int rc = jf_table_mem_map(&m->segs, e, n, fds, &m->tab[e]);

	free(fds);
	if (rc)
		return rc;
	/* Its size before anything points the program at it. */
	m->skel->data->table_slots[e] = n;
	__sync_synchronize();
	return 0;
}

/* The first table, at start-up (with CAP_BPF still, or from the maker). */
static int table_make(struct jf_xdp_meter *m, uint32_t e, uint32_t n)
{
	uint32_t nseg = jf_table_segs_for(n, m->segs.shift);
	int *fds, rc;

	rc = m->maker ? jf_table_maker_make(m->maker, m->segs.shift, nseg, &fds)
		      : jf_table_segs_create(m->segs.shift, nseg, &fds);
	return rc ? rc : table_map(m, e, n, fds);
}

/* Table e, which no run of the program uses any more; its maps go now,
 * the other table in use. */
static void table_drop(struct jf_xdp_meter *m, uint32_t e)
{
	jf_table_mem_unmap(&m->segs, &m->tab[e], &m->tab[e ^ 1]);
}

static int table_wait(void *arg);

/* Move to a table of n slots (larger, or smaller once few flows are left:
 * table_check): a new table in the other entry; the program inserts
 * into it and still finds the old table's flows there (table_sel with
 * JF_TABLE_SEL_MOVING); every flow moves (jf_table_move: copy, mark,
 * grace period, final counters into the copy); then the program uses the
 * new table alone, and after a grace period the old one goes. */
static int table_grow(struct jf_xdp_meter *m, uint32_t n, int *fds)
{
	struct jflowd_bpf__bss *bss = m->skel->bss;
	uint32_t cur = m->tab_cur, other = cur ^ 1;
	struct jf_table_stats st;
	uint64_t unplaced;
	int rc;

	jf_table_get_stats(m->table, &st);
	unplaced = st.move_unplaced;
	rc = table_map(m, other, n, fds);
	if (rc)
		return rc;
	bss->table_sel = other | JF_TABLE_SEL_MOVING;
	rc = jf_table_move(m->table, m->tab[other].mem, n, table_wait, m);
	jf_table_get_stats(m->table, &st);
	if (rc && st.move_failed)
		return rc;	/* slots marked, a wait failed: the caller stops */
	if (rc) {
		/* Nothing moved: back to the old table alone. */
		bss->table_sel = cur;
		table_wait(m);
		table_drop(m, other);
		return rc;
	}
	bss->table_sel = other;
	rc = table_wait(m);
	if (rc)
		return rc;
	table_drop(m, cur);
	m->tab_cur = other;
	if (st.move_unplaced > unplaced)
		log_warn("flow table: %llu flows found no slot within reach of their place in the "
			 "larger table: exported early (end reason lack of resources)",
			 (unsigned long long)(st.move_unplaced - unplaced));
	if (m->st) {
		m->st->table_bytes = jf_table_agent_bytes(m->table);
		m->st->table_slots = n;
		m->st->table_moves = st.moved;
		m->st->table_move_unplaced = st.move_unplaced;
	}
	return 0;
}

/* The program's table inserts since start, summed over CPUs. */
static uint64_t table_inserts(const struct jf_xdp_meter *m)
{
	uint64_t ins = 0;
	int c;

	for (c = 0; c < m->ncpus && c < JF_MAX_CPUS; c++)
		ins += __atomic_load_n(&m->skel->data_seq->cpu_seq[c].inserts, __ATOMIC_RELAXED);
	return ins;
}

/* Live slots between passes: the program's inserts less our removals. */
static uint64_t table_live(const struct jf_xdp_meter *m)
{
	struct jf_table_stats st;
	uint64_t ins = table_inserts(m);

	jf_table_get_stats(m->table, &st);
	return ins > st.removed ? ins - st.removed : 0;
}

/* The flows the table must have room for a while from now: those in it,
 * and the inserts of JF_TABLE_AHEAD_MS (or of twice the last growth's
 * time: the new table takes the inserts while this growth moves the flows
 * and the old one while the next is made) at the rate measured over the
 * last check interval (at least JF_TABLE_CHECK_MS). A flood of new flows
 * then grows the table in one or two moves to its size, not one doubling a
 * check behind it while the surplus goes to the stash and is lost when
 * that fills. */
static uint64_t table_ahead(struct jf_xdp_meter *m, uint64_t live)
{
	uint64_t ins = table_inserts(m), now_ms = jf_mono_ms(), ahead_ms = 2 * m->grow_ms;

	if (!m->rate_ms || ins < m->rate_ins) {
		m->rate_ins = ins;
		m->rate_ms = now_ms;
	} else if (now_ms >= m->rate_ms + JF_TABLE_CHECK_MS) {
		m->ins_per_s = (ins - m->rate_ins) * 1000 / (now_ms - m->rate_ms);
		m->rate_ins = ins;
		m->rate_ms = now_ms;
	}
	if (ahead_ms < JF_TABLE_AHEAD_MS)
		ahead_ms = JF_TABLE_AHEAD_MS;
	if (ahead_ms > JF_TABLE_AHEAD_MAX_MS)
		ahead_ms = JF_TABLE_AHEAD_MAX_MS;
	return live + m->ins_per_s * ahead_ms / 1000;
}

static int read_table(struct jf_xdp_meter *m, uint64_t stashed);
static int table_ask(struct jf_xdp_meter *m, uint32_t n, uint32_t want);

static void grow_later(struct jf_xdp_meter *m, uint32_t n, uint32_t want, int rc)
{
	log_warn("flow table: cannot move from %u to %u slots (%s); flows beyond it go to the "
		 "stash, then the spill ring; trying again in 10 s", n, want, strerror(-rc));
	m->grow_retry_ms = jf_mono_ms() + 10000;
}

/* The table the maker was asked for, if it is there: the flows move into
 * it (table_grow). -errno only when moving failed half way (the caller
 * stops); a table not made or not mapped is tried again in 10 s. */
static int table_take(struct jf_xdp_meter *m)
{
	uint32_t n = jf_table_nslots(m->table), want = m->ask_slots;
	int *fds = NULL, rc = jf_table_maker_take(m->maker, false, &fds);

	if (rc == -EAGAIN)
		return 0;
	m->ask_slots = 0;
	if (!rc && want < n && m->listed_ms >= m->ask_ms) {
		/* A listing began while the smaller table was made: the
		 * shrink waits (a growth does not: flows need the room). */
		jf_table_segs_close(fds, jf_table_segs_for(want, m->segs.shift));
		free(fds);
		return 0;
	}
	if (!rc)
		rc = table_grow(m, want, fds);
	m->grow_ms = jf_mono_ms() - m->ask_ms;
	if (!rc) {
		log_info("flow table: %u slots for %llu flows, %llu new a second (up to %u slots; "
			 "the move took %llu ms)", want, (unsigned long long)table_live(m),
			 (unsigned long long)m->ins_per_s, m->max_slots,
			 (unsigned long long)m->grow_ms);
		return 0;
	}
	{
		struct jf_table_stats st;

		jf_table_get_stats(m->table, &st);
		if (st.move_failed) {
			log_err("flow table: moving flows to %u slots: %s", want, strerror(-rc));
			return rc;
		}
	}
	grow_later(m, n, want, rc);
	return 0;
}

/* At every drain and every poll: grow the table when the flows it must
 * hold a while from now (table_ahead) pass 2/3 of its slots, to a size
 * (doublings) where they take half, up to what --max-flows allows; near
 * --max-flows (80 %), idle flows leave early (the emergency idle timeout,
 * end reason lack of resources) and the table is read every
 * JF_TABLE_PRESSURE_MS, not only at the drain. The maker makes the new
 * table while the agent goes on (the kernel zeroes it: 100-200 ms for
 * 2 M slots here); the polls in the meantime read the spill ring, where
 * the flows the old table and the stash cannot take go. */
static int table_check(struct jf_xdp_meter *m, uint64_t now_ms)
{
	uint64_t live = table_live(m), ahead;
	uint32_t n = jf_table_nslots(m->table), want = n;
	bool pressure = live * 5 >= (uint64_t)m->table_flows * 4;
	int rc;

	jf_table_set_emergency(m->table, pressure && m->idle_ms > JF_TABLE_EMERGENCY_IDLE_MS
						 ? JF_TABLE_EMERGENCY_IDLE_MS : 0);
	if (pressure && now_ms - m->pass_ms >= JF_TABLE_PRESSURE_MS && !m->stopping) {
		rc = read_table(m, 0);
		if (rc)
			return rc;
		live = table_live(m);
	}
	if (m->ask_slots)
		return table_take(m);
	ahead = table_ahead(m, live);
	if (now_ms < m->grow_retry_ms)
		return 0;
	/* A sixth in use or less, new flows included, for JF_TABLE_SHRINK_MS:
	 * the flood that grew it is over (or the flows left); a smaller table
	 * is a faster one (fewer pages and lines a packet). To where they
	 * take half, as a growth, never below the first table. */
	if (n > m->min_slots && ahead * 6 < n) {
		/* Not under a listing: its cursor walks this table's slots. */
		if (m->listed_ms && jf_mono_ms() - m->listed_ms < JF_TABLE_SHRINK_MS)
			return 0;
		if (!m->small_ms)
			m->small_ms = now_ms;
		if (now_ms - m->small_ms < JF_TABLE_SHRINK_MS)
			return 0;
		for (want = m->min_slots; (uint64_t)want < ahead * 2 && want < n / 2;)
			want *= 2;
		m->small_ms = 0;
		return want < n ? table_ask(m, n, want) : 0;
	}
	m->small_ms = 0;
	/* Below a third in use the rate alone does not grow the table yet: a
	 * flood's first reading covers part of an interval, and the next one
	 * 20 ms later sizes the growth for the whole rate. */
	if (n >= m->max_slots || ahead * 3 <= (uint64_t)n * 2 || live * 3 < n)
		return 0;
	while (want < m->max_slots && (uint64_t)want < ahead * 2)
		want = want > m->max_slots / 2 ? m->max_slots : want * 2;
	return table_ask(m, n, want);
}

/* The maker is asked for a table of want slots (table_take moves the flows
 * once it is there). */
static int table_ask(struct jf_xdp_meter *m, uint32_t n, uint32_t want)
{
	int rc;

	m->ask_ms = jf_mono_ms();
	rc = jf_table_maker_ask(m->maker, m->segs.shift, jf_table_segs_for(want, m->segs.shift));
	if (rc)
		grow_later(m, n, want, rc);
	else
		m->ask_slots = want;
	return 0;
}

/* The table's flows go where the cache's go; in router mode each gets
 * the cache's lookup, its answer kept per slot. */
static int table_bind(struct jf_xdp_meter *m)
{
	jf_emit_fn emit = NULL;
	jf_route_fn route = NULL;
	void *emit_arg = NULL, *route_arg = NULL;
	int rc;

	if (!m->table)
		return 0;
	if (m->cache)
		jf_cache_get_hooks(m->cache, &emit, &emit_arg, &route, &route_arg);
	rc = jf_table_set_export(m->table, emit, emit_arg, route, route_arg);
	if (!rc && m->cache)
		rc = jf_table_set_enrich(m->table, jf_cache_get_enrich(m->cache));
	if (m->st)
		m->st->table_bytes = jf_table_agent_bytes(m->table);
	return rc;
}

struct jf_xdp_meter *jf_xdp_meter_open(const struct jf_meter_params *p,
				       struct jf_flow_cache *cache, struct jf_meter_stats *st,
				       char *err, size_t errlen)
{
	struct jf_xdp_meter *m;
	int i, rc, seg_model;

	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->base.ops = &jf_xdp_meter_ops;
	jf_xdp_meter_bind(m, cache, st);
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		snprintf(err, errlen, "cannot count CPUs: %s", strerror(-m->ncpus));
		goto fail;
	}
	if (m->ncpus > JF_MAX_CPUS)
		log_warn("%d CPUs; packets on CPUs beyond %d are counted as lost",
			 m->ncpus, JF_MAX_CPUS);
	m->n_ifaces = p->n_ifaces;
	m->generic = p->generic;
	m->vlan_offload = p->vlan_offload;
	for (i = 0; i < p->n_ifaces; i++) {
		snprintf(m->name[i], sizeof(m->name[i]), "%s", p->ifaces[i]);
		m->dirs[i] = jf_meter_dir(p, i);
		m->ifindex[i] = if_nametoindex(p->ifaces[i]);
		if (!m->ifindex[i]) {
			snprintf(err, errlen, "interface %s: %s", p->ifaces[i], strerror(errno));
			goto fail;
		}
	}

	m->skel = jflowd_bpf__open();
	if (!m->skel) {
		snprintf(err, errlen, "open BPF object: %s", strerror(errno));
		goto fail;
	}
	if (p->quiesce == JF_QUIESCE_RCU && !jf_epoch_rcu_available()) {
		snprintf(err, errlen, "--quiesce rcu: the kernel offers no membarrier GLOBAL "
			 "(nohz_full?); use --quiesce seq");
		goto fail;
	}
	m->quiesce_seq = p->quiesce == JF_QUIESCE_SEQ ||
			 (p->quiesce == JF_QUIESCE_AUTO && !jf_epoch_rcu_available());
	m->skel->rodata->quiesce_seq = m->quiesce_seq;
	m->skel->bss->keep_frag_id = p->keep_frag_id;
	m->skel->rodata->verdict = p->mirror ? XDP_DROP : XDP_PASS;
	m->skel->rodata->mirror_map_on = p->mirror && p->n_if_maps;
	bpf_map__set_max_entries(m->skel->maps.flows_a, p->map_flows);
	bpf_map__set_max_entries(m->skel->maps.flows_b, p->map_flows);
	m->map_flows = p->map_flows;
	m->table_flows = p->table_flows;
	m->idle_ms = p->idle_ms;
	m->active_ms = p->active_ms;
	m->fin_ms = p->fin_ms;
	m->tab[0].fd0 = m->tab[1].fd0 = -1;
	if (m->table_flows) {
		m->skel->rodata->table_on = 1;
		m->max_slots = jf_table_slots_for(m->table_flows);
		/* Before the load: the helper must map no table. Without it
		 * the table starts at its largest size. */
		if (m->max_slots > JF_TABLE_START_SLOTS) {
			m->maker = jf_table_maker_start();
			if (!m->maker && errno != EPERM)
				log_warn("flow table: no helper to make larger tables (%s): the "
					 "table starts at its largest size, %u slots", strerror(errno),
					 m->max_slots);
		}
	}

	if (m->table_flows) {
		/* The first table, small (or as --min-flows asks); it grows
		 * with the flows, in segments sized for the first. */
		uint32_t start = m->max_slots < JF_TABLE_START_SLOTS || !m->maker
					 ? m->max_slots : JF_TABLE_START_SLOTS;

		if (p->min_flows && jf_table_slots_for(p->min_flows) > start)
			start = jf_table_slots_for(p->min_flows) < m->max_slots
					? jf_table_slots_for(p->min_flows) : m->max_slots;
		m->min_slots = start;
		m->segs.shift = jf_table_seg_shift(start);
	} else {
		m->segs.shift = jf_table_seg_shift(1);
	}
	m->skel->rodata->table_seg_shift = m->segs.shift;
	seg_model = jf_table_segs_prepare(m->skel->maps.flow_segs, m->segs.shift,
					  m->table_flows ? m->max_slots : 1);
	if (seg_model < 0) {
		snprintf(err, errlen, "flow table segments: %s%s", strerror(-seg_model),
			 seg_model == -EPERM ? " (run as root, or with CAP_BPF, CAP_PERFMON and "
					       "CAP_NET_ADMIN)" : "");
		goto fail;
	}

	/* Flow times from jiffies (a load, 1 ns a packet) converted to
	 * CLOCK_MONOTONIC with the measured tick and offset. */
	rc = jf_bpf_clock_init(&m->clock);
	if (rc == -EPERM || rc == -EACCES) {
		/* The load below fails the same way and says why. */
		log_debug("the kernel's tick: %s", strerror(-rc));
	} else if (rc) {
		log_warn("flow times from bpf_ktime_get_ns, about 30 ns a packet more: the "
			 "kernel's tick could not be measured (%s)", strerror(-rc));
	} else {
		m->skel->rodata->jiffy_ns = m->clock.tick_ns;
		m->skel->bss->clock_off_ns = m->clock.off_ns;
		log_debug("flow times from jiffies: HZ %u, %" PRIu64 " ns a tick", m->clock.hz,
			  m->clock.tick_ns);
	}

	rc = jflowd_bpf__load(m->skel);
	close(seg_model);
	if (rc) {
		snprintf(err, errlen, "load BPF program: %s%s", strerror(-rc),
			 rc == -EPERM ? " (run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN; "
					"before Linux 5.11 also raise RLIMIT_MEMLOCK for the flow tables)"
				      : " (run with -v for libbpf's and the verifier's messages)");
		goto fail;
	}
	m->map_fd[0] = bpf_map__fd(m->skel->maps.flows_a);
	m->map_fd[1] = bpf_map__fd(m->skel->maps.flows_b);
	m->stats_fd = bpf_map__fd(m->skel->maps.stats);
	m->segs.fd = bpf_map__fd(m->skel->maps.flow_segs);
	if (m->table_flows) {
		uint32_t start = m->min_slots;

		rc = table_make(m, 0, start);
		if (rc) {
			snprintf(err, errlen, "flow table of %u slots: %s", start, strerror(-rc));
			goto fail;
		}
		m->table = jf_table_new(m->tab[0].mem, start);
		if (!m->table) {
			snprintf(err, errlen, "flow table shadow: out of memory");
			goto fail;
		}
		jf_table_set_timeouts(m->table, m->idle_ms, m->active_ms, m->fin_ms);
		/* Where the table's records go, and router mode's lookup. */
		if (table_bind(m)) {
			snprintf(err, errlen, "flow table route answers: out of memory");
			goto fail;
		}
	}
	m->ring = ring_buffer__new(bpf_map__fd(m->skel->maps.spill), on_spill, m, NULL);
	if (!m->ring) {
		snprintf(err, errlen, "spill ring: %s", strerror(errno));
		goto fail;
	}
	m->keys = calloc(DRAIN_BATCH, sizeof(*m->keys));
	m->vals = calloc(DRAIN_BATCH, sizeof(*m->vals));
	m->updates = calloc(DRAIN_BATCH, sizeof(*m->updates));
	m->percpu = calloc((size_t)m->ncpus, sizeof(*m->percpu));
	if (!m->keys || !m->vals || !m->updates || !m->percpu) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->mono_to_real_ns = mono_to_real_offset();
	log_debug("epoch switches wait with %s", m->quiesce_seq ? "per-CPU sequence counters"
							   : "an RCU grace period");

	/* The monitors before the first frame. */
	program_monitors(m, p, 3);

	/* Mirror port: promiscuous, and the MAC/VLAN map filled, before the
	 * first frame is metered. */
	if (jf_mirror_open(p, m->skel->obj, &m->mirror, err, errlen))
		goto fail;
	for (i = 0; i < p->n_ifaces; i++) {
		if (!(jf_meter_dir(p, i) & JF_DIR_IN))
			continue;	/* IFACE:out: the TC program only */
		choose_prog(m, i, false);
		if (attach_one(m, i, p->ifaces[i], p->generic, err, errlen))
			goto fail;
		log_metering(m, i);
	}
	/* Egress (IFACE:out, :both): the TC program, sharing the maps. */
	if (jf_tc_meter_open(p, m->skel->obj, &m->tc, err, errlen))
		goto fail;
	return m;
fail:
	jf_xdp_meter_close(m);
	return NULL;
}

void jf_xdp_meter_bind(struct jf_xdp_meter *m, struct jf_flow_cache *cache,
		       struct jf_meter_stats *st)
{
	m->cache = cache;
	m->st = st;
	if (table_bind(m))
		log_err("flow table route answers: out of memory");
}

static void sync_spill(struct jf_xdp_meter *m, struct jf_meter_stats *st);

int jf_xdp_meter_poll(struct jf_xdp_meter *m, int timeout_ms, uint64_t now_ms)
{
	int rc, lim;

	m->now_ms = now_ms;
	if (!m->table) {
		rc = ring_buffer__poll(m->ring, timeout_ms);
		/* In the counters as soon as in the cache: jflowctl stats
		 * balances between drains too. */
		sync_spill(m, m->st);
		return rc;
	}
	/* A flood fills a small table in milliseconds: look at it often;
	 * while a larger one is being made, more often. */
	lim = m->ask_slots ? JF_TABLE_ASK_POLL_MS : JF_TABLE_CHECK_MS;
	rc = ring_buffer__poll(m->ring, timeout_ms < 0 || timeout_ms > lim ? lim : timeout_ms);
	sync_spill(m, m->st);
	if (rc >= 0 && !m->stopping) {
		int trc = table_check(m, now_ms);

		if (trc)
			return trc;
	}
	return rc;
}

static int drain_map(struct jf_xdp_meter *m, int fd, struct jf_flow_cache *cache,
		     uint64_t now_ms, uint64_t *flows)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t in = 0, out = 0;
	bool first = true;
	int rc = 0;

	for (;;) {
		uint32_t count = DRAIN_BATCH, i;

		rc = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, m->keys,
						     m->vals, &count, &opts);
		if (rc && rc != -ENOENT)
			break;
		for (i = 0; i < count; i++) {
			const struct jf_counters *c = &m->vals[i];
			struct jf_flow *u = &m->updates[i];

			u->packets = c->packets;
			u->octets = c->octets;
			u->first_ms = to_real_ms(m, c->first_ns);
			u->last_ms = to_real_ms(m, c->last_ns);
			u->flow_label = c->flow_label;
			u->tcp_flags = (uint8_t)c->tcp_flags;
			u->ttl_min = (uint8_t)c->ttl;
			u->ttl_max = (uint8_t)(c->ttl >> 8);
			u->out_ifindex = c->out_ifindex;
			u->frag_id = c->frag_id;
		}
		for (i = 0; i < count; i++) {
			uint32_t k = jf_key_monitor(&m->keys[i]);

			m->stash_packets[k] += m->updates[i].packets;
			m->stash_octets[k] += m->updates[i].octets;
		}
		jf_cache_update_batch(cache, m->keys, m->updates, count, now_ms);
		*flows += count;
		if (rc == -ENOENT) {
			rc = 0;
			break;
		}
		in = out;
		first = false;
	}
	if (rc)
		log_err("drain flow map: %s", strerror(-rc));
	return rc;
}

/* The grace period before a marked slot is read: the same wait as the
 * epoch switch. */
static int table_wait(void *arg)
{
	struct jf_xdp_meter *m = arg;

	if (m->quiesce_seq) {
		jf_epoch_quiesce(m->skel->data_seq->cpu_seq, m->ncpus);
		return 0;
	}
	return jf_epoch_wait_rcu();
}

/* A warning before packets can be lost, once each: the table is 80 % full
 * (from then on idle flows leave after JF_TABLE_EMERGENCY_IDLE_MS,
 * table_check), or the stash half full below that. Packets lost anyway are
 * counted (JF_PKT_MAP_FULL) and exported as loss. */
static void warn_full(struct jf_xdp_meter *m, uint64_t live, uint64_t stashed)
{
	if (live * 5 >= (uint64_t)m->table_flows * 4 && !m->warned_full) {
		m->warned_full = true;
		log_warn("flow table: %llu of %u flows in use, %llu of %u in the stash: flows "
			 "idle for %u ms now leave early (flowEndReason lack of resources); when "
			 "both are full packets are lost (counted as map_full); raise --max-flows",
			 (unsigned long long)live, m->table_flows, (unsigned long long)stashed,
			 m->map_flows, JF_TABLE_EMERGENCY_IDLE_MS);
	} else if (stashed * 2 >= m->map_flows && !m->warned_stash) {
		/* The table has room, or soon will: new flows came faster than
		 * it grew, or found no slot within reach of their place. */
		m->warned_stash = true;
		log_warn("flow table: %llu of %u slots in use, %llu of %u in the stash: new flows "
			 "came faster than the table grew; when the stash is full packets are lost "
			 "(counted as map_full); a larger --map-flows holds more of such a burst",
			 (unsigned long long)live, jf_table_nslots(m->table),
			 (unsigned long long)stashed, m->map_flows);
	}
}

/* The table's own expiry, one pass in slot order: each live slot read;
 * FIN/RST and idle flows removed (mark, one wait per batch, read, free)
 * and exported, flows past the active timeout exported and kept; at stop,
 * after the program is detached, every slot goes (reason forced). */
static int read_table(struct jf_xdp_meter *m, uint64_t stashed)
{
	struct jf_table_stats ts;
	struct timespec t0, t1;
	uint64_t removed0;
	long n;

	/* CPU time, not wall time: the grace period sleeps. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	m->pass_ms = m->now_ms;
	jf_table_get_stats(m->table, &ts);
	removed0 = ts.removed;
	jf_table_set_clock(m->table, m->mono_to_real_ns);
	n = jf_table_expire(m->table, m->now_ms, table_wait, m);
	if (n >= 0) {
		m->st->drained_flows += (uint64_t)n;
		if (m->stopping)
			n = jf_table_remove_all(m->table, table_wait, m, NULL, NULL);
	}
	if (n < 0) {
		log_err("flow table: wait before removal: %s", strerror((int)-n));
		return (int)n;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	m->st->table_read_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll +
					   (t1.tv_nsec - t0.tv_nsec));
	jf_table_get_stats(m->table, &ts);
	removed0 = ts.removed - removed0;
	m->st->table_live = ts.live > removed0 ? ts.live - removed0 : 0;
	m->st->table_removed = ts.removed;
	m->st->table_slots = jf_table_nslots(m->table);
	m->st->table_moves = ts.moved;
	m->st->table_move_unplaced = ts.move_unplaced;
	warn_full(m, ts.live, stashed);
	return 0;
}

size_t jf_xdp_meter_flush(struct jf_xdp_meter *m, uint16_t mons, uint64_t now_ms,
			  enum jf_end_reason why)
{
	if (!m->table)
		return 0;
	jf_table_set_clock(m->table, m->mono_to_real_ns);
	return jf_table_flush_monitors(m->table, mons, now_ms, why);
}

void jf_xdp_meter_set_timeouts(struct jf_xdp_meter *m, uint32_t mon, uint32_t idle_ms,
			       uint32_t active_ms, uint32_t fin_ms)
{
	if (m->table)
		jf_table_set_monitor_timeouts(m->table, mon, idle_ms, active_ms, fin_ms);
}

int jf_xdp_meter_remove_monitors(struct jf_xdp_meter *m, uint16_t mons, uint64_t now_ms)
{
	long n;

	if (!m->table)
		return 0;
	jf_table_set_clock(m->table, m->mono_to_real_ns);
	n = jf_table_remove_monitors(m->table, mons, now_ms, table_wait, m);
	return n < 0 ? (int)n : 0;
}

/* Add the counters of one epoch parity to st and zero them: nobody writes
 * them until the epoch comes round again. Per monitor ever used. */
static int harvest(struct jf_xdp_meter *m, uint32_t parity, struct jf_meter_stats *st)
{
	uint32_t r, k;
	int cpu, rc;

	for (k = 0; k < JF_MONITORS; k++) {
		if (!(m->mon_seen & (1u << k)))
			continue;
		for (r = 0; r <= JF_STAT_TRIMMED; r++) {
			uint32_t idx = JF_STAT_MON_IDX(parity, k, r);
			uint64_t pk = 0, oc = 0;

			rc = bpf_map_lookup_elem(m->stats_fd, &idx, m->percpu);
			if (rc)
				return rc;
			for (cpu = 0; cpu < m->ncpus; cpu++) {
				if (cpu < JF_MAX_CPUS && r != JF_STAT_TRIMMED)
					st->cpu_packets[cpu] += m->percpu[cpu].packets;
				pk += m->percpu[cpu].packets;
				oc += m->percpu[cpu].octets;
			}
			if (!pk && !oc)
				continue;
			/* Spilled packets count when merged (on_spill), those
			 * in flows as read (count_in_flows); trimmed is beside
			 * the fates, not one of them. */
			if (r == JF_STAT_TRIMMED) {
				st->trimmed_packets += pk;
				st->trimmed_octets += oc;
			} else if (r == JF_PKT_SPILLED) {
				m->spill_seen[parity] -= pk;
			} else if (r == JF_PKT_OK) {
				st->counted_packets += pk;
				st->counted_octets += oc;
			} else {
				jf_meter_count(st, k, (int)r, pk, oc);
			}
			memset(m->percpu, 0, (size_t)m->ncpus * sizeof(*m->percpu));
			rc = bpf_map_update_elem(m->stats_fd, &idx, m->percpu, BPF_ANY);
			if (rc)
				return rc;
		}
	}
	/* Every spilled packet of the old epoch is in the ring by now. */
	if (m->spill_seen[parity]) {
		log_err("spill ring: %lld records unmatched by the spill counter",
			(long long)m->spill_seen[parity]);
		st->spill_mismatch++;
		m->spill_seen[parity] = 0;
	}
	return 0;
}

/* Packets metered into flows, as the agent read them: from the stash maps
 * and from the table (exported or still open there), never the program's
 * per-parity count: a table read sees packets counted after the epoch
 * flip, whose parity is harvested one drain later, so that count would
 * lag what the flows hold and the metrics would not balance between
 * drains (docs/design.md). Once the program is detached and both parities
 * harvested, the two must be equal. */
static void count_in_flows(struct jf_xdp_meter *m, struct jf_meter_stats *st)
{
	uint64_t packets = 0, octets = 0;
	int k;

	for (k = 0; k < JF_MONITORS; k++) {
		struct jf_cache_stats ts = { 0 };
		struct jf_mon_meter_stats *ms = &st->mon[k];

		if (m->table)
			jf_table_add_monitor_stats(m->table, (uint32_t)k, &ts);
		ms->packets[JF_PKT_OK] = m->stash_packets[k] + ts.exported_packets + ts.packets;
		ms->octets[JF_PKT_OK] = m->stash_octets[k] + ts.exported_octets + ts.octets;
		packets += ms->packets[JF_PKT_OK];
		octets += ms->octets[JF_PKT_OK];
	}
	st->packets[JF_PKT_OK] = packets;
	st->octets[JF_PKT_OK] = octets;
	if (m->stopping && m->stop_drains == 2 &&
	    (st->packets[JF_PKT_OK] != st->counted_packets ||
	     st->octets[JF_PKT_OK] != st->counted_octets)) {
		log_err("flows hold %llu packets (%llu octets), the program counted %llu "
			"(%llu octets)", (unsigned long long)st->packets[JF_PKT_OK],
			(unsigned long long)st->octets[JF_PKT_OK],
			(unsigned long long)st->counted_packets,
			(unsigned long long)st->counted_octets);
		st->count_mismatch++;
	}
}

static void sync_spill(struct jf_xdp_meter *m, struct jf_meter_stats *st)
{
	int k;

	for (k = 0; k < JF_MONITORS; k++) {
		if (!m->spill_merged[k])
			continue;
		jf_meter_count(st, (uint32_t)k, JF_PKT_SPILLED, m->spill_merged[k],
			       m->spill_merged_octets[k]);
		st->spill_merged += m->spill_merged[k];
		m->spill_merged[k] = 0;
		m->spill_merged_octets[k] = 0;
	}
}

int jf_xdp_meter_drain(struct jf_xdp_meter *m, uint64_t now_ms)
{
	struct jflowd_bpf__bss *bss = m->skel->bss;
	struct jf_meter_stats *st = m->st;
	uint64_t old, flows0;
	int rc;

	m->now_ms = now_ms;
	m->mono_to_real_ns = mono_to_real_offset();
	if (m->clock.skel && now_ms - m->clock_checked_ms >= 1000) {
		/* Jiffies stay locked to CLOCK_MONOTONIC (the kernel advances
		 * them by exact ticks of it); a resume or a clock source
		 * change could still move the phase. At every drain, but at
		 * most once a second: drains come faster only when forced
		 * (a reload, jflowctl, tests), and a check on every one of
		 * test_drain's back-to-back drains halved their number. */
		m->clock_checked_ms = now_ms;
		rc = jf_bpf_clock_check(&m->clock);
		if (rc > 0) {
			bss->clock_off_ns = m->clock.off_ns;
			log_info("flow times: jiffies offset corrected (%" PRIu64 " corrections)",
				 m->clock.corrections);
		} else if (rc < 0) {
			log_warn("flow times: the jiffies offset cannot be checked (%s); "
				 "going on with the last one", strerror(-rc));
			jf_bpf_clock_fini(&m->clock);
		}
	}
	old = jf_epoch_flip(&bss->epoch);
	if (m->quiesce_seq) {
		jf_epoch_quiesce(m->skel->data_seq->cpu_seq, m->ncpus);
	} else {
		rc = jf_epoch_wait_rcu();
		if (rc) {
			log_err("epoch switch: membarrier: %s", strerror(-rc));
			return rc;
		}
	}

	/* The old map has no writer now; its spilled packets are all in the
	 * ring. */
	ring_buffer__consume(m->ring);
	flows0 = st->drained_flows;
	rc = drain_map(m, m->map_fd[old & 1], m->cache, now_ms, &st->drained_flows);
	if (!rc && m->table)
		rc = read_table(m, st->drained_flows - flows0);
	if (!rc && m->table && !m->stopping)
		rc = table_check(m, now_ms);
	if (!rc)
		rc = harvest(m, (uint32_t)(old & 1), st);
	if (m->stopping)
		m->stop_drains++;
	count_in_flows(m, st);
	sync_spill(m, st);
	st->packets[JF_PKT_NO_CPU_SLOT] = bss->no_cpu_slot_packets;
	st->ncpus = m->ncpus < JF_MAX_CPUS ? m->ncpus : JF_MAX_CPUS;
	st->drains++;
	return rc;
}

int jf_xdp_meter_stop(struct jf_xdp_meter *m, uint64_t now_ms)
{
	int i, rc;

	for (i = 0; i < m->n_ifaces; i++)
		detach_one(m, i);
	jf_tc_meter_close(m->tc);	/* no writer left before the last drains */
	m->tc = NULL;
	/* Every table slot goes too. */
	m->stopping = true;
	/* Two switches drain both maps; runs still in flight are waited for. */
	rc = jf_xdp_meter_drain(m, now_ms);
	if (!rc)
		rc = jf_xdp_meter_drain(m, now_ms);
	return rc;
}

int jf_xdp_meter_set_monitors(struct jf_xdp_meter *m, const struct jf_meter_params *p,
			      uint64_t now_ms)
{
	struct jflowd_bpf__bss *bss = m->skel->bss;
	int rc;

	/* The next epoch samples at the new rates; the drain flips to it and
	 * brings the old epoch's map, all of the old rates, into the cache.
	 * Then the parity after it too. (Packets spilled to the ring in the
	 * new epoch, when its map is full, may join the cache with them.)
	 * Masks and the interfaces' monitors change at once; the drain's
	 * grace period then ends every run that read the old ones. */
	program_monitors(m, p, 1u << ((bss->epoch + 1) & 1));
	rc = jf_xdp_meter_drain(m, now_ms);
	program_monitors(m, p, 1u << ((bss->epoch + 1) & 1));
	return rc;
}

int jf_xdp_meter_set_ifaces(struct jf_xdp_meter *m, const struct jf_meter_params *p,
			    char *err, size_t errlen)
{
	uint32_t old_idx[JF_MAX_IFACES], old_flags[JF_MAX_IFACES];
	bool old_att[JF_MAX_IFACES], kept[JF_MAX_IFACES] = { false }, fresh[JF_MAX_IFACES];
	int old_fd[JF_MAX_IFACES];
	char old_name[JF_MAX_IFACES][JF_IFNAME_MAX];
	uint8_t old_dirs[JF_MAX_IFACES];
	struct jflowd_bpf *old_bound[JF_MAX_IFACES];
	bool old_warned[JF_MAX_IFACES];
	uint32_t idx[JF_MAX_IFACES], old_conf[JF_MAX_IFACES];
	int n_old = m->n_ifaces, i, j, rc, ing_fd;
	uint8_t one = 1;

	for (i = 0; i < p->n_ifaces; i++) {
		idx[i] = if_nametoindex(p->ifaces[i]);
		if (!idx[i]) {
			snprintf(err, errlen, "interface %s: %s", p->ifaces[i], strerror(errno));
			return -ENODEV;
		}
	}
	memcpy(old_idx, m->ifindex, sizeof(old_idx));
	memcpy(old_flags, m->attach_flags, sizeof(old_flags));
	memcpy(old_att, m->attached, sizeof(old_att));
	memcpy(old_fd, m->link_fd, sizeof(old_fd));
	memcpy(old_name, m->name, sizeof(old_name));
	memcpy(old_dirs, m->dirs, sizeof(old_dirs));
	memcpy(old_bound, m->bound, sizeof(old_bound));
	memcpy(old_warned, m->vlan_warned, sizeof(old_warned));
	memcpy(old_conf, m->conf_ifindex, sizeof(old_conf));
	memset(m->conf_ifindex, 0, sizeof(m->conf_ifindex));
	memset(m->bound, 0, sizeof(m->bound));
	memset(m->vlan_warned, 0, sizeof(m->vlan_warned));
	for (i = 0; i < p->n_ifaces; i++) {
		fresh[i] = true;
		for (j = 0; j < n_old; j++) {
			if (old_idx[j] == idx[i] && !kept[j]) {
				kept[j] = true;
				fresh[i] = false;
				m->ifindex[i] = old_idx[j];
				m->attach_flags[i] = old_flags[j];
				m->attached[i] = old_att[j];
				m->link_fd[i] = old_fd[j];
				m->bound[i] = old_bound[j];
				m->vlan_warned[i] = old_warned[j];
				m->conf_ifindex[i] = old_conf[j];
				break;
			}
		}
		/* Names and directions follow the new parameters (the link
		 * watcher re-attaches by them). */
		snprintf(m->name[i], sizeof(m->name[i]), "%s", p->ifaces[i]);
		m->dirs[i] = jf_meter_dir(p, i);
		if (!fresh[i])
			continue;
		m->ifindex[i] = idx[i];
		m->attached[i] = false;
		m->link_fd[i] = -1;
		/* Its monitors (as set_monitors last said) before its first
		 * packet; counted by the one monitor only if it covers it. */
		ifconf_update(m, i);
		if (!m->skel->bss->mon_by_iface && !covers_all_one(m, i)) {
			__sync_synchronize();
			m->skel->bss->mon_by_iface = 1;
		}
		/* New interfaces are ingress only: the reload refuses a new
		 * egress one (the TC program is attached at start). */
		if (!(jf_meter_dir(p, i) & JF_DIR_IN))
			continue;
		/* A bpf_link, as at start: a reload that adds an interface
		 * keeps the guarantees of the first attach. */
		choose_prog(m, i, true);
		rc = attach_one(m, i, p->ifaces[i], p->generic, err, errlen);
		if (rc) {
			for (j = 0; j <= i; j++) {
				if (!fresh[j])
					continue;
				detach_one(m, j);
				unbind(m, j);
			}
			memcpy(m->bound, old_bound, sizeof(old_bound));
			memcpy(m->vlan_warned, old_warned, sizeof(old_warned));
			memcpy(m->ifindex, old_idx, sizeof(old_idx));
			memcpy(m->attach_flags, old_flags, sizeof(old_flags));
			memcpy(m->attached, old_att, sizeof(old_att));
			memcpy(m->link_fd, old_fd, sizeof(old_fd));
			memcpy(m->name, old_name, sizeof(old_name));
			memcpy(m->dirs, old_dirs, sizeof(old_dirs));
			memcpy(m->conf_ifindex, old_conf, sizeof(old_conf));
			return rc;
		}
		log_metering(m, i);
	}
	/* The TC egress program skips what an ingress already counted:
	 * the new ingress interfaces before the old ones' detach. */
	ing_fd = bpf_map__fd(m->skel->maps.ingress_metered);
	for (i = 0; i < p->n_ifaces; i++)
		if (fresh[i] && m->attached[i])
			bpf_map_update_elem(ing_fd, &m->ifindex[i], &one, BPF_ANY);
	/* What the removed ones metered is drained at the next tick. */
	for (j = 0; j < n_old; j++) {
		if (kept[j])
			continue;
		if (!old_att[j]) {
			jflowd_bpf__destroy(old_bound[j]);	/* loaded, never attached */
			continue;
		}
		close(old_fd[j]);	/* the link goes with its last descriptor */
		bpf_map_delete_elem(ing_fd, &old_idx[j]);
		if (old_conf[j]) {
			static const struct jf_ifconf none;

			ifconf_write(m, old_conf[j], &none);
		}
		jflowd_bpf__destroy(old_bound[j]);
		log_info("no longer metering %s (ifindex %u)", old_name[j], old_idx[j]);
	}
	for (i = p->n_ifaces; i < JF_MAX_IFACES; i++) {
		m->attached[i] = false;
		m->link_fd[i] = -1;
	}
	m->n_ifaces = p->n_ifaces;
	return 0;
}

void jf_xdp_meter_close(struct jf_xdp_meter *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->n_ifaces; i++) {
		detach_one(m, i);
		unbind(m, i);
	}
	jf_tc_meter_close(m->tc);
	jf_mirror_close(m->mirror);
	ring_buffer__free(m->ring);
	jf_table_free(m->table);
	/* flow_segs goes with the program. */
	jf_table_mem_unmap(&m->segs, &m->tab[0], NULL);
	jf_table_mem_unmap(&m->segs, &m->tab[1], NULL);
	jf_table_maker_stop(m->maker);
	jflowd_bpf__destroy(m->skel);
	jf_bpf_clock_fini(&m->clock);
	free(m->keys);
	free(m->vals);
	free(m->updates);
	free(m->percpu);
	free(m);
}

void jf_xdp_meter_iface_gone(struct jf_xdp_meter *m, int i)
{
	detach_one(m, i);	/* the kernel let go of the link already */
	unbind(m, i);		/* bound to a device that is no more */
	jf_tc_meter_iface_gone(m->tc, m->name[i]);
}

/* Runs with CAP_NET_ADMIN only (the capabilities dropped after start-up):
 * a link on the program already loaded, and the TC program the same way. */
int jf_xdp_meter_iface_back(struct jf_xdp_meter *m, int i, uint32_t ifindex,
			    char *err, size_t errlen)
{
	int rc;

	detach_one(m, i);
	m->ifindex[i] = ifindex;
	ifconf_update(m, i);	/* its monitors under the new ifindex */
	rc = jf_mirror_iface_back(m->mirror, m->name[i], ifindex, err, errlen);
	if (rc)
		return rc;
	if (m->dirs[i] & JF_DIR_IN) {
		choose_prog(m, i, true);
		rc = attach_one(m, i, m->name[i], m->generic, err, errlen);
		if (rc)
			return rc;
		log_info("interface %s is back (ifindex %u): metering it again with %s XDP%s",
			 m->name[i], ifindex, jf_xdp_meter_mode(m, i), vlan_note(m, i));
	}
	rc = jf_tc_meter_iface_back(m->tc, m->name[i], ifindex, err, errlen);
	if (rc)
		return rc;
	if (m->dirs[i] & JF_DIR_OUT)
		log_info("interface %s is back (ifindex %u): metering its egress again (tc)",
			 m->name[i], ifindex);
	return 0;
}

const char *jf_xdp_meter_mode(const struct jf_xdp_meter *m, int i)
{
	return (m->attach_flags[i] & XDP_FLAGS_DRV_MODE) ? "native" : "generic";
}

uint32_t jf_xdp_meter_ifindex(const struct jf_xdp_meter *m, int i)
{
	return m->ifindex[i];
}

int jf_xdp_meter_prog_fd(const struct jf_xdp_meter *m)
{
	return bpf_program__fd(m->skel->progs.jflowd_xdp);
}

int jf_xdp_meter_current_map_fd(const struct jf_xdp_meter *m)
{
	return m->map_fd[m->skel->bss->epoch & 1];
}

/* The kernel's own account: "memlock:" in /proc/self/fdinfo/FD. */
static uint64_t fd_memlock(int fd)
{
	char path[64], line[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

uint64_t jf_xdp_meter_kernel_bytes(const struct jf_xdp_meter *m)
{
	return fd_memlock(m->map_fd[0]) + fd_memlock(m->map_fd[1]) +
	       (m->tab[0].mem ? fd_memlock(m->tab[0].fd0) * m->tab[0].nseg : 0) +
	       (m->tab[1].mem ? fd_memlock(m->tab[1].fd0) * m->tab[1].nseg : 0) +
	       fd_memlock(bpf_map__fd(m->skel->maps.spill));
}

/* --- struct jf_meter_ops --- */

static struct jf_xdp_meter *xdp_of(const struct jf_meter *m)
{
	return jf_meter_priv(m, struct jf_xdp_meter);
}

static struct jf_meter *ops_open(const struct jf_meter_params *p, struct jf_flow_cache *cache,
				 struct jf_meter_stats *st, char *err, size_t errlen)
{
	struct jf_xdp_meter *m = jf_xdp_meter_open(p, cache, st, err, errlen);

	return m ? &m->base : NULL;
}

static int ops_poll(struct jf_meter *m, int timeout_ms, uint64_t now_ms)
{
	return jf_xdp_meter_poll(xdp_of(m), timeout_ms, now_ms);
}

static int ops_tick(struct jf_meter *m, uint64_t now_ms)
{
	return jf_xdp_meter_drain(xdp_of(m), now_ms);
}

static int ops_stop(struct jf_meter *m, uint64_t now_ms)
{
	return jf_xdp_meter_stop(xdp_of(m), now_ms);
}

static int ops_set_monitors(struct jf_meter *m, const struct jf_meter_params *p,
			    uint64_t now_ms)
{
	return jf_xdp_meter_set_monitors(xdp_of(m), p, now_ms);
}

static int ops_set_ifaces(struct jf_meter *m, const struct jf_meter_params *p, char *err,
			  size_t errlen)
{
	return jf_xdp_meter_set_ifaces(xdp_of(m), p, err, errlen);
}

static uint32_t ops_ifindex(const struct jf_meter *m, int i)
{
	return jf_xdp_meter_ifindex(xdp_of(m), i);
}

static uint64_t ops_kernel_bytes(const struct jf_meter *m)
{
	return jf_xdp_meter_kernel_bytes(xdp_of(m));
}

static void ops_close(struct jf_meter *m)
{
	jf_xdp_meter_close(xdp_of(m));
}

static size_t ops_flush(struct jf_meter *m, uint16_t mons, uint64_t now_ms,
			enum jf_end_reason why)
{
	return jf_xdp_meter_flush(xdp_of(m), mons, now_ms, why);
}

static void ops_set_timeouts(struct jf_meter *m, uint32_t mon, uint32_t idle_ms,
			     uint32_t active_ms, uint32_t fin_ms)
{
	jf_xdp_meter_set_timeouts(xdp_of(m), mon, idle_ms, active_ms, fin_ms);
}

static void ops_add_flow_stats(const struct jf_meter *m, int mon, struct jf_cache_stats *st)
{
	const struct jf_xdp_meter *x = xdp_of(m);

	if (!x->table)
		return;
	if (mon < 0)
		jf_table_add_flow_stats(x->table, st);
	else
		jf_table_add_monitor_stats(x->table, (uint32_t)mon, st);
}

static int ops_remove_monitors(struct jf_meter *m, uint16_t mons, uint64_t now_ms)
{
	return jf_xdp_meter_remove_monitors(xdp_of(m), mons, now_ms);
}

static bool ops_foreach_flow(const struct jf_meter *m, uint64_t *cursor, size_t max,
			     jf_visit_fn visit, void *arg)
{
	struct jf_xdp_meter *x = xdp_of(m);

	/* Marked so that the table does not shrink under the listing. */
	x->listed_ms = jf_mono_ms();
	return !x->table || jf_table_foreach_from(x->table, cursor, max, visit, arg);
}

/* The spill ring's epoll descriptor: readable when records wait; with a
 * table, poll comes every JF_TABLE_CHECK_MS to look at its fill. */
static int ops_pollfds(const struct jf_meter *m, struct pollfd *pfd, int max, int *wait_ms)
{
	const struct jf_xdp_meter *x = xdp_of(m);

	if (x->table && *wait_ms > JF_TABLE_CHECK_MS)
		*wait_ms = JF_TABLE_CHECK_MS;
	if (max < 1 || !x->ring)
		return 0;
	pfd->fd = ring_buffer__epoll_fd(x->ring);
	pfd->events = POLLIN;
	return 1;
}

static void ops_iface_gone(struct jf_meter *m, int i)
{
	jf_xdp_meter_iface_gone(xdp_of(m), i);
}

static int ops_iface_back(struct jf_meter *m, int i, uint32_t ifindex, char *err, size_t errlen)
{
	return jf_xdp_meter_iface_back(xdp_of(m), i, ifindex, err, errlen);
}

const struct jf_meter_ops jf_xdp_meter_ops = {
	.name = "xdp",
	.keep_caps = 1ULL << CAP_NET_ADMIN,	/* attach a link again */
	.open = ops_open,
	.poll = ops_poll,
	.tick = ops_tick,
	.stop = ops_stop,
	.set_monitors = ops_set_monitors,
	.set_ifaces = ops_set_ifaces,
	.ifindex = ops_ifindex,
	.kernel_bytes = ops_kernel_bytes,
	.close = ops_close,
	.iface_gone = ops_iface_gone,
	.iface_back = ops_iface_back,
	.flush = ops_flush,
	.set_timeouts = ops_set_timeouts,
	.add_flow_stats = ops_add_flow_stats,
	.remove_monitors = ops_remove_monitors,
	.foreach_flow = ops_foreach_flow,
	.pollfds = ops_pollfds,
};
