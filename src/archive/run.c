/* SPDX-License-Identifier: MIT */
/* run.c - archive create's own run record (run_start ... run_end), and which record verify may write to */
/* Archive files used (no cycles, see common.c): none (the ledger module's record API only) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"

int dsp_archive_run_start(const char *run_dir, int argc, char *const argv[],
			  struct dsp_ledger **out, char *why, size_t wlen)
{
	char def[4096];
	struct json_object *o;
	int rc, made = 0;

	*out = NULL;
	why[0] = '\0';
	if (!run_dir) {
		/* a new directory of its own: never another command's */
		if ((rc = dsp_ledger_default_dir(def, sizeof(def)))) {
			snprintf(why, wlen, "run directory: %s", strerror(-rc));
			return rc;
		}
		run_dir = def;
		made = 1;
	}
	rc = dsp_ledger_open_cmd(run_dir, DSP_LEDGER_CREATE | DSP_LEDGER_LOCK,
				 DSP_ARCHIVE_CREATE_CMD, out);
	if (rc == DSP_REFUSED) {
		/* another dispose holds the directory: the ledger said so */
		why[0] = '\0';
		dsp_audit(DSP_AUDIT_WARNING, "archive create refused: %s: run directory in use or "
			  "not one run's record", run_dir);
		return DSP_REFUSED;
	}
	if (rc == -EEXIST) {
		struct dsp_record *rec = NULL;
		const char *cmd = NULL;

		if (dsp_record_read(run_dir, &rec) == 0)
			cmd = rec->command;
		snprintf(why, wlen, "%.3000s: holds a run record already%s%.100s%s; archive create "
			 "writes one of its own: use another --run-dir", run_dir,
			 cmd ? " (of " : "", cmd ? cmd : "", cmd ? ")" : "");
		dsp_record_free(rec);
		dsp_audit(DSP_AUDIT_WARNING, "archive create refused: %s", why);
		return DSP_REFUSED;
	}
	if (rc) {
		snprintf(why, wlen, "%.3000s: cannot make the run record: %s", run_dir,
			 rc < 0 ? strerror(-rc) : "refused");
		if (made)
			rmdir(run_dir);
		return rc < 0 ? rc : -EIO;
	}
	o = dsp_record_run_start(DSP_ARCHIVE_CREATE_CMD, argc, argv);
	rc = o ? dsp_ledger_append(*out, "run_start", o, 1) : -ENOMEM;
	json_object_put(o);
	if (rc) {
		snprintf(why, wlen, "%.3000s: cannot write the run record: %s", run_dir,
			 strerror(-rc));
		dsp_ledger_close(*out);
		*out = NULL;
	}
	return rc;
}

/* Syslog: the run's end, its run id and the record's chain head (an anchor outside it). */
static void audit_end(struct dsp_ledger *l, int rc, int exit_code)
{
	const char *st = dsp_record_status(rc == -EINTR ? DSP_INTERRUPTED :
					   rc == DSP_MISMATCH ? -EIO : rc);
	char head[65], dir[PATH_MAX];

	dsp_ledger_head(l, head);
	/* files that changed while read: the archive is kept, a caveat */
	dsp_audit(rc == 0 ? DSP_AUDIT_NOTICE : rc == DSP_PARTIAL || rc == -EINTR ?
		  DSP_AUDIT_WARNING : DSP_AUDIT_ERR,
		  "archive create ended: %s, exit %d, run %s, record head %s", st, exit_code,
		  realpath(dsp_ledger_dir(l), dir) ? dir : dsp_ledger_dir(l), head);
}

int dsp_archive_run_end(struct dsp_ledger *l, int rc, int exit_code)
{
	struct json_object *o;
	int r;

	if (!l)
		return 0;
	/* a read-back mismatch leaves no archive: failed, not completed-with-errors */
	o = dsp_record_run_end(dsp_record_status(rc == -EINTR ? DSP_INTERRUPTED :
						 rc == DSP_MISMATCH ? -EIO : rc), exit_code);
	r = o ? dsp_ledger_append(l, "run_end", o, 1) : -ENOMEM;
	json_object_put(o);
	audit_end(l, rc, exit_code);
	dsp_ledger_close(l);
	return r;
}
