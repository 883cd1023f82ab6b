/* SPDX-License-Identifier: MIT */
/* pipeline.c - dispose run: the resumable pipeline over one record (stub: #14 H3) */
#include <errno.h>
#include <stdlib.h>
#include "dispose/common.h"
#include "dispose/run.h"

const char *dsp_run_step_name(enum dsp_run_step s)
{
	static const char *const n[] = { "inventory", "plan", "archive", "verify", "erase",
					 "certify" };

	return s < DSP_STEP_COUNT ? n[s] : "?";
}

int dsp_run(const struct dsp_run_opts *o, struct dsp_run_result *res)
{
	res->exit_code = DSP_EXIT_UNSUPPORTED;
	return -ENOSYS;
}

void dsp_run_result_clear(struct dsp_run_result *res)
{
	free(res->why);
	res->why = NULL;
}
