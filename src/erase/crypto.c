/* SPDX-License-Identifier: MIT */
/* crypto.c - crypto-luks as an erase technique: check, destroy, record, label */
#include "erase_int.h"

#include <stdio.h>
#include <string.h>

/* stubs until the technique is wired (issue #13) */
int dsp_erase_luks_check(struct dsp_io *io, const struct dsp_blkdev_info *dev,
			 enum dsp_category requested, struct json_object *backups,
			 struct dsp_erase_why *why)
{
	(void)io, (void)dev, (void)requested, (void)backups;
	why->code = DSP_UNSUPPORTED;
	snprintf(why->reason, sizeof(why->reason), "technique crypto-luks is not available yet");
	return DSP_UNSUPPORTED;
}

int dsp_erase_luks_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
		      struct dsp_erase_result *res)
{
	(void)io, (void)opts, (void)res;
	return DSP_UNSUPPORTED;
}
