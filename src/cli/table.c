/* SPDX-License-Identifier: MIT */
/* table.c - the CLI's tables: libsmartcols for the text, json-c (json.h's byte rule) for --json */
#include "table.h"
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libsmartcols/libsmartcols.h>

#include "dispose/json.h"

struct cli_row {
	struct cli_table *t;
	struct cli_row *first, *last, *next;	/* children, and the next sibling */
	struct cli_row *all_next;		/* every row, for freeing */
	char **cells;				/* ncols bytes, NULL: empty */
};

struct cli_table {
	const struct cli_column *cols;
	size_t ncols;
	size_t *sel, nsel;			/* the printed columns, in order */
	struct cli_table_opts o;
	const char *json_name;
	struct cli_row *first, *last, *all;
};

int cli_table_opt(struct cli_table_opts *o, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_COLUMNS:
		o->columns = arg;
		return 1;
	case CLI_OPT_RAW:
		o->raw = 1;
		return 1;
	case CLI_OPT_NOHEADINGS:
		o->noheadings = 1;
		return 1;
	}
	return 0;
}

void cli_table_help_columns(FILE *out, const struct cli_column *cols, size_t ncols)
{
	fprintf(out, "\nAvailable columns (for --columns; * not printed by default):\n");
	for (size_t i = 0; i < ncols; i++)
		fprintf(out, " %c%-14s %s\n", cols[i].flags & CLI_COL_HIDDEN ? '*' : ' ',
			cols[i].name, cols[i].help ? cols[i].help : "");
}

static int find_col(const struct cli_table *t, const char *name, size_t len)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strlen(t->cols[i].name) == len && !strncasecmp(t->cols[i].name, name, len))
			return (int)i;
	return -1;
}

