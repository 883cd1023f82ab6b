/* SPDX-License-Identifier: MIT */
/* cmd_inventory.c - dispose inventory: the JSON document, or a summary of one screen */
#include "cli.h"
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dispose/inventory.h"
#include "dispose/json.h"
#include "dispose/util.h"
#include "progress.h"

static void usage_columns(FILE *out);

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n dispose inventory [-r DIR]... [--software] [--data] [--keys]\n"
		"                   [--devices] [--hash] [-J] [-o FILE] [-q|-v]\n"
		"                   [--progress auto|bar|lines|json|none]\n"
		"                   [--columns LIST] [--raw] [--noheadings]\n\n"
		"List installed software, data, key material and block devices.\n"
		"With no category option, all four. Without --json or -o, print a\n"
		"summary (counts and sizes, the largest items, the device table; with\n"
		"--devices alone, the device table only) instead of the\n"
		"dispose-inventory/1 document, which holds every item.\n\n"
		"Options:\n"
		" -r, --root DIR     scan DIR for data and keys (repeatable; default /)\n"
		"     --software     installed packages and unpackaged trees\n"
		"     --data         every file under the roots\n"
		"     --keys         private and secret key material under the roots\n"
		"     --devices      block devices and what is on them\n"
		"     --hash         add the SHA-256 of every regular file (implies --data)\n"
		" -J, --json         print the document on standard output\n"
		" -o, --output FILE  write the document to FILE ('-': standard output)\n"
		"     --progress MODE  auto, bar, lines, json (on stderr) or none\n"
		" -q, --quiet        print only the result, warnings and errors\n"
		" -v, --verbose      also show informational messages\n"
		" -h, --help         display this help\n"
		"The device table (not with --json or -o):\n"
		"     --columns LIST  print these columns (comma-separated; +LIST adds)\n"
		"     --raw           use the raw output format\n"
		"     --noheadings    don't print headings\n");
	usage_columns(out);
	fprintf(out, "\nFor more details see dispose-inventory(5).\n");
}

/* The summary shows this many of the largest items of each kind, keys and errors. */
#define TOP		5
#define MAX_KEYS	10
#define MAX_ERRORS	5

/* One of the largest items of a kind (name malloc'd). */
struct top {
	char *name;
	uint64_t size;
};

struct summary {
	const char *const *roots;
	uint64_t n[5];
	uint64_t pkgs_dpkg, pkgs_rpm, pkgs_unpackaged, pkg_bytes;
	uint64_t files, dirs, links, others, bytes;
	uint64_t keys_undecoded;	/* listed unverified; each named with -v */
	/* the walk is depth first, so a first-level tree arrives in one piece */
	struct top cur, trees[TOP], files_top[TOP], pkgs[TOP];
	struct json_object *keys, *devices, *errors;
};

/* the core's strict getter: a member that is not a string is none */
#define jstr(o, key) dsp_json_str(o, key)

/* A size member, 0 when none. */
static uint64_t jsize(struct json_object *o, const char *key)
{
	uint64_t v = 0;

	return dsp_json_u64(o, key, &v) ? 0 : v;
}

/* Keep it among the TOP largest of top[] (it takes the name, or frees it). */
static void top_add(struct top *top, char *name, uint64_t size)
{
	int i;

	if (!name)
		return;
	if (top[TOP - 1].name && top[TOP - 1].size >= size) {
		free(name);
		return;
	}
	free(top[TOP - 1].name);
	for (i = TOP - 1; i > 0 && (!top[i - 1].name || top[i - 1].size < size); i--)
		top[i] = top[i - 1];
	top[i] = (struct top){ name, size };
}

static void top_free(struct top *top)
{
	for (int i = 0; i < TOP; i++)
		free(top[i].name);
}

static void tree_flush(struct summary *s)
{
	if (s->cur.name)
		top_add(s->trees, s->cur.name, s->cur.size);
	s->cur.name = NULL;
}

