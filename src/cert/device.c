/* SPDX-License-Identifier: MIT */
/* device.c - verify --device: is this the certified medium, and does it still hold the final pass? */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/device.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/json.h"

#define DIFF_MAX 512

/* What the device at hand is, as the device module sees it now. */
struct now {
	struct dsp_device_ref ref;
	struct dsp_blkdev_info info;
	struct dsp_blkdev_medium medium;
	bool have_medium;
};

static const char *s_or(struct json_object *o, const char *k)
{
	const char *s = dsp_json_str(o, k);

	return s ? s : "";
}

static const char *shown(const char *s)
{
	return *s ? s : "none";
}

/* "MAJ:MIN" or an integer dev_t; false when neither. */
static bool get_dev(struct json_object *o, const char *k, dev_t *out)
{
	const char *s = dsp_json_str(o, k);
	unsigned ma, mi;
	int64_t v;
	char c;

	if (s)
		return sscanf(s, "%u:%u%c", &ma, &mi, &c) == 2 && (*out = makedev(ma, mi), true);
	if (dsp_json_i64(o, k, &v) == 0 && v >= 0) {
		*out = (dev_t)v;
		return true;
	}
	return false;
}

/* Did the certificate record a value for k (not null, not "")? */
static bool known(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v &&
	       !(json_object_is_type(v, json_type_string) && !json_object_get_string_len(v));
}

