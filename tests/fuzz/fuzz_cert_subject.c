/* SPDX-License-Identifier: MIT */
/* fuzz_cert_subject.c - libFuzzer target for dispose keygen's --subject parser */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an argument: the bytes up to the first NUL */
	char *s = malloc(size + 1), *line = NULL, *why = NULL;
	int rc;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	rc = dsp_keygen_subject(s, &line, &why);
	/* a subject is accepted with its printed form, or refused with a reason; never both */
	if ((rc == 0) != (line != NULL) || (rc == 0) == (why != NULL))
		abort();
	free(line);
	free(why);
	free(s);
	return 0;
}