/* Aggregate sizes per first-level entry under the root that holds path. */
static void tree_add(struct summary *s, const char *path, uint64_t size)
{
	size_t best = 0, rl = 0;
	char *name;
	const char *rest;

	if (!path)
		return;
	for (size_t i = 0; s->roots[i]; i++) {
		size_t l = strlen(s->roots[i]);

		while (l > 1 && s->roots[i][l - 1] == '/')
			l--;
		if (l >= best && !strncmp(path, s->roots[i], l) &&
		    (path[l] == '/' || !path[l] || l == 1)) {
			best = l + 1;
			rl = l;
		}
	}
	if (!best)
		return;
	rest = path + rl;
	while (*rest == '/')
		rest++;
	if (!*rest)
		return;	/* the root itself */
	if (asprintf(&name, "%.*s%s%.*s", (int)rl, path,
		     rl == 1 && path[0] == '/' ? "" : "/",
		     (int)strcspn(rest, "/"), rest) < 0)
		return;
	if (!s->cur.name || strcmp(name, s->cur.name)) {
		tree_flush(s);
		s->cur = (struct top){ name, 0 };
	} else {
		free(name);
	}
	s->cur.size += size;
}

/*
 * A name member's exact bytes (from "<key>_hex" when the document holds
 * one: the text beside it is not the name), malloc'd; NULL when none.
 */
static char *jbytes(struct json_object *o, const char *key)
{
	char *b;

	return dsp_json_bytes(o, key, &b, NULL) ? NULL : b;
}

static int summary_emit(void *arg, const char *section, struct json_object *item)
{
	struct summary *s = arg;
	static const char *const names[] = { "software", "files", "keys", "devices", "errors" };
	int i;

	if (!item)
		return 0;
	for (i = 0; i < 5 && strcmp(section, names[i]); i++)
		;
	if (i == 5)
		return 0;
	s->n[i]++;
	if (i == 0) {
		const char *m = jstr(item, "manager");
		uint64_t size = jsize(item, "installed_size");

		if (m && !strcmp(m, "dpkg"))
			s->pkgs_dpkg++;
		else if (m && !strcmp(m, "rpm"))
			s->pkgs_rpm++;
		else
			s->pkgs_unpackaged++;
		s->pkg_bytes += size;
		top_add(s->pkgs, jbytes(item, "name"), size);
	} else if (i == 1) {
		const char *t = jstr(item, "type");
		uint64_t size = jsize(item, "size");

		/* the exact bytes (path_hex), shown by vis() as json.h's text */
		char *path = jbytes(item, "path");
		if (t && !strcmp(t, "file")) {
			s->files++;
			s->bytes += size;
			tree_add(s, path, size);
			top_add(s->files_top, path, size);
			path = NULL;
		} else if (t && !strcmp(t, "dir")) {
			s->dirs++;
			tree_add(s, path, 0);
		} else if (t && !strcmp(t, "symlink")) {
			s->links++;
		} else {
			s->others++;
		}
		free(path);
	} else {
		struct json_object *a = i == 2 ? s->keys : i == 3 ? s->devices : s->errors;
		struct json_object *dec;

		if (i == 2 && json_object_object_get_ex(item, "decoded", &dec) &&
		    !json_object_get_boolean(dec))
			s->keys_undecoded++;
		size_t cap = i == 2 ? MAX_KEYS : i == 3 ? SIZE_MAX : MAX_ERRORS;

		if (json_object_array_length(a) < cap)
			json_object_array_add(a, json_object_get(item));
	}
	return 0;
}

/*
 * Names come from the disk: bytes that are not UTF-8 as json.h's readable
 * text (\xHH), control characters (C0, DEL, C1) as '?', so a crafted file
 * name cannot drive the terminal or fake summary lines. The result lives
 * until the 8th call after this one.
 */
