/* SPDX-License-Identifier: MIT */
/*
 * fuzz_record.c - libFuzzer target over the run record reader: the bytes are
 * a run directory's events.jsonl, read as resume reads it (dsp_record_read_events,
 * the read-only reader dsp_record_read, dsp_erase_pending, the auditor's dsp_erase_check, a RESUME open and a
 * resumed erase of a 64 KiB memory target, which walks it in eng_load_record).
 * The raw bytes go to the chain check; then every line that is a JSON object
 * gets its seq and prev made right, so mutated events reach resume's logic
 * instead of stopping at the hash chain.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"

#define TARGET_SIZE (64u << 10)	/* the seeds are records of 64 KiB targets */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char path[96];
static struct dsp_method *method;

static const char method_json[] =
	"{\"schema\":\"dispose-method/1\",\"name\":\"dod-5220-22m\",\"variant\":\"00,FF,random\","
	"\"description\":\"fuzz\",\"source\":\"fuzz\",\"verify\":\"last\","
	"\"passes\":[{\"type\":\"pattern\",\"pattern\":\"00\"},"
	"{\"type\":\"pattern\",\"pattern\":\"FF\"},{\"type\":\"random\"}]}";

static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static void cleanup(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, DSP_LEDGER_FILE);
	unlink(p);
	rmdir(dir);
	dsp_method_free(method);
}

static void init(void)
{
	char err[256];

	/* tmpfs when there is one: the ledger syncs */
	strcpy(dir, "/dev/shm/fuzz_record-XXXXXX");
	if (!mkdtemp(dir)) {
		strcpy(dir, "/tmp/fuzz_record-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE);
	if (dsp_method_parse(method_json, sizeof(method_json) - 1, "fuzz", &method,
			     err, sizeof(err)))
		abort();
	dsp_log_set_syslog(0);
	dsp_log_set_handler(quiet, NULL);
	atexit(cleanup);
}

static void put_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		abort();
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			abort();
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

/* The record is read-only to every reader but the RESUME open. */
static void same_file(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0)
		abort();
	n = read(fd, buf, size + 1);
	close(fd);
	if (n != (ssize_t)size || (size && memcmp(buf, data, size)))
		__builtin_trap();
	free(buf);
}

static void sha256_hex(const char *buf, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Lines that are JSON objects get seq 1.. and prev chained; others stay as they are. */
static char *rechain(const uint8_t *data, size_t size, size_t *outlen)
{
	char *out = malloc(2 * size + 256 + size / 8 * 140);
	char prev[65];
	size_t o = 0, cap = 2 * size + 256 + size / 8 * 140;
	int64_t seq = 0;

	if (!out)
		abort();
	memset(prev, '0', 64);
	prev[64] = '\0';
	while (size) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) : size;
		struct json_tokener *tok = json_tokener_new();
		struct json_object *ev = json_tokener_parse_ex(tok, (const char *)data, (int)len);
		const char *s = NULL;
		size_t slen;

		if (ev && json_object_is_type(ev, json_type_object) &&
		    json_tokener_get_error(tok) == json_tokener_success &&
		    (size_t)json_tokener_get_parse_end(tok) == len) {
			json_object_object_add(ev, "seq", json_object_new_int64(++seq));
			json_object_object_add(ev, "prev", json_object_new_string(prev));
			s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
		}
		if (!s)
			s = (const char *)data, slen = len;
		else
			slen = strlen(s);
		if (o + slen + 1 > cap) {
			cap = 2 * (o + slen + 1);
			if (!(out = realloc(out, cap)))
				abort();
		}
		memcpy(out + o, s, slen);
		sha256_hex(out + o, slen, prev);
		o += slen;
		if (nl)
			out[o++] = '\n';
		json_object_put(ev);
		json_tokener_free(tok);
		data += nl ? len + 1 : len;
		size -= nl ? len + 1 : len;
	}
	*outlen = o;
	return out;
}

struct walk {
	uint64_t n;
};

static int visit(struct json_object *ev, void *arg)
{
	struct walk *w = arg;
	struct json_object *v, *c = NULL;
	const char *s;

	/* a visited event has passed the chain check: seq is the next one */
	if (!json_object_object_get_ex(ev, "seq", &v) ||
	    (uint64_t)json_object_get_int64(v) != ++w->n)
		__builtin_trap();
	/* the ledger's escape: whatever the strings hold, the line comes out UTF-8 */
	if (json_object_deep_copy(ev, &c, NULL))
		abort();
	if (dsp_json_make_utf8(c) < 0)
		abort();
	s = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
	if (!dsp_json_is_utf8(c) || !s || !dsp_utf8_valid(s, strlen(s)))
		__builtin_trap();
	/* a crafted _hex may be refused (-EINVAL), never crash */
	dsp_json_restore_bytes(c);
	json_object_put(c);
	return 0;
}

/* The read-only reader agrees with the walk and changes nothing. */
static void read_record(int rw, uint64_t n, uint64_t bad)
{
	struct dsp_record *rec = NULL;
	int r = dsp_record_read(dir, &rec);

	if (r > 0 || (r < 0 && rec) || (r == -ENOENT))
		__builtin_trap();
	if (r < 0)
		return;
	if (rw == 0 && (rec->chain || rec->torn || rec->events != n))
		__builtin_trap();
	if (rw == DSP_MISMATCH &&
	    !(rec->chain == DSP_MISMATCH && rec->bad_line == bad && rec->events == bad - 1) &&
	    !(rec->torn && !rec->chain && rec->events == bad - 1))
		__builtin_trap();
	for (size_t i = 0; i < rec->ntargets; i++) {
		const struct dsp_record_target *t = &rec->targets[i];

		if (!t->id || (t->path && strlen(t->path) != t->path_len) ||
		    dsp_record_find(rec, t->id) != t)
			__builtin_trap();
	}
	for (size_t i = 0; i < rec->narchives + rec->nverified; i++) {
		const struct dsp_record_archive *a = i < rec->narchives ? &rec->archives[i] :
						     &rec->verified[i - rec->narchives];

		if (!a->event || (a->path && strlen(a->path) != a->path_len))
			__builtin_trap();
	}
	dsp_record_free(rec);
}

