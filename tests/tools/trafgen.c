// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* jflowd-trafgen: deterministic test traffic. Builds frames from its own
 * flow model (not from jflowd's parser), writes them to a capture file or
 * sends them on an interface with AF_PACKET, and writes the expected
 * per-flow totals that tests compare with what a collector received. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME 9216
#define BATCH 64

enum framing { FR_PLAIN, FR_VLAN, FR_QINQ, FR_MPLS };
enum { LT_ETH, LT_SLL, LT_RAW };

struct opts {
	const char *out, *iface, *expect;
	uint64_t flows, packets, burst;
	int protos[8], nprotos;		/* 6, 17, 1 */
	int fams[2], nfams;		/* 4, 6 */
	int framings[4], nframings;
	unsigned size_min, size_max;
	uint32_t seed;
	double start, rate;		/* capture time and packets/s (file) */
	double send_pps;		/* send: rate limit, 0 = flat out */
	int linktype;
	int cpu;
	bool tcp_session;		/* SYN first, FIN last in each flow */
	uint8_t dst_mac[6], src_mac[6];
	double duration;		/* send: stop after seconds (loop the packets) */
};

struct flow {
	int fam, proto, framing;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;		/* dport: ICMP type << 8 | code */
	uint16_t vlan, inner_vlan;
	uint32_t mpls[2];
	uint8_t tos;			/* DSCP per flow, in the key */
	uint8_t mpls_exp;
	uint32_t flow_label;		/* IPv6, per flow */
	uint64_t packets, octets, sent;
};

static struct opts o = {
	.flows = 100, .packets = 10000, .burst = 1,
	.size_min = 100, .size_max = 100,
	.start = 1700000000.0, .rate = 1000.0,
	.cpu = -1,
	.dst_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	.src_mac = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: jflowd-trafgen [--out FILE.pcap | --iface IFACE] [options]\n"
		"  --flows N            distinct flows (100)\n"
		"  --packets N          packets in all (10000); packet j goes to flow (j/burst) %% flows\n"
		"  --burst N            consecutive packets per flow (1)\n"
		"  --protos LIST        tcp,udp,icmp (tcp,udp,icmp)\n"
		"  --families LIST      4,6 (4,6)\n"
		"  --framing LIST       plain,vlan,qinq,mpls (plain)\n"
		"  --size MIN[-MAX]     IP packet length (100)\n"
		"  --seed N             address offset, to make disjoint flow sets (0)\n"
		"  --start T --rate PPS capture time of the first packet and packets/s (file)\n"
		"  --linktype eth|sll|raw  capture file link type (eth)\n"
		"  --tcp-session        TCP flows start with SYN and end with FIN\n"
		"  --expect FILE        write expected per-flow totals (CSV)\n"
		"  --pps N              send: at most N packets/s\n"
		"  --duration S         send: repeat the packet sequence for S seconds\n"
		"                       (SIGUSR1 stops sending early; --expect has what was sent)\n"
		"  --cpu N              send: pin to CPU N\n"
		"  --dst-mac MAC        send: destination MAC (02:00:00:00:00:02)\n");
	exit(2);
}

static void parse_list(const char *s, int *out, int *n, int max,
		       const char *const *names, const int *vals, int nnames)
{
	char buf[256], *tok, *save;
	int i;

	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nnames; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == nnames || *n >= max) {
			fprintf(stderr, "trafgen: bad list item '%s'\n", tok);
			exit(2);
		}
		out[(*n)++] = vals[i];
	}
}