static const char *vis(const char *str)
{
	static char *ring[8];
	static size_t slot;
	const unsigned char *p;
	char **b = &ring[slot++ % 8], *e;
	size_t o = 0;

	if (!str)
		return "?";
	free(*b);
	*b = NULL;
	if (!(e = dsp_json_escape_text(str, strlen(str))) || !(*b = malloc(strlen(e) + 1))) {
		free(e);
		return "?";
	}
	for (p = (const unsigned char *)e; *p; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			(*b)[o++] = '?';
			p++;
		} else {
			(*b)[o++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
		}
	}
	(*b)[o] = '\0';
	free(e);
	return *b;
}

/* vis() of the name member key of o. */
static const char *vis_name(struct json_object *o, const char *key)
{
	char *b = jbytes(o, key);
	const char *v = vis(b ? b : jstr(o, key));

	free(b);
	return v;
}

/* A cell of a name member's bytes. 0 or -ENOMEM. */
static int name_cell(struct cli_row *r, size_t col, struct json_object *o, const char *key)
{
	char *b = jbytes(o, key);
	int rc = cli_cell(r, col, b);

	free(b);
	return rc;
}

/* The device table's columns (lsblk's names where lsblk has one); DC_* are their indexes. */
enum { DC_NAME, DC_SIZE, DC_TYPE, DC_LABEL, DC_MODEL, DC_TRAN, DC_MOUNTPOINTS, DC_IN_USE,
       DC_UUID, DC_SERIAL, DC_VENDOR, DC_USAGE, DC_RO, DC_RM, DC_ROTA, DC_LOG_SEC,
       DC_PHY_SEC, DC_WWN, DC_BY_ID, DC_BACKING };
static const struct cli_column dev_cols[] = {
	[DC_NAME] = { "NAME", 0.2, CLI_COL_TREE, "device path (partitions under their disk)" },
	[DC_SIZE] = { "SIZE", 5, CLI_COL_SIZE, "size (bytes in --raw)" },
	[DC_TYPE] = { "TYPE", 0.1, 0, "filesystem or partition table type" },
	[DC_LABEL] = { "LABEL", 0.1, CLI_COL_TRUNC, "filesystem label" },
	[DC_MODEL] = { "MODEL", 0.1, CLI_COL_TRUNC, "device model" },
	[DC_TRAN] = { "TRAN", 6, 0, "transport (sata, nvme, usb, loop, ...)" },
	[DC_MOUNTPOINTS] = { "MOUNTPOINTS", 0.15, CLI_COL_TRUNC, "where it is mounted" },
	[DC_IN_USE] = { "IN-USE", 0.2, CLI_COL_TRUNC, "why erase would refuse it" },
	[DC_UUID] = { "UUID", 36, CLI_COL_HIDDEN, "filesystem UUID" },
	[DC_SERIAL] = { "SERIAL", 0.1, CLI_COL_HIDDEN, "serial number" },
	[DC_VENDOR] = { "VENDOR", 0.1, CLI_COL_HIDDEN, "vendor" },
	[DC_USAGE] = { "USAGE", 0.1, CLI_COL_HIDDEN, "filesystem, raid, crypto, other" },
	[DC_RO] = { "RO", 1, CLI_COL_HIDDEN | CLI_COL_BOOL, "read-only" },
	[DC_RM] = { "RM", 1, CLI_COL_HIDDEN | CLI_COL_BOOL, "removable" },
	[DC_ROTA] = { "ROTA", 1, CLI_COL_HIDDEN | CLI_COL_BOOL, "rotational" },
	[DC_LOG_SEC] = { "LOG-SEC", 4, CLI_COL_HIDDEN | CLI_COL_NUMBER, "logical sector size" },
	[DC_PHY_SEC] = { "PHY-SEC", 4, CLI_COL_HIDDEN | CLI_COL_NUMBER, "physical sector size" },
	[DC_WWN] = { "WWN", 0.1, CLI_COL_HIDDEN, "world wide name" },
	[DC_BY_ID] = { "BY-ID", 0.2, CLI_COL_HIDDEN, "its /dev/disk/by-id name" },
	[DC_BACKING] = { "BACK-FILE", 0.2, CLI_COL_HIDDEN, "a loop device's backing file" },
};

