/* SPDX-License-Identifier: MIT */
/* interlock.c - is a retained item covered by a verified archive in the run ledger? */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/ledger.h"
#include "archive_int.h"

struct dsp_archive_cover {
	char **keys;		/* "sha512 path", sorted */
	size_t n, cap;
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

static int visit(struct json_object *ev, void *arg)
{
	struct dsp_archive_cover *c = arg;
	struct json_object *items, *v;
	const char *event = str_field(ev, "event");
	size_t n;

	if (!event || strcmp(event, "archive_created"))
		return 0;
	/* written only after the read-back passed; say so explicitly anyway */
	if (!json_object_object_get_ex(ev, "verified", &v) || !json_object_get_boolean(v))
		return 0;
	if (!json_object_object_get_ex(ev, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return 0;
	n = json_object_array_length(items);
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		const char *p = str_field(it, "path"), *h = str_field(it, "sha512");

		if (!p || !h || strlen(h) != 128)
			continue;
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
	rc = dsp_ledger_walk(run_dir, visit, c, NULL);
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
