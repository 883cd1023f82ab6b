/* SPDX-License-Identifier: MIT */
/* ledger_stub.c - stand-ins for the ledger until src/ledger/ledger.c lands (-ENOSYS) */
#include <errno.h>
#include <stddef.h>

#include "dispose/ledger.h"

#if !__has_include("../ledger/ledger.c")
int dsp_ledger_open(const char *dir, unsigned flags, struct dsp_ledger **out)
{
	*out = NULL;
	return -ENOSYS;
}

int dsp_ledger_append(struct dsp_ledger *l, const char *event,
		      struct json_object *fields, int sync)
{
	return -ENOSYS;
}

void dsp_ledger_close(struct dsp_ledger *l)
{
}

const char *dsp_ledger_dir(const struct dsp_ledger *l)
{
	return "";
}

int dsp_ledger_default_dir(char *buf, size_t len)
{
	return -ENOSYS;
}

int dsp_ledger_walk(const char *dir, dsp_ledger_visit_fn fn, void *arg,
		    uint64_t *bad_line)
{
	return -ENOSYS;
}
#else
typedef int arc_ledger_stub_unused;
#endif