static void usage_columns(FILE *out)
{
	cli_table_help_columns(out, dev_cols, DSP_ARRAY_SIZE(dev_cols));
}

static int dev_bool(struct cli_row *r, size_t col, struct json_object *d, const char *key)
{
	bool v;

	return dsp_json_bool(d, key, &v) ? 0 : cli_cell_bool(r, col, v);
}

static int dev_u64(struct cli_row *r, size_t col, struct json_object *d, const char *key)
{
	uint64_t v;

	return dsp_json_u64(d, key, &v) ? 0 : cli_cell_u64(r, col, v);
}

/* One row of the device table (and its partitions' rows under it). 0 or -ENOMEM. */
static int device_row(struct cli_table *t, struct cli_row *parent, struct json_object *d)
{
	struct cli_row *r = cli_table_row(t, parent);
	struct json_object *m, *parts;
	char *mp = NULL;
	int rc = 0;

	if (!r)
		return -ENOMEM;
	rc |= name_cell(r, DC_NAME, d, jstr(d, "path") ? "path" : "name");
	rc |= dev_u64(r, DC_SIZE, d, "size");
	rc |= cli_cell(r, DC_TYPE, jstr(d, "type") ? jstr(d, "type") : jstr(d, "pttype"));
	rc |= name_cell(r, DC_LABEL, d, "label");
	rc |= cli_cell(r, DC_MODEL, jstr(d, "model"));
	rc |= cli_cell(r, DC_TRAN, jstr(d, "transport"));
	if (json_object_object_get_ex(d, "mountpoints", &m) &&
	    json_object_is_type(m, json_type_array)) {
		for (size_t k = 0; k < json_object_array_length(m) && rc == 0; k++) {
			char *v = NULL, *n;

			if (dsp_json_value_bytes(json_object_array_get_idx(m, k), &v, NULL))
				continue;
			if (asprintf(&n, "%s%s%s", mp ? mp : "", mp ? ", " : "", v) < 0)
				rc = -ENOMEM;
			else
				free(mp), mp = n;
			free(v);
		}
	}
	rc |= cli_cell(r, DC_MOUNTPOINTS, mp);
	free(mp);
	rc |= cli_cell(r, DC_IN_USE, jstr(d, "in_use"));
	rc |= cli_cell(r, DC_UUID, jstr(d, "uuid"));
	rc |= cli_cell(r, DC_SERIAL, jstr(d, "serial"));
	rc |= cli_cell(r, DC_VENDOR, jstr(d, "vendor"));
	rc |= cli_cell(r, DC_USAGE, jstr(d, "usage"));
	rc |= dev_bool(r, DC_RO, d, "read_only");
	rc |= dev_bool(r, DC_RM, d, "removable");
	rc |= dev_bool(r, DC_ROTA, d, "rotational");
	rc |= dev_u64(r, DC_LOG_SEC, d, "logical_sector");
	rc |= dev_u64(r, DC_PHY_SEC, d, "physical_sector");
	rc |= cli_cell(r, DC_WWN, jstr(d, "wwn"));
	rc |= name_cell(r, DC_BY_ID, d, "by_id");
	rc |= name_cell(r, DC_BACKING, d, "backing_file");
	if (!rc && json_object_object_get_ex(d, "partitions", &parts) &&
	    json_object_is_type(parts, json_type_array))
		for (size_t k = 0; k < json_object_array_length(parts) && !rc; k++)
			rc = device_row(t, r, json_object_array_get_idx(parts, k));
	return rc ? -ENOMEM : 0;
}

