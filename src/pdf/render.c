/* SPDX-License-Identifier: MIT */
/*
 * render.c - the certificate as an A4 PDF: the page engine (cairo + pango,
 * the QR code by libqrencode). Text flows line by line onto as many pages as
 * it needs (never clipped); every page gets the banners at the top and the
 * footer (id, SHA-256, page N of M, QR code, the openssl recipe). Two passes:
 * the first only measures (how many pages), the second draws. The content is
 * render_doc.c's.
 */
#include "pdf_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>
#include <qrencode.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/pdf.h"
#include "dispose/util.h"

/* A4 portrait, in points */
#define PW		595.28
#define PH		841.89
#define ML		42.0	/* left and right margin */
#define MT		28.0
#define MB		20.0
#define CW		(PW - 2 * ML)
#define LABEL_W		128.0	/* the label column of a field */
#define INDENT		12.0
#define QR_MODULE	2.0	/* pt per module: zbarimg reads it at pdftoppm -r 150 */
#define QR_QUIET	4	/* modules of white around it */
#define RECIPE_FMT	"openssl cms -verify -binary -inform DER -in %s.p7s -content %s " \
			"-CAfile CA.pem -purpose any"
#define FONT		"DejaVu Sans, WenQuanYi Micro Hei"
#define FONT_MONO	"DejaVu Sans Mono, WenQuanYi Micro Hei Mono"

/* ---- strings ---- */

static void sb_grow(struct sb *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->oom)
		return;
	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return;
		}
		cap *= 2;
	}
	if (!(s = realloc(b->s, cap))) {
		b->oom = true;
		return;
	}
	b->s = s;
	b->cap = cap;
}

