/* SPDX-License-Identifier: MIT */
/* pdf_int.h - the PDF module's inside: the page engine (render.c) and the content (render_doc.c) */
#ifndef DISPOSE_PDF_INT_H
#define DISPOSE_PDF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

/* Bounds (dispose(8), SHOW): never silent, each says what it left out. */
#define PDF_VALUE_MAX	2048u	/* bytes of one value; then "… (N more bytes)" */
#define PDF_LABEL_MAX	96u	/* bytes of a label taken from a key */
#define PDF_ID_MAX	128u	/* bytes of the certificate id in the footer and the QR code */
#define PDF_ITEMS_MAX	256u	/* entries of one list or members of one object */
#define PDF_DEPTH_MAX	8	/* nesting shown as rows; deeper: the JSON text */
#define PDF_ROWS_MAX	60000u	/* rows in one PDF; then a note and nothing more */
#define PDF_PAGES_MAX	1500u	/* pages in one PDF, the note on the last (measured: at most
				   ~22 KB and ~40 ms a page, so ~35 MB, well under verify's
				   64 MiB, and about a minute) */
#define PDF_CELL_MAX	160u	/* bytes of one value in a table cell (its page has it all) */
#define PDF_TABLE_MAX	8	/* columns */
#define PDF_NAME_MAX	80u	/* bytes of the certificate's file name in the recipe (one line) */

/* A growing string; oom is sticky (the text is then incomplete and the render fails). */
struct sb {
	char *s;
	size_t len, cap;
	bool oom;
};
void sb_add(struct sb *b, const char *s);
void sb_addn(struct sb *b, const char *s, size_t n);
void sb_addf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct sb *b);
const char *sb_str(struct sb *b);	/* "" when empty */

struct pdf;

/*
 * The certificate's file name the recipe and page 1 print: one plain shell
 * word ([A-Za-z0-9._+-], no leading '-', ending ".json", at most
 * PDF_NAME_MAX bytes); any other name prints as "CERT.json".
 */
bool pdf_plain_name(const char *s);

/* Outside text as shown: escaped as dispose show does, cut at max bytes ("… (N more bytes)"). */
void pdf_text(struct pdf *p, struct sb *b, const char *s, size_t len, size_t max);
/* A JSON value as show's put_value: null/absent "not recorded", yes/no, integer, text. */
void pdf_value(struct pdf *p, struct sb *b, struct json_object *v);

/* Rows; each is a no-op once the row budget is spent (the note says so, once). */
enum pdf_style { PDF_BODY, PDF_SMALL, PDF_MONO, PDF_NOTE };
void pdf_title(struct pdf *p, const char *text);
void pdf_heading(struct pdf *p, const char *text);		/* a section, kept with what follows */
void pdf_subheading(struct pdf *p, int indent, const char *text);
void pdf_field(struct pdf *p, int indent, const char *label, const char *value);
void pdf_para(struct pdf *p, int indent, const char *text, enum pdf_style style);
/* label/value rows, two short ones side by side */
void pdf_fields(struct pdf *p, int indent, size_t n, const char *const *labels,
		const char *const *values);
/* A table: share[] of the width per column, head[] kept by the caller until pdf_table_end. */
void pdf_table(struct pdf *p, size_t ncol, const double *share, const char *const *head);
void pdf_table_row(struct pdf *p, const char *const *cells);
void pdf_table_end(struct pdf *p);
void pdf_signature_lines(struct pdf *p);			/* Name, Title, Date, Signature: empty */
void pdf_gap(struct pdf *p, double pt);
void pdf_keep(struct pdf *p, double pt);			/* pt left on this page, else a new one */
void pdf_page_break(struct pdf *p);
bool pdf_stopped(const struct pdf *p);
/* What follows, for the note when the PDF stops ("target 17 of 234"). */
void pdf_where(struct pdf *p, const char *what);

/* What the content needs to know of the document. */
struct pdf_doc {
	struct json_object *doc;
	const char *json_name;		/* escaped */
	const char *signer, *signing_time;	/* raw, may be NULL */
	const char *id;			/* escaped, cut */
	const char *title;		/* "Certificate of Sanitization", "Sanitization Failure Report"... */
};
/* The content (render_doc.c): the form, the targets, the archives, the rest. */
void pdf_doc_content(struct pdf *p, const struct pdf_doc *d);
/* Title and banners for every page (render_doc.c): new strings in *title, *fail, *redact (NULL: none). */
void pdf_doc_banners(struct pdf *p, struct json_object *doc, char **title, char **fail,
		     char **redact);

#endif
