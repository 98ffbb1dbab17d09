// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_pcap_loop: the limit of the offline path. Reads every packet of a
 * capture file with pcap_loop and a callback that only counts, through
 * the same 1 MiB stdio buffer jflowd -r gives libpcap, so the two differ
 * only in what they do with a packet. Prints "packets=N bytes=B seconds=S",
 * S from before the open to after the close. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>

#define FILE_BUFFER (1 << 20)	/* as src/pcap_meter.c */

struct count {
	uint64_t n;
	uint64_t bytes;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct count *c = (struct count *)arg;

	(void)data;
	c->n++;
	c->bytes += h->caplen;	/* touch the header only, as promised */
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct count c = { 0, 0 };
	double t0 = mono_s();
	char *buf;
	pcap_t *p;
	FILE *f;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_pcap_loop FILE.pcap\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "pcap_loop: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* glibc ignores the size unless it is given the buffer. */
	buf = malloc(FILE_BUFFER);
	if (buf)
		setvbuf(f, buf, _IOFBF, FILE_BUFFER);
	p = pcap_fopen_offline(f, err);
	if (!p) {
		fprintf(stderr, "pcap_loop: %s\n", err);
		fclose(f);
		free(buf);
		return 1;
	}
	rc = pcap_loop(p, -1, on_packet, (u_char *)&c);
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(p));
		return 1;
	}
	pcap_close(p);
	free(buf);	/* after pcap_close has closed the stream */
	printf("packets=%llu bytes=%llu seconds=%.6f\n", (unsigned long long)c.n,
	       (unsigned long long)c.bytes, mono_s() - t0);
	return 0;
}