static void differ(char *diff, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void differ(char *diff, const char *fmt, ...)
{
	size_t n = strlen(diff);
	va_list ap;

	if (n >= DIFF_MAX - 1)
		return;
	if (n)
		n += (size_t)snprintf(diff + n, DIFF_MAX - n, ", ");
	if (n >= DIFF_MAX - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(diff + n, DIFF_MAX - n, fmt, ap);
	va_end(ap);
}

static void cmp_u64(struct json_object *id, const char *k, uint64_t now, char *diff)
{
	uint64_t v;

	if (dsp_json_u64(id, k, &v) == 0 && v != now)
		differ(diff, "%s was %" PRIu64 ", is %" PRIu64, k, v, now);
}

/* A serial or WWN: the recorded value must be one of the device's (udev's or sysfs's). */
static void cmp_id(struct json_object *id, const char *k, const char *a, const char *b,
		   char *diff)
{
	const char *r = s_or(id, k);

	if (*r && strcmp(r, a) && strcmp(r, b))
		differ(diff, "%s was %s, is %s", k, r, shown(a));
	else if (!*r && (*a || *b))
		differ(diff, "%s was none, is %s", k, *a ? a : b);
}

/*
 * The file under a loop device, by device and inode (a copy put at the
 * same path is another file) and size, where the certificate records them.
 */
static void match_backing(struct json_object *id, const struct dsp_blkdev_info *in, char *diff)
{
	bool have;
	int64_t size;
	uint64_t v;
	dev_t d, now_d = 0;
	ino_t now_i = 0;

	if (!known(id, "backing_dev") && !known(id, "backing_ino") && !known(id, "backing_size"))
		return;
	have = dsp_device_backing(in, &now_d, &now_i, &size) == 0;
	if (known(id, "backing_dev") &&
	    (!get_dev(id, "backing_dev", &d) || !have || d != now_d)) {
		char now[32] = "none";

		if (have)
			snprintf(now, sizeof(now), "%u:%u", major(now_d), minor(now_d));
		differ(diff, "backing file's device was %s, is %s", shown(s_or(id, "backing_dev")),
		       now);
	}
	if (dsp_json_u64(id, "backing_ino", &v) == 0 && (!have || v != (uint64_t)now_i)) {
		if (have)
			differ(diff, "backing file's inode was %" PRIu64 ", is %" PRIu64, v,
			       (uint64_t)now_i);
		else
			differ(diff, "backing file's inode was %" PRIu64 ", is none", v);
	}
	if (dsp_json_u64(id, "backing_size", &v) == 0 && size >= 0 && v != (uint64_t)size)
		differ(diff, "backing file's size was %" PRIu64 ", is %" PRId64, v, size);
}

/*
 * Is the device the medium of target t? The rules, strict and in
 * dispose.8's words:
 *  - size and the sector sizes must be those recorded;
 *  - a partition must be one again, with the same kernel name (it shares
 *    its disk's serial);
 *  - a serial or WWN recorded (or now present) decides: each must be equal;
 *  - else a loop device's backing file (its device, inode and size when
 *    recorded, and its path) must be the one recorded, and so must the
 *    device number;
 *  - else (a device that identifies nothing) the device number, kernel
 *    name and model must all be those recorded.
 * diff gets every difference, "" when it is the medium.
 */
static void match_target(struct json_object *t, const struct now *n, char *diff)
{
	struct json_object *id = json_object_object_get(t, "identity");
	const struct dsp_blkdev_info *in = &n->info;
	bool by_id;
	dev_t d;

	diff[0] = '\0';
	if (!json_object_is_type(id, json_type_object)) {
		differ(diff, "no identity recorded");
		return;
	}
	if (!known(id, "size"))
		differ(diff, "no size recorded");
	cmp_u64(id, "size", in->size, diff);
	cmp_u64(id, "logical_sector", in->logical_sector, diff);
	cmp_u64(id, "physical_sector", in->physical_sector, diff);
	{
		bool part = false;

		/* a partition has its disk's serial: which partition it is must match too */
		if (dsp_json_bool(id, "partition", &part) == 0 && part != in->is_partition)
			differ(diff, "was %s, is %s", part ? "a partition" : "a whole device",
			       in->is_partition ? "a partition" : "a whole device");
		else if ((part || in->is_partition) && strcmp(s_or(id, "name"), in->name))
			differ(diff, "partition was %s, is %s", shown(s_or(id, "name")), in->name);
	}
	by_id = known(id, "serial") || known(id, "wwn") || in->serial[0] || in->wwn[0];
	if (by_id) {
		cmp_id(id, "serial", in->serial, in->sysfs_serial, diff);
		cmp_id(id, "wwn", in->wwn, in->sysfs_wwn, diff);
	} else {
		if (!get_dev(id, "devno", &d))
			differ(diff, "no serial, WWN or device number recorded");
		else if (d != n->ref.devno)
			differ(diff, "device number was %s, is %u:%u", s_or(id, "devno"),
			       major(n->ref.devno), minor(n->ref.devno));
		if (known(id, "backing_file") || in->backing_file[0]) {
			if (strcmp(s_or(id, "backing_file"), in->backing_file))
				differ(diff, "backing file was %s, is %s",
				       shown(s_or(id, "backing_file")), shown(in->backing_file));
			if (get_dev(id, "dev", &d)) {
				uint64_t ino;

				if (!n->have_medium || !n->medium.file || n->medium.file_dev != d ||
				    dsp_json_u64(id, "ino", &ino) || ino != (uint64_t)n->medium.file_ino)
					differ(diff, "backing file's device and inode differ");
			}
			match_backing(id, in, diff);
		} else if (known(id, "name") && strcmp(s_or(id, "name"), in->name)) {
			differ(diff, "kernel name was %s, is %s", s_or(id, "name"), in->name);
		}
	}
	if (known(id, "model") && in->model[0] && strcmp(s_or(id, "model"), in->model))
		differ(diff, "model was %s, is %s", s_or(id, "model"), in->model);
}

static int probe(const char *dev, struct now *n, char **why)
{
	int r = dsp_device_resolve(dev, &n->ref);

	if (r == -ENOTBLK)
		return cert_why(why, DSP_INVALID, "%s: not a block device", dev);
	if (r < 0)
		return cert_why(why, DSP_INVALID, "%s: %s", dev, strerror(-r));
	r = dsp_device_info(NULL, n->ref.devno, &n->info);
	if (r < 0)
		return cert_why(why, r, "%s: cannot read its identity: %s", dev, strerror(-r));
	n->have_medium = dsp_device_medium(NULL, n->ref.devno, &n->medium) == 0;
	return 0;
}

/* The final pass: highest "pass" number; it must be complete. */
static struct json_object *final_pass(struct json_object *t)
{
	struct json_object *ps = json_object_object_get(t, "passes"), *best = NULL;
	int64_t hi = 0, v;

	if (!json_object_is_type(ps, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(ps); i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);

		if (dsp_json_i64(p, "pass", &v) == 0 && v > hi) {
			hi = v;
			best = p;
		}
	}
	return best;
}

/* bad_ranges [[off, len], ...] as pairs; DSP_INVALID on a malformed one. */
static int bad_ranges(struct json_object *t, uint64_t (**out)[2], size_t *n)
{
	struct json_object *a = json_object_object_get(t, "bad_ranges");
	size_t len;

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return DSP_INVALID;
	len = json_object_array_length(a);
	if (!len)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		for (size_t k = 0; k < 2; k++) {
			struct json_object *v = json_object_is_type(p, json_type_array) &&
						json_object_array_length(p) == 2 ?
						json_object_array_get_idx(p, k) : NULL;

			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
				free(*out);
				*out = NULL;
				return DSP_INVALID;
			}
			(*out)[i][k] = (uint64_t)json_object_get_int64(v);
		}
	}
	*n = len;
	return 0;
}