/*
 * The events this session appended (seq > from): a pass_end that is not
 * complete, or a verification resumed mid-way over a pass this session
 * (re)wrote, are never part of a clean erase.
 */
struct after {
	uint64_t from;
	bool wrote[4];
	bool incomplete, stale_verify;
};

static int visit_after(struct json_object *ev, void *arg)
{
	struct after *a = arg;
	struct json_object *v;
	const char *name;
	int64_t pass = 0, off = 0;

	if (!json_object_object_get_ex(ev, "seq", &v) ||
	    (uint64_t)json_object_get_int64(v) <= a->from ||
	    !json_object_object_get_ex(ev, "event", &v))
		return 0;
	name = json_object_get_string(v);
	if (json_object_object_get_ex(ev, "pass", &v))
		pass = json_object_get_int64(v);
	if (json_object_object_get_ex(ev, "offset", &v))
		off = json_object_get_int64(v);
	if (pass < 1 || pass > 3)
		return 0;
	if (!strcmp(name, "pass_start")) {
		a->wrote[pass] = true;
	} else if (!strcmp(name, "pass_end")) {
		if (!json_object_object_get_ex(ev, "complete", &v) || !json_object_get_boolean(v))
			a->incomplete = true;
	} else if (!strcmp(name, "verify_start") && off > 0 && a->wrote[pass]) {
		a->stale_verify = true;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { 0 };
	struct dsp_erase_result res;
	struct dsp_ledger *l;
	struct dsp_io *io;
	char p[256], m[64];
	uint64_t bad = 0;
	char *chained;
	size_t clen;
	int rw, r, pending;
	bool had_verify;

	if (!method)
		init();
	put_file(data, size);

	rw = dsp_record_read_events(dir, visit, &w, &bad);
	if (rw != 0 && rw != DSP_MISMATCH && rw >= 0)
		__builtin_trap();
	if (rw == DSP_MISMATCH && bad != w.n + 1)
		__builtin_trap();
	same_file(data, size);
	read_record(rw, w.n, bad);
	same_file(data, size);

	chained = rechain(data, size, &clen);
	put_file((const uint8_t *)chained, clen);
	data = (const uint8_t *)chained;
	size = clen;
	had_verify = memmem(data, size, "\"verify_end\"", 12) ||
		     memmem(data, size, "\"verify_checkpoint\"", 19);
	w.n = 0;
	rw = dsp_record_read_events(dir, visit, &w, &bad);
	if (rw != 0 && rw != DSP_MISMATCH && rw >= 0)
		__builtin_trap();
	read_record(rw, w.n, bad);

	memset(p, 0, sizeof(p));
	memset(m, 0, sizeof(m));
	pending = dsp_erase_pending(dir, "t1", p, sizeof(p), m, sizeof(m));
	if (pending > 1 || (rw && pending >= 0) || p[sizeof(p) - 1] || m[sizeof(m) - 1])
		__builtin_trap();
	same_file(data, size);

	if (dsp_io_mem_new(TARGET_SIZE, 512, &io))
		abort();
	/* the auditor's re-check reads the target and the record, writes neither */
	r = dsp_erase_check(io, dir, "t1", 100, &res);
	if (r != 0 && r != DSP_MISMATCH && r != DSP_PARTIAL && r >= 0)
		__builtin_trap();
	if (!all_zero(dsp_io_mem_data(io), TARGET_SIZE))
		__builtin_trap();
	same_file(data, size);

	r = dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l);
	if (r == 0) {
		struct dsp_erase_opts o = {
			.method = method,
			.verify = DSP_VERIFY_LAST,
			.ledger = l,
			.target_id = "t1",
			.resume = true,
			.bufsize = 16384,
			.checkpoint_bytes = 16384,
		};
		struct after a = { .from = dsp_ledger_seq(l) };

		r = dsp_erase_io(io, &o, &res);
		if (r != 0 && r != DSP_MISMATCH && r != DSP_PARTIAL && r >= 0)
			__builtin_trap();
		dsp_ledger_close(l);
		/* what the engine appended continues the chain */
		if (dsp_record_read_events(dir, visit_after, &a, NULL) != 0)
			__builtin_trap();
		if ((r == 0 && a.incomplete) || a.stale_verify)
			__builtin_trap();
		/*
		 * Nothing pending: t1 is new to the record (a finished one is
		 * refused), so a clean erase wrote and verified all of it here.
		 * The check may still refuse a record with a malformed event of
		 * t1 before this erase (-EINVAL), never find other bytes.
		 */
		if (pending == 0 && r == 0) {
			int c = dsp_erase_check(io, dir, "t1", 100, &res);

			if (c != 0 && c != -EINVAL)
				__builtin_trap();
		}
		/*
		 * No verification claimed in the record: a clean erase read every byte
		 * back here, so the auditor's re-check of the record's last pass
		 * cannot find other bytes (it may find no finished last pass in a
		 * record whose npasses is garbage).
		 */
		if (r == 0 && !had_verify &&
		    dsp_erase_check(io, dir, "t1", 100, &res) == DSP_MISMATCH)
			__builtin_trap();
	} else if (r > 0 && r != DSP_MISMATCH) {
		__builtin_trap();
	}
	dsp_io_close(io);
	free(chained);
	return 0;
}
