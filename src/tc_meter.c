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
#include "meter.h"
#include "tc_meter.h"

struct tc_if {
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;	/* handle and priority the kernel gave */
	bool created_hook;		/* clsact was ours: remove it again */
	bool attached;
};

struct jf_tc_meter {
	int n;
	struct tc_if ifs[JF_MAX_IFACES];
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
	for (i = 0; i < p->n_ifaces; i++) {
		struct tc_if *ti;

		if (!(jf_meter_dir(p, i) & JF_DIR_OUT))
			continue;
		ti = &t->ifs[t->n++];
		ti->hook.sz = sizeof(ti->hook);
		ti->hook.ifindex = (int)if_nametoindex(p->ifaces[i]);
		ti->hook.attach_point = BPF_TC_EGRESS;
		ti->opts.sz = sizeof(ti->opts);
		ti->opts.prog_fd = bpf_program__fd(prog);
		if (!ti->hook.ifindex) {
			rc = -errno;
			snprintf(err, errlen, "interface %s: %s", p->ifaces[i], strerror(errno));
			goto fail;
		}
		rc = bpf_tc_hook_create(&ti->hook);
		if (rc && rc != -EEXIST) {
			snprintf(err, errlen, "egress metering on %s: clsact: %s", p->ifaces[i],
				 strerror(-rc));
			goto fail;
		}
		ti->created_hook = !rc;
		rc = bpf_tc_attach(&ti->hook, &ti->opts);
		if (rc) {
			snprintf(err, errlen, "egress metering on %s: attach: %s", p->ifaces[i],
				 strerror(-rc));
			goto fail;
		}
		ti->attached = true;
		log_info("metering %s on egress (tc, packets the router sends itself)",
			 p->ifaces[i]);
	}
	*out = t;
	return 0;
fail:
	jf_tc_meter_close(t);
	return rc;
}
