/* SPDX-License-Identifier: MIT */
/* file.c - show --pdf / certify --pdf: a signed certificate, read once, checked, rendered to a new file */
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
