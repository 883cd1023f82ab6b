/* SPDX-License-Identifier: MIT */
/* render.c - the certificate as an A4 PDF (cairo + pango, QR by libqrencode) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/pdf.h"

int dsp_pdf_render(const char *json, size_t len, const struct dsp_pdf_opts *o,
		   dsp_pdf_write_fn write, void *arg, char **why)
{
	(void)json; (void)len; (void)o; (void)write; (void)arg;
	if (why)
		*why = strdup("pdf: not built yet");
	return -ENOSYS;
}
