/* SPDX-License-Identifier: MIT */
/* resume.c - rebuild an interrupted target's state from the run record */
#include "erase_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/device.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"

#define str dsp_json_str

static bool num(struct json_object *ev, const char *k, int64_t *out)
{
	return dsp_json_i64(ev, k, out) == 0;
}

struct walk {
	struct eng *e;
	int err;
	struct json_object *ident;	/* of the target's first "target" event */
};

static void close_session(struct pass_state *ps)
{
	if (ps->resume_off > ps->sess_start)
		ranges_add(&ps->covered, ps->sess_start, ps->resume_off - ps->sess_start);
	ps->sess_start = ps->resume_off;
}

static int visit(struct json_object *ev, void *arg)
{
	struct walk *w = arg;
	struct eng *e = w->e;
	const char *name = str(ev, "event"), *t = str(ev, "target");
	struct pass_state *ps = NULL;
	int64_t pass = 0, off = 0, len = 0;

	if (!name || !t || strcmp(t, e->id))
		return 0;
	if (num(ev, "pass", &pass)) {
		if (pass < 1 || pass > (int64_t)e->np) {
			w->err = DSP_INVALID;
			return 1;
		}
		ps = &e->ps[pass - 1];
		/* a pass's events follow the target's "target" event and its pass_start:
		 * else not a record we wrote (passes of no target are no work done) */
		if (!e->seen_before || (!ps->started && strcmp(name, "pass_start"))) {
			w->err = DSP_INVALID;
			return 1;
		}
	}
	if (!strcmp(name, "target") || !strcmp(name, "target_resumed")) {
		int64_t size;

		if (num(ev, "size", &size) && (uint64_t)size != e->io->size) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: target %s had size %lld, now %llu",
				e->io->path, e->id, (long long)size, (unsigned long long)e->io->size);
			w->err = -ESTALE;
			return 1;
		}
		if (!w->ident && !strcmp(name, "target") &&
		    json_object_object_get_ex(ev, "identity", &w->ident))
			json_object_get(w->ident);
		e->seen_before = true;
		e->finished_before = false;
	} else if (!strcmp(name, "pass_start") && ps) {
		struct json_object *p;

		if (!json_object_object_get_ex(ev, "pattern", &p) ||
		    dsp_pattern_from_json(p, &ps->pat)) {
			w->err = DSP_INVALID;
			return 1;
		}
		num(ev, "offset", &off);
		/* a pass starts at 0 and goes on from a durable checkpoint of its own */
		if (off < 0 || (uint64_t)off > (ps->started ? ps->resume_off : 0)) {
			w->err = DSP_INVALID;
			return 1;
		}
		if (ps->started)
			close_session(ps);
		ps->started = true;
		ps->ended = false;
		ps->resume_off = ps->sess_start = (uint64_t)off;
		/* what was verified of an earlier write of the pass no longer counts */
		ps->verified = ps->vstarted = false;
		ps->voff = ps->vread = ps->vcompared = ps->vmism = 0;
		ps->vruns.n = ps->vunread.n = 0;
	} else if (!strcmp(name, "checkpoint") && ps) {
		if (num(ev, "offset", &off) && (off < 0 || (uint64_t)off > e->io->size)) {
			w->err = DSP_INVALID;
			return 1;
		}
		if ((uint64_t)off > ps->resume_off)
			ps->resume_off = (uint64_t)off;
	} else if (!strcmp(name, "io_error") && ps) {
		const char *phase = str(ev, "phase");

		if (phase && !strcmp(phase, "write") && num(ev, "offset", &off) &&
		    num(ev, "length", &len) && str(ev, "error"))
			ranges_add(&ps->bad, (uint64_t)off, (uint64_t)len);
	} else if (!strcmp(name, "pass_end") && ps) {
		ps->resume_off = e->io->size;
		close_session(ps);
		ps->ended = true;
	} else if (!strcmp(name, "verify_start") && ps) {
		const char *seed = str(ev, "seed");

		/* only a written pass is read back */
		if (!ps->ended) {
			w->err = DSP_INVALID;
			return 1;
		}
		ps->vstarted = true;
		if (seed)
			ps->vseed = strtoull(seed, NULL, 16);
		if (!num(ev, "offset", &off) || off == 0) {
			ps->voff = ps->vread = ps->vcompared = ps->vmism = 0;
			ps->vruns.n = ps->vunread.n = 0;
		}
	} else if (!strcmp(name, "verify_checkpoint") && ps && ps->vstarted) {
		struct json_object *a, *x;
		int64_t v;

		if (!num(ev, "offset", &off) || !num(ev, "bytes_read", &v)) {
			w->err = DSP_INVALID;
			return 1;
		}
		ps->voff = (uint64_t)off;
		ps->vread = (uint64_t)v;
		ps->vcompared = num(ev, "bytes_compared", &v) ? (uint64_t)v : 0;
		ps->vmism = num(ev, "mismatches", &v) ? (uint64_t)v : 0;
		ps->vruns.n = ps->vunread.n = 0;
		if (json_object_object_get_ex(ev, "mismatch_offsets", &a) &&
		    json_object_is_type(a, json_type_array))
			for (size_t k = 0; k < json_object_array_length(a); k++)
				ranges_add(&ps->vruns, (uint64_t)json_object_get_int64(
					json_object_array_get_idx(a, k)), 1);
		if (json_object_object_get_ex(ev, "unreadable", &a) &&
		    json_object_is_type(a, json_type_array))
			for (size_t k = 0; k < json_object_array_length(a); k++) {
				x = json_object_array_get_idx(a, k);
				if (num(x, "offset", &off) && num(x, "length", &len))
					ranges_add(&ps->vunread, (uint64_t)off, (uint64_t)len);
			}
	} else if (!strcmp(name, "verify_end") && ps) {
		int64_t mm = 0;
		struct json_object *c;

		ps->vstarted = false;
		if (json_object_object_get_ex(ev, "complete", &c) && json_object_get_boolean(c)) {
			ps->verified = true;
			num(ev, "mismatches", &mm);
			e->mismatches += (uint64_t)mm;
			if (num(ev, "bytes_compared", &len))
				e->verified_bytes += (uint64_t)len;
		}
	} else if (!strcmp(name, "target_end")) {
		const char *st = str(ev, "status");

		/* a failed target (I/O error, device gone) is retried from its checkpoint */
		e->finished_before = !st || (strcmp(st, "interrupted") && strcmp(st, "failed"));
	} else if (!strcmp(name, "file_removed")) {
		/* as dsp_erase_pending and the file layer see it: a removed file is done */
		e->finished_before = true;
	}
	return 0;
}

