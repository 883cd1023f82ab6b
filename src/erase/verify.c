/* SPDX-License-Identifier: MIT */
/* verify.c - read a pass back from the medium and compare: full or sampled */
#include "erase_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "dispose/json.h"
#include "dispose/log.h"

#define SAMPLE_STRATA	1000
#define VERIFY_PIECE	(64u << 10)	/* expected bytes, generated to stay in cache */
#define SAMPLE_ENDS	(1u << 20)	/* first and last MiB are always read */

/* splitmix64: tiny, public, replayable by an auditor from the recorded seed */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * NIST SP 800-88r1 representative sample: the device cut into `strata`
 * near-equal sector-aligned strata (1000, or one per sector when smaller),
 * two non-overlapping pseudorandom extents in each, each at least pct/2 %
 * of its stratum, plus the first and last MiB. Extents come out sorted
 * and merged.
 */
int erase_sample_extents(uint64_t size, uint32_t sector, double pct, uint64_t seed,
			 struct ranges *out, uint64_t *strata, uint64_t *ends)
{
	uint64_t nsec = size / sector, s = 0, state = seed;
	uint64_t end = size < SAMPLE_ENDS ? size : SAMPLE_ENDS;

	out->n = 0;
	*strata = nsec < SAMPLE_STRATA ? nsec : SAMPLE_STRATA;
	*ends = end;
	if (ranges_add(out, 0, end) < 0)
		return -ENOMEM;
	for (s = 0; s < *strata; s++) {
		/* [a, b) in sectors; sizes differ by at most one sector */
		uint64_t a = s * nsec / *strata, b = (s + 1) * nsec / *strata;
		uint64_t m = b - a;
		uint64_t ext = (uint64_t)((double)m * pct / 200.0);

		if ((double)ext * 200.0 < (double)m * pct)
			ext++;
		if (!ext)
			ext = 1;
		if (2 * ext >= m) {
			if (ranges_add(out, a * sector, m * sector) < 0)
				return -ENOMEM;
			continue;
		}
		{
			/* two sorted starts in [0, m-2ext]; the second shifted by ext */
			uint64_t span = m - 2 * ext + 1;
			uint64_t x = splitmix64(&state) % span, y = splitmix64(&state) % span;

			if (x > y) {
				uint64_t t = x;

				x = y;
				y = t;
			}
			if (ranges_add(out, (a + x) * sector, ext * sector) < 0 ||
			    ranges_add(out, (a + y + ext) * sector, ext * sector) < 0)
				return -ENOMEM;
		}
	}
	if (ranges_add(out, size - end, end) < 0)
		return -ENOMEM;
	ranges_normalize(out);
	return 0;
}

uint64_t eng_verify_estimate(const struct eng *e)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < e->np; i++) {
		if (e->ps[i].verified || e->vmode == DSP_VERIFY_NONE)
			continue;
		if (e->vmode != DSP_VERIFY_ALL && i != e->np - 1)
			continue;
		if (e->vmode == DSP_VERIFY_SAMPLE)
			t += (uint64_t)((double)e->io->size * e->pct / 100.0) + 2 * SAMPLE_ENDS;
		else
			t += e->io->size;
	}
	return t;
}