static void parse_mac(const char *s, uint8_t *mac)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		   &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "trafgen: bad MAC '%s'\n", s);
		exit(2);
	}
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "out", 1, 0, 'o' }, { "iface", 1, 0, 'i' }, { "expect", 1, 0, 'e' },
		{ "flows", 1, 0, 'f' }, { "packets", 1, 0, 'p' }, { "burst", 1, 0, 'b' },
		{ "protos", 1, 0, 'P' }, { "families", 1, 0, 'F' }, { "framing", 1, 0, 'R' },
		{ "size", 1, 0, 's' }, { "seed", 1, 0, 'S' }, { "start", 1, 0, 't' },
		{ "rate", 1, 0, 'r' }, { "linktype", 1, 0, 'l' }, { "tcp-session", 0, 0, 'T' },
		{ "pps", 1, 0, 'x' }, { "duration", 1, 0, 'd' }, { "cpu", 1, 0, 'c' },
		{ "dst-mac", 1, 0, 'm' }, { "help", 0, 0, 'h' }, { 0 }
	};
	static const char *const pn[] = { "tcp", "udp", "icmp" };
	static const int pv[] = { 6, 17, 1 };
	static const char *const fn[] = { "4", "6" };
	static const int fv[] = { 4, 6 };
	static const char *const rn[] = { "plain", "vlan", "qinq", "mpls" };
	static const int rv[] = { FR_PLAIN, FR_VLAN, FR_QINQ, FR_MPLS };
	int c;

	o.nprotos = 3;
	memcpy(o.protos, pv, sizeof(pv));
	o.nfams = 2;
	memcpy(o.fams, fv, sizeof(fv));
	o.nframings = 1;
	o.framings[0] = FR_PLAIN;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'i': o.iface = optarg; break;
		case 'e': o.expect = optarg; break;
		case 'f': o.flows = strtoull(optarg, NULL, 0); break;
		case 'p': o.packets = strtoull(optarg, NULL, 0); break;
		case 'b': o.burst = strtoull(optarg, NULL, 0); break;
		case 'P': parse_list(optarg, o.protos, &o.nprotos, 8, pn, pv, 3); break;
		case 'F': parse_list(optarg, o.fams, &o.nfams, 2, fn, fv, 2); break;
		case 'R': parse_list(optarg, o.framings, &o.nframings, 4, rn, rv, 4); break;
		case 's':
			if (sscanf(optarg, "%u-%u", &o.size_min, &o.size_max) != 2)
				o.size_max = o.size_min = (unsigned)atoi(optarg);
			break;
		case 'S': o.seed = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': o.start = atof(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 'l':
			o.linktype = !strcmp(optarg, "sll") ? LT_SLL : !strcmp(optarg, "raw") ? LT_RAW : LT_ETH;
			break;
		case 'T': o.tcp_session = true; break;
		case 'x': o.send_pps = atof(optarg); break;
		case 'd': o.duration = atof(optarg); break;
		case 'c': o.cpu = atoi(optarg); break;
		case 'm': parse_mac(optarg, o.dst_mac); break;
		default: usage();
		}
	}
	if ((!o.out) == (!o.iface) || !o.flows || !o.burst || o.size_min > o.size_max ||
	    o.size_max > 9000 || o.rate <= 0)
		usage();
}

