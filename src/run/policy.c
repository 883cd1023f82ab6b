/* SPDX-License-Identifier: MIT */
/* policy.c - dispose-policy/1: strict parsing, ${VAR} expansion, dates (stub: #14 H1) */
#include <errno.h>
#include <stdlib.h>
#include "dispose/common.h"
#include "dispose/run.h"

int dsp_policy_parse(const char *text, size_t len, const char *origin,
		     const char *const *set, size_t nset, struct dsp_policy **out, char **why)
{
	*out = NULL;
	return -ENOSYS;
}

int dsp_policy_load(const char *path, const char *const *set, size_t nset,
		    struct dsp_policy **out, char **why)
{
	*out = NULL;
	return -ENOSYS;
}

int dsp_policy_find(const char *name_or_path, const char *const *set, size_t nset,
		    struct dsp_policy **out, char **why)
{
	*out = NULL;
	return -ENOSYS;
}

void dsp_policy_free(struct dsp_policy *p)
{
	free(p);
}

int dsp_policy_resolve_date(const char *spec, const char *today, char out[11])
{
	return -ENOSYS;
}

const char *dsp_policy_shipped_dir(void)
{
	return NULL;
}