/* Reader thread: read a chunk; on EIO find the unreadable sectors. */
static int fill_read(struct ring *r, unsigned slot, uint64_t off, size_t len)
{
	struct eng *e = r->arg;
	struct ring_slot *s = &r->slot[slot];
	uint32_t sec = e->io->logical_sector ? e->io->logical_sector : 512;
	size_t done = 0, pos;
	int rc = dsp_io_read(e->io, s->buf, len, off, &done);

	if (rc != -EIO)
		return rc;
	for (pos = done - done % sec; pos < len; pos += sec) {
		size_t n = len - pos < sec ? len - pos : sec;

		rc = dsp_io_read(e->io, s->buf + pos, n, off + pos, NULL);
		if (rc == -EIO) {
			memset(s->buf + pos, 0, n);
			if (ranges_add(&s->bad, off + pos, n) < 0)
				return -ENOMEM;
		} else if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

struct vstate {
	struct eng *e;
	struct pass_state *ps;
	struct dsp_pattern_gen *g;
	unsigned pass;
	uint64_t by_digest;	/* bytes proven equal by chunk digest */
	uint64_t mismatches, skipped;
	struct ranges runs;	/* first mismatching runs, for the record */
	uint8_t tmp[VERIFY_PIECE];
};

static bool skip_byte(const struct vstate *v, const struct ring_slot *s, uint64_t o)
{
	return ranges_hit(&v->ps->bad, o) || ranges_hit(&s->bad, o);
}

static void mismatch_at(struct vstate *v, uint64_t o)
{
	if (!v->mismatches && !v->e->mismatches)
		v->e->first_mismatch = o;
	v->mismatches++;
	if (v->runs.n < ERASE_MAX_MISMATCH_LOG ||
	    (v->runs.n && v->runs.v[v->runs.n - 1].off + v->runs.v[v->runs.n - 1].len == o))
		ranges_add(&v->runs, o, 1);
}

/* Byte scan of a piece that differs: expected bytes in exp. */
static void scan(struct vstate *v, const struct ring_slot *s, const uint8_t *buf,
		 const uint8_t *exp, uint64_t off, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (buf[k] != exp[k] && !skip_byte(v, s, off + k))
			mismatch_at(v, off + k);
}

static uint64_t overlap(const struct ranges *r, uint64_t off, uint64_t len)
{
	uint64_t t = 0;

	for (size_t i = 0; i < r->n; i++) {
		uint64_t a = r->v[i].off > off ? r->v[i].off : off;
		uint64_t b1 = r->v[i].off + r->v[i].len, b2 = off + len;
		uint64_t b = b1 < b2 ? b1 : b2;

		if (b > a)
			t += b - a;
	}
	return t;
}

/*
 * Compare one chunk. Patterns: the chunk is periodic and its first period
 * is right. Keystream: generated in cache-sized pieces and compared, so
 * memory is read once. Byte scans only where something differs.
 */
static int compare(struct vstate *v, struct ring_slot *s)
{
	const struct dsp_pattern *p = &v->ps->pat;
	const uint8_t *buf = s->buf;
	size_t n = s->len;
	int r;

	/* unreadable or unwritten bytes inside: only the byte compare skips them */
	if (p->kind == DSP_PASS_RANDOM && !s->bad.n && !overlap(&v->ps->bad, s->off, n) &&
	    cdig_check(&v->e->dig, v->pass, s->off, buf, n) == 1) {
		v->by_digest += n;
		return 0;
	}

	if (p->kind == DSP_PASS_PATTERN) {
		uint8_t first[DSP_PATTERN_MAX];
		size_t l = n < p->len ? n : p->len;

		dsp_pattern_fill(v->g, s->off, first, l);
		if (!memcmp(buf, first, l) && (n <= p->len || !memcmp(buf, buf + p->len, n - p->len)))
			return 0;
	} else if (dsp_pattern_fast(v->g)) {
		/* the keystream regenerated in registers against the chunk: memory read once */
		r = dsp_pattern_equal(v->g, s->off, buf, n);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	for (size_t k = 0; k < n; k += VERIFY_PIECE) {
		size_t m = n - k < VERIFY_PIECE ? n - k : VERIFY_PIECE;

		r = dsp_pattern_fill(v->g, s->off + k, v->tmp, m);
		if (r < 0)
			return r;
		if (memcmp(buf + k, v->tmp, m))
			scan(v, s, buf + k, v->tmp, s->off + k, m);
	}
	return 0;
}


/* Not synced: verifying writes nothing, so a lost checkpoint only redoes reads. */
static void verify_checkpoint(struct eng *e, const struct vstate *v, unsigned i, uint64_t off,
			      uint64_t bytes_read, uint64_t compared, const struct ranges *unread)
{
	struct json_object *f = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
	json_object_object_add(f, "offset", json_object_new_int64((int64_t)off));
	json_object_object_add(f, "bytes_read", json_object_new_int64((int64_t)bytes_read));
	json_object_object_add(f, "bytes_compared", json_object_new_int64((int64_t)compared));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)v->mismatches));
	for (size_t k = 0; k < v->runs.n && k < ERASE_MAX_MISMATCH_LOG; k++)
		json_object_array_add(a, json_object_new_int64((int64_t)v->runs.v[k].off));
	json_object_object_add(f, "mismatch_offsets", a);
	json_object_object_add(f, "unreadable", ranges_json(unread, false));
	eng_event(e, "verify_checkpoint", f, 0);
}

