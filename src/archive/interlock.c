/* SPDX-License-Identifier: MIT */
/* interlock.c - is a retained item covered by a verified archive in the run ledger? */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/ledger.h"
#include "archive_int.h"

struct dsp_archive_cover {
	char **keys;		/* "sha512 path", sorted */
	size_t n, cap;
	const char *dir;	/* the run directory, for item files */
};

static const char *str_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static char *make_key(const char *sha512, const char *path)
{
	size_t ls = strlen(sha512), lp = strlen(path);
	char *k = malloc(ls + 1 + lp + 1);

	if (!k)
		return NULL;
	for (size_t i = 0; i < ls; i++)	/* hex compares case-insensitively */
		k[i] = (sha512[i] >= 'A' && sha512[i] <= 'F') ? sha512[i] + 32 : sha512[i];
	k[ls] = ' ';
	memcpy(k + ls + 1, path, lp + 1);
	return k;
}

static int add_item(struct dsp_archive_cover *c, struct json_object *it)
{
	const char *p = str_field(it, "path"), *h = str_field(it, "sha512");

	if (!p || !h || strlen(h) != 128)
		return 0;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		char **nk = realloc(c->keys, nc * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		c->keys = nk;
		c->cap = nc;
	}
	if (!(c->keys[c->n] = make_key(h, p)))
		return -ENOMEM;
	c->n++;
	return 0;
}

/*
 * The item list in its own file of the run directory, bound by the
 * event's SHA-256: a file that differs breaks the record (DSP_MISMATCH).
 */
static int load_items_file(struct dsp_archive_cover *c, const char *name, const char *want)
{
	char path[PATH_MAX], *line = NULL, hex[65];
	size_t cap = 0;
	ssize_t len;
	uint8_t d[32];
	EVP_MD_CTX *md;
	FILE *fp;
	int fd, rc = 0;

	if (!name[0] || name[0] == '.' || strchr(name, '/') || !want || strlen(want) != 64)
		return DSP_MISMATCH;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DSP_MISMATCH : -errno;
	if (!(fp = fdopen(fd, "r"))) {
		close(fd);
		return -errno;
	}
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct json_object *it;

		EVP_DigestUpdate(md, line, (size_t)len);
		it = json_tokener_parse(line);
		rc = it ? add_item(c, it) : 0;
		json_object_put(it);
		if (rc)
			goto out;
	}
	if (ferror(fp)) {
		rc = -EIO;
		goto out;
	}
	EVP_DigestFinal_ex(md, d, NULL);
	arc_hex(d, 32, hex);
	if (strcmp(hex, want))
		rc = DSP_MISMATCH;
out:
	free(line);
	EVP_MD_CTX_free(md);
	fclose(fp);
	return rc;
}

static int visit(struct json_object *ev, void *arg)
{
	struct dsp_archive_cover *c = arg;
	struct json_object *items, *v;
	const char *event = str_field(ev, "event"), *file;
	size_t n;

	if (!event || strcmp(event, "archive_created"))
		return 0;
	/* written only after the read-back passed; say so explicitly anyway */
	if (!json_object_object_get_ex(ev, "verified", &v) || !json_object_get_boolean(v))
		return 0;
	if ((file = str_field(ev, "items_file")))
		return load_items_file(c, file, str_field(ev, "items_sha256"));
	/* records written before the item list had a file of its own */
	if (!json_object_object_get_ex(ev, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return 0;
	n = json_object_array_length(items);
	for (size_t i = 0; i < n; i++) {
		int rc = add_item(c, json_object_array_get_idx(items, i));

		if (rc)
			return rc;
	}
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dsp_archive_cover_load(const char *run_dir, struct dsp_archive_cover **out)
{
	struct dsp_archive_cover *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!run_dir)
		return -EINVAL;
	if (!c)
		return -ENOMEM;
	c->dir = run_dir;
	rc = dsp_ledger_walk(run_dir, visit, c, NULL);
	c->dir = NULL;	/* borrowed for the walk only */
	/* never a positive code: 1 would read as "covered" to dsp_archive_covers' callers */
	if (rc == DSP_MISMATCH)
		rc = -EBADMSG;
	if (rc) {
		dsp_archive_cover_free(c);
		return rc;
	}
	if (c->n)
		qsort(c->keys, c->n, sizeof(*c->keys), key_cmp);
	*out = c;
	return 0;
}

int dsp_archive_cover_has(const struct dsp_archive_cover *c, const char *path,
			  const char *sha512_hex)
{
	char *k;
	int found;

	if (!c || !path || !sha512_hex || strlen(sha512_hex) != 128)
		return -EINVAL;
	if (!(k = make_key(sha512_hex, path)))
		return -ENOMEM;
	found = c->n && bsearch(&k, c->keys, c->n, sizeof(*c->keys), key_cmp) != NULL;
	free(k);
	return found;
}

void dsp_archive_cover_free(struct dsp_archive_cover *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->keys[i]);
	free(c->keys);
	free(c);
}

int dsp_archive_covers(const char *run_dir, const char *path, const char *sha512_hex)
{
	struct dsp_archive_cover *c;
	int rc;

	if (!run_dir || !path || !sha512_hex || strlen(sha512_hex) != 128)
		return -EINVAL;
	if ((rc = dsp_archive_cover_load(run_dir, &c)))
		return rc;
	rc = dsp_archive_cover_has(c, path, sha512_hex);
	dsp_archive_cover_free(c);
	return rc;
}