/* The device table (t holds the columns); 0 or -errno. */
static int print_devices(struct cli_table *t, struct json_object *devices)
{
	int rc = 0;

	for (size_t i = 0; i < json_object_array_length(devices) && !rc; i++)
		rc = device_row(t, NULL, json_object_array_get_idx(devices, i));
	fflush(stdout);
	return rc ? rc : cli_table_print(t, stdout);
}

static void print_top(const char *title, const struct top *top)
{
	char b[32];

	if (!top[0].name)
		return;
	printf("%s\n", title);
	for (int i = 0; i < TOP && top[i].name; i++)
		printf("  %10s  %s\n", cli_human_size(top[i].size, b, sizeof(b)), vis(top[i].name));
}

static void print_more(uint64_t total, size_t shown)
{
	if (total > shown)
		printf("  ... and %llu more\n", (unsigned long long)(total - shown));
}

/*
 * The summary: counts and bytes by category with the largest items, the
 * device table, a pointer to the full list. Returns 0 or -errno (the
 * device table could not be printed).
 */
static int print_summary(struct summary *s, unsigned what, int rc, struct cli_table *dev)
{
	struct json_object *host = dsp_inv_host();
	char b1[32];
	int prc = 0;

	printf("host:      %s", host ? vis(jstr(host, "hostname")) : "?");
	if (host && jstr(host, "os_name"))
		printf(" (%s %s, kernel %s)", vis(jstr(host, "os_name")),
		       jstr(host, "os_version_id") ? vis(jstr(host, "os_version_id")) : "",
		       vis(jstr(host, "kernel")));
	printf("\n");
	json_object_put(host);
	if (what & DSP_INV_SOFTWARE) {
		printf("software:  %llu dpkg, %llu rpm, %llu unpackaged tree(s) (%s)\n",
		       (unsigned long long)s->pkgs_dpkg, (unsigned long long)s->pkgs_rpm,
		       (unsigned long long)s->pkgs_unpackaged,
		       cli_human_size(s->pkg_bytes, b1, sizeof(b1)));
		print_top("largest packages:", s->pkgs);
	}
	if (what & DSP_INV_DATA) {
		tree_flush(s);
		printf("data:      %llu file%s (%s), %llu director%s, %llu symlink%s, %llu other\n",
		       (unsigned long long)s->files, CLI_S(s->files),
		       cli_human_size(s->bytes, b1, sizeof(b1)),
		       (unsigned long long)s->dirs, s->dirs == 1 ? "y" : "ies",
		       (unsigned long long)s->links, CLI_S(s->links),
		       (unsigned long long)s->others);
		print_top("largest trees:", s->trees);
		print_top("largest files:", s->files_top);
	}
	if (what & DSP_INV_KEYS) {
		size_t n = json_object_array_length(s->keys);

		printf("keys:      %llu found", (unsigned long long)s->n[2]);
		if (s->keys_undecoded)
			printf(", %llu not decoded (listed unverified; -v names each)",
			       (unsigned long long)s->keys_undecoded);
		printf("\n");
		for (size_t i = 0; i < n; i++) {
			struct json_object *k = json_object_array_get_idx(s->keys, i);
			const char *fmt = jstr(k, "format");
			/* ssh users know keys by the ssh-keygen -l fingerprint */
			const char *fp = fmt && (strstr(fmt, "ssh") || strstr(fmt, "putty")) ?
					 jstr(k, "ssh_fingerprint") : NULL;

			if (!fp)
				fp = jstr(k, "spki_sha256");
			if (!fp)
				fp = jstr(k, "ssh_fingerprint");
			if (!fp)
				fp = jstr(k, "luks_uuid");
			struct json_object *dec;
			bool undecoded = json_object_object_get_ex(k, "decoded", &dec) &&
					 !json_object_get_boolean(dec);

			if (undecoded)
				printf("  %s  %s  not decoded: %s\n", vis_name(k, "path"),
				       vis(jstr(k, "format")),
				       jstr(k, "reason") ? vis(jstr(k, "reason")) : "unknown");
			else
				printf("  %s  %s%s%s\n", vis_name(k, "path"), vis(jstr(k, "format")),
				       fp ? "  " : "", fp ? vis(fp) : "");
		}
		print_more(s->n[2], n);
	}
	if (what & DSP_INV_DEVICES) {
		uint64_t total = 0;

		for (size_t i = 0; i < json_object_array_length(s->devices); i++)
			total += jsize(json_object_array_get_idx(s->devices, i), "size");
		printf("devices:   %zu (%s)\n", json_object_array_length(s->devices),
		       cli_human_size(total, b1, sizeof(b1)));
		prc = print_devices(dev, s->devices);
	}
	printf("errors:    %llu\n", (unsigned long long)s->n[4]);
	for (size_t i = 0; i < json_object_array_length(s->errors); i++) {
		struct json_object *e = json_object_array_get_idx(s->errors, i);

		printf("  %s: %s\n", vis_name(e, jstr(e, "path") ? "path" : "source"),
		       vis(jstr(e, "reason")));
	}
	print_more(s->n[4], json_object_array_length(s->errors));
	if (rc == 1)
		printf("result:    incomplete: a whole category could not be read\n");
	printf("full list: dispose inventory --json, or -o FILE (dispose-inventory(5))\n");
	return prc;
}