static struct json_object *make_report(const char *dev, const char *tid, double percent,
				       const struct dsp_erase_sample *s)
{
	struct json_object *o = json_object_new_object();
	char hex[17];

	if (!o)
		return NULL;
	snprintf(hex, sizeof(hex), "%016" PRIx64, s->seed);
	dsp_json_add_bytes(o, "device", dev);
	json_object_object_add(o, "target", json_object_new_string(tid));
	json_object_object_add(o, "seed", json_object_new_string(hex));
	json_object_object_add(o, "percent", dsp_json_new_decimal(percent));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)s->bytes_read));
	json_object_object_add(o, "mismatches", json_object_new_int64((int64_t)s->mismatches));
	json_object_object_add(o, "first_mismatch", s->mismatches ?
			       json_object_new_int64((int64_t)s->first_mismatch) : NULL);
	json_object_object_add(o, "unreadable_bytes",
			       json_object_new_int64((int64_t)s->unreadable_bytes));
	return o;
}

int dsp_cert_check_device(struct json_object *doc, const char *dev, double percent,
			  struct json_object **report, char **why)
{
	struct json_object *targets = json_object_object_get(doc, "targets"), *t = NULL, *pass;
	struct dsp_erase_sample s = { 0 };
	struct dsp_io *io = NULL;
	struct now n = { 0 };
	uint64_t (*bad)[2] = NULL, size;
	size_t nbad = 0, nblock = 0;
	char diff[DIFF_MAX], first_diff[DIFF_MAX] = "";
	const char *tid, *first_id = NULL;
	int r;