static void make_flow(uint64_t i, struct flow *f)
{
	uint64_t k = i + (uint64_t)o.seed * 1000003u;
	uint32_t host = (uint32_t)(k & 0xffff), hi = (uint32_t)(k >> 16);

	memset(f, 0, sizeof(*f));
	f->proto = o.protos[i % (uint64_t)o.nprotos];
	f->fam = o.fams[(i / (uint64_t)o.nprotos) % (uint64_t)o.nfams];
	f->framing = o.framings[(i / (uint64_t)(o.nprotos * o.nfams)) % (uint64_t)o.nframings];
	if (f->fam == 4) {
		/* 198.18.0.0/15, RFC 2544 benchmarking space */
		f->src[0] = 198; f->src[1] = 18; f->src[2] = (uint8_t)(host >> 8); f->src[3] = (uint8_t)host;
		f->dst[0] = 198; f->dst[1] = 19; f->dst[2] = (uint8_t)(hi >> 8); f->dst[3] = (uint8_t)hi;
	} else {
		/* 2001:db8::/32, documentation space */
		uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, d[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 };

		s[12] = (uint8_t)(hi >> 8); s[13] = (uint8_t)hi; s[14] = (uint8_t)(host >> 8); s[15] = (uint8_t)host;
		d[15] = 1;
		memcpy(f->src, s, 16);
		memcpy(f->dst, d, 16);
	}
	if (f->proto == 1) {
		f->dport = f->fam == 4 ? (8 << 8) : (128 << 8);	/* echo request */
	} else {
		f->sport = (uint16_t)(1024 + (k % 60000));
		f->dport = (uint16_t)(f->proto == 6 ? 443 : 53);
		f->dport = (uint16_t)(f->dport + (uint16_t)((k / 60000) % 7));
	}
	if (f->framing == FR_VLAN || f->framing == FR_QINQ)
		f->vlan = (uint16_t)(100 + i % 3000);
	if (f->framing == FR_QINQ)
		f->inner_vlan = (uint16_t)(10 + i % 90);
	if (f->framing == FR_MPLS) {
		f->mpls[0] = (uint32_t)(16000 + i % 1000);
		f->mpls[1] = (uint32_t)(299776 + i % 100);
		f->mpls_exp = (uint8_t)(i % 8);
	}
	/* Field values that differ between flows, so that checks of what
	 * a collector decoded can tell one from a constant. */
	f->tos = (uint8_t)((i % 8) << 5 | (i % 3) << 2);
	if (f->fam == 6)
		f->flow_label = (uint32_t)(0x10000 + i) & 0xfffff;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Build one frame of flow f with IP length *iplenp (raised to the smallest
 * valid length) and TTL / hop limit ttl; returns the frame length. */
static size_t build(uint8_t *fr, const struct flow *f, unsigned *iplenp, uint8_t tcpflags,
		    uint32_t seq, uint8_t ttl)
{
	unsigned iplen = *iplenp;
	size_t off = 0, l4len, hl = f->fam == 4 ? 20 : 40, minl4;
	uint16_t ethertype = f->fam == 4 ? 0x0800 : 0x86dd;
	uint8_t *ip, *l4;
	uint32_t s;

	minl4 = f->proto == 6 ? 20 : 8;
	if (iplen < hl + minl4)
		iplen = (unsigned)(hl + minl4);
	*iplenp = iplen;
	if (o.linktype == LT_ETH) {
		memcpy(fr, o.dst_mac, 6);
		memcpy(fr + 6, o.src_mac, 6);
		off = 12;
		if (f->framing == FR_QINQ) {
			put16(fr + off, 0x88a8);
			put16(fr + off + 2, f->vlan);
			put16(fr + off + 4, 0x8100);
			put16(fr + off + 6, f->inner_vlan);
			off += 8;
		} else if (f->framing == FR_VLAN) {
			put16(fr + off, 0x8100);
			put16(fr + off + 2, f->vlan);
			off += 4;
		}
		if (f->framing == FR_MPLS) {
			put16(fr + off, 0x8847);
			put32(fr + off + 2, f->mpls[0] << 12 | (uint32_t)f->mpls_exp << 9 | 64);
			put32(fr + off + 6, f->mpls[1] << 12 | 1 << 8 | 64);
			off += 10;
		} else {
			put16(fr + off, ethertype);
			off += 2;
		}
	} else if (o.linktype == LT_SLL) {
		memset(fr, 0, 16);
		put16(fr, 0);		/* packet to us */
		put16(fr + 2, 1);	/* ARPHRD_ETHER */
		put16(fr + 4, 6);
		memcpy(fr + 6, o.src_mac, 6);
		put16(fr + 14, ethertype);
		off = 16;
	}
	ip = fr + off;
	memset(ip, 0, iplen);
	l4 = ip + hl;
	l4len = iplen - hl;
	if (f->fam == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)iplen);
		put16(ip + 4, (uint16_t)seq);
		ip[1] = f->tos;
		ip[8] = ttl;
		ip[9] = (uint8_t)f->proto;
		memcpy(ip + 12, f->src, 4);
		memcpy(ip + 16, f->dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		put32(ip, 6u << 28 | (uint32_t)f->tos << 20 | f->flow_label);
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = (uint8_t)(f->proto == 1 ? 58 : f->proto);
		ip[7] = ttl;
		memcpy(ip + 8, f->src, 16);
		memcpy(ip + 24, f->dst, 16);
	}
	if (f->proto == 6) {
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put32(l4 + 4, seq);
		l4[12] = 5 << 4;
		l4[13] = tcpflags;
		put16(l4 + 14, 65535);
	} else if (f->proto == 17) {
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put16(l4 + 4, (uint16_t)l4len);
	} else {
		l4[0] = (uint8_t)(f->dport >> 8);
		l4[1] = (uint8_t)f->dport;
		put16(l4 + 4, 0x4a46);	/* identifier */
		put16(l4 + 6, (uint16_t)seq);
	}
	/* Transport checksum over the pseudo header. */
	if (f->fam == 4) {
		s = csum_add(0, ip + 12, 8);
	} else {
		s = csum_add(0, ip + 8, 32);
	}
	if (!(f->proto == 1 && f->fam == 4)) {
		s += (uint32_t)(f->fam == 6 && f->proto == 1 ? 58 : f->proto);
		s += (uint32_t)l4len;
	} else {
		s = 0;
	}
	s = csum_add(s, l4, l4len);
	if (f->proto == 6)
		put16(l4 + 16, csum_fold(s));
	else if (f->proto == 17)
		put16(l4 + 6, csum_fold(s) ? csum_fold(s) : 0xffff);
	else
		put16(l4 + 2, csum_fold(s));
	return off + iplen;
}