/* ---- --progress: items and bytes as the scan goes (no total is known) ---- */

struct inv_prog {
	struct progress *p;
	struct dsp_log_sink sink;
};

static void on_inv_progress(const struct dsp_inv_progress *ip, void *arg)
{
	struct progress_state s = {
		.phase = ip->section, .done = ip->bytes, .all_done = ip->bytes,
		.count = ip->items, .count_name = "items",
	};

	progress_set(arg, 0, &s);
}

/*
 * The display (nothing with --progress none), and the scan's messages
 * around it. JSON lines go to stderr: the document may be on stdout.
 */
static void inv_prog_start(struct inv_prog *ip, enum progress_mode mode, int verbose,
			   struct dsp_inv_opts *o)
{
	ip->p = mode == PROGRESS_NONE ? NULL : progress_new(mode, 1);
	if (!ip->p)
		return;
	progress_json_stream(ip->p, stderr);
	progress_target(ip->p, 0, "inventory", "inventory");
	ip->sink = progress_log_sink(ip->p, verbose);
	o->log = &ip->sink;
	o->progress = on_inv_progress;
	o->progress_arg = ip->p;
}

/* rc: the scan's (0 complete, 1 a category failed, < 0 stopped) */
static void inv_prog_end(struct inv_prog *ip, struct dsp_inv_opts *o, int rc)
{
	if (!ip->p)
		return;
	progress_finish(ip->p, 0, rc == 0 ? "success" : "failed");
	progress_free(ip->p);
	ip->p = NULL;
	o->log = NULL;
	o->progress = NULL;
}

