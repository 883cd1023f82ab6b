/* SPDX-License-Identifier: MIT */
/* overwrite.c - the overwrite engine: passes, bad-sector isolation, checkpoints */
#include "erase_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dispose/device.h"
#include "dispose/json.h"
#include "dispose/log.h"

static int record_io_error(struct eng *e, unsigned pass, const char *phase,
			   uint64_t off, uint64_t len, int err)
{
	struct json_object *f = json_object_new_object();

	dsp_log(DSP_LOG_ERROR, "%s: %s error at offset %" PRIu64 " length %" PRIu64 ": %s",
		e->io->path, phase, off, len, strerror(-err));
	json_object_object_add(f, "pass", json_object_new_int((int)pass));
	json_object_object_add(f, "phase", json_object_new_string(phase));
	json_object_object_add(f, "offset", json_object_new_int64((int64_t)off));
	json_object_object_add(f, "length", json_object_new_int64((int64_t)len));
	json_object_object_add(f, "errno", json_object_new_int(-err));
	json_object_object_add(f, "error", json_object_new_string(strerror(-err)));
	return eng_event(e, "io_error", f, 1);
}

static int checkpoint(struct eng *e, unsigned i, uint64_t off)
{
	struct json_object *f;
	int r = dsp_io_flush(e->io);

	if (r < 0) {
		record_io_error(e, i + 1, "flush", 0, off, r);
		return r;
	}
	f = json_object_new_object();
	json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
	json_object_object_add(f, "offset", json_object_new_int64((int64_t)off));
	return eng_event(e, "checkpoint", f, 1);
}

/*
 * A chunk failed with EIO after done bytes: write the rest one logical
 * sector at a time, so only the sectors that really fail are lost.
 * Returns 0 (bad ranges recorded) or -errno for anything but EIO.
 */
/*
 * Checkpoints run in their own thread: fdatasync covers every write that
 * completed before it started, so the writer need not wait for it (a
 * synchronous flush every 256 MiB costs a third of the throughput on a
 * loop device). One checkpoint is in flight at a time.
 */
struct ckpt_worker {
	struct eng *e;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy, quit, have;
	unsigned pass;
	uint64_t off;
	int err;
};

static void *ckpt_main(void *arg)
{
	struct ckpt_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		unsigned pass;
		uint64_t off;
		int r;

		while (!w->have && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->have)
			break;
		pass = w->pass;
		off = w->off;
		pthread_mutex_unlock(&w->mu);
		r = checkpoint(w->e, pass, off);
		pthread_mutex_lock(&w->mu);
		if (r < 0 && !w->err)
			w->err = r;
		w->have = false;
		w->busy = false;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int ckpt_start(struct ckpt_worker *w, struct eng *e)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->e = e;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	r = dsp_thread_create(&w->th, ckpt_main, w);
	if (r) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		return -r;
	}
	return 0;
}

