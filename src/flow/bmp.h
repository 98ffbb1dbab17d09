/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BMP station: listens on bmp-listen for the router's BGP speakers
 * (FRR's bgpd with its bmp module), and keeps the RIB their streams
 * describe. Non-blocking and served from the agent's loop in slices of
 * bounded time, so a full-table dump never holds up a drain. */
#ifndef JFLOWD_BMP_H
#define JFLOWD_BMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "flow/bgp_rib.h"

#define JF_BMP_MAX_SESSIONS 8
#define JF_BMP_SYNC_GRACE_MS 60000	/* with no speaker yet, lookups wait this long */
#define JF_BMP_QUIET_MS 5000		/* a peer without End-of-RIB is synced once quiet */

struct jf_bmp;

/* "ADDR:PORT", "[ADDR]:PORT" or "ADDR" (port 11019) into sa; 0 or -1
 * with the reason in err. */
int jf_bmp_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *salen,
			char *err, size_t errlen);

/* Listen on listen (bmp-listen) into rib. NULL with err. */
struct jf_bmp *jf_bmp_open(const char *listen, struct jf_rib *rib, char *err, size_t errlen);
void jf_bmp_close(struct jf_bmp *b);

/* Accept and read what is ready, for at most budget_ms of work; never
 * waits. Returns true when input is left over or a stream is under way
 * (call again without sleeping). */
bool jf_bmp_poll(struct jf_bmp *b, uint64_t now_ms, unsigned budget_ms);

/* Whether the feed has said what it has (every peer sent End-of-RIB or is
 * quiet); until then a lookup is asked again at the next drain. */
bool jf_bmp_synced(const struct jf_bmp *b, uint64_t now_ms);

struct jf_bmp_stats {
	uint64_t sessions;		/* up now */
	uint64_t sessions_total;	/* accepted since start */
	uint64_t sessions_refused;	/* beyond JF_BMP_MAX_SESSIONS */
	uint64_t malformed;		/* sessions closed on a malformed message */
	uint64_t messages;
	uint64_t bytes;
	uint64_t ignored;		/* messages without meaning here */
	uint64_t peer_ups, peer_downs;
};

void jf_bmp_get_stats(const struct jf_bmp *b, struct jf_bmp_stats *st);

/* Memory of the sessions (buffers, parser state), not the RIB. */
size_t jf_bmp_bytes(const struct jf_bmp *b);

/* One line per session to f: speaker address, sysName, messages, age. */
void jf_bmp_print_sessions(const struct jf_bmp *b, FILE *f, uint64_t now_ms);

#endif
