/* SPDX-License-Identifier: MIT */
/* pdf.h - the certificate as a PDF people read (A4, NIST form first, a QR code on every page) */
#ifndef DISPOSE_PDF_H
#define DISPOSE_PDF_H

#include <stdbool.h>
#include <stddef.h>

#include "dispose/cert.h"

/* The layout's name: in the PDF's metadata; verify --pdf compares only within one layout. */
#define DSP_PDF_LAYOUT	"dispose-pdf/1"

/* What the PDF says about the signature (from the .p7s, not the JSON). */
struct dsp_pdf_opts {
	const char *json_name;		/* the certificate's file name for the recipe, when one
					   plain shell word ending ".json" (at most 80 bytes);
					   else (and NULL) "CERT.json" */
	const char *signer;		/* signer subject, one line; NULL: not shown */
	const char *signing_time;	/* RFC 3339; NULL: not shown */
	const char *time;		/* the PDF's CreationDate; NULL: the certificate's "created" */
};

/* Called with the PDF's bytes in order; nonzero stops the rendering (-EIO). */
typedef int (*dsp_pdf_write_fn)(void *arg, const void *buf, size_t len);

/*
 * Render a certificate's bytes (json[0..len), exactly as signed) as A4
 * PDF: page 1 the NIST SP 800-88 form, then a page (or more) per target,
 * then the archives; a failure report is titled and bannered as one.
 * Every page's footer: certificate id, SHA-256 of json[0..len), a QR code
 * "dispose-certificate id=<id> sha256=<hex>", and the stock openssl
 * recipe. The metadata: Title, Subject "<id> sha256:<hex>", Keywords
 * "DSP_PDF_LAYOUT id=<id> sha256=<hex>". json must pass dsp_cert_parse
 * (else DSP_INVALID); any shape of document renders (missing keys are
 * "not recorded"), outside text is escaped as dispose show does (never
 * Pango markup). The fonts are fixed files (DejaVu Sans, Sans Bold, Sans
 * Mono of fonts-dejavu-core, WenQuanYi Micro Hei of fonts-wqy-microhei) in
 * a private fontconfig, never another installed font: the same bytes render
 * the same PDF with the same dispose, cairo, pango and font packages. At
 * most PDF_PAGES_MAX (pdf_int.h) pages, then a note: the JSON holds the rest.
 * 0, DSP_INVALID, -ENOMEM, -EIO (write), -ENOENT (a font file missing: *why
 * names it and its package).
 */
int dsp_pdf_render(const char *json, size_t len, const struct dsp_pdf_opts *o,
		   dsp_pdf_write_fn write, void *arg, char **why);

/*
 * dispose show --pdf / certify --pdf: read cert_path and cert_path ".p7s"
 * once, check the signature without a CA (dsp_cert_verify_mem; untrusted
 * is fine, a failure report too), and render those same bytes to out_pdf
 * (a new file, O_EXCL|O_NOFOLLOW, 0644, synced; never replaces one, nothing
 * left on failure). DSP_MISMATCH (*why): the signature or document is
 * invalid, nothing written; DSP_INVALID: unreadable input; -EEXIST.
 */
int dsp_pdf_certificate(const char *cert_path, const char *out_pdf, char **why);

/*
 * dispose verify --pdf: does pdf_path render the certificate json[0..len)?
 * Its metadata names the same id, SHA-256 and layout, and it is byte for
 * byte the PDF dsp_pdf_render makes of those bytes now (with the recipe's
 * name as the PDF prints it, when plain): what a viewer shows is more than
 * text (annotations, layers, appended updates, glyphs), so nothing less is
 * checked. 0; DSP_MISMATCH (*why names the first difference, e.g. "X.pdf:
 * renders certificate ID2, not ID1", "X.pdf: not byte for byte this
 * dispose's rendering of it (byte N differs; made by dispose V with cairo
 * C, ...)"); DSP_INVALID: not a PDF.
 * Without the .p7s the fresh rendering names no signer, so a PDF that does
 * (show --pdf's) differs: dispose verify and run use dsp_pdf_verify.
 */
int dsp_pdf_check(const char *pdf_path, const char *json, size_t len, char **why);
/*
 * The same from memory (the fuzz target's entry): name labels *why,
 * cert_name (NULL: "the certificate") names the rendering compared with;
 * o's signer and signing_time are what the fresh rendering says about the
 * signature (o NULL, as in dsp_pdf_check: none, so a PDF that names a signer
 * differs; dsp_pdf_verify gives the .p7s's); json_name is taken from the
 * PDF's page 1 when plain (else "CERT.json"), the versions that made it
 * (Creator, Producer) only to say so when the bytes differ.
 */
int dsp_pdf_check_mem(const char *name, const void *pdf, size_t plen, const char *json,
		      size_t jlen, const char *cert_name, const struct dsp_pdf_opts *o,
		      char **why);

/*
 * dispose verify --pdf: cert_path and cert_path ".p7s" read once; *res as
 * dsp_cert_verify fills it from those bytes, then pdf_path checked against
 * the same bytes (dsp_pdf_check, with the signer and signing time the .p7s
 * gives) into *pdf_rc: 0, DSP_MISMATCH, DSP_INVALID (not a PDF, unreadable;
 * also, unchecked, when the certificate cannot be read) or -errno; *why
 * says why not 0; sha256 the certificate's (empty when unread). Returns 0
 * when *res is filled, -errno otherwise.
 */
int dsp_pdf_verify(struct dsp_cert_verifier *v, const char *cert_path,
		   const struct dsp_cert_verify_opts *vo, const char *pdf_path,
		   struct dsp_cert_result *res, char sha256[65], int *pdf_rc, char **why);

#endif