/*
 * A block device resumed must be the medium the record describes (the CLI
 * checks this before anything is written; this is the core's own guard).
 */
static int same_medium(struct eng *e, struct json_object *rec)
{
	struct dsp_blkdev_info info;
	struct json_object *now = NULL;
	char why[512];
	int r;

	if (e->io->kind != DSP_IO_BLOCK || !e->seen_before)
		return 0;
	/* the device held open, by its number (its path may name another by now) */
	if (dsp_device_info(NULL, e->io->rdev, &info) == 0)
		now = dsp_identity_block(&info);
	r = dsp_identity_compare(rec, now, why, sizeof(why));
	json_object_put(now);
	if (r == DSP_IDENTITY_NONE)
		dsp_log(DSP_LOG_ERROR, "%s: run record: nothing identifies the medium of "
			"target %s", e->io->path, e->id);
	else if (r)
		dsp_log(DSP_LOG_ERROR, "%s: run record: not the medium target %s started on "
			"(%s)", e->io->path, e->id, why);
	return r ? -ESTALE : 0;
}

int eng_load_record(struct eng *e)
{
	struct walk w = { .e = e };
	uint64_t bad = 0;
	int r = dsp_record_read_events(dsp_ledger_dir(e->o->ledger), visit, &w, &bad);

	if (r == 1)
		r = w.err;
	if (r) {
		json_object_put(w.ident);
		dsp_log(DSP_LOG_ERROR, "%s: run record: cannot resume target %s (line %llu)",
			e->io->path, e->id, (unsigned long long)bad);
		return r > 0 ? -EINVAL : r;
	}
	/* the exact bytes of names (a loop device's backing file), as the device has them now */
	if (w.ident && dsp_json_restore_bytes(w.ident) < 0) {
		json_object_put(w.ident);
		dsp_log(DSP_LOG_ERROR, "%s: run record: target %s: damaged identity", e->io->path, e->id);
		return -EINVAL;
	}
	r = same_medium(e, w.ident);
	json_object_put(w.ident);
	if (r)
		return r;
	for (unsigned i = 0; i < e->np; i++) {
		struct pass_state *ps = &e->ps[i];

		if (ps->started && !ps->ended) {
			size_t k = 0;

			/* what a killed session wrote past its last checkpoint is redone */
			close_session(ps);
			/* and errors there are tried again */
			for (size_t j = 0; j < ps->bad.n; j++) {
				struct range x = ps->bad.v[j];

				if (x.off >= ps->resume_off)
					continue;
				if (x.off + x.len > ps->resume_off)
					x.len = ps->resume_off - x.off;
				ps->bad.v[k++] = x;
			}
			ps->bad.n = k;
		}
	}
	return 0;
}

