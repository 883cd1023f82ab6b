/* SPDX-License-Identifier: MIT */
/* cmd_inventory.c - dispose inventory: the JSON document, or a summary on a tty */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "dispose/inventory.h"
#include "dispose/json.h"

#define TOP_TREES	10
#define MAX_LISTED	50

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n dispose inventory [-r DIR]... [--software] [--data] [--keys]\n"
		"                   [--devices] [--hash] [-J] [-o FILE] [-q|-v]\n\n"
		"List installed software, data, key material and block devices.\n"
		"With no category option, all four. On a terminal without --json or -o,\n"
		"print a summary instead of the dispose-inventory/1 document.\n\n"
		"Options:\n"
		" -r, --root DIR     scan DIR for data and keys (repeatable; default /)\n"
		"     --software     installed packages and unpackaged trees\n"
		"     --data         every file under the roots\n"
		"     --keys         private and secret key material under the roots\n"
		"     --devices      block devices and what is on them\n"
		"     --hash         add the SHA-256 of every regular file (implies --data)\n"
		" -J, --json         print the document on standard output\n"
		" -o, --output FILE  write the document to FILE ('-': standard output)\n"
		" -q, --quiet        print only the result, warnings and errors\n"
		" -v, --verbose      also show informational messages\n"
		" -h, --help         display this help\n\n"
		"For more details see dispose-inventory(5).\n");
}

struct tree {
	char name[256];
	uint64_t size;
};

struct summary {
	const char *const *roots;
	uint64_t n[5];
	uint64_t pkgs_dpkg, pkgs_rpm, pkgs_unpackaged;
	uint64_t files, dirs, links, others, bytes;
	/* the walk is depth first, so a first-level tree arrives in one piece */
	struct tree cur, top[TOP_TREES];
	int have_cur;
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

static void tree_flush(struct summary *s)
{
	int i;

	if (!s->have_cur)
		return;
	s->have_cur = 0;
	for (i = TOP_TREES - 1; i >= 0 && s->top[i].size < s->cur.size; i--)
		if (i + 1 < TOP_TREES)
			s->top[i + 1] = s->top[i];
	if (i + 1 < TOP_TREES)
		s->top[i + 1] = s->cur;
}

/* Aggregate sizes per first-level entry under the root that holds path. */
static void tree_add(struct summary *s, const char *path, uint64_t size)
{
	size_t best = 0, rl = 0;
	char name[256];
	const char *rest;

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
	snprintf(name, sizeof(name), "%.*s%s%.*s", (int)rl, path,
		 rl == 1 && path[0] == '/' ? "" : "/",
		 (int)strcspn(rest, "/"), rest);
	if (!s->have_cur || strcmp(name, s->cur.name)) {
		tree_flush(s);
		snprintf(s->cur.name, sizeof(s->cur.name), "%s", name);
		s->cur.size = 0;
		s->have_cur = 1;
	}
	s->cur.size += size;
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

		if (m && !strcmp(m, "dpkg"))
			s->pkgs_dpkg++;
		else if (m && !strcmp(m, "rpm"))
			s->pkgs_rpm++;
		else
			s->pkgs_unpackaged++;
	} else if (i == 1) {
		const char *t = jstr(item, "type");
		uint64_t size = jsize(item, "size");

		if (t && !strcmp(t, "file")) {
			s->files++;
			s->bytes += size;
			tree_add(s, jstr(item, "path"), size);
		} else if (t && !strcmp(t, "dir")) {
			s->dirs++;
			tree_add(s, jstr(item, "path"), 0);
		} else if (t && !strcmp(t, "symlink")) {
			s->links++;
		} else {
			s->others++;
		}
	} else {
		struct json_object *a = i == 2 ? s->keys : i == 3 ? s->devices : s->errors;

		if (i != 4 || json_object_array_length(a) < MAX_LISTED)
			json_object_array_add(a, json_object_get(item));
	}
	return 0;
}

