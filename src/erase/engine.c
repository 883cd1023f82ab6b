/* SPDX-License-Identifier: MIT */
/* engine.c - helpers every erase technique shares: events, progress, buffers, the clock */
#include "erase_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "dispose/device.h"
#include "dispose/log.h"

void erase_record_failed(const struct dsp_erase_opts *o, int r)
{
	int none = 0;

	/* one line for the whole run, however many targets hit it */
	if (o->record_err && !__atomic_compare_exchange_n(o->record_err, &none, r, false,
							  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	dsp_log(DSP_LOG_ERROR, "%s: cannot write the run record: %s",
		dsp_ledger_dir(o->ledger), strerror(-r));
}

bool erase_record_broken(const struct dsp_erase_opts *o)
{
	return o->record_err && __atomic_load_n(o->record_err, __ATOMIC_SEQ_CST) != 0;
}

double eng_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every event carries the target id; f is consumed. */
int eng_event(struct eng *e, const char *name, struct json_object *f, int sync)
{
	int r;

	if (!e->o->ledger) {	/* read-only check: nothing is recorded */
		json_object_put(f);
		return 0;
	}
	if (!f)
		f = json_object_new_object();
	if (!f)
		return -ENOMEM;
	json_object_object_add(f, "target", json_object_new_string(e->id));
	r = dsp_ledger_append(e->o->ledger, name, f, sync);
	json_object_put(f);
	if (r < 0)
		erase_record_failed(e->o, r);	/* said once per run */
	return r;
}

int eng_pool(struct eng *e)
{
	for (int i = 0; i < ERASE_RING; i++)
		if (!e->pool[i] && !(e->pool[i] = dsp_io_buf_alloc(e->bufsize)))
			return -ENOMEM;
	return 0;
}

bool eng_stopped(struct eng *e)
{
	return e->o->stop && *e->o->stop;
}

/* Time-gated progress; non-zero when the caller asked to cancel. */
int eng_progress(struct eng *e, const char *phase, unsigned pass, uint64_t done,
		 uint64_t total, bool force)
{
	struct dsp_erase_progress p;
	struct timespec now;
	long ms = e->o->progress_ms == 0 ? 100 : e->o->progress_ms;

	if (!e->o->progress)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && ms > 0 && (now.tv_sec - e->last_prog.tv_sec) * 1000 +
	    (now.tv_nsec - e->last_prog.tv_nsec) / 1000000 < ms)
		return 0;
	e->last_prog = now;
	p.target = e->io->path;
	p.phase = phase;
	p.pass = pass;
	p.npasses = e->np;
	p.done = done;
	p.total = total;
	p.all_done = e->all_done;
	p.all_total = e->all_total;
	return e->o->progress(&p, e->o->progress_arg);
}

const char *erase_verify_name(enum dsp_verify_mode v)
{
	return dsp_verify_mode_name(v);
}

void eng_target_identity(struct json_object *id, const struct dsp_io *io, bool block,
			 int rotational, const struct dsp_blkdev_info *dev,
			 struct json_object *given)
{
	if (io) {
		if (block) {
			char devno[32];

			snprintf(devno, sizeof(devno), "%u:%u", major(io->rdev), minor(io->rdev));
			json_object_object_add(id, "devno", json_object_new_string(devno));
		}
		json_object_object_add(id, "logical_sector",
				       json_object_new_int((int)io->logical_sector));
		json_object_object_add(id, "physical_sector",
				       json_object_new_int((int)io->physical_sector));
		json_object_object_add(id, "rotational",
				       rotational < 0 ? NULL : json_object_new_boolean(rotational));
		/* the device's identity for the certificate: the caller's, else the device module's */
		if (block && !given && dev) {
			struct json_object *di = dsp_identity_block(dev);

			if (di) {
				json_object_object_foreach(di, k, v)
					json_object_object_add(id, k, json_object_get(v));
				json_object_put(di);
			}
		}
	}
	if (given) {
		json_object_object_foreach(given, k, v)
			json_object_object_add(id, k, json_object_get(v));
	}
}
