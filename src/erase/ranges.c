/* SPDX-License-Identifier: MIT */
/* ranges.c - lists of byte ranges: covered, bad, unreadable, sampled */
#include "erase_int.h"

#include <errno.h>
#include <stdlib.h>

int ranges_add(struct ranges *r, uint64_t off, uint64_t len)
{
	if (!len)
		return 0;
	if (r->n && r->v[r->n - 1].off + r->v[r->n - 1].len == off) {
		r->v[r->n - 1].len += len;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct range *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].off = off;
	r->v[r->n].len = len;
	r->n++;
	return 0;
}

void ranges_free(struct ranges *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

uint64_t ranges_bytes(const struct ranges *r)
{
	uint64_t t = 0;

	for (size_t i = 0; i < r->n; i++)
		t += r->v[i].len;
	return t;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

void ranges_normalize(struct ranges *r)
{
	size_t k = 0;

	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(*r->v), cmp_range);
	for (size_t i = 1; i < r->n; i++) {
		struct range *last = &r->v[k];

		if (r->v[i].off <= last->off + last->len) {
			uint64_t end = r->v[i].off + r->v[i].len;

			if (end > last->off + last->len)
				last->len = end - last->off;
		} else {
			r->v[++k] = r->v[i];
		}
	}
	r->n = k + 1;
}

bool ranges_hit(const struct ranges *r, uint64_t off)
{
	for (size_t i = 0; i < r->n; i++)
		if (off >= r->v[i].off && off - r->v[i].off < r->v[i].len)
			return true;
	return false;
}

/* pairs: [[start,end],...] (half-open); else [{"offset","length"},...] */
struct json_object *ranges_json(const struct ranges *r, bool pairs)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < r->n; i++) {
		struct json_object *x;

		if (pairs) {
			x = json_object_new_array();
			json_object_array_add(x, json_object_new_int64((int64_t)r->v[i].off));
			json_object_array_add(x, json_object_new_int64((int64_t)(r->v[i].off + r->v[i].len)));
		} else {
			x = json_object_new_object();
			json_object_object_add(x, "offset", json_object_new_int64((int64_t)r->v[i].off));
			json_object_object_add(x, "length", json_object_new_int64((int64_t)r->v[i].len));
		}
		json_object_array_add(a, x);
	}
	return a;
}