/* Post a checkpoint unless one is running: true when posted. */
static bool ckpt_post(struct ckpt_worker *w, unsigned pass, uint64_t off)
{
	bool posted = false;

	pthread_mutex_lock(&w->mu);
	if (!w->busy) {
		w->busy = w->have = true;
		w->pass = pass;
		w->off = off;
		posted = true;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return posted;
}

static int ckpt_error(struct ckpt_worker *w)
{
	int r;

	pthread_mutex_lock(&w->mu);
	r = w->err;
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* Wait for the checkpoint in flight, stop the thread; its error, if any. */
static int ckpt_stop(struct ckpt_worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	return w->err;
}

static int isolate_write(struct eng *e, unsigned i, const uint8_t *buf, size_t n,
			 uint64_t off, size_t done, uint64_t *bad)
{
	uint32_t sec = e->io->logical_sector ? e->io->logical_sector : 512;
	size_t pos = done - done % sec;
	uint64_t bad_off = 0, bad_len = 0;
	int r;

	*bad = 0;
	while (pos < n) {
		size_t len = n - pos < sec ? n - pos : sec;

		r = dsp_io_write(e->io, buf + pos, len, off + pos, NULL);
		if (r == -EIO) {
			if (bad_len && bad_off + bad_len == off + pos) {
				bad_len += len;
			} else {
				if (bad_len) {
					ranges_add(&e->ps[i].bad, bad_off, bad_len);
					record_io_error(e, i + 1, "write", bad_off, bad_len, -EIO);
				}
				bad_off = off + pos;
				bad_len = len;
			}
			*bad += len;
		} else if (r < 0) {
			return r;
		}
		pos += len;
	}
	if (bad_len) {
		ranges_add(&e->ps[i].bad, bad_off, bad_len);
		record_io_error(e, i + 1, "write", bad_off, bad_len, -EIO);
	}
	if (!*bad) {
		/* the retry went through: say so, it is not a bad range */
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
		json_object_object_add(f, "phase", json_object_new_string("write"));
		json_object_object_add(f, "offset", json_object_new_int64((int64_t)off));
		json_object_object_add(f, "length", json_object_new_int64((int64_t)n));
		json_object_object_add(f, "errno", json_object_new_int(EIO));
		json_object_object_add(f, "recovered", json_object_new_boolean(1));
		eng_event(e, "io_retry", f, 0);
	}
	return 0;
}

static int verify_needed(const struct eng *e, unsigned i);

static int fill_random(struct ring *r, unsigned slot, uint64_t off, size_t len)
{
	return dsp_pattern_fill(r->arg, off, r->slot[slot].buf, len);
}

/* Chunk size for a pattern pass: a whole number of periods and sectors. */
static size_t pattern_chunk(const struct eng *e, const struct dsp_pattern *p)
{
	size_t unit = (size_t)(e->io->align ? e->io->align : 512) * p->len;
	size_t c = e->bufsize - e->bufsize % unit;

	return c ? c : unit;
}

/*
 * Write pass i from start to the end. 0 done, DSP_INTERRUPTED (flushed
 * and checkpointed), or -errno (recorded).
 */
static int write_pass(struct eng *e, unsigned i, uint64_t start)
{
	struct pass_state *ps = &e->ps[i];
	const struct dsp_erase_opts *o = e->o;
	uint64_t size = e->io->size, off = start, since = 0;
	uint64_t ckpt_bytes = o->checkpoint_bytes ? o->checkpoint_bytes : ERASE_DEFAULT_CKPT;
	double ckpt_secs = o->checkpoint_secs ? o->checkpoint_secs : ERASE_DEFAULT_CKPT_S;
	double last_ckpt = eng_now();
	struct dsp_pattern_gen *g = NULL;
	struct ring ring = { 0 };
	struct ckpt_worker ck;
	struct range job = { start, size - start };
	struct cdig_worker *dw = NULL;
	bool random = ps->pat.kind == DSP_PASS_RANDOM;
	uint8_t *sbuf = NULL;
	uint64_t sphase = UINT64_MAX;
	size_t chunk;
	int r, ret = 0;

	r = dsp_pattern_gen_new(&ps->pat, &g);
	if (r < 0)
		return r;
	if (random) {
		chunk = e->bufsize;
		/*
		 * digests only help a verification of this pass, and only when
		 * regenerating the keystream is slower than hashing the chunk
		 */
		cdig_free(&e->dig);
		if (verify_needed(e, i) && e->vmode != DSP_VERIFY_SAMPLE && !dsp_pattern_fast(g) &&
		    cdig_begin(&e->dig, i, size, chunk) == 0 &&
		    !(dw = cdig_worker_start(&e->dig)))
			cdig_free(&e->dig);
		r = eng_pool(e);
		if (!r)
			r = ring_start(&ring, &job, 1, chunk, fill_random, g, e->pool);
	} else {
		chunk = pattern_chunk(e, &ps->pat);
		sbuf = dsp_io_buf_alloc(chunk);
		r = sbuf ? 0 : -ENOMEM;
	}
	if (r < 0 || (r = ckpt_start(&ck, e)) < 0) {
		if (random)
			ring_stop(&ring);
		cdig_worker_stop(dw);
		dsp_io_buf_free(sbuf);
		dsp_pattern_gen_free(g);
		return r;
	}
	eng_progress(e, "write", i + 1, 0, size - start, true);
	while (off < size) {
		const uint8_t *buf;
		struct ring_slot *s = NULL;
		size_t n, done = 0;
		uint64_t bad = 0;

		if (random) {
			s = ring_take(&ring);
			if (!s) {
				ret = -EIO;
				break;
			}
			if (s->err) {
				ret = s->err;
				dsp_log(DSP_LOG_ERROR, "%s: keystream generation failed", e->io->path);
				break;
			}
			buf = s->buf;
			n = s->len;
		} else {
			uint64_t ph = off % ps->pat.len;

			n = size - off < chunk ? (size_t)(size - off) : chunk;
			/* chunk is a multiple of the period: one fill serves the pass */
			if (ph != sphase) {
				dsp_pattern_fill(g, off, sbuf, chunk);
				sphase = ph;
			}
			buf = sbuf;
		}
		if (dw)
			cdig_worker_post(dw, off, buf, n);
		r = dsp_io_write(e->io, buf, n, off, &done);
		if (r == -EIO)
			r = isolate_write(e, i, buf, n, off, done, &bad);
		if (dw)
			cdig_worker_wait(dw);
		if (s)
			ring_release(&ring);
		if (r < 0) {
			record_io_error(e, i + 1, "write", off + done, n - done, r);
			ret = r;
			break;
		}
		ranges_add(&ps->covered, off, n);
		off += n;
		since += n;
		e->all_done += n;
		(void)bad;
		if (eng_progress(e, "write", i + 1, off - start, size - start, off == size) ||
		    eng_stopped(e)) {
			ret = DSP_INTERRUPTED;
			break;
		}
		r = ckpt_error(&ck);
		if (r < 0) {
			ret = r;
			break;
		}
		if (off < size && (since >= ckpt_bytes || eng_now() - last_ckpt >= ckpt_secs) &&
		    ckpt_post(&ck, i, off)) {
			since = 0;
			last_ckpt = eng_now();
		}
	}
	r = ckpt_stop(&ck);
	if (r < 0 && !ret)
		ret = r;
	if (random)
		ring_stop(&ring);
	cdig_worker_stop(dw);
	dsp_io_buf_free(sbuf);
	dsp_pattern_gen_free(g);
	if (ret == DSP_INTERRUPTED) {
		r = checkpoint(e, i, off);
		return r < 0 ? r : DSP_INTERRUPTED;
	}
	if (ret) {
		/* best effort, so a resume after the cause is fixed starts here */
		if (off > start)
			checkpoint(e, i, off);
		return ret;
	}
	/* durability of the whole pass before it is called done */
	r = dsp_io_flush(e->io);
	if (r < 0) {
		record_io_error(e, i + 1, "flush", 0, size, r);
		return r;
	}
	return 0;
}

/* The #13 fields of an overwrite's target and target_end: its technique and the category asked for. */
static void technique_fields(const struct eng *e, struct json_object *f)
{
	enum dsp_category c = e->o->requested != DSP_CAT_NONE ? e->o->requested :
			      e->o->method->category;

	json_object_object_add(f, "technique", json_object_new_string("overwrite"));
	json_object_object_add(f, "category_requested", json_object_new_string(dsp_category_name(c)));
}

static struct json_object *target_fields(struct eng *e)
{
	struct json_object *id = json_object_new_object();
	struct dsp_io *io = e->io;
	const char *kind = e->fi ? e->fi->kind :
		io->kind == DSP_IO_BLOCK ? "block" : io->kind == DSP_IO_MEM ? "memory" : "file";
	/* identity follows below, in place of the builder's null */
	struct json_object *f = dsp_record_target_start(io->path, kind, NULL);

	json_object_object_add(f, "size", json_object_new_int64((int64_t)io->size));
	if (e->fi) {
		json_object_object_add(id, "dev", json_object_new_int64((int64_t)e->fi->dev));
		json_object_object_add(id, "ino", json_object_new_int64((int64_t)e->fi->ino));
		json_object_object_add(id, "nlink", json_object_new_int64((int64_t)e->fi->nlink));
		json_object_object_add(id, "fstype", json_object_new_string(e->fi->fstype));
		if (e->fi->parent)
			json_object_object_add(f, "parent", json_object_new_string(e->fi->parent));
	}
	eng_target_identity(id, e->fi ? NULL : io, io->kind == DSP_IO_BLOCK, e->rotational, e->dev,
			    e->o->identity);
	json_object_object_add(f, "identity", id);
	if (e->o->hidden)	/* an ATA drive's HPA/DCO, as probed (and restored) */
		json_object_object_add(f, "hidden", json_object_get(e->o->hidden));
	json_object_object_add(f, "method", dsp_method_to_json(e->o->method));
	technique_fields(e, f);
	if (e->o->auto_reason)
		json_object_object_add(f, "auto_reason", json_object_new_string(e->o->auto_reason));
	json_object_object_add(f, "verify", json_object_new_string(erase_verify_name(e->vmode)));
	if (e->vmode == DSP_VERIFY_SAMPLE)
		json_object_object_add(f, "sample_percent", dsp_json_new_decimal(e->pct));
	json_object_object_add(f, "readmode", json_object_new_string(dsp_io_readmode_name(io->readmode)));
	json_object_object_add(f, "direct_writes", json_object_new_boolean(io->direct));
	json_object_object_add(f, "bufsize", json_object_new_int64((int64_t)e->bufsize));
	return f;
}

static int pass_start(struct eng *e, unsigned i, uint64_t off, bool resumed)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
	json_object_object_add(f, "npasses", json_object_new_int((int)e->np));
	json_object_object_add(f, "label", json_object_new_string(e->o->method->passes[i].label));
	json_object_object_add(f, "pattern", dsp_pattern_to_json(&e->ps[i].pat));
	json_object_object_add(f, "offset", json_object_new_int64((int64_t)off));
	if (resumed)
		json_object_object_add(f, "resumed", json_object_new_boolean(1));
	/* durable with the next checkpoint: a pass with no record is simply redone */
	return eng_event(e, "pass_start", f, 0);
}

/* Did pass i cover every byte (bad ranges included)? An empty file trivially. */
static bool pass_covers_all(struct eng *e, unsigned i)
{
	struct pass_state *ps = &e->ps[i];

	ranges_normalize(&ps->covered);
	return e->io->size == 0 ||
	       (ps->covered.n == 1 && ps->covered.v[0].off == 0 &&
		ps->covered.v[0].len == e->io->size);
}

static int pass_end(struct eng *e, unsigned i)
{
	struct pass_state *ps = &e->ps[i];
	struct json_object *f = json_object_new_object();
	uint64_t bad, cov;

	ranges_normalize(&ps->covered);
	ranges_normalize(&ps->bad);
	bad = ranges_bytes(&ps->bad);
	cov = ranges_bytes(&ps->covered);
	json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
	json_object_object_add(f, "bytes_written", json_object_new_int64((int64_t)(cov - bad)));
	json_object_object_add(f, "bad_bytes", json_object_new_int64((int64_t)bad));
	json_object_object_add(f, "covered", ranges_json(&ps->covered, true));
	json_object_object_add(f, "complete", json_object_new_boolean(pass_covers_all(e, i)));
	if (bad)
		json_object_object_add(f, "bad_ranges", ranges_json(&ps->bad, false));
	ps->ended = true;
	return eng_event(e, "pass_end", f, 0);
}

/*
 * Has the block device changed size since it was opened (losetup -c after
 * the image grew, a resized LUN)? Grown, bytes past the size written never
 * were; shrunk, the passes wrote a medium that is not the one now there.
 */
static bool size_changed(struct eng *e)
{
	uint64_t now;

	if (e->io->kind != DSP_IO_BLOCK || dsp_blkdev_size_now(e->io->rdev, &now) < 0 ||
	    now == e->io->size)
		return false;
	e->size_now = now;
	return true;
}

/* Every pass's bad ranges and the unreadable ones, as one set; counted in the result. */
static void bad_union(struct eng *e, struct ranges *all)
{
	for (unsigned i = 0; i < e->np; i++)
		for (size_t k = 0; k < e->ps[i].bad.n; k++)
			ranges_add(all, e->ps[i].bad.v[k].off, e->ps[i].bad.v[k].len);
	for (size_t k = 0; k < e->unreadable.n; k++)
		ranges_add(all, e->unreadable.v[k].off, e->unreadable.v[k].len);
	ranges_normalize(all);
	e->res->bad_ranges = (unsigned)all->n;
	e->res->bad_bytes = ranges_bytes(all);
}

/*
 * The target's end in the record. A file whose old data may remain on the
 * medium (the extent check, a copy-on-write filesystem) did not get what
 * was asked: *st becomes DSP_PARTIAL (completed-with-errors, exit 1).
 */
static int target_end(struct eng *e, int *st)
{
	struct json_object *f, *cav, *keep;
	struct ranges all = { 0 };
	const char *cat, *why;
	char vtext[320];
	bool remain = false;
	int r;

	bad_union(e, &all);
	f = json_object_new_object();
	cav = erase_caveats(e, &remain);
	if (e->fi && *st != DSP_INTERRUPTED && *st >= 0 &&
	    erase_extmap_check(e->fi, e->seen_before, f, cav))
		remain = true;
	if (remain && *st >= 0 && *st != DSP_INTERRUPTED) {
		/* the verdict line says it; a tree's files would repeat it */
		dsp_log(DSP_LOG_INFO, "%s: the old data may remain on the medium (see the caveats "
			"in the run record)", e->io->path);
		if (*st == 0)
			*st = DSP_PARTIAL;
	}
	cat = erase_category(e, *st, &why);
	if (why && strcmp(cat, "clear") && !e->fi && e->io->kind == DSP_IO_BLOCK && !e->partition)
		json_object_array_add(cav, json_object_new_string(
			"no NIST category: not every byte was written and verified clean"));
	erase_verification_text(e, vtext, sizeof(vtext));
	{
		struct json_object *base = dsp_record_target_end(dsp_record_status(*st), *st, NULL,
								 e->res->bytes_written,
								 e->res->bytes_verified);

		/* the extent fields first, then the end's own: keep the record's order */
		json_object_object_foreach(f, k, v)
			json_object_object_add(base, k, json_object_get(v));
		json_object_put(f);
		f = base;
	}
	json_object_object_add(f, "bad_ranges", ranges_json(&all, false));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)e->res->mismatches));
	if (e->res->mismatches)
		json_object_object_add(f, "first_mismatch",
				       json_object_new_int64((int64_t)e->res->first_mismatch));
	technique_fields(e, f);
	json_object_object_add(f, "nist_category", json_object_new_string(cat));
	if (why)
		json_object_object_add(f, "category_reason", json_object_new_string(why));
	json_object_object_add(f, "verification", json_object_new_string(vtext));
	if (e->size_now)
		json_object_object_add(f, "size_now", json_object_new_int64((int64_t)e->size_now));
	json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(remain));
	if (e->o->hidden)
		json_object_object_add(f, "hidden", json_object_get(e->o->hidden));
	json_object_object_add(f, "caveats", cav);
	ranges_free(&all);
	keep = json_object_get(f);
	r = eng_event(e, "target_end", f, 1);
	erase_keep_end(e->o, keep, r);
	return r;
}