/*
 * Names come from the disk: show control characters (C0, DEL, C1) as '?'
 * so a crafted file name cannot drive the terminal or fake summary lines.
 * The result lives until the 8th call after this one.
 */
static const char *vis(const char *str)
{
	static char *ring[8];
	static size_t slot;
	const unsigned char *p = (const unsigned char *)str;
	char **b = &ring[slot++ % 8];
	size_t o = 0;

	if (!str)
		return "?";
	free(*b);
	if (!(*b = malloc(strlen(str) + 1)))
		return "?";
	for (; *p; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			(*b)[o++] = '?';
			p++;
		} else {
			(*b)[o++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
		}
	}
	(*b)[o] = '\0';
	return *b;
}

/* "/dev/sda  Samsung SSD  1.8 TiB  gpt  on /, /boot  (in use: ...)" */
static void print_device(struct json_object *d, const char *indent)
{
	const char *name = jstr(d, "path") ? jstr(d, "path") : jstr(d, "name");
	const char *type = jstr(d, "type") ? jstr(d, "type") : jstr(d, "pttype");
	const char *model = jstr(d, "model");
	struct json_object *m;
	char b[32];

	printf("%s%s", indent, vis(name));
	if (model)
		printf("  %s", vis(model));
	printf("  %s  %s", cli_human_size(jsize(d, "size"), b, sizeof(b)),
	       type ? vis(type) : "-");
	if (json_object_object_get_ex(d, "mountpoints", &m) && m &&
	    json_object_is_type(m, json_type_array))
		for (size_t k = 0; k < json_object_array_length(m); k++)
			printf("%s%s", k ? ", " : "  on ",
			       vis(json_object_get_string(json_object_array_get_idx(m, k))));
	if (jstr(d, "in_use"))
		printf("  (in use: %s)", vis(jstr(d, "in_use")));
	printf("\n");
}

static void print_summary(struct summary *s, unsigned what, int rc)
{
	struct json_object *host = dsp_inv_host();
	char b1[32];

	printf("host:      %s", host ? vis(jstr(host, "hostname")) : "?");
	if (host && jstr(host, "os_name"))
		printf(" (%s %s, kernel %s)", vis(jstr(host, "os_name")),
		       jstr(host, "os_version_id") ? vis(jstr(host, "os_version_id")) : "",
		       vis(jstr(host, "kernel")));
	printf("\n");
	json_object_put(host);
	if (what & DSP_INV_SOFTWARE)
		printf("software:  %llu dpkg, %llu rpm, %llu unpackaged tree(s)\n",
		       (unsigned long long)s->pkgs_dpkg, (unsigned long long)s->pkgs_rpm,
		       (unsigned long long)s->pkgs_unpackaged);
	if (what & DSP_INV_DATA) {
		tree_flush(s);
		printf("data:      %llu files (%s), %llu directories, %llu symlinks, %llu other\n",
		       (unsigned long long)s->files, cli_human_size(s->bytes, b1, sizeof(b1)),
		       (unsigned long long)s->dirs, (unsigned long long)s->links,
		       (unsigned long long)s->others);
		if (s->top[0].name[0])
			printf("largest trees:\n");
		for (int i = 0; i < TOP_TREES && s->top[i].name[0]; i++)
			printf("  %10s  %s\n", cli_human_size(s->top[i].size, b1, sizeof(b1)),
			       vis(s->top[i].name));
	}
	if (what & DSP_INV_KEYS) {
		size_t n = json_object_array_length(s->keys);

		printf("keys:      %zu found\n", n);
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
				printf("  %s  %s  not decoded: %s\n", vis(jstr(k, "path")),
				       vis(jstr(k, "format")),
				       jstr(k, "reason") ? vis(jstr(k, "reason")) : "unknown");
			else
				printf("  %s  %s%s%s\n", vis(jstr(k, "path")), vis(jstr(k, "format")),
				       fp ? "  " : "", fp ? vis(fp) : "");
		}
	}
	if (what & DSP_INV_DEVICES) {
		size_t n = json_object_array_length(s->devices);

		printf("devices:   %zu\n", n);
		for (size_t i = 0; i < n; i++) {
			struct json_object *d = json_object_array_get_idx(s->devices, i), *parts;

			print_device(d, "  ");
			if (json_object_object_get_ex(d, "partitions", &parts) && parts &&
			    json_object_is_type(parts, json_type_array))
				for (size_t k = 0; k < json_object_array_length(parts); k++)
					print_device(json_object_array_get_idx(parts, k), "    ");
		}
	}
	printf("errors:    %llu\n", (unsigned long long)s->n[4]);
	for (size_t i = 0; i < json_object_array_length(s->errors); i++) {
		struct json_object *e = json_object_array_get_idx(s->errors, i);

		printf("  %s: %s\n", vis(jstr(e, "path") ? jstr(e, "path") : jstr(e, "source")),
		       vis(jstr(e, "reason")));
	}
	if (s->n[4] > MAX_LISTED)
		printf("  ... and %llu more (use --json for all)\n",
		       (unsigned long long)(s->n[4] - MAX_LISTED));
	if (rc == 1)
		printf("result:    incomplete: a whole category could not be read\n");
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