void sb_addn(struct sb *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(struct sb *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void sb_addf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	sb_addn(b, s, (size_t)n);
	free(s);
}

void sb_free(struct sb *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

const char *sb_str(struct sb *b)
{
	return b->s ? b->s : "";
}

/* ---- the engine's state ---- */

enum { F_BODY, F_BOLD, F_MONO, F_SMALL, F_SMALLBOLD, F_TITLE, F_HEAD, F_SUB, F_BANNER, F_N };

struct pdf {
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoContext *pc;
	PangoFontMap *fmap;	/* font_map()'s */
	PangoAttrList *attrs;
	PangoFontDescription *fd[F_N];
	bool dry;		/* the measuring pass: nothing drawn */
	bool redacted;		/* a redacted copy: "redacted:<hex>" shown short */
	bool oom;
	int page, pages;
	double y, top, bottom;
	size_t rows, row_limit;
	bool stopped;
	bool probe;		/* the first measuring pass: finds where page PDF_PAGES_MAX begins */
	bool capped;		/* it begins: the drawing stops before row cap_row */
	size_t cap_row;
	char where[96];		/* what is being shown (pdf_where), for the note */
	/* every page's parts */
	char *title, *fail, *redact;
	char *foot_id, *foot_sha, *recipe, *recipe_w, *qr_note;
	char hex[65];
	QRcode *qr;
	double head_h, foot_h, qr_size;
	/* the table being drawn */
	bool tab_on;
	size_t tab_n;
	double tab_w[PDF_TABLE_MAX];
	char *tab_head[PDF_TABLE_MAX];	/* the caller's, alive while tab_on */
};


static const struct { const char *family; double size; bool bold; } fonts[] = {
	[F_BODY] = { FONT, 8.5, false },
	[F_BOLD] = { FONT, 8.5, true },
	[F_MONO] = { FONT_MONO, 7.5, false },
	[F_SMALL] = { FONT, 7.5, false },
	[F_SMALLBOLD] = { FONT, 7.5, true },
	[F_TITLE] = { FONT, 20.0, true },
	[F_HEAD] = { FONT, 12.0, true },
	[F_SUB] = { FONT, 9.5, true },
	[F_BANNER] = { FONT, 10.5, true },
};

bool pdf_stopped(const struct pdf *p)
{
	return p->stopped;
}

/* ---- outside text ---- */

/* "redacted:" and 64 hex digits at s? */
static bool is_token(const char *s, size_t n)
{
	if (n < 9 + 64 || memcmp(s, "redacted:", 9))
		return false;
	for (size_t i = 9; i < 9 + 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * t[0..n) (valid UTF-8: dsp_log_text's) with the format characters that
 * draw nothing (Unicode Cf: zero-width space and joiners, word joiner, BOM,
 * soft hyphen...) as \xHH, as dsp_log_text shows the bidi controls: "safe"
 * and "s<U+200B>afe" must not look the same on paper.
 */
static void add_visible(struct sb *b, const char *t, size_t n)
{
	const char *e = t + n, *run = t;

	while (t < e) {
		const char *next = g_utf8_next_char(t);

		if (next > e)
			next = e;
		if (g_unichar_type(g_utf8_get_char(t)) == G_UNICODE_FORMAT) {
			sb_addn(b, run, (size_t)(t - run));
			for (const char *c = t; c < next; c++)
				sb_addf(b, "\\x%02x", (unsigned char)*c);
			run = next;
		}
		t = next;
	}
	sb_addn(b, run, (size_t)(e - run));
}

/* Escaped text (no NUL) into b, redaction tokens shown short in a redacted copy. */
static void put_escaped(struct pdf *p, struct sb *b, const char *t)
{
	size_t n = strlen(t);

	while (n) {
		const char *r = p->redacted ? strstr(t, "redacted:") : NULL;

		if (!r) {
			add_visible(b, t, n);
			return;
		}
		if (is_token(r, n - (size_t)(r - t))) {
			add_visible(b, t, (size_t)(r - t));
			sb_add(b, "redacted (sha256 ");
			sb_addn(b, r + 9, 8);
			sb_add(b, "\xe2\x80\xa6)");
			n -= (size_t)(r - t) + 9 + 64;
			t = r + 9 + 64;
		} else {
			add_visible(b, t, (size_t)(r - t) + 9);
			n -= (size_t)(r - t) + 9;
			t = r + 9;
		}
	}
}

void pdf_text(struct pdf *p, struct sb *b, const char *s, size_t len, size_t max)
{
	size_t cut = len, more = 0;

	if (len > max) {
		cut = max;
		/* not inside a UTF-8 sequence */
		while (cut > max - 3 && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		more = len - cut;
	}
	while (cut) {
		size_t n = strnlen(s, cut);
		char *seg = strndup(s, n), *t = seg ? dsp_log_text(seg) : NULL;

		if (!t)
			b->oom = true;
		else
			put_escaped(p, b, t);
		free(t);
		free(seg);
		s += n;
		cut -= n;
		if (cut) {	/* a NUL byte */
			sb_add(b, "\\x00");
			s++;
			cut--;
		}
	}
	if (more)
		sb_addf(b, " \xe2\x80\xa6 (%zu more bytes)", more);
}

void pdf_value(struct pdf *p, struct sb *b, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		sb_add(b, "not recorded");
		break;
	case json_type_boolean:
		sb_add(b, json_object_get_boolean(v) ? "yes" : "no");
		break;
	case json_type_int:
		sb_addf(b, "%" PRId64, json_object_get_int64(v));
		break;
	case json_type_string:
		pdf_text(p, b, json_object_get_string(v), (size_t)json_object_get_string_len(v),
			 PDF_VALUE_MAX);
		break;
	default: {
		/* an array or object where a scalar belongs: its JSON text */
		const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

		if (!s)
			b->oom = true;
		else
			pdf_text(p, b, s, strlen(s), PDF_VALUE_MAX);
	}
	}
}

bool pdf_plain_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 6 || n > PDF_NAME_MAX || s[0] == '-' || strcmp(s + n - 5, ".json"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._+-", s[i])))
			return false;
	return true;
}

/* ---- layouts ---- */

static PangoLayout *layout(struct pdf *p, int font, double width, const char *text)
{
	PangoLayout *l = pango_layout_new(p->pc);

	pango_layout_set_font_description(l, p->fd[font]);
	pango_layout_set_auto_dir(l, FALSE);	/* escaped text: no bidi control survives */
	/* a word broken across lines gets no '-' that is not in the text */
	pango_layout_set_attributes(l, p->attrs);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_text(l, text, -1);
	return l;
}

static double height(PangoLayout *l)
{
	int w, h;

	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void color(struct pdf *p, double r, double g, double b)
{
	cairo_set_source_rgb(p->cr, r, g, b);
}

static void draw(struct pdf *p, PangoLayout *l, double x, double y)
{
	if (p->dry)
		return;
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
}

static void text_at(struct pdf *p, int font, double x, double y, double width, const char *s)
{
	PangoLayout *l;

	if (p->dry)
		return;
	l = layout(p, font, width, s);
	draw(p, l, x, y);
	g_object_unref(l);
}

/* ---- pages ---- */

static void qr_draw(struct pdf *p, double x, double y)
{
	int w = p->qr->width;

	color(p, 1, 1, 1);
	cairo_rectangle(p->cr, x, y, p->qr_size, p->qr_size);
	cairo_fill(p->cr);
	color(p, 0, 0, 0);
	for (int r = 0; r < w; r++)
		for (int c = 0; c < w; c++)
			if (p->qr->data[r * w + c] & 1)
				cairo_rectangle(p->cr, x + (c + QR_QUIET) * QR_MODULE,
						y + (r + QR_QUIET) * QR_MODULE, QR_MODULE, QR_MODULE);
	cairo_fill(p->cr);
}

/*
 * text with its spaces turned into line breaks where a line would be wider
 * than width: a command breaks between its words, never after a '-' (a
 * reader's copy, and pdftotext, would lose the hyphen). A new string.
 */
static char *wrap_spaces(struct pdf *p, int font, double width, const char *text)
{
	char *s = strdup(text), *line = s;
	PangoLayout *l;

	if (!s) {
		p->oom = true;
		return NULL;
	}
	l = layout(p, font, 0, "");
	for (char *sp = strchr(s, ' '), *last = NULL; ; sp = strchr(sp + 1, ' ')) {
		int w, h;

		pango_layout_set_text(l, line, sp ? (int)(sp - line) : -1);
		pango_layout_get_size(l, &w, &h);
		if ((double)w / PANGO_SCALE > width && last) {
			*last = '\n';
			line = last + 1;
			last = NULL;
			sp = line - 1;	/* measure the new line from its start */
			continue;
		}
		if (!sp)
			break;
		last = sp;
	}
	g_object_unref(l);
	return s;
}

/* The footer's text block; page 0: measure only. Returns its height. */
static double footer_text(struct pdf *p, double x, double y, double width, int page)
{
	const char *parts[5];
	int font[5] = { F_BOLD, F_MONO, F_BODY, F_MONO, F_SMALL };
	char pg[64];
	double h = 0;

	snprintf(pg, sizeof(pg), "Page %d of %d", page ? page : 9999, page ? p->pages : 9999);
	parts[0] = p->foot_id;
	parts[1] = p->foot_sha;
	parts[2] = pg;
	parts[3] = p->recipe_w;
	parts[4] = p->qr_note;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(parts); i++) {
		PangoLayout *l;

		if (!parts[i])
			continue;
		l = layout(p, font[i], width, parts[i]);
		if (page) {
			color(p, 0.15, 0.15, 0.15);
			draw(p, l, x, y + h);
		}
		h += height(l) + 1.5;
		g_object_unref(l);
	}
	return h;
}

static double banner(struct pdf *p, const char *text, double y, double r, double g, double b)
{
	PangoLayout *l = layout(p, F_BANNER, CW - 16, text);
	double h = height(l) + 10;

	if (!p->dry) {
		color(p, r, g, b);
		cairo_rectangle(p->cr, ML, y, CW, h);
		cairo_fill(p->cr);
		color(p, 1, 1, 1);
		draw(p, l, ML + 8, y + 5);
	}
	g_object_unref(l);
	return h + 6;
}

/* The top of every page: a running head, then the banners. Returns the height used. */
static double page_head(struct pdf *p)
{
	double y = MT;

	if (p->page > 1 && !p->dry) {
		char *t = NULL;

		if (asprintf(&t, "dispose \xc2\xb7 %s", p->title) < 0) {
			p->oom = true;
			return 0;
		}
		color(p, 0.4, 0.4, 0.4);
		text_at(p, F_SMALL, ML, y, CW, t);
		free(t);
	}
	y += 12;
	if (p->fail)
		y += banner(p, p->fail, y, 0.72, 0.05, 0.05);
	if (p->redact)
		y += banner(p, p->redact, y, 0.10, 0.25, 0.55);
	return y - MT;
}

static void page_end(struct pdf *p)
{
	double fy = PH - MB - p->foot_h;

	if (p->dry)
		return;
	cairo_set_line_width(p->cr, 0.5);
	color(p, 0.5, 0.5, 0.5);
	cairo_move_to(p->cr, ML, fy - 6);
	cairo_line_to(p->cr, PW - ML, fy - 6);
	cairo_stroke(p->cr);
	footer_text(p, ML, fy, CW - p->qr_size - 10, p->page);
	if (p->qr)
		qr_draw(p, PW - ML - p->qr_size, fy);
	cairo_show_page(p->cr);
}

static void table_head(struct pdf *p);

/* PDF_PAGES_MAX; test builds may lower it (a faithful test otherwise draws 1500 pages) */
static unsigned pages_max(void)
{
#ifdef DSP_TEST_HOOKS
	const char *e = getenv("DISPOSE_TEST_PDF_PAGES_MAX");

	if (e && atoi(e) > 1)
		return (unsigned)atoi(e);
#endif
	return PDF_PAGES_MAX;
}

static void page_new(struct pdf *p)
{
	/*
	 * The bytes and the time a PDF takes follow its pages: page
	 * PDF_PAGES_MAX begins within row cap_row, so the drawing stops
	 * before it, with room for the note on the pages left.
	 */
	if (p->probe && !p->capped && (unsigned)p->page + 1 >= pages_max()) {
		p->capped = true;
		p->cap_row = p->rows;
		p->stopped = true;
	}
	if (p->page)
		page_end(p);
	p->page++;
	p->top = MT + page_head(p);
	p->y = p->top;
	p->bottom = PH - MB - p->foot_h - 14;
	if (p->tab_on)
		table_head(p);
}

/* Room for h points, else a new page. */
static void need(struct pdf *p, double h)
{
	if (!p->page || p->y + h > p->bottom)
		page_new(p);
}

/* Lines of l at x from p->y on, each on the page it fits. */
static void flow(struct pdf *p, PangoLayout *l, double x)
{
	PangoLayoutIter *it = pango_layout_get_iter(l);

	do {
		PangoRectangle lr;
		double h, base;

		pango_layout_iter_get_line_extents(it, NULL, &lr);
		h = (double)lr.height / PANGO_SCALE;
		base = (double)(pango_layout_iter_get_baseline(it) - lr.y) / PANGO_SCALE;
		need(p, h);
		if (!p->dry) {
			cairo_move_to(p->cr, x + (double)lr.x / PANGO_SCALE, p->y + base);
			pango_cairo_show_layout_line(p->cr, pango_layout_iter_get_line_readonly(it));
		}
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
}

void pdf_where(struct pdf *p, const char *what)
{
	snprintf(p->where, sizeof(p->where), "%s", what);
}

static void note_stop(struct pdf *p)
{
	PangoLayout *l;
	char msg[384];

	snprintf(msg, sizeof(msg), "\xe2\x80\xa6 the rest of the certificate%s%s%s is not shown: "
		 "a PDF shows at most %u %s; the signed JSON holds all of it.",
		 p->where[0] ? ", from " : "", p->where, p->where[0] ? " on," : "",
		 p->row_limit < PDF_ROWS_MAX ? pages_max() : PDF_ROWS_MAX,
		 p->row_limit < PDF_ROWS_MAX ? "pages" : "rows");
	l = layout(p, F_BOLD, CW, msg);
	p->y += 6;
	color(p, 0.72, 0.05, 0.05);
	flow(p, l, ML);
	g_object_unref(l);
	p->stopped = true;
}

/* One more row? The budget bounds the work and the pages of a hostile document. */
static bool row(struct pdf *p)
{
	if (p->stopped || p->oom)
		return false;
	if (++p->rows > p->row_limit) {
		note_stop(p);
		return false;
	}
	return true;
}

/* ---- rows ---- */

void pdf_gap(struct pdf *p, double pt)
{
	if (!p->stopped && p->page)
		p->y += pt;
}

void pdf_keep(struct pdf *p, double pt)
{
	if (!p->stopped)
		need(p, pt);
}

void pdf_page_break(struct pdf *p)
{
	if (!row(p))
		return;
	page_new(p);
}

void pdf_title(struct pdf *p, const char *text)
{
	PangoLayout *l;

	if (!row(p))
		return;
	l = layout(p, F_TITLE, CW, text);
	need(p, height(l));
	color(p, 0, 0, 0);
	flow(p, l, ML);
	p->y += 4;
	g_object_unref(l);
}

static void heading_at(struct pdf *p, int font, int indent, const char *text, double before,
		       double keep)
{
	double x = ML + indent * INDENT;
	PangoLayout *l = layout(p, font, CW - indent * INDENT, text);
	double h = height(l);

	if (p->page && p->y > p->top)
		p->y += before;
	/* a heading is kept with the first lines of what follows */
	need(p, h + keep);
	color(p, 0.05, 0.15, 0.35);
	flow(p, l, x);
	p->y += 2;
	g_object_unref(l);
}

void pdf_heading(struct pdf *p, const char *text)
{
	double y0;

	if (!row(p))
		return;
	heading_at(p, F_HEAD, 0, text, 6, 40);
	y0 = p->y - 1.5;
	if (!p->dry) {
		cairo_set_line_width(p->cr, 0.6);
		color(p, 0.05, 0.15, 0.35);
		cairo_move_to(p->cr, ML, y0);
		cairo_line_to(p->cr, PW - ML, y0);
		cairo_stroke(p->cr);
	}
	p->y += 2;
}

void pdf_subheading(struct pdf *p, int indent, const char *text)
{
	if (!row(p))
		return;
	heading_at(p, F_SUB, indent, text, 2, 24);
}

void pdf_field(struct pdf *p, int indent, const char *label, const char *value)
{
	double x = ML + indent * INDENT, lw = LABEL_W - indent * INDENT;
	PangoLayout *ll, *vl;
	double lh, vh, h;

	if (!row(p))
		return;
	if (lw < 60)
		lw = 60;
	ll = layout(p, F_BOLD, lw - 6, label);
	vl = layout(p, F_BODY, PW - ML - (x + lw), value);
	lh = height(ll);
	vh = height(vl);
	h = lh > vh ? lh : vh;
	if (p->page && p->y + h > p->bottom && h <= (p->bottom - p->top) / 3)
		page_new(p);	/* a short row is not split */
	need(p, lh < 12 ? lh : 12);
	if (p->y + h <= p->bottom) {
		color(p, 0.2, 0.2, 0.2);
		draw(p, ll, x, p->y);
		color(p, 0, 0, 0);
		draw(p, vl, x + lw, p->y);
		p->y += h + 0.5;
	} else {
		/* longer than what is left: the label, and the value's lines on as many pages as they take */
		double yl = p->y + lh;
		int page0 = p->page;

		color(p, 0.2, 0.2, 0.2);
		draw(p, ll, x, p->y);
		color(p, 0, 0, 0);
		flow(p, vl, x + lw);
		if (p->page == page0 && yl > p->y)
			p->y = yl;
		p->y += 0.5;
	}
	g_object_unref(ll);
	g_object_unref(vl);
}

/* Two short fields side by side: half the width each. */
static void field_pair(struct pdf *p, int indent, const char *l1, const char *v1, const char *l2,
		       const char *v2)
{
	double x = ML + indent * INDENT, half = (CW - 12) / 2 - indent * INDENT;
	double lw = LABEL_W - indent * INDENT;
	PangoLayout *l[4];
	double h = 0;

	l[0] = layout(p, F_BOLD, lw - 4, l1);
	l[1] = layout(p, F_BODY, half - lw, v1);
	l[2] = layout(p, F_BOLD, LABEL_W - 12 - 4, l2);
	l[3] = layout(p, F_BODY, CW / 2 - 6 - (LABEL_W - 12), v2);
	for (int i = 0; i < 4; i++)
		if (height(l[i]) > h)
			h = height(l[i]);
	need(p, h);
	for (int i = 0; i < 4; i++) {
		if (i % 2)
			color(p, 0, 0, 0);
		else
			color(p, 0.2, 0.2, 0.2);
		draw(p, l[i], i < 2 ? x + (i % 2) * lw : ML + CW / 2 + 6 + (i % 2) * (LABEL_W - 12),
		     p->y);
		g_object_unref(l[i]);
	}
	p->y += h + 0.5;
}

/* short enough to share a row */
static bool pairable(const char *label, const char *value)
{
	return g_utf8_strlen(label, -1) <= 22 && g_utf8_strlen(value, -1) <= 28 &&
	       !strchr(value, '\n');
}

void pdf_fields(struct pdf *p, int indent, size_t n, const char *const *labels,
		const char *const *values)
{
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && pairable(labels[i], values[i]) &&
		    pairable(labels[i + 1], values[i + 1])) {
			if (!row(p))
				return;
			field_pair(p, indent, labels[i], values[i], labels[i + 1], values[i + 1]);
			i++;
		} else {
			pdf_field(p, indent, labels[i], values[i]);
		}
	}
}

/* ---- a table (the form's one row per medium); its head is repeated on each page ---- */

static double table_row_h(struct pdf *p, const char *const *cells, int font, PangoLayout **l)
{
	double h = 0;

	for (size_t i = 0; i < p->tab_n; i++) {
		l[i] = layout(p, font, p->tab_w[i] - 6, cells[i]);
		if (height(l[i]) > h)
			h = height(l[i]);
	}
	return h + 5;
}

static void table_row_draw(struct pdf *p, PangoLayout **l, double h, bool head)
{
	double x = ML;

	if (!p->dry && head) {
		color(p, 0.88, 0.90, 0.94);
		cairo_rectangle(p->cr, ML, p->y, CW, h);
		cairo_fill(p->cr);
	}
	for (size_t i = 0; i < p->tab_n; i++) {
		color(p, head ? 0.05 : 0, head ? 0.15 : 0, head ? 0.35 : 0);
		draw(p, l[i], x + 3, p->y + 2.5);
		x += p->tab_w[i];
		g_object_unref(l[i]);
	}
	if (!p->dry) {
		cairo_set_line_width(p->cr, 0.4);
		color(p, 0.6, 0.6, 0.6);
		cairo_move_to(p->cr, ML, p->y + h);
		cairo_line_to(p->cr, PW - ML, p->y + h);
		cairo_stroke(p->cr);
	}
	p->y += h;
}

static void table_head(struct pdf *p)
{
	PangoLayout *l[PDF_TABLE_MAX];
	double h = table_row_h(p, (const char *const *)p->tab_head, F_SMALLBOLD, l);

	table_row_draw(p, l, h, true);
}

void pdf_table(struct pdf *p, size_t ncol, const double *share, const char *const *head)
{
	if (!row(p) || ncol > PDF_TABLE_MAX)
		return;
	p->tab_n = ncol;
	for (size_t i = 0; i < ncol; i++) {
		p->tab_w[i] = share[i] * CW;
		p->tab_head[i] = (char *)head[i];
	}
	need(p, 60);
	table_head(p);
	p->tab_on = true;
}

void pdf_table_row(struct pdf *p, const char *const *cells)
{
	PangoLayout *l[PDF_TABLE_MAX];
	double h;

	if (!p->tab_on || !row(p))
		return;
	h = table_row_h(p, cells, F_SMALL, l);
	need(p, h);	/* a row is bounded (PDF_CELL_MAX): it fits on a page */
	table_row_draw(p, l, h, false);
}

void pdf_table_end(struct pdf *p)
{
	p->tab_on = false;
	pdf_gap(p, 4);
}

void pdf_para(struct pdf *p, int indent, const char *text, enum pdf_style style)
{
	static const int font[] = { [PDF_BODY] = F_BODY, [PDF_SMALL] = F_SMALL,
				    [PDF_MONO] = F_MONO, [PDF_NOTE] = F_BOLD };
	double x = ML + indent * INDENT;
	PangoLayout *l;

	if (!row(p))
		return;
	l = layout(p, font[style], PW - ML - x, text);
	if (style == PDF_NOTE)
		color(p, 0.55, 0.05, 0.05);
	else
		color(p, 0, 0, 0);
	flow(p, l, x);
	p->y += 2;
	g_object_unref(l);
}

void pdf_signature_lines(struct pdf *p)
{
	static const char *const label[] = { "Name", "Title", "Date", "Signature" };
	const double w = (CW - 3 * 12) / 4;

	if (!row(p))
		return;
	need(p, 34);
	p->y += 20;
	for (int i = 0; i < 4; i++) {
		double x = ML + i * (w + 12);

		if (!p->dry) {
			cairo_set_line_width(p->cr, 0.6);
			color(p, 0, 0, 0);
			cairo_move_to(p->cr, x, p->y);
			cairo_line_to(p->cr, x + w, p->y);
			cairo_stroke(p->cr);
		}
		color(p, 0.3, 0.3, 0.3);
		text_at(p, F_SMALL, x, p->y + 1.5, w, label[i]);
	}
	p->y += 14;
}

/* ---- the document ---- */

struct sink {
	dsp_pdf_write_fn fn;
	void *arg;
	bool failed;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct sink *s = closure;

	if (!s->fn)
		return CAIRO_STATUS_SUCCESS;
	if (s->failed || s->fn(s->arg, data, len)) {
		s->failed = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* RFC 3339 "YYYY-MM-DDThh:mm:ss" with an optional fraction, then "Z": cairo's form without the fraction. */
static bool pdf_date(const char *s, char out[21])
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (!s)
		return false;
	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	memcpy(out, s, i);
	s += i;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (strcmp(s, "Z"))
		return false;
	out[i] = 'Z';
	out[i + 1] = '\0';
	return true;
}

/*
 * The fonts, by file: a private fontconfig holding only these (no system
 * font, no rule of the machine's configuration), so the same packages give
 * the same PDF bytes anywhere (verify --pdf compares bytes) and a glyph never
 * comes from a stray font. One map for the process (fontconfig and pango
 * keep their caches as long anyway).
 */
static const struct { const char *path, *package; } font_files[] = {
	{ "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core" },
	{ "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core" },
	{ "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "fonts-dejavu-core" },
	{ "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei" },
};

static PangoFontMap *font_map(char **why)
{
	static PangoFontMap *map;
	FcConfig *cfg;

	if (map)
		return map;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(font_files); i++)
		if (access(font_files[i].path, R_OK)) {
			if (why && !*why && asprintf(why, "pdf: font %s missing: install %s",
						     font_files[i].path, font_files[i].package) < 0)
				*why = NULL;
			return NULL;
		}
	if (!(cfg = FcConfigCreate()))
		return NULL;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(font_files); i++)
		if (!FcConfigAppFontAddFile(cfg, (const FcChar8 *)font_files[i].path)) {
			FcConfigDestroy(cfg);
			if (why && !*why && asprintf(why, "pdf: font %s cannot be read: "
						     "reinstall %s", font_files[i].path,
						     font_files[i].package) < 0)
				*why = NULL;
			return NULL;
		}
	map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	if (!map) {
		FcConfigDestroy(cfg);
		return NULL;
	}
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(map), cfg);	/* takes a reference */
	FcConfigDestroy(cfg);
	return map;
}

static void fonts_free(struct pdf *p)
{
	if (p->attrs)
		pango_attr_list_unref(p->attrs);
	p->attrs = NULL;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(p->fd); i++) {
		if (p->fd[i])
			pango_font_description_free(p->fd[i]);
		p->fd[i] = NULL;
	}
}

static void fonts_make(struct pdf *p)
{
	p->attrs = pango_attr_list_new();
	pango_attr_list_insert(p->attrs, pango_attr_insert_hyphens_new(FALSE));
	for (size_t i = 0; i < DSP_ARRAY_SIZE(fonts); i++) {
		PangoFontDescription *f = pango_font_description_new();

		pango_font_description_set_family(f, fonts[i].family);
		pango_font_description_set_size(f, (int)(fonts[i].size * PANGO_SCALE));
		pango_font_description_set_weight(f, fonts[i].bold ? PANGO_WEIGHT_BOLD :
						  PANGO_WEIGHT_NORMAL);
		p->fd[i] = f;
	}
}

struct meta {
	const char *title, *subject, *keywords, *creator, *date;
};

/* One pass over the document: dry (count the pages) or drawing into sink. */
static int pass(struct pdf *p, const struct pdf_doc *d, const struct meta *m, struct sink *s)
{
	cairo_status_t st;
	int rc = 0;

	p->surf = cairo_pdf_surface_create_for_stream(sink_write, s, PW, PH);
	if (!p->dry) {
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_TITLE, m->title);
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_SUBJECT, m->subject);
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_KEYWORDS, m->keywords);
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATOR, m->creator);
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_CREATE_DATE, m->date);
		cairo_pdf_surface_set_metadata(p->surf, CAIRO_PDF_METADATA_MOD_DATE, m->date);
	}
	p->cr = cairo_create(p->surf);
	p->pc = pango_font_map_create_context(p->fmap);
	pango_cairo_update_context(p->cr, p->pc);
	pango_cairo_context_set_resolution(p->pc, 72);	/* font sizes in points */
	p->page = 0;
	p->rows = 0;
	p->tab_on = false;
	p->stopped = false;
	p->where[0] = '\0';
	/* the footer is the same height on every page */
	if (!p->recipe_w && !(p->recipe_w = wrap_spaces(p, F_MONO, CW - p->qr_size - 10, p->recipe)))
		p->oom = true;
	p->foot_h = footer_text(p, 0, 0, CW - p->qr_size - 10, 0);
	if (p->foot_h < p->qr_size)
		p->foot_h = p->qr_size;
	page_new(p);
	pdf_doc_content(p, d);
	page_end(p);
	g_object_unref(p->pc);
	p->pc = NULL;
	st = cairo_status(p->cr);
	cairo_destroy(p->cr);
	p->cr = NULL;
	cairo_surface_finish(p->surf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(p->surf);
	cairo_surface_destroy(p->surf);
	p->surf = NULL;
	if (s->failed || st == CAIRO_STATUS_WRITE_ERROR)
		rc = -EIO;
	else if (st != CAIRO_STATUS_SUCCESS || p->oom)
		rc = -ENOMEM;
	return rc;
}