/*
 * A block device's facts: the caller's (read at the check), else the device
 * module's, by device number, once. NULL for other targets or when unknown.
 */
static const struct dsp_blkdev_info *device_facts(const struct dsp_io *io,
						  const struct dsp_erase_opts *o,
						  struct dsp_blkdev_info *buf)
{
	if (io->kind != DSP_IO_BLOCK)
		return NULL;
	if (o->device)
		return o->device;
	return dsp_device_info(NULL, io->rdev, buf) == 0 ? buf : NULL;
}

/* Resolve (or take from the record) every pattern up to pass i. */
static int resolve_pass(struct eng *e, unsigned i)
{
	if (e->ps[i].started)
		return 0;
	return dsp_pattern_resolve(e->o->method, i, i ? &e->ps[i - 1].pat : NULL,
				   &e->ps[i].pat);
}

static int verify_needed(const struct eng *e, unsigned i)
{
	if (e->ps[i].verified || e->vmode == DSP_VERIFY_NONE)
		return 0;
	if (e->vmode == DSP_VERIFY_ALL)
		return 1;
	return i == e->np - 1;
}

/* The outcome of passes run for another technique (erase_run_sub): no target_end of their own. */
static int sub_end(struct eng *e, int st, struct erase_sub *sub)
{
	struct ranges all = { 0 };
	bool remain;

	bad_union(e, &all);
	sub->bad_ranges = ranges_json(&all, false);
	ranges_free(&all);
	sub->caveats = erase_caveats(e, &remain);
	sub->category = erase_category(e, st, &sub->why);
	erase_verification_text(e, sub->verification, sizeof(sub->verification));
	sub->size_now = e->size_now;
	return sub->bad_ranges && sub->caveats ? 0 : -ENOMEM;
}

