/* SPDX-License-Identifier: MIT */
/* fuzz_policy.c - libFuzzer target over dsp_policy_parse (dispose-policy/1 files) */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* After expansion: absolute, no "//", no "." or ".." component, no trailing '/'. */
static void check_path(const char *s, bool any_ok)
{
	size_t n = strlen(s);

	if (any_ok && !strcmp(s, "any"))
		return;
	if (s[0] != '/' || strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../") ||
	    (n > 1 && s[n - 1] == '/'))
		__builtin_trap();
}

static void check_rule(const struct dsp_policy_rule *r, size_t i)
{
	const struct dsp_policy_select *s = &r->sel;

	if (r->index != i || !r->name || !r->name[0])
		__builtin_trap();
	for (size_t k = 0; k < s->npaths; k++)
		check_path(s->paths[k], false);
	for (size_t k = 0; k < s->nunpackaged; k++)
		check_path(s->unpackaged[k], true);
	for (size_t k = 0; k < s->ndevices; k++)
		if (!s->devices[k][0] || strchr(s->devices[k], ','))
			__builtin_trap();
	/* a duration is kept for the plan, a date as is: never both */
	if (r->retain_until && r->retain_for)
		__builtin_trap();
}

static void one(const uint8_t *data, size_t size, const char *const *set, size_t nset)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;
	int rc = dsp_policy_parse((const char *)data, size, "fuzz.json", set, nset, &p, &why);

	if (rc == 0) {
		if (!p || why || strlen(p->sha256) != 64 || !p->name || !p->nroots)
			__builtin_trap();
		for (size_t i = 0; i < p->nroots; i++)
			check_path(p->roots[i], false);
		for (size_t i = 0; i < p->nretain; i++) {
			check_rule(&p->retain[i], i);
			if (!p->retain[i].retain_until && !p->retain[i].retain_for)
				__builtin_trap();
		}
		for (size_t i = 0; i < p->nerase; i++) {
			check_rule(&p->erase[i], i);
			if (!p->erase[i].method)
				__builtin_trap();
		}
		for (size_t i = 0; i < p->nkeep; i++)
			check_rule(&p->keep[i], i);
		dsp_policy_free(p);
	} else if (rc != -ENOMEM) {
		/* every rejection: DSP_INVALID, one line naming the file first */
		if (p || rc != DSP_INVALID || !why || strncmp(why, "fuzz.json: ", 11) ||
		    strchr(why, '\n'))
			__builtin_trap();
	}
	free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const set[] = { "SERVER=/srv/x/", "DISKS=/dev/sdb, ,serial:A" };

	one(data, size, NULL, 0);
	one(data, size, set, 2);
	return 0;
}
