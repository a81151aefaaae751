/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Event writers: one human line, or one NDJSON object, per handshake. */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdio.h>
#include "report.h"

void out_text_event(FILE *out, const struct report *r);
void out_json_event(FILE *out, const struct report *r);

#endif /* __OUTPUT_H */