static unsigned pkt_size(uint64_t j)
{
	if (o.size_max == o.size_min)
		return o.size_min;
	return o.size_min + (unsigned)((j * 2654435761u) % (o.size_max - o.size_min + 1));
}

static struct flow *flows;

/* Packet j: which flow, how long, which TCP flags. */
static size_t make_packet(uint64_t j, uint8_t *fr, struct flow **fp, unsigned *iplen)
{
	uint64_t fi = (j / o.burst) % o.flows;
	struct flow *f = &flows[fi];
	uint64_t per_flow = o.packets / o.flows + (fi < o.packets % o.flows ? 1 : 0);
	uint8_t flags = 0x10;	/* ACK */
	unsigned len = pkt_size(j);

	if (o.tcp_session && f->proto == 6) {
		if (f->sent == 0)
			flags = 0x02;	/* SYN */
		else if (f->sent + 1 == per_flow)
			flags = 0x11;	/* FIN ACK */
	}
	size_t frlen;

	*fp = f;
	/* TTL steps through 61..64 within a flow: min and max differ. */
	frlen = build(fr, f, &len, flags, (uint32_t)f->sent, (uint8_t)(64 - f->sent % 4));
	*iplen = len;
	f->packets++;
	f->octets += len;
	f->sent++;
	return frlen;
}

static void fmt_addr(const struct flow *f, const uint8_t *a, char *out, size_t n)
{
	inet_ntop(f->fam == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)n);
}

static void write_expect(void)
{
	FILE *e = fopen(o.expect, "w");
	uint64_t i;

	if (!e) {
		perror(o.expect);
		exit(1);
	}
	fprintf(e, "family,proto,src,sport,dst,dport,vlan,inner_vlan,mpls1,mpls2,packets,octets,"
		   "tos,mpls_exp,flow_label\n");
	for (i = 0; i < o.flows; i++) {
		const struct flow *f = &flows[i];
		char s[64], d[64];

		if (!f->packets)
			continue;
		fmt_addr(f, f->src, s, sizeof(s));
		fmt_addr(f, f->dst, d, sizeof(d));
		fprintf(e, "%d,%d,%s,%u,%s,%u,%u,%u,%u,%u,%llu,%llu,%u,%u,%u\n", f->fam,
			f->proto == 1 && f->fam == 6 ? 58 : f->proto, s, f->sport, d, f->dport,
			f->vlan, f->inner_vlan, f->mpls[0], f->mpls[1],
			(unsigned long long)f->packets, (unsigned long long)f->octets,
			f->tos, f->mpls_exp, f->flow_label);
	}
	fclose(e);
}

