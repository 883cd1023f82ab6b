/* SPDX-License-Identifier: MIT */
/* plan.c - policy + inventory -> dispose-plan/1 (stub: #14 H2) */
#include <errno.h>
#include "dispose/common.h"
#include "dispose/run.h"

int dsp_plan_build(const struct dsp_policy *p, const struct dsp_plan_opts *o,
		   struct json_object **plan, char **why)
{
	*plan = NULL;
	return -ENOSYS;
}

int dsp_plan_print(FILE *out, struct json_object *plan, bool verbose)
{
	return -ENOSYS;
}

int dsp_plan_write(struct json_object *plan, const char *path, bool replace, char sha256[65],
		   char **why)
{
	return -ENOSYS;
}
