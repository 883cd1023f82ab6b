/* SPDX-License-Identifier: MIT */
/* resume.c - rebuild an interrupted target's state from the run record */
#include "erase_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dispose/log.h"

static const char *str(struct json_object *ev, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(ev, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool num(struct json_object *ev, const char *k, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(ev, k, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

struct walk {
	struct eng *e;
	int err;
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
	}
	if (!strcmp(name, "target") || !strcmp(name, "target_resumed")) {
		int64_t size;

		if (num(ev, "size", &size) && (uint64_t)size != e->io->size) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: target %s had size %lld, now %llu",
				e->io->path, e->id, (long long)size, (unsigned long long)e->io->size);
			w->err = -ESTALE;
			return 1;
		}
		e->seen_before = true;
		e->finished_before = false;
	} else if (!strcmp(name, "pass_start") && ps) {
		struct json_object *p;

		if (!json_object_object_get_ex(ev, "pattern", &p) ||
		    dsp_pattern_from_json(p, &ps->pat)) {
			w->err = DSP_INVALID;
			return 1;
		}
		if (ps->started)
			close_session(ps);
		num(ev, "offset", &off);
		ps->started = true;
		ps->ended = false;
		ps->resume_off = ps->sess_start = (uint64_t)off;
	} else if (!strcmp(name, "checkpoint") && ps) {
		if (num(ev, "offset", &off) && (uint64_t)off > ps->resume_off)
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
	} else if (!strcmp(name, "verify_end") && ps) {
		int64_t mm = 0;
		struct json_object *c;

		if (json_object_object_get_ex(ev, "complete", &c) && json_object_get_boolean(c)) {
			ps->verified = true;
			num(ev, "mismatches", &mm);
			e->mismatches += (uint64_t)mm;
			if (num(ev, "bytes_compared", &len))
				e->verified_bytes += (uint64_t)len;
		}
	} else if (!strcmp(name, "target_end")) {
		const char *st = str(ev, "status");

		e->finished_before = !st || strcmp(st, "interrupted");
	}
	return 0;
}

int eng_load_record(struct eng *e)
{
	struct walk w = { .e = e };
	uint64_t bad = 0;
	int r = dsp_ledger_walk(dsp_ledger_dir(e->o->ledger), visit, &w, &bad);

	if (r == 1)
		r = w.err;
	if (r) {
		dsp_log(DSP_LOG_ERROR, "%s: run record: cannot resume target %s (line %llu)",
			e->io->path, e->id, (unsigned long long)bad);
		return r > 0 ? -EINVAL : r;
	}
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

struct pending {
	const char *id;
	int state;	/* 0 none, 1 open, 2 finished, 3 file overwritten, not removed */
	bool file;
	char *path, *method;
	size_t pathlen, methodlen;
};

static int visit_pending(struct json_object *ev, void *arg)
{
	struct pending *p = arg;
	const char *name = str(ev, "event"), *t = str(ev, "target");

	if (!name || !t || strcmp(t, p->id))
		return 0;
	if (!strcmp(name, "target")) {
		struct json_object *m, *n;
		const char *path = str(ev, "path");

		p->state = 1;
		p->file = (n = json_object_object_get(ev, "kind")) &&
			  !strcmp(json_object_get_string(n), "file");
		if (path && p->path)
			snprintf(p->path, p->pathlen, "%s", path);
		if (p->method && json_object_object_get_ex(ev, "method", &m) &&
		    json_object_object_get_ex(m, "name", &n))
			snprintf(p->method, p->methodlen, "%s", json_object_get_string(n));
	} else if (!strcmp(name, "target_resumed")) {
		p->state = 1;
	} else if (!strcmp(name, "target_end")) {
		const char *st = str(ev, "status");

		p->state = st && !strcmp(st, "interrupted") ? 1 : p->file ? 3 : 2;
	} else if (!strcmp(name, "file_removed")) {
		p->state = 2;
	}
	return 0;
}

int dsp_erase_pending(const char *run_dir, const char *target_id,
		      char *path, size_t pathlen, char *method, size_t methodlen)
{
	struct pending p = { .id = target_id, .path = path, .method = method,
			     .pathlen = pathlen, .methodlen = methodlen };
	int r = dsp_ledger_walk(run_dir, visit_pending, &p, NULL);

	if (r)
		return r > 0 ? -EINVAL : r;
	return p.state == 1 || p.state == 3;
}