int eng_verify_pass(struct eng *e, unsigned i)
{
	struct vstate *v = calloc(1, sizeof(*v));
	struct ranges ext = { 0 }, unread = { 0 };
	struct json_object *f;
	struct ring ring = { 0 };
	struct pass_state *ps = &e->ps[i];
	uint64_t seed = 0, strata = 0, ends = 0, planned, bytes_read = 0, compared = 0;
	uint64_t start = 0, since = 0;
	uint64_t ckpt_bytes = e->o->checkpoint_bytes ? e->o->checkpoint_bytes : ERASE_DEFAULT_CKPT;
	double ckpt_secs = e->o->checkpoint_secs ? e->o->checkpoint_secs : ERASE_DEFAULT_CKPT_S;
	double last_ckpt = eng_now();
	bool resumed = ps->vstarted && ps->voff > 0;
	const char *mode = erase_verify_name(e->vmode);
	int r, ret = 0;

	if (!v)
		return -ENOMEM;
	v->e = e;
	v->ps = ps;
	v->pass = i;
	if (resumed) {
		/* a killed or stopped verification goes on from its checkpoint */
		start = ps->voff;
		seed = ps->vseed;
		bytes_read = ps->vread;
		compared = ps->vcompared;
		v->mismatches = ps->vmism;
		for (size_t k = 0; k < ps->vruns.n; k++)
			ranges_add(&v->runs, ps->vruns.v[k].off, ps->vruns.v[k].len);
		for (size_t k = 0; k < ps->vunread.n; k++)
			ranges_add(&unread, ps->vunread.v[k].off, ps->vunread.v[k].len);
		if (v->mismatches && !e->mismatches && v->runs.n)
			e->first_mismatch = v->runs.v[0].off;
	} else if (e->vmode == DSP_VERIFY_SAMPLE &&
		   RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1) {
		free(v);
		return -EIO;
	}
	if (e->vmode == DSP_VERIFY_SAMPLE) {
		e->vsampled = true;	/* the verdict names the seed */
		e->vseed = seed;
		r = erase_sample_extents(e->io->size, e->io->logical_sector ? e->io->logical_sector : 512,
					 e->pct, seed, &ext, &strata, &ends);
	} else
		r = ranges_add(&ext, 0, e->io->size);
	if (r < 0)
		goto out_free;
	planned = ranges_bytes(&ext);
	if (start) {
		size_t k = 0;

		for (size_t j = 0; j < ext.n; j++) {
			struct range x = ext.v[j];

			if (x.off + x.len <= start)
				continue;
			if (x.off < start) {
				x.len -= start - x.off;
				x.off = start;
			}
			ext.v[k++] = x;
		}
		ext.n = k;
	}

	f = json_object_new_object();
	json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
	json_object_object_add(f, "mode", json_object_new_string(mode));
	json_object_object_add(f, "readmode", json_object_new_string(dsp_io_readmode_name(e->io->readmode)));
	json_object_object_add(f, "bytes", json_object_new_int64((int64_t)planned));
	json_object_object_add(f, "offset", json_object_new_int64((int64_t)start));
	if (resumed)
		json_object_object_add(f, "resumed", json_object_new_boolean(1));
	if (ps->pat.kind == DSP_PASS_RANDOM)
		json_object_object_add(f, "compare", json_object_new_string(
			cdig_has(&e->dig, i) ? "chunk-digest+stream" : "stream"));
	if (e->vmode == DSP_VERIFY_SAMPLE) {
		char hex[17];

		snprintf(hex, sizeof(hex), "%016" PRIx64, seed);
		json_object_object_add(f, "method", json_object_new_string("sampled-800-88r1"));
		json_object_object_add(f, "prng", json_object_new_string("splitmix64"));
		json_object_object_add(f, "seed", json_object_new_string(hex));
		json_object_object_add(f, "percent", dsp_json_new_decimal(e->pct));
		json_object_object_add(f, "strata", json_object_new_int64((int64_t)strata));
		json_object_object_add(f, "extents_per_stratum", json_object_new_int(2));
		json_object_object_add(f, "ends_bytes", json_object_new_int64((int64_t)ends));
		json_object_object_add(f, "extents", json_object_new_int64((int64_t)ext.n));
	}
	r = eng_event(e, "verify_start", f, 0);
	if (r < 0)
		goto out_free;

	/* the bytes must come from the medium, not the page cache */
	r = dsp_io_drop_cache(e->io, 0, e->io->size);
	if (r < 0) {
		dsp_log(DSP_LOG_ERROR, "%s: cannot drop the page cache before verify: %s",
			e->io->path, strerror(-r));
		goto out_free;
	}
	r = dsp_pattern_gen_new(&v->ps->pat, &v->g);
	if (r < 0)
		goto out_free;
	r = eng_pool(e);
	if (!r)
		r = ring_start(&ring, ext.v, ext.n, e->bufsize, fill_read, e, e->pool);
	if (r < 0)
		goto out_gen;
	eng_progress(e, "verify", i + 1, bytes_read, planned, true);
	for (;;) {
		struct ring_slot *s = ring_take(&ring);
		uint64_t s_end;
		bool stop;
		int cr;

		if (!s)
			break;
		if (s->err) {
			struct json_object *x = json_object_new_object();

			dsp_log(DSP_LOG_ERROR, "%s: verify read error at offset %" PRIu64 ": %s",
				e->io->path, s->off, strerror(-s->err));
			json_object_object_add(x, "pass", json_object_new_int((int)i + 1));
			json_object_object_add(x, "phase", json_object_new_string("verify"));
			json_object_object_add(x, "offset", json_object_new_int64((int64_t)s->off));
			json_object_object_add(x, "length", json_object_new_int64((int64_t)s->len));
			json_object_object_add(x, "errno", json_object_new_int(-s->err));
			json_object_object_add(x, "error", json_object_new_string(strerror(-s->err)));
			eng_event(e, "io_error", x, 1);
			ret = s->err;
			ring_release(&ring);
			break;
		}
		for (size_t k = 0; k < s->bad.n; k++) {
			struct json_object *x = json_object_new_object();

			dsp_log(DSP_LOG_ERROR, "%s: unreadable at offset %" PRIu64 " length %" PRIu64,
				e->io->path, s->bad.v[k].off, s->bad.v[k].len);
			json_object_object_add(x, "pass", json_object_new_int((int)i + 1));
			json_object_object_add(x, "phase", json_object_new_string("verify"));
			json_object_object_add(x, "offset", json_object_new_int64((int64_t)s->bad.v[k].off));
			json_object_object_add(x, "length", json_object_new_int64((int64_t)s->bad.v[k].len));
			json_object_object_add(x, "errno", json_object_new_int(EIO));
			json_object_object_add(x, "error", json_object_new_string(strerror(EIO)));
			eng_event(e, "io_error", x, 1);
			ranges_add(&unread, s->bad.v[k].off, s->bad.v[k].len);
		}
		cr = compare(v, s);
		s_end = s->off + s->len;
		bytes_read += s->len;
		compared += s->len - ranges_bytes(&s->bad) - overlap(&v->ps->bad, s->off, s->len);
		e->all_done += s->len;
		since += s->len;
		ring_release(&ring);
		if (cr < 0) {
			ret = cr;
			break;
		}
		stop = eng_progress(e, "verify", i + 1, bytes_read, planned, bytes_read == planned) ||
		       eng_stopped(e);
		if (bytes_read < planned &&
		    (stop || since >= ckpt_bytes || eng_now() - last_ckpt >= ckpt_secs)) {
			/* every planned byte below s_end has been compared */
			verify_checkpoint(e, v, i, s_end, bytes_read, compared, &unread);
			since = 0;
			last_ckpt = eng_now();
		}
		if (stop) {
			ret = DSP_INTERRUPTED;
			break;
		}
	}
	ring_stop(&ring);
	if (ret == DSP_INTERRUPTED) {
		r = DSP_INTERRUPTED;
		goto out_gen;
	}

	f = json_object_new_object();
	json_object_object_add(f, "pass", json_object_new_int((int)i + 1));
	json_object_object_add(f, "mode", json_object_new_string(mode));
	json_object_object_add(f, "readmode", json_object_new_string(dsp_io_readmode_name(e->io->readmode)));
	json_object_object_add(f, "bytes_read", json_object_new_int64((int64_t)bytes_read));
	json_object_object_add(f, "bytes_compared", json_object_new_int64((int64_t)compared));
	json_object_object_add(f, "complete", json_object_new_boolean(ret == 0 && bytes_read == planned));
	if (v->ps->pat.kind == DSP_PASS_RANDOM)
		json_object_object_add(f, "bytes_by_digest", json_object_new_int64((int64_t)v->by_digest));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)v->mismatches));
	{
		struct json_object *a = json_object_new_array();

		for (size_t k = 0; k < v->runs.n && k < ERASE_MAX_MISMATCH_LOG; k++)
			json_object_array_add(a, json_object_new_int64((int64_t)v->runs.v[k].off));
		json_object_object_add(f, "mismatch_offsets", a);
		json_object_object_add(f, "mismatch_ranges", ranges_json(&v->runs, false));
	}
	json_object_object_add(f, "unreadable_bytes", json_object_new_int64((int64_t)ranges_bytes(&unread)));
	json_object_object_add(f, "unreadable", ranges_json(&unread, false));
	if (ret < 0)
		json_object_object_add(f, "error", json_object_new_string(strerror(-ret)));
	r = eng_event(e, "verify_end", f, 0);
	if (r < 0 && !ret)
		ret = r;
	if (v->mismatches)
		dsp_log(DSP_LOG_ERROR, "%s: pass %u: %" PRIu64 " bytes differ, first at offset %" PRIu64,
			e->io->path, i + 1, v->mismatches, v->runs.n ? v->runs.v[0].off : 0);
	e->mismatches += v->mismatches;
	e->verified_bytes += compared;
	for (size_t k = 0; k < unread.n; k++)
		ranges_add(&e->unreadable, unread.v[k].off, unread.v[k].len);
	v->ps->verified = ret == 0;
	r = ret;
out_gen:
	dsp_pattern_gen_free(v->g);
out_free:
	ranges_free(&ext);
	ranges_free(&unread);
	ranges_free(&v->runs);
	free(v);
	return r;
}