/* Absolute, without empty or "." components (".." is kept: links make it ambiguous). */
static char *absolute(const char *p)
{
	char cwd[4096], *in, *out, *o, *tok, *save = NULL;

	if (p[0] == '/') {
		in = strdup(p);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		if (asprintf(&in, "%s/%s", cwd, p) < 0)
			in = NULL;
	}
	if (!in)
		return NULL;
	out = malloc(strlen(in) + 2);
	if (!out) {
		free(in);
		return NULL;
	}
	o = out;
	for (tok = strtok_r(in, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		*o++ = '/';
		o = stpcpy(o, tok);
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	free(in);
	return out;
}

int cmd_inventory(int argc, char **argv)
{
	enum { O_SOFTWARE = 256, O_DATA, O_KEYS, O_DEVICES, O_HASH };
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "software", no_argument, NULL, O_SOFTWARE },
		{ "data", no_argument, NULL, O_DATA },
		{ "keys", no_argument, NULL, O_KEYS },
		{ "devices", no_argument, NULL, O_DEVICES },
		{ "hash", no_argument, NULL, O_HASH },
		{ "json", no_argument, NULL, 'J' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dsp_inv_opts opts = { 0 };
	const char *output = NULL;
	char **roots;
	size_t nroots = 0;
	int c, json = 0, verbose = 0, rc, ret = DSP_EXIT_OK;

	roots = calloc((size_t)argc + 1, sizeof(*roots));
	if (!roots) {
		cli_err("inventory: out of memory");
		return DSP_EXIT_FAILED;
	}
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
			if (!(roots[nroots] = absolute(optarg))) {
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
		case 'o':
			output = optarg;
			break;
		case 'q': verbose = -1; break;
		case 'v': verbose = verbose < 0 ? 1 : verbose + 1; break;
		case 'h':
			usage(stdout);
			goto out;
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
	cli_log_init(verbose > 0 ? verbose : 0);
	raise_nofile();

	if (!output && !json && isatty(STDOUT_FILENO)) {
		static const char *const dflt[] = { "/", NULL };
		struct summary s = { .roots = opts.roots ? opts.roots : dflt };

		s.keys = json_object_new_array();
		s.devices = json_object_new_array();
		s.errors = json_object_new_array();
		rc = dsp_inv_scan(&opts, summary_emit, &s);
		if (rc < 0) {
			cli_err("inventory: %s", strerror(-rc));
			ret = DSP_EXIT_FAILED;
		} else {
			print_summary(&s, opts.what, rc);
			ret = rc ? DSP_EXIT_FAILED : DSP_EXIT_OK;
		}
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
	rc = dsp_inv_write(out, &opts);
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
	for (size_t i = 0; i < nroots; i++)
		free(roots[i]);
	free(roots);
	return ret;
}
