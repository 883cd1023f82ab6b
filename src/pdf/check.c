/* SPDX-License-Identifier: MIT */
/* check.c - show --pdf and verify --pdf: render a signed certificate, check a PDF renders one (poppler) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/pdf.h"

int dsp_pdf_certificate(const char *cert_path, const char *out_pdf, char **why)
{
	(void)cert_path; (void)out_pdf;
	if (why)
		*why = strdup("pdf: not built yet");
	return -ENOSYS;
}

int dsp_pdf_check(const char *pdf_path, const char *json, size_t len, char **why)
{
	(void)pdf_path; (void)json; (void)len;
	if (why)
		*why = strdup("pdf: not built yet");
	return -ENOSYS;
}
