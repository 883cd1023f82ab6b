/* SPDX-License-Identifier: MIT */
/* table.h - the CLI's tables (libsmartcols), with lsblk's --json, --raw, --noheadings, --columns */
#ifndef DISPOSE_CLI_TABLE_H
#define DISPOSE_CLI_TABLE_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Use:
 *
 *	static const struct cli_column cols[] = {
 *		{ "NAME", 0.3, CLI_COL_TREE, "device name" },
 *		{ "SIZE", 6, CLI_COL_SIZE, "size" },
 *		{ "MODEL", 0.2, CLI_COL_HIDDEN, "model (only with --columns)" },
 *	};
 *	struct cli_table_opts topts = { 0 };	// filled by cli_table_opt()
 *	struct option longopts[] = { ..., CLI_TABLE_LONGOPTS, { NULL, 0, NULL, 0 } };
 *	...	case CLI_OPT_COLUMNS: case CLI_OPT_RAW: case CLI_OPT_NOHEADINGS:
 *			cli_table_opt(&topts, c, optarg); break;
 *	...	case 'J': topts.json = 1; break;
 *	rc = cli_table_new(&t, "methods", "methods", cols, DSP_ARRAY_SIZE(cols), &topts);
 *	if (rc) return rc;	// message printed (bad --columns: exit 2)
 *	r = cli_table_row(t, NULL);	// NULL: top level; a row: its child
 *	cli_cell(r, 0, name); cli_cell_size(r, 1, bytes);
 *	rc = cli_table_print(t, stdout);	// 0 or -errno
 *	cli_table_free(t);
 *
 * Create the table (it checks --columns) before any other output, so a
 * bad column list leaves nothing half-printed. Column indexes given to the
 * cell setters are indexes into the cols array, whatever --columns selects.
 *
 * Cells are bytes (names from disk may not be UTF-8). In a table (and
 * --raw) a cell is printed as the readable text of json.h
 * (dsp_json_escape_text: an invalid byte is the text \xHH) with control
 * characters as '?'; it never reaches the terminal as raw invalid bytes.
 * With --json the document is {"<json_name>": [{"<column>": value, ...,
 * "children": [...]}]} (lsblk's shape; keys are the column names in
 * lower case, '-' as '_'); strings follow json.h's rule (a "<key>_hex"
 * member holds the exact bytes when the cell was not UTF-8), an empty
 * cell is null, CLI_COL_NUMBER/CLI_COL_SIZE cells are JSON numbers and
 * CLI_COL_BOOL cells JSON booleans.
 */

enum cli_column_flags {
	CLI_COL_RIGHT = 1 << 0,		/* right aligned */
	CLI_COL_TREE = 1 << 1,		/* draws the tree (lsblk's NAME); one column at most */
	CLI_COL_TRUNC = 1 << 2,		/* may be truncated when the terminal is narrow */
	CLI_COL_WRAP = 1 << 3,		/* may wrap onto several lines when narrow */
	CLI_COL_NUMBER = 1 << 4,	/* an unsigned number: right aligned, a JSON number */
	CLI_COL_SIZE = 1 << 5,		/* bytes: "1.5 GiB" in a table, the number in JSON and --raw */
	CLI_COL_BOOL = 1 << 6,		/* "yes"/"no" in a table, true/false in JSON */
	CLI_COL_HIDDEN = 1 << 7,	/* printed only when --columns names it */
};

struct cli_column {
	const char *name;	/* upper case, as in lsblk: "NAME", "RETAIN-UNTIL" */
	double whint;		/* width hint: < 1 a fraction of the terminal, >= 1 columns */
	unsigned flags;		/* enum cli_column_flags */
	const char *help;	/* one line for cli_table_help_columns */
};

/* The table options of a command (cli_table_opt fills them; json is the command's -J). */
struct cli_table_opts {
	int json;
	int raw;
	int noheadings;
	const char *columns;	/* "NAME,SIZE" or "+MODEL" (added to the defaults); NULL: defaults */
};

/* getopt values of the long-only table options, and their entries of a struct option array. */
enum { CLI_OPT_COLUMNS = 0x7f00, CLI_OPT_RAW, CLI_OPT_NOHEADINGS };
#define CLI_TABLE_LONGOPTS \
	{ "columns", required_argument, NULL, CLI_OPT_COLUMNS }, \
	{ "raw", no_argument, NULL, CLI_OPT_RAW }, \
	{ "noheadings", no_argument, NULL, CLI_OPT_NOHEADINGS }
/* Their --help lines (same layout as " -h, --help         display this help"). */
#define CLI_TABLE_HELP \
	"     --columns LIST  print these columns (comma-separated; +LIST adds)\n" \
	"     --raw           use the raw output format\n" \
	"     --noheadings    don't print headings\n"

/* Store table option c (CLI_OPT_*) with its argument; 1 when c was one, else 0. */
int cli_table_opt(struct cli_table_opts *o, int c, const char *arg);

/* "Available columns (for --columns):" and one line per column, for --help. */
void cli_table_help_columns(FILE *out, const struct cli_column *cols, size_t ncols);

struct cli_table;
struct cli_row;

/*
 * A new table of the columns cols (which must outlive it) shaped by o.
 * cmd ("archive status") names the command in the --help hint of a bad
 * --columns ("dispose: --columns: FOO: unknown column").
 * Returns 0, DSP_EXIT_USAGE (unknown or empty column name: message
 * printed) or DSP_EXIT_FAILED (out of memory: message printed).
 */
int cli_table_new(struct cli_table **out, const char *cmd, const char *json_name,
		  const struct cli_column *cols, size_t ncols, const struct cli_table_opts *o);
/* 1 when column col is printed (so a caller can skip costly cells). */
int cli_table_shows(const struct cli_table *t, size_t col);
/* A new row, top level (parent NULL) or a child of parent. NULL on ENOMEM. */
struct cli_row *cli_table_row(struct cli_table *t, struct cli_row *parent);
/* Cell col of r: the bytes s (copied; NULL or "" is empty). 0 or -ENOMEM; r NULL gives -ENOMEM. */
int cli_cell(struct cli_row *r, size_t col, const char *s);
int cli_cellf(struct cli_row *r, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Number, size and boolean cells (CLI_COL_NUMBER, CLI_COL_SIZE, CLI_COL_BOOL columns). */
int cli_cell_u64(struct cli_row *r, size_t col, uint64_t v);
int cli_cell_bool(struct cli_row *r, size_t col, int v);
/* Print the table (the JSON document with json set) on out. 0, or -errno (nothing flushed). */
int cli_table_print(struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

#endif
