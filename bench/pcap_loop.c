// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bench_pcap_loop: the limit of the offline path. Reads every packet of a
 * capture file with pcap_next_ex and does nothing with it. Prints
 * "packets=N bytes=B seconds=S". */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <pcap/pcap.h>

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0, bytes = 0;
	double t0 = mono_s();
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_pcap_loop FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_loop: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		n++;
		bytes += h->caplen;	/* touch the header only, as promised */
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(p));
		return 1;
	}
	pcap_close(p);
	printf("packets=%llu bytes=%llu seconds=%.6f\n", (unsigned long long)n,
	       (unsigned long long)bytes, mono_s() - t0);
	return 0;
}
