/* SPDX-License-Identifier: MIT */
/* check.c - verify --pdf: does a PDF render this certificate? (poppler) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/pdf.h"

int dsp_pdf_check(const char *pdf_path, const char *json, size_t len, char **why)
{
	(void)pdf_path; (void)json; (void)len;
	if (why)
		*why = strdup("pdf: not built yet");
	return -ENOSYS;
}
