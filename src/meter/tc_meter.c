// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Egress metering: the TC program on clsact egress, attached with cls_bpf
 * (libbpf 1.1 has no tcx helper). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "meter/meter.h"
#include "meter/tc_meter.h"

struct tc_if {
	char name[JF_IFNAME_MAX];
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;	/* handle and priority the kernel gave */
	bool created_hook;		/* clsact was ours: remove it again */
	bool attached;
};

struct jf_tc_meter {
	int n;				/* interfaces of the parameters at open */
	struct tc_if ifs[JF_MAX_IFACES];	/* by interface of the parameters at open */
	uint8_t dirs[JF_MAX_IFACES];	/* JF_DIR_* */
	int prog_fd;
	int ingress_fd;			/* ingress_metered */
};

static void detach(struct tc_if *t)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = t->opts.handle, .priority = t->opts.priority);
	int rc;

	if (t->attached) {
		rc = bpf_tc_detach(&t->hook, &o);
		if (rc)
			log_warn("tc egress detach ifindex %d: %s", t->hook.ifindex, strerror(-rc));
		t->attached = false;
	}
	if (t->created_hook) {
		/* Removes the whole clsact qdisc: only when we added it. */
		t->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&t->hook);
		t->created_hook = false;
	}
}

void jf_tc_meter_close(struct jf_tc_meter *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		detach(&t->ifs[i]);
	free(t);
}

static int attach(struct tc_if *ti, const char *name, char *err, size_t errlen)
{
	int rc;

	ti->hook.attach_point = BPF_TC_EGRESS;
	rc = bpf_tc_hook_create(&ti->hook);
	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "egress metering on %s: clsact: %s", name, strerror(-rc));
		return rc;
	}
	ti->created_hook = !rc;
	ti->hook.attach_point = BPF_TC_EGRESS;
	ti->opts.handle = ti->opts.priority = 0;	/* the kernel picks them again */
	ti->opts.flags = 0;
	ti->opts.prog_id = 0;
	rc = bpf_tc_attach(&ti->hook, &ti->opts);
	if (rc) {
		snprintf(err, errlen, "egress metering on %s: attach: %s", name, strerror(-rc));
		return rc;
	}
	ti->attached = true;
	return 0;
}

/* A reload may reorder the interfaces: they are found by name. */
static int find(const struct jf_tc_meter *t, const char *name)
{
	int i;

	for (i = 0; t && i < t->n; i++)
		if (!strcmp(t->ifs[i].name, name))
			return i;
	return -1;
}

void jf_tc_meter_iface_gone(struct jf_tc_meter *t, const char *name)
{
	int i = find(t, name);

	if (i < 0)
		return;
	/* The kernel removed the qdisc and its filter with the device. */
	t->ifs[i].attached = false;
	t->ifs[i].created_hook = false;
	if (t->dirs[i] & JF_DIR_IN && t->ifs[i].hook.ifindex) {
		uint32_t old = (uint32_t)t->ifs[i].hook.ifindex;

		bpf_map_delete_elem(t->ingress_fd, &old);
	}
}

int jf_tc_meter_iface_back(struct jf_tc_meter *t, const char *name, uint32_t ifindex,
			   char *err, size_t errlen)
{
	int i = find(t, name), rc;
	struct tc_if *ti;
	uint8_t one = 1;

	if (i < 0)
		return 0;
	ti = &t->ifs[i];
	if (ti->attached || ti->created_hook)
		jf_tc_meter_iface_gone(t, name);
	ti->hook.ifindex = (int)ifindex;
	/* The ingress this interface meters counts a packet: not again on
	 * the way out of a :out interface. */
	if (t->dirs[i] & JF_DIR_IN) {
		rc = bpf_map_update_elem(t->ingress_fd, &ifindex, &one, BPF_ANY);
		if (rc) {
			snprintf(err, errlen, "egress metering: %s", strerror(-rc));
			return rc;
		}
	}
	if (!(t->dirs[i] & JF_DIR_OUT))
		return 0;
	return attach(ti, name, err, errlen);
}

int jf_tc_meter_open(const struct jf_meter_params *p, struct bpf_object *obj,
		     struct jf_tc_meter **out, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct jf_tc_meter *t;
	struct bpf_map *map;
	int i, rc, n_out = 0;
	uint8_t one = 1;

	*out = NULL;
	for (i = 0; i < p->n_ifaces; i++)
		if (jf_meter_dir(p, i) & JF_DIR_OUT)
			n_out++;
	if (!n_out)
		return 0;
	prog = bpf_object__find_program_by_name(obj, "jflowd_tc_egress");
	map = bpf_object__find_map_by_name(obj, "ingress_metered");
	if (!prog || !map) {
		snprintf(err, errlen, "egress metering: the BPF object has no TC program");
		return -ENOENT;
	}
	/* Which ingress already counts a packet: before any attach. */
	for (i = 0; i < p->n_ifaces; i++) {
		uint32_t ifindex = if_nametoindex(p->ifaces[i]);

		if (!(jf_meter_dir(p, i) & JF_DIR_IN) || !ifindex)
			continue;
		rc = bpf_map_update_elem(bpf_map__fd(map), &ifindex, &one, BPF_ANY);
		if (rc) {
			snprintf(err, errlen, "egress metering: %s", strerror(-rc));
			return rc;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->n = p->n_ifaces;
	t->prog_fd = bpf_program__fd(prog);
	t->ingress_fd = bpf_map__fd(map);
	for (i = 0; i < p->n_ifaces; i++) {
		struct tc_if *ti = &t->ifs[i];

		t->dirs[i] = jf_meter_dir(p, i);
		snprintf(ti->name, sizeof(ti->name), "%s", p->ifaces[i]);
		ti->hook.sz = sizeof(ti->hook);
		ti->hook.ifindex = (int)if_nametoindex(p->ifaces[i]);
		ti->hook.attach_point = BPF_TC_EGRESS;
		ti->opts.sz = sizeof(ti->opts);
		ti->opts.prog_fd = t->prog_fd;
		if (!(t->dirs[i] & JF_DIR_OUT))
			continue;
		if (!ti->hook.ifindex) {
			rc = -errno;
			snprintf(err, errlen, "interface %s: %s", p->ifaces[i], strerror(errno));
			goto fail;
		}
		rc = attach(ti, p->ifaces[i], err, errlen);
		if (rc)
			goto fail;
		log_info("metering %s on egress (tc, packets the router sends itself)",
			 p->ifaces[i]);
	}
	*out = t;
	return 0;
fail:
	jf_tc_meter_close(t);
	return rc;
}
