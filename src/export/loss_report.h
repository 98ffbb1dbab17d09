/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What did not reach the collectors, said in one line per collector. */
#ifndef JFLOWD_LOSS_REPORT_H
#define JFLOWD_LOSS_REPORT_H

#include "export/exporter.h"

/* Log, per collector, the flow records and packets not delivered (dropped,
 * or sent over UDP while it refused them). Returns how many collectors
 * lost something. */
int jf_loss_report(const struct jf_exporter *e);

/* What the report adds after the dropped count: " (never connected)" for a
 * TCP collector that dropped records and was never up, else "". */
const char *jf_loss_why(const struct jf_collector_stats *cs);

#endif
