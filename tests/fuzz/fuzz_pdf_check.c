/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pdf_check.c - libFuzzer target over dispose verify --pdf's path
 * (dsp_pdf_check_mem): the input is a PDF (outside bytes, parsed by
 * poppler) checked against one fixed certificate beside the corpus
 * (tests/fuzz/corpus/fuzz_pdf_check.cert.json, a small document; the seeds:
 * its rendering, accepted byte for byte (85 KB: fuzz_pdf_check.max_len lets
 * the regression run take it whole), the same with the font programs taken
 * out (metadata right, bytes not), a truncation, and garbage). Whatever the
 * bytes: 0, DSP_MISMATCH or DSP_INVALID with one line in why (or
 * -ENOMEM/-EIO), never a crash; 0 only for a PDF whose metadata names the
 * certificate's id and digest.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/log.h"
#include "dispose/pdf.h"
#include "dispose/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *cert, hex[65];
static size_t cert_len;

static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static void done(void)
{
	free(cert);
}

static void init(void)
{
	const char *dir = getenv("DISPOSE_SRCDIR");
	char path[4096];

	dsp_log_set_syslog(0);
	dsp_log_set_handler(quiet, NULL);
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_pdf_check.cert.json",
		 dir ? dir : ".");
	if (dsp_file_read(path, 1 << 20, 0, &cert, &cert_len) ||
	    dsp_sha256_hex(cert, cert_len, hex)) {
		fprintf(stderr, "fuzz_pdf_check: %s: cannot read (run from the source tree or "
			"set DISPOSE_SRCDIR)\n", path);
		abort();
	}
	atexit(done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *why = NULL;
	int rc;

	if (!cert)
		init();
	rc = dsp_pdf_check_mem("fuzz.pdf", data, size, cert, cert_len, "cert.json", NULL, &why);
	if (rc != 0 && rc != DSP_MISMATCH && rc != DSP_INVALID && rc != -ENOMEM && rc != -EIO)
		abort();
	if (rc > 0 && (!why || !*why || strchr(why, '\n')))
		abort();	/* a refusal says why, in one line */
	if (rc == 0 && !memmem(data, size, hex, 64))
		abort();	/* accepted: the digest is in the PDF */
	free(why);
	return 0;
}
