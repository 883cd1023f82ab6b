/* SPDX-License-Identifier: MIT */
/* interlock.c - is a retained item covered by a verified archive in the run ledger? */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/ledger.h"
#include "archive_int.h"

struct cover {
	const char *path, *sha256;
	int found;
};

static const char *str_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int visit(struct json_object *ev, void *arg)
{
	struct cover *c = arg;
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
		const char *p = str_field(it, "path"), *h = str_field(it, "sha256");

		if (p && h && !strcmp(p, c->path) && !strcasecmp(h, c->sha256)) {
			c->found = 1;
			return 1;	/* stop the walk */
		}
	}
	return 0;
}

int dsp_archive_covers(const char *run_dir, const char *path, const char *sha256_hex)
{
	struct cover c = { path, sha256_hex, 0 };
	int rc;

	if (!run_dir || !path || !sha256_hex || strlen(sha256_hex) != 64)
		return -EINVAL;
	rc = dsp_ledger_walk(run_dir, visit, &c, NULL);
	if (rc == 1 && c.found)
		return 1;
	return rc < 0 || rc == DSP_MISMATCH ? rc : 0;
}