static int run_passes(struct dsp_io *io, const struct dsp_erase_opts *o,
		      struct dsp_erase_result *res, const struct erase_file_info *fi,
		      struct erase_sub *sub)
{
	struct dsp_erase_result dummy;
	struct eng e = { 0 };
	struct dsp_blkdev_info devbuf;
	struct dsp_erase_opts ho;
	struct json_object *hidden = NULL;
	unsigned i;
	int r, st = 0;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!io || !o || !o->method || !o->ledger || !o->target_id || !o->method->npasses)
		return -EINVAL;
	e.io = io;
	e.o = o;
	e.id = o->target_id;
	e.fi = fi;
	e.res = res;
	e.np = o->method->npasses;
	e.vmode = o->verify;
	e.pct = o->sample_percent > 0 ? o->sample_percent :
		o->method->sample_percent > 0 ? o->method->sample_percent : 10.0;
	if (e.pct > 100)
		e.pct = 100;
	e.bufsize = o->bufsize ? o->bufsize : ERASE_DEFAULT_BUF;
	{
		size_t a = io->align > 4096 ? io->align : 4096;

		e.bufsize = (e.bufsize + a - 1) / a * a;
	}
	e.dev = device_facts(io, o, &devbuf);
	e.rotational = e.dev ? e.dev->rotational : -1;
	e.partition = e.dev && e.dev->is_partition;
	e.ps = calloc(e.np, sizeof(*e.ps));
	if (!e.ps)
		return -ENOMEM;
	/* an ATA drive's HPA/DCO, known (restored, when asked) before anything is written */
	if (!sub && !fi && !e.partition && io->kind == DSP_IO_BLOCK) {
		r = erase_hidden_prepare(io, o, &hidden);
		if (r < 0) {
			st = r;
			goto out;
		}
		if (hidden) {
			ho = *o;
			ho.hidden = hidden;
			e.o = &ho;
		}
	}
	if (o->resume) {
		r = eng_load_record(&e);
		if (r < 0) {
			st = r;
			goto out;
		}
		if (e.finished_before) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: target %s already finished",
				io->path, e.id);
			st = -EALREADY;
			goto out;
		}
	}

	/* progress totals */
	for (i = 0; i < e.np; i++)
		if (!e.ps[i].ended)
			e.all_total += io->size - e.ps[i].resume_off;
	e.all_total += eng_verify_estimate(&e);

	if (!sub) {	/* another technique wrote the target's start */
		struct json_object *f = target_fields(&e);

		if (e.seen_before)
			json_object_object_add(f, "resumed", json_object_new_boolean(1));
		r = eng_event(&e, e.seen_before ? "target_resumed" : "target", f, 0);
		if (r < 0) {
			st = r;
			goto out;
		}
	}
	/* files of a tree: the tree's own audit line speaks for them */
	if (!fi || !fi->parent)
		dsp_audit(DSP_AUDIT_NOTICE, "%s: %s overwrite with method %s (%u pass%s, verify %s), "
			  "target %s", io->path, e.seen_before ? "resuming" : "starting",
			  o->method->name, e.np, e.np == 1 ? "" : "es", erase_verify_name(e.vmode), e.id);

	for (i = 0; i < e.np; i++) {
		struct pass_state *ps = &e.ps[i];

		if (!ps->ended) {
			bool resumed = ps->started;

			r = resolve_pass(&e, i);
			if (r < 0) {
				dsp_log(DSP_LOG_ERROR, "%s: pass %u: cannot resolve pattern: %s",
					io->path, i + 1, strerror(-r));
				st = r;
				goto end;
			}
			ps->started = true;
			r = pass_start(&e, i, ps->resume_off, resumed);
			if (r < 0) {
				st = r;
				goto end;
			}
			r = write_pass(&e, i, ps->resume_off);
			if (r) {
				st = r;
				goto end;
			}
			r = pass_end(&e, i);
			if (r < 0) {
				st = r;
				goto end;
			}
		}
		if (verify_needed(&e, i)) {
			/* ALL: only the pass just written can still be read back */
			if (e.vmode == DSP_VERIFY_ALL && i + 1 < e.np && e.ps[i + 1].started)
				continue;
			r = eng_verify_pass(&e, i);
			if (r < 0 || r == DSP_INTERRUPTED) {
				st = r;
				goto end;
			}
		}
	}
	if (e.mismatches)
		st = DSP_MISMATCH;
	else if (e.unreadable.n)
		st = DSP_PARTIAL;
	for (i = 0; i < e.np; i++)
		if (e.ps[i].bad.n)
			st = st ? st : DSP_PARTIAL;
	/* whatever a resumed record claimed: success only if every pass covered every byte */
	for (i = 0; i < e.np; i++)
		if (!pass_covers_all(&e, i)) {
			dsp_log(DSP_LOG_ERROR, "%s: pass %u did not cover the whole target",
				io->path, i + 1);
			st = st ? st : DSP_PARTIAL;
		}
	if (size_changed(&e)) {
		dsp_log(DSP_LOG_ERROR, "%s: size changed during the erase (%" PRIu64 " bytes when "
			"opened, %" PRIu64 " now): only the size when opened was erased", io->path,
			io->size, e.size_now);
		st = st ? st : DSP_PARTIAL;
	}