static int fail(char **why, int rc, const char *msg)
{
	if (why && !*why)
		*why = strdup(msg);
	return rc;
}

int dsp_pdf_render(const char *json, size_t len, const struct dsp_pdf_opts *o,
		   dsp_pdf_write_fn write, void *arg, char **why)
{
	static const struct dsp_pdf_opts none = { 0 };
	struct pdf p = { 0 };
	struct pdf_doc d = { 0 };
	struct json_object *doc = NULL, *idv;
	struct sb id = { 0 }, name = { 0 }, sb = { 0 };
	struct sb title = { 0 }, subject = { 0 }, keywords = { 0 }, creator = { 0 };
	struct sink dry = { 0 }, out = { write, arg, false };
	struct meta m;
	char date[21];
	int rc;

	if (why)
		*why = NULL;
	if (!o)
		o = &none;
	if (!write)
		return fail(why, -EINVAL, "pdf: no writer");
	rc = dsp_cert_parse(json, len, &doc, why);
	if (rc)
		return rc == -ENOMEM ? rc : DSP_INVALID;
	if (dsp_sha256_hex(json, len, p.hex)) {
		rc = -EIO;
		goto out;
	}
	p.redacted = json_object_object_get_ex(doc, "redacted", NULL);
	/* the id as the footer and the QR code say it: escaped, cut */
	idv = NULL;
	json_object_object_get_ex(doc, "certificate_id", &idv);
	if (json_object_is_type(idv, json_type_string))
		pdf_text(&p, &id, json_object_get_string(idv),
			 (size_t)json_object_get_string_len(idv), PDF_ID_MAX);
	else
		pdf_value(&p, &id, idv);
	/* a name that is not one plain shell word would rewrite the recipe a reader copies */
	sb_add(&name, pdf_plain_name(o->json_name) ? o->json_name : "CERT.json");
	pdf_doc_banners(&p, doc, &p.title, &p.fail, &p.redact);
	if (asprintf(&p.foot_id, "Certificate %s", sb_str(&id)) < 0 ||
	    asprintf(&p.foot_sha, "SHA-256 %s", p.hex) < 0 ||
	    asprintf(&p.recipe, "Check the signature of the JSON:\n" RECIPE_FMT, sb_str(&name),
		     sb_str(&name)) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	sb_addf(&sb, "dispose-certificate id=%s sha256=%s", sb_str(&id), p.hex);
	if (!sb.oom)
		p.qr = QRcode_encodeString8bit(sb.s, 0, QR_ECLEVEL_M);
	if (p.qr) {
		p.qr_size = (p.qr->width + 2 * QR_QUIET) * QR_MODULE;
	} else if (asprintf(&p.qr_note, "No QR code: \"%s\" does not fit in one",
			    sb_str(&sb)) < 0) {
		p.qr_note = NULL;
		rc = -ENOMEM;
		goto out;
	}

	sb_addf(&title, "%s %s", p.title, sb_str(&id));
	sb_addf(&subject, "%s sha256:%s", sb_str(&id), p.hex);
	sb_addf(&keywords, "%s id=%s sha256=%s", DSP_PDF_LAYOUT, sb_str(&id), p.hex);
	sb_addf(&creator, "%s %s", DSP_TOOL_NAME, DSP_VERSION);
	if (!pdf_date(o->time, date) &&
	    !pdf_date(json_object_get_string(json_object_object_get(doc, "created")), date))
		strcpy(date, "1970-01-01T00:00:00Z");	/* deterministic, never "now" */
	m = (struct meta){ sb_str(&title), sb_str(&subject), sb_str(&keywords), sb_str(&creator),
			   date };
	if (id.oom || name.oom || sb.oom || title.oom || subject.oom || keywords.oom ||
	    creator.oom || p.oom || !p.title) {
		rc = -ENOMEM;
		goto out;
	}

	d.doc = doc;
	d.json_name = sb_str(&name);
	d.signer = o->signer;
	d.signing_time = o->signing_time;
	d.id = sb_str(&id);
	d.title = p.title;
	if (!(p.fmap = font_map(why))) {
		rc = why && *why ? -ENOENT : -ENOMEM;
		goto out;
	}
	fonts_make(&p);
	p.dry = true;
	p.probe = true;
	p.row_limit = PDF_ROWS_MAX;
	if ((rc = pass(&p, &d, &m, &dry)))
		goto out;
	p.probe = false;
	if (p.capped) {
		p.row_limit = p.cap_row > 1 ? p.cap_row - 1 : 0;
		if ((rc = pass(&p, &d, &m, &dry)))
			goto out;
	}
	p.pages = p.page;
	p.dry = false;
	rc = pass(&p, &d, &m, &out);
out:
	if (rc == -EIO)
		fail(why, rc, "pdf: cannot write the PDF");
	else if (rc == -ENOMEM)
		fail(why, rc, "pdf: out of memory");
	fonts_free(&p);
	if (p.qr)
		QRcode_free(p.qr);
	free(p.title);
	free(p.fail);
	free(p.redact);
	free(p.foot_id);
	free(p.foot_sha);
	free(p.recipe);
	free(p.recipe_w);
	free(p.qr_note);
	sb_free(&id);
	sb_free(&name);
	sb_free(&sb);
	sb_free(&title);
	sb_free(&subject);
	sb_free(&keywords);
	sb_free(&creator);
	json_object_put(doc);
	return rc;
}