/* The selection of o->columns; 0 or DSP_EXIT_USAGE (message printed). */
static int select_cols(struct cli_table *t, const char *cmd)
{
	const char *p = t->o.columns;
	int add = p && p[0] == '+';

	if (!p || add) {
		for (size_t i = 0; i < t->ncols; i++)
			if (!(t->cols[i].flags & CLI_COL_HIDDEN))
				t->sel[t->nsel++] = i;
		if (!p)
			return 0;
		p++;
	}
	if (!*p)
		return cli_usage_error(cmd, "--columns: empty list");
	for (;;) {
		size_t len = strcspn(p, ",");
		int c = find_col(t, p, len);

		if (c < 0) {
			char *v = dsp_json_escape_text(p, len);

			cli_usage_error(cmd, "--columns: %s: unknown column",
					len ? (v ? v : "?") : "(empty name)");
			free(v);
			return DSP_EXIT_USAGE;
		}
		if (t->nsel < 2 * t->ncols)
			t->sel[t->nsel++] = (size_t)c;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int cli_table_new(struct cli_table **out, const char *cmd, const char *json_name,
		  const struct cli_column *cols, size_t ncols, const struct cli_table_opts *o)
{
	struct cli_table *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	/* a column may be named twice in --columns; more is cut */
	if (!t || !(t->sel = calloc(2 * ncols + 1, sizeof(*t->sel)))) {
		free(t);
		cli_err("%s: out of memory", cmd);
		return DSP_EXIT_FAILED;
	}
	t->cols = cols;
	t->ncols = ncols;
	t->o = *o;
	t->json_name = json_name;
	if ((rc = select_cols(t, cmd))) {
		cli_table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int cli_table_shows(const struct cli_table *t, size_t col)
{
	for (size_t i = 0; i < t->nsel; i++)
		if (t->sel[i] == col)
			return 1;
	return 0;
}

struct cli_row *cli_table_row(struct cli_table *t, struct cli_row *parent)
{
	struct cli_row *r = calloc(1, sizeof(*r));

	if (!r || !(r->cells = calloc(t->ncols, sizeof(*r->cells)))) {
		free(r);
		return NULL;
	}
	r->t = t;
	r->all_next = t->all;
	t->all = r;
	if (parent) {
		if (parent->last)
			parent->last->next = r;
		else
			parent->first = r;
		parent->last = r;
	} else {
		if (t->last)
			t->last->next = r;
		else
			t->first = r;
		t->last = r;
	}
	return r;
}

int cli_cell(struct cli_row *r, size_t col, const char *s)
{
	char *c = NULL;

	if (!r || col >= r->t->ncols)
		return r ? -EINVAL : -ENOMEM;
	if (s && *s && !(c = strdup(s)))
		return -ENOMEM;
	free(r->cells[col]);
	r->cells[col] = c;
	return 0;
}

int cli_cellf(struct cli_row *r, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = cli_cell(r, col, s);
	free(s);
	return rc;
}

int cli_cell_u64(struct cli_row *r, size_t col, uint64_t v)
{
	return cli_cellf(r, col, "%llu", (unsigned long long)v);
}

int cli_cell_bool(struct cli_row *r, size_t col, int v)
{
	return cli_cell(r, col, v ? "yes" : "no");
}

/* JSON key of a column: "RETAIN-UNTIL" -> "retain_until". */
static void json_key(const char *name, char *buf, size_t len)
{
	size_t i = 0;

	for (; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

static int json_row(const struct cli_table *t, const struct cli_row *r, struct json_object *a)
{
	struct json_object *o = json_object_new_object(), *ch;
	int rc = 0;

	if (!o || json_object_array_add(a, o)) {
		json_object_put(o);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->nsel && !rc; i++) {
		const struct cli_column *c = &t->cols[t->sel[i]];
		const char *s = r->cells[t->sel[i]];
		char key[64];

		json_key(c->name, key, sizeof(key));
		if (!s)
			rc = json_object_object_add(o, key, NULL) ? -ENOMEM : 0;
		else if (c->flags & (CLI_COL_NUMBER | CLI_COL_SIZE))
			rc = json_object_object_add(o, key,
				json_object_new_uint64(strtoull(s, NULL, 10))) ? -ENOMEM : 0;
		else if (c->flags & CLI_COL_BOOL)
			rc = json_object_object_add(o, key,
				json_object_new_boolean(!strcmp(s, "yes"))) ? -ENOMEM : 0;
		else
			rc = dsp_json_add_bytes(o, key, s);
	}
	if (rc || !r->first)
		return rc;
	if (!(ch = json_object_new_array()) || json_object_object_add(o, "children", ch)) {
		json_object_put(ch);
		return -ENOMEM;
	}
	for (const struct cli_row *k = r->first; k && !rc; k = k->next)
		rc = json_row(t, k, ch);
	return rc;
}

static int print_json(const struct cli_table *t, FILE *out)
{
	struct json_object *root = json_object_new_object(), *a = json_object_new_array();
	int rc = 0;

	if (!root || !a || json_object_object_add(root, t->json_name, a)) {
		json_object_put(root);
		json_object_put(a);
		return -ENOMEM;
	}
	for (const struct cli_row *r = t->first; r && !rc; r = r->next)
		rc = json_row(t, r, a);
	if (!rc && fprintf(out, "%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		rc = -EIO;
	json_object_put(root);
	return rc;
}

/*
 * What a table shows of the bytes s: json.h's readable text (an invalid
 * byte is \xHH), control characters (C0, DEL, C1) as '?' so that a name
 * from disk cannot drive the terminal. malloc'd; NULL on ENOMEM.
 */
static char *cell_text(const struct cli_column *c, const char *s, int raw, int utf8)
{
	char *v, *a, b[32];
	size_t n = 0;

	if (!s)
		return strdup(raw ? "" : "-");
	if ((c->flags & CLI_COL_SIZE) && !raw)
		return strdup(cli_human_size(strtoull(s, NULL, 10), b, sizeof(b)));
	if (!(v = dsp_json_escape_text(s, strlen(s))))
		return NULL;
	for (unsigned char *p = (unsigned char *)v; *p; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';
			memmove(p + 1, p + 2, strlen((char *)p + 2) + 1);
		} else if (*p < 0x20 || *p == 0x7f) {
			*p = '?';
		} else if (*p >= 0x80) {
			n++;
		}
	}
	if (utf8 || !n)
		return v;
	/* not a UTF-8 terminal: its other bytes as \\xHH too, as libsmartcols would */
	if ((a = malloc(strlen(v) + 3 * n + 1))) {
		char *o = a;

		for (const unsigned char *p = (unsigned char *)v; *p; p++)
			o += *p >= 0x80 ? sprintf(o, "\\x%02x", *p) : sprintf(o, "%c", *p);
	}
	free(v);
	return a;
}

static int scols_rows(const struct cli_table *t, struct libscols_table *tb,
		      const struct cli_row *r, struct libscols_line *parent, int utf8)
{
	for (; r; r = r->next) {
		struct libscols_line *ln = scols_table_new_line(tb, parent);
		int rc;

		if (!ln)
			return -ENOMEM;
		for (size_t i = 0; i < t->nsel; i++) {
			char *v = cell_text(&t->cols[t->sel[i]], r->cells[t->sel[i]], t->o.raw,
					  utf8);

			/* the line owns v from here */
			if (!v || scols_line_refer_data(ln, i, v)) {
				free(v);
				return -ENOMEM;
			}
		}
		if ((rc = scols_rows(t, tb, r->first, ln, utf8)))
			return rc;
	}
	return 0;
}

static int print_scols(const struct cli_table *t, FILE *out)
{
	struct libscols_table *tb = scols_new_table();
	int rc = 0, tree = 0;

	if (!tb)
		return -ENOMEM;
	scols_table_enable_raw(tb, t->o.raw);
	scols_table_enable_noheadings(tb, t->o.noheadings);
	/*
	 * cell_text made each cell safe: in a table it is printed as it is
	 * (libsmartcols would write json.h's "\xff" as "\x5cxff"); --raw keeps
	 * libsmartcols' encoding, so a blank in a name stays "\x20".
	 */
	scols_table_enable_noencoding(tb, !t->o.raw);
	/* the tree only when no row would be missed without it: lsblk draws none in --raw */
	for (size_t i = 0; i < t->nsel && !rc; i++) {
		const struct cli_column *c = &t->cols[t->sel[i]];
		int fl = 0;

		if ((c->flags & CLI_COL_TREE) && !t->o.raw && !tree) {
			fl |= SCOLS_FL_TREE;
			tree = 1;
		}
		if (c->flags & (CLI_COL_RIGHT | CLI_COL_NUMBER | CLI_COL_SIZE))
			fl |= SCOLS_FL_RIGHT;
		if (c->flags & CLI_COL_TRUNC)
			fl |= SCOLS_FL_TRUNC;
		if (c->flags & CLI_COL_WRAP)
			fl |= SCOLS_FL_WRAP;
		if (!scols_table_new_column(tb, c->name, c->whint, fl))
			rc = -ENOMEM;
	}
	if (!rc)
		rc = scols_rows(t, tb, t->first, NULL, !strcmp(nl_langinfo(CODESET), "UTF-8"));
	if (!rc) {
		scols_table_set_stream(tb, out);
		rc = scols_print_table(tb);
		if (rc > 0)
			rc = -EIO;
	}
	scols_unref_table(tb);
	return rc;
}

int cli_table_print(struct cli_table *t, FILE *out)
{
	char *loc;
	int rc;

	if (t->o.json)
		return print_json(t, out);
	/* libsmartcols measures widths (and draws the tree) by the locale's characters */
	loc = setlocale(LC_CTYPE, NULL);
	loc = loc ? strdup(loc) : NULL;
	setlocale(LC_CTYPE, "");
	rc = print_scols(t, out);
	setlocale(LC_CTYPE, loc ? loc : "C");
	free(loc);
	return rc;
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (struct cli_row *r = t->all, *n; r; r = n) {
		n = r->all_next;
		for (size_t i = 0; i < t->ncols; i++)
			free(r->cells[i]);
		free(r->cells);
		free(r);
	}
	free(t->sel);
	free(t);
}
