/* SPDX-License-Identifier: MIT */
/* env_stub.c - stand-ins for the envelope module until it lands (returns -ENOSYS) */
#include <errno.h>

#include "archive_int.h"

#ifdef DSP_ARC_ENV_STUB
int dsp_env_writer_open(const char *const *recipients, const char *ct_path,
			const char *env_path, struct dsp_env_writer **out)
{
	*out = NULL;
	return -ENOSYS;
}

int dsp_env_write(struct dsp_env_writer *w, const void *buf, size_t len)
{
	return -ENOSYS;
}

int dsp_env_writer_close(struct dsp_env_writer *w, char ct_sha256[65],
			 char env_sha256[65])
{
	return -ENOSYS;
}

void dsp_env_writer_abort(struct dsp_env_writer *w)
{
}

int dsp_env_decrypt(const char *env_path, const char *ct_path,
		    const char *key_path, const char *cert_path,
		    int (*sink)(void *arg, const void *buf, size_t len),
		    void *arg)
{
	return -ENOSYS;
}
#else
/* ISO C forbids an empty translation unit */
typedef int arc_env_stub_unused;
#endif