	if (report)
		*report = NULL;
	if (!doc || !dev)
		return -EINVAL;
	if (percent <= 0)
		percent = 1;
	if (percent > 100)
		return cert_why(why, DSP_INVALID, "%s: sample of %g %% is more than the whole", dev,
				percent);
	/* #15: its serials and paths are tokens: no medium can be matched to it */
	if (dsp_cert_is_redacted(doc))
		return cert_why(why, DSP_REFUSED, "%s: a redacted copy names no medium; re-read it "
				"with the full certificate", dev);
	r = probe(dev, &n, why);
	if (r)
		return r;
	/* the last target on this medium: a later run's erase is what it holds now */
	for (size_t i = 0; json_object_is_type(targets, json_type_array) &&
			   i < json_object_array_length(targets); i++) {
		struct json_object *c = json_object_array_get_idx(targets, i);
		const char *k = dsp_json_str(c, "kind");

		if (!k || strcmp(k, "block"))
			continue;
		match_target(c, &n, diff);
		if (!diff[0])
			t = c;
		else if (!nblock || !first_diff[0]) {
			snprintf(first_diff, sizeof(first_diff), "%s", diff);
			first_id = dsp_json_str(c, "id");
		}
		nblock++;
	}
	if (!nblock)
		return cert_why(why, DSP_REFUSED, "%s: the certificate names no block device", dev);
	if (!t) {
		if (nblock == 1)
			return cert_why(why, DSP_REFUSED,
					"%s: not the certified medium (target %s): %s; nothing read",
					dev, first_id ? first_id : "?", first_diff);
		return cert_why(why, DSP_REFUSED,
				"%s: not the medium of any of the %zu certified block devices "
				"(target %s: %s); nothing read", dev, nblock,
				first_id ? first_id : "?", first_diff);
	}
	tid = dsp_json_str(t, "id");
	if (!tid)
		tid = "?";
	pass = final_pass(t);
	if (!pass && dsp_json_str(t, "technique") && strcmp(dsp_json_str(t, "technique"), "overwrite"))
		/* crypto-erase and sanitize leave no content of ours to re-read */
		return cert_why(why, DSP_INVALID, "target %s: a %s wrote no overwrite pass to compare "
				"(its evidence is in the certificate)", tid,
				dsp_json_str(t, "technique"));
	if (!pass || !json_object_is_type(json_object_object_get(pass, "pattern"), json_type_object))
		return cert_why(why, DSP_INVALID, "target %s: no final pass pattern recorded", tid);
	{
		bool complete = false;

		if (dsp_json_bool(pass, "complete", &complete) || !complete)
			return cert_why(why, DSP_INVALID,
					"target %s: its final pass did not complete; nothing to compare",
					tid);
	}
	if (dsp_json_u64(json_object_object_get(t, "identity"), "size", &size))
		return cert_why(why, DSP_INVALID, "target %s: no size recorded", tid);
	r = bad_ranges(t, &bad, &nbad);
	if (r)
		return r == DSP_INVALID ?
			cert_why(why, r, "target %s: bad_ranges: not [offset, length] pairs", tid) : r;
	/* read-only, bypassing the cache; and the node opened must be the device probed */
	r = dsp_io_open(n.ref.node, DSP_IO_DIRECT, &io);
	if (r < 0) {
		free(bad);
		return cert_why(why, r, "%s: %s", dev, strerror(-r));
	}
	if (dsp_device_recheck_fd(io->fd, &n.ref)) {
		r = cert_why(why, DSP_REFUSED, "%s: changed while it was checked; nothing read", dev);
		goto out;
	}
	{
		/* a loop device keeps its number when re-attached: probe again, now that it is open */
		struct now again = n;

		if (dsp_device_info(NULL, n.ref.devno, &again.info) == 0) {
			again.have_medium = dsp_device_medium(NULL, n.ref.devno, &again.medium) == 0;
			match_target(t, &again, diff);
		} else {
			snprintf(diff, sizeof(diff), "gone");
		}
		if (diff[0]) {
			r = cert_why(why, DSP_REFUSED, "%s: changed while it was checked; nothing read",
				     dev);
			goto out;
		}
	}
	r = dsp_erase_check_pattern(io, json_object_object_get(pass, "pattern"), size,
				    (const uint64_t (*)[2])bad, nbad, percent, &s);
	if (r == -ESTALE) {
		r = cert_why(why, DSP_REFUSED, "%s: size is %" PRIu64 ", the certificate says %" PRIu64
			     "; nothing read", dev, io->size, size);
		goto out;
	}
	if (r == DSP_INVALID) {
		r = cert_why(why, r, "target %s: final pass: pattern not understood", tid);
		goto out;
	}
	if (r < 0) {
		r = cert_why(why, r, "%s: %s", dev, strerror(-r));
		goto out;
	}
	if (report && !(*report = make_report(dev, tid, percent, &s))) {
		r = -ENOMEM;
		goto out;
	}
	if (r == DSP_MISMATCH)
		cert_why(why, r, "%s: %" PRIu64 " of %" PRIu64 " bytes read differ from the final "
			 "pass of target %s, the first at offset %" PRIu64 " (seed %016" PRIx64 ")",
			 dev, s.mismatches, s.bytes_read, tid, s.first_mismatch, s.seed);
	else if (r == DSP_PARTIAL)
		cert_why(why, r, "%s: %" PRIu64 " bytes could not be read (seed %016" PRIx64 ")",
			 dev, s.unreadable_bytes, s.seed);
out:
	dsp_io_close(io);
	free(bad);
	return r;
}