int dsp_erase_pending(const char *run_dir, const char *target_id,
		      char *path, size_t pathlen, char *method, size_t methodlen)
{
	const struct dsp_record_target *t;
	struct dsp_record *rec;
	int r = dsp_record_read(run_dir, &rec), state = 0;

	if (r)
		return r;
	/* a record damaged anywhere is not one to resume from */
	if (rec->chain || rec->torn) {
		dsp_record_free(rec);
		return -EINVAL;
	}
	if ((t = dsp_record_find(rec, target_id))) {
		bool file = t->kind && !strcmp(t->kind, "file");
		bool retry = t->status && (!strcmp(t->status, "interrupted") ||
					   !strcmp(t->status, "failed"));

		/* a file overwritten but not yet removed is still to finish */
		state = t->phase == DSP_RECORD_STARTED ? 1 :
			t->phase == DSP_RECORD_ENDED ? (retry || file) : 0;
		if (path && pathlen && t->path)
			snprintf(path, pathlen, "%s", t->path);
		if (method && methodlen && t->method)
			snprintf(method, methodlen, "%s", t->method);
	}
	dsp_record_free(rec);
	return state;
}

struct check_walk {
	const char *id;
	int64_t npasses, last_ended;
	struct dsp_pattern pat;		/* of the last pass started */
	int64_t pat_pass;
	struct ranges bad;		/* write errors of that pass */
	uint64_t size;
	int err;
};

static int visit_check(struct json_object *ev, void *arg)
{
	struct check_walk *w = arg;
	const char *name = str(ev, "event"), *t = str(ev, "target");
	int64_t pass = 0, v, len;

	if (!name || !t || strcmp(t, w->id))
		return 0;
	num(ev, "pass", &pass);
	if ((!strcmp(name, "target") || !strcmp(name, "target_resumed")) && num(ev, "size", &v)) {
		w->size = (uint64_t)v;
	} else if (!strcmp(name, "pass_start")) {
		struct json_object *p;

		if (!num(ev, "npasses", &w->npasses) || !json_object_object_get_ex(ev, "pattern", &p) ||
		    dsp_pattern_from_json(p, &w->pat)) {
			w->err = DSP_INVALID;
			return 1;
		}
		if (pass != w->pat_pass)
			w->bad.n = 0;
		w->pat_pass = pass;
	} else if (!strcmp(name, "io_error") && pass == w->pat_pass) {
		const char *ph = str(ev, "phase");

		if (ph && !strcmp(ph, "write") && num(ev, "offset", &v) && num(ev, "length", &len))
			ranges_add(&w->bad, (uint64_t)v, (uint64_t)len);
	} else if (!strcmp(name, "pass_end")) {
		w->last_ended = pass;
	}
	return 0;
}

int dsp_erase_check(struct dsp_io *io, const char *run_dir, const char *target_id,
		    double percent, struct dsp_erase_result *res)
{
	struct check_walk w = { .id = target_id };
	struct dsp_erase_opts o = { 0 };
	struct dsp_erase_result dummy;
	struct eng e = { 0 };
	int r;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!io || !run_dir || !target_id)
		return -EINVAL;
	r = dsp_record_read_events(run_dir, visit_check, &w, NULL);
	if (r == 1)
		r = w.err;
	if (r) {
		ranges_free(&w.bad);
		return r > 0 ? -EINVAL : r;
	}
	/* only a finished last pass says what the medium should hold */
	if (!w.npasses || w.last_ended != w.npasses || w.pat_pass != w.npasses) {
		ranges_free(&w.bad);
		return -ENOENT;
	}
	if (w.size != io->size) {
		dsp_log(DSP_LOG_ERROR, "%s: size %llu differs from the recorded %llu",
			io->path, (unsigned long long)io->size, (unsigned long long)w.size);
		ranges_free(&w.bad);
		return -ESTALE;
	}
	e.io = io;
	e.o = &o;
	e.id = target_id;
	e.res = res;
	e.np = 1;
	e.vmode = percent >= 100 ? DSP_VERIFY_LAST : DSP_VERIFY_SAMPLE;
	e.pct = percent > 0 ? percent : 10.0;
	e.bufsize = ERASE_DEFAULT_BUF;
	e.ps = calloc(1, sizeof(*e.ps));
	if (!e.ps) {
		ranges_free(&w.bad);
		return -ENOMEM;
	}
	e.ps[0].pat = w.pat;
	e.ps[0].bad = w.bad;
	r = eng_verify_pass(&e, 0);
	res->bytes_verified = e.verified_bytes;
	res->mismatches = e.mismatches;
	res->first_mismatch = e.first_mismatch;
	res->bad_bytes = ranges_bytes(&e.unreadable);
	res->bad_ranges = (unsigned)e.unreadable.n;
	if (r == 0)
		r = e.mismatches ? DSP_MISMATCH : e.unreadable.n ? DSP_PARTIAL : 0;
	ranges_free(&e.ps[0].bad);
	ranges_free(&e.ps[0].covered);
	ranges_free(&e.unreadable);
	for (int i = 0; i < ERASE_RING; i++)
		dsp_io_buf_free(e.pool[i]);
	cdig_free(&e.dig);
	free(e.ps);
	return r;
}
