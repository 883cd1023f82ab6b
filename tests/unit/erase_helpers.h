/* SPDX-License-Identifier: MIT */
/* erase_helpers.h - run records, methods and event lookups for the erase tests */
#ifndef ERASE_HELPERS_H
#define ERASE_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/pattern.h"

struct fixture {
	char dir[64];
	struct dsp_ledger *l;
	struct dsp_pass passes[8];
	struct dsp_method m;
	struct dsp_erase_opts o;
};

static inline void fx_open(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/dsp-erase-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	assert_int_equal(dsp_ledger_open(fx->dir, DSP_LEDGER_CREATE, &fx->l), 0);
	snprintf(fx->m.name, sizeof(fx->m.name), "test");
	fx->m.passes = fx->passes;
	fx->m.sample_percent = 10;
	fx->o.method = &fx->m;
	fx->o.ledger = fx->l;
	fx->o.target_id = "t1";
	fx->o.bufsize = 64 << 10;
	fx->o.verify = DSP_VERIFY_LAST;
	dsp_log_set_syslog(0);
}

static inline void fx_reopen(struct fixture *fx)
{
	dsp_ledger_close(fx->l);
	assert_int_equal(dsp_ledger_open(fx->dir, DSP_LEDGER_RESUME, &fx->l), 0);
	fx->o.ledger = fx->l;
}

static inline void fx_close(struct fixture *fx)
{
	char cmd[128];

	dsp_ledger_close(fx->l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
}

static inline void fx_pass(struct fixture *fx, enum dsp_pass_kind k, const uint8_t *pat, size_t len)
{
	struct dsp_pass *p = &fx->passes[fx->m.npasses++];

	memset(p, 0, sizeof(*p));
	p->kind = k;
	if (pat)
		memcpy(p->pattern, pat, len);
	p->pattern_len = len;
	snprintf(p->label, sizeof(p->label), "pass%u", fx->m.npasses);
}

struct collect {
	const char *event, *target;
	struct json_object *arr;
};

static int collect_fn(struct json_object *ev, void *arg)
{
	struct collect *c = arg;
	struct json_object *v;

	if (!json_object_object_get_ex(ev, "event", &v) ||
	    strcmp(json_object_get_string(v), c->event))
		return 0;
	if (c->target && (!json_object_object_get_ex(ev, "target", &v) ||
			  strcmp(json_object_get_string(v), c->target)))
		return 0;
	json_object_array_add(c->arr, json_object_get(ev));
	return 0;
}

/* All events of one name (and target, when not NULL); the chain must hold. */
static inline struct json_object *events(struct fixture *fx, const char *name, const char *target)
{
	struct collect c = { name, target, json_object_new_array() };

	assert_int_equal(dsp_record_read_events(fx->dir, collect_fn, &c, NULL), 0);
	return c.arr;
}

static inline int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_int64(v);
}

static inline const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_string(v);
}

static inline struct json_object *last_event(struct fixture *fx, const char *name, const char *t)
{
	struct json_object *a = events(fx, name, t), *e;
	size_t n = json_object_array_length(a);

	assert_true(n > 0);
	e = json_object_get(json_object_array_get_idx(a, n - 1));
	json_object_put(a);
	return e;
}

/* The bytes pass `pass` (1-based) wrote, as recorded in its pass_start. */
static inline void expected_bytes(struct fixture *fx, const char *target, unsigned pass,
				  uint8_t *buf, size_t len)
{
	struct json_object *a = events(fx, "pass_start", target), *pat;
	struct dsp_pattern p;
	struct dsp_pattern_gen *g;
	bool found = false;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (jint(e, "pass") != pass)
			continue;
		assert_true(json_object_object_get_ex(e, "pattern", &pat));
		assert_int_equal(dsp_pattern_from_json(pat, &p), 0);
		found = true;
	}
	assert_true(found);
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	assert_int_equal(dsp_pattern_fill(g, 0, buf, len), 0);
	dsp_pattern_gen_free(g);
	json_object_put(a);
}

#endif