/* Deep trees hold one descriptor per level: allow as many as we may. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cmd_inventory(int argc, char **argv)
{
	enum { O_SOFTWARE = 256, O_DATA, O_KEYS, O_DEVICES, O_HASH, O_PROGRESS };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "software", no_argument, NULL, O_SOFTWARE },
		{ "data", no_argument, NULL, O_DATA },
		{ "keys", no_argument, NULL, O_KEYS },
		{ "devices", no_argument, NULL, O_DEVICES },
		{ "hash", no_argument, NULL, O_HASH },
		{ "json", no_argument, NULL, 'J' },
		{ "progress", required_argument, NULL, O_PROGRESS },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct dsp_inv_opts opts = { 0 };
	struct inv_prog ip = { 0 };
	enum progress_mode pmode;
	int pgiven = 0;
	struct cli_table_opts topts = { 0 };
	struct cli_table *dev = NULL;
	const char *output = NULL;
	char **roots;
	size_t nroots = 0;
	int c, json = 0, verbose = 0, rc, ret = DSP_EXIT_OK;

	roots = calloc((size_t)argc + 1, sizeof(*roots));
	if (!roots) {
		cli_err("inventory: out of memory");
		return DSP_EXIT_FAILED;
	}
	progress_mode_parse("auto", &pmode);
	optind = 1;
	while ((c = cli_getopt(argc, argv, "r:o:Jqvh", longopts, "inventory")) != -1) {
		switch (c) {
		case CLI_OPT_ERROR:
			ret = DSP_EXIT_USAGE;
			goto out;
		case 'r':
			/* a root that is none: invalid input, before anything is scanned */
			if ((ret = cli_need_input(optarg, 1)))
				goto out;
			if (!(roots[nroots] = dsp_path_absolute(optarg))) {
				cli_err("%s: %s", optarg, strerror(errno));
				ret = DSP_EXIT_FAILED;
				goto out;
			}
			nroots++;
			break;
		case O_SOFTWARE: opts.what |= DSP_INV_SOFTWARE; break;
		case O_DATA: opts.what |= DSP_INV_DATA; break;
		case O_KEYS: opts.what |= DSP_INV_KEYS; break;
		case O_DEVICES: opts.what |= DSP_INV_DEVICES; break;
		case O_HASH: opts.what |= DSP_INV_HASH; break;
		case 'J': json = 1; break;
		case O_PROGRESS:
			if (progress_mode_parse(optarg, &pmode)) {
				ret = cli_usage_error("inventory", "--progress: %s: expected "
						      PROGRESS_MODES, optarg);
				goto out;
			}
			pgiven = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case 'q': verbose = -1; break;
		case 'v': verbose = verbose < 0 ? 1 : verbose + 1; break;
		case 'h':
			usage(stdout);
			goto out;
		case CLI_OPT_COLUMNS: case CLI_OPT_RAW: case CLI_OPT_NOHEADINGS:
			cli_table_opt(&topts, c, optarg);
			break;
		}
	}
	if (optind < argc) {
		ret = cli_usage_error("inventory", "%s: unexpected argument (roots are given "
				      "with --root)", argv[optind]);
		goto out;
	}
	if (!(opts.what & (DSP_INV_SOFTWARE | DSP_INV_DATA | DSP_INV_KEYS | DSP_INV_DEVICES)))
		opts.what |= DSP_INV_SOFTWARE | DSP_INV_DATA | DSP_INV_KEYS | DSP_INV_DEVICES;
	if (opts.what & DSP_INV_HASH)
		opts.what |= DSP_INV_DATA;
	if (nroots)
		opts.roots = (const char *const *)roots;
	if ((topts.columns || topts.raw || topts.noheadings) &&
	    (json || output || !(opts.what & DSP_INV_DEVICES))) {
		/* silently ignored, it would let a mistake pass */
		ret = cli_usage_error("inventory", "%s: only for the device table (%s)",
				      topts.columns ? "--columns" : topts.raw ? "--raw" :
				      "--noheadings", json ? "not with --json" : output ?
				      "not with -o" : "--devices or no category option");
		goto out;
	}
	cli_log_init(verbose > 0 ? verbose : 0);
	if (verbose < 0 && !pgiven)
		pmode = PROGRESS_NONE;	/* -q: none unless asked for */
	raise_nofile();

	/* the summary: the full list only with --json or -o (a pipe gets the summary too) */
	if (!output && !json) {
		static const char *const dflt[] = { "/", NULL };
		struct summary s = { .roots = opts.roots ? opts.roots : dflt };

		if ((ret = cli_table_new(&dev, "inventory", "blockdevices", dev_cols,
					 DSP_ARRAY_SIZE(dev_cols), &topts)))
			goto out;
		s.keys = json_object_new_array();
		s.devices = json_object_new_array();
		s.errors = json_object_new_array();
		inv_prog_start(&ip, pmode, verbose > 0 ? verbose : 0, &opts);
		rc = dsp_inv_scan(&opts, summary_emit, &s);
		inv_prog_end(&ip, &opts, rc);
		if (rc < 0) {
			cli_err("inventory: %s", strerror(-rc));
			ret = DSP_EXIT_FAILED;
		} else {
			int prc;

			/* --devices alone: the table as lsblk prints it, errors on stderr */
			if ((opts.what & (DSP_INV_SOFTWARE | DSP_INV_DATA | DSP_INV_KEYS)) == 0) {
				prc = print_devices(dev, s.devices);
				for (size_t i = 0; i < json_object_array_length(s.errors); i++) {
					struct json_object *e = json_object_array_get_idx(s.errors, i);

					cli_warn("%s: %s", vis_name(e, jstr(e, "path") ? "path" :
								    "source"), vis(jstr(e, "reason")));
				}
			} else {
				prc = print_summary(&s, opts.what, rc, dev);
			}
			if (prc)
				cli_err("inventory: device table: %s", strerror(-prc));
			ret = rc || prc ? DSP_EXIT_FAILED : DSP_EXIT_OK;
		}
		tree_flush(&s);
		top_free(s.trees);
		top_free(s.files_top);
		top_free(s.pkgs);
		json_object_put(s.keys);
		json_object_put(s.devices);
		json_object_put(s.errors);
		goto out;
	}

	FILE *out = stdout;
	static char obuf[1 << 20];

	if (output && strcmp(output, "-")) {
		/*
		 * The only file this command opens for writing. O_NOFOLLOW: a
		 * symlink planted at FILE must not redirect the write elsewhere;
		 * O_NONBLOCK: a FIFO there without a reader must not hang us.
		 */
		int fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY |
			      O_NOFOLLOW | O_NONBLOCK, 0600);

		if (fd < 0 && errno == ELOOP) {
			cli_err("%s: is a symbolic link; not written through", output);
			ret = DSP_EXIT_FAILED;
			goto out;
		}
		struct stat ost;

		/*
		 * A report is no reason to overwrite a disk: a block device (or a
		 * character device other than a terminal or /dev/null, /dev/full
		 * and their kin; not /dev/mem, kmem, port) is refused before
		 * anything is written to it; erase is the command for that.
		 */
		if (fd >= 0 && fstat(fd, &ost) == 0 &&
		    (S_ISBLK(ost.st_mode) ||
		     (S_ISCHR(ost.st_mode) && !isatty(fd) &&
		      (major(ost.st_rdev) != 1 || minor(ost.st_rdev) == 1 ||
		       minor(ost.st_rdev) == 2 || minor(ost.st_rdev) == 4)))) {
			cli_err("%s: a device; not written (-o takes a file)", output);
			close(fd);
			ret = DSP_EXIT_USAGE;
			goto out;
		}
		if (fd >= 0)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			cli_err("%s: %s", output, strerror(errno));
			if (fd >= 0)
				close(fd);
			ret = DSP_EXIT_FAILED;
			goto out;
		}
	}
	setvbuf(out, obuf, _IOFBF, sizeof(obuf));
	inv_prog_start(&ip, pmode, verbose > 0 ? verbose : 0, &opts);
	rc = dsp_inv_write(out, &opts);
	inv_prog_end(&ip, &opts, rc);
	if (out == stdout)
		fflush(stdout);
	else if (fclose(out) != 0 && rc >= 0)
		rc = -errno;
	if (rc < 0) {
		cli_err("%s: write error: %s", output && strcmp(output, "-") ? output :
			"standard output", strerror(-rc));
		ret = DSP_EXIT_FAILED;
	} else if (rc > 0) {
		cli_err("inventory: a whole category could not be read (see errors[])");
		ret = DSP_EXIT_FAILED;
	}
out:
	cli_table_free(dev);
	for (size_t i = 0; i < nroots; i++)
		free(roots[i]);
	free(roots);
	return ret;
}