static int write_pcap(void)
{
	FILE *out = fopen(o.out, "wb");
	static uint8_t fr[MAX_FRAME];
	uint32_t hdr[6] = { 0xa1b23c4d, 0x00040002, 0, 0, 65535, 1 };	/* ns timestamps */
	uint64_t j;

	if (!out) {
		perror(o.out);
		return 1;
	}
	hdr[5] = o.linktype == LT_SLL ? 113 : o.linktype == LT_RAW ? 101 : 1;
	fwrite(hdr, sizeof(hdr), 1, out);
	uint64_t start_s = (uint64_t)o.start;
	uint64_t start_ns = start_s * 1000000000ull + (uint64_t)llround((o.start - (double)start_s) * 1e9);

	for (j = 0; j < o.packets; j++) {
		uint64_t ns = start_ns + (uint64_t)llround((double)j * 1e9 / o.rate);
		struct flow *f;
		unsigned iplen;
		size_t len = make_packet(j, fr, &f, &iplen);
		uint32_t rec[4] = { (uint32_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u),
				    (uint32_t)len, (uint32_t)len };

		fwrite(rec, sizeof(rec), 1, out);
		fwrite(fr, len, 1, out);
	}
	if (fclose(out)) {
		perror(o.out);
		return 1;
	}
	return 0;
}

/* SIGUSR1: stop after the batch in flight, so that --expect holds exactly
 * the packets handed to the interface. */
static volatile sig_atomic_t stop_sending;

static void on_usr1(int sig)
{
	(void)sig;
	stop_sending = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_iface(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	static uint8_t frames[BATCH][MAX_FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	double t0 = now_s(), deadline = o.duration > 0 ? t0 + o.duration : 0;
	uint64_t j = 0, sent = 0, round = 0;
	int fd, i;

	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: send only */
	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	sll.sll_ifindex = (int)if_nametoindex(o.iface);
	if (!sll.sll_ifindex) {
		perror(o.iface);
		return 1;
	}
	memcpy(sll.sll_addr, o.dst_mac, 6);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("bind");
		return 1;
	}
	for (;;) {
		int n = 0, rc;

		if (stop_sending)
			break;
		if (j == o.packets) {
			if (!deadline || now_s() >= deadline)
				break;
			j = 0;	/* loop: same flows again */
			round++;
			for (uint64_t k = 0; k < o.flows; k++)
				flows[k].sent = 0;
		}
		for (; n < BATCH && j < o.packets; n++, j++) {
			struct flow *f;
			unsigned iplen;
			size_t len = make_packet(j, frames[n], &f, &iplen);

			iov[n].iov_base = frames[n];
			iov[n].iov_len = len;
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
		}
		for (i = 0; i < n;) {
			rc = sendmmsg(fd, msgs + i, (unsigned)(n - i), 0);
			if (rc < 0) {
				if (errno == ENOBUFS || errno == EAGAIN) {
					sched_yield();
					continue;
				}
				perror("sendmmsg");
				return 1;
			}
			i += rc;
		}
		sent += (uint64_t)n;
		if (o.send_pps > 0) {
			double due = t0 + (double)sent / o.send_pps;

			while (now_s() < due)
				;
		}
	}
	(void)round;
	fprintf(stderr, "trafgen: sent %llu packets in %.3f s\n", (unsigned long long)sent,
		now_s() - t0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t i;
	int rc;

	parse_args(argc, argv);
	{
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	flows = calloc(o.flows, sizeof(*flows));
	if (!flows) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < o.flows; i++)
		make_flow(i, &flows[i]);
	rc = o.out ? write_pcap() : send_iface();
	if (!rc && o.expect)
		write_expect();
	return rc;
}
