/* SPDX-License-Identifier: MIT */
/* sanitize.c - the device's own sanitize as an erase technique: check, send, poll, record, label */
#include "erase_int.h"

#include <stdio.h>
#include <string.h>

/* stubs until the technique is wired (issue #13) */
int dsp_erase_sanitize_check(struct dsp_io *io, const char *path, const struct dsp_blkdev_info *dev,
			     const struct dsp_method *method, bool all_namespaces,
			     struct dsp_erase_why *why)
{
	(void)io, (void)path, (void)dev, (void)method, (void)all_namespaces;
	why->code = DSP_UNSUPPORTED;
	snprintf(why->reason, sizeof(why->reason), "technique sanitize is not available yet");
	return DSP_UNSUPPORTED;
}

int dsp_erase_sanitize_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
			  struct dsp_erase_result *res)
{
	(void)io, (void)opts, (void)res;
	return DSP_UNSUPPORTED;
}