end:
	/* every session's ranges, from the record and from this run */
	res->bytes_written = 0;
	for (i = 0; i < e.np; i++) {
		ranges_normalize(&e.ps[i].covered);
		ranges_normalize(&e.ps[i].bad);
		res->bytes_written += ranges_bytes(&e.ps[i].covered) - ranges_bytes(&e.ps[i].bad);
	}
	res->mismatches = e.mismatches;
	res->first_mismatch = e.first_mismatch;
	res->bytes_verified = e.verified_bytes;
	r = sub ? sub_end(&e, st, sub) : target_end(&e, &st);
	if (r < 0 && st >= 0 && st != DSP_INTERRUPTED)
		st = r;
	if (st == DSP_INTERRUPTED)
		dsp_log(DSP_LOG_WARN, "%s: interrupted; resumable from the run record", io->path);
	else	/* the session's audit line gives the target's end, with its reason */
		dsp_log(DSP_LOG_INFO, "%s: overwrite %s (target %s)", io->path, dsp_record_status(st), e.id);
out:
	for (i = 0; i < e.np; i++) {
		ranges_free(&e.ps[i].covered);
		ranges_free(&e.ps[i].bad);
		ranges_free(&e.ps[i].vruns);
		ranges_free(&e.ps[i].vunread);
		OPENSSL_cleanse(&e.ps[i].pat, sizeof(e.ps[i].pat));
	}
	ranges_free(&e.unreadable);
	/* keystream and read-back bytes are on the target anyway: not secret */
	for (i = 0; i < ERASE_RING; i++)
		dsp_io_buf_free(e.pool[i]);
	cdig_free(&e.dig);
	free(e.ps);
	json_object_put(hidden);
	return st;
}

int erase_run(struct dsp_io *io, const struct dsp_erase_opts *opts,
	      struct dsp_erase_result *res, const struct erase_file_info *fi)
{
	return run_passes(io, opts, res, fi, NULL);
}

int erase_run_sub(struct dsp_io *io, const struct dsp_erase_opts *opts,
		  struct dsp_erase_result *res, struct erase_sub *sub)
{
	memset(sub, 0, sizeof(*sub));
	return run_passes(io, opts, res, NULL, sub);
}

int dsp_erase_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
		 struct dsp_erase_result *res)
{
	return erase_run(io, opts, res, NULL);
}
