/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tree_resume.c - libFuzzer target over what a resumed file or tree
 * erase reads from the record (the target's identity, its renames, the
 * names removed from shared files, the files erased): the bytes are an
 * events.jsonl whose JSON lines get seq and prev made right, then a small
 * tree and a file are erased with --resume against it. Whatever the record
 * says, a file with a hard link outside the target keeps its bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static struct dsp_method *method;

static const char method_json[] =
	"{\"schema\":\"dispose-method/1\",\"name\":\"zero\",\"variant\":\"00\","
	"\"description\":\"fuzz\",\"source\":\"fuzz\",\"verify\":\"none\","
	"\"passes\":[{\"type\":\"pattern\",\"pattern\":\"00\"}]}";

static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void rm_rf(const char *p)
{
	nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
	rm_rf(base);
	dsp_method_free(method);
}

static void init(void)
{
	char err[256];

	/* tmpfs when there is one: the ledger and the erase sync */
	strcpy(base, "/dev/shm/fuzz_tree_resume-XXXXXX");
	if (!mkdtemp(base)) {
		strcpy(base, "/tmp/fuzz_tree_resume-XXXXXX");
		if (!mkdtemp(base))
			abort();
	}
	if (dsp_method_parse(method_json, sizeof(method_json) - 1, "fuzz", &method,
			     err, sizeof(err)))
		abort();
	dsp_log_set_syslog(0);
	dsp_log_set_handler(quiet, NULL);
	atexit(cleanup);
}

static void put(const char *rel, const void *buf, size_t len)
{
	char p[160];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

static bool holds(const char *rel, uint8_t v, size_t len)
{
	uint8_t buf[4097];
	char p[160];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != v)
			return false;
	return true;
}

static void sha256_hex(const char *buf, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Lines that are JSON objects get seq 1.. and prev chained; others are dropped. */
static char *rechain(const uint8_t *data, size_t size, size_t *outlen)
{
	size_t o = 0, cap = size + 4096;
	char *out = malloc(cap), prev[65];
	int64_t seq = 0;

	if (!out)
		abort();
	memset(prev, '0', 64);
	prev[64] = '\0';
	while (size) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) : size, slen;
		struct json_tokener *tok = json_tokener_new();
		struct json_object *ev = json_tokener_parse_ex(tok, (const char *)data, (int)len);

		if (ev && json_object_is_type(ev, json_type_object) &&
		    json_tokener_get_error(tok) == json_tokener_success &&
		    (size_t)json_tokener_get_parse_end(tok) == len) {
			const char *s;

			json_object_object_add(ev, "seq", json_object_new_int64(++seq));
			json_object_object_add(ev, "prev", json_object_new_string(prev));
			s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
			slen = strlen(s);
			if (o + slen + 1 > cap) {
				cap = 2 * (o + slen + 1);
				if (!(out = realloc(out, cap)))
					abort();
			}
			memcpy(out + o, s, slen);
			sha256_hex(out + o, slen, prev);
			o += slen;
			out[o++] = '\n';
		}
		json_object_put(ev);
		json_tokener_free(tok);
		data += nl ? len + 1 : len;
		size -= nl ? len + 1 : len;
	}
	*outlen = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t k[4096], f[1024];
	struct dsp_erase_opts o = { 0 };
	struct dsp_ledger *l;
	char p[160], q[160], *rec;
	size_t len;

	if (!base[0]) {
		init();
		memset(k, 'K', sizeof(k));
		memset(f, 'F', sizeof(f));
	}
	if (size > 1 << 16)
		return 0;
	/* base/tree/sub/link = base/keep; base/f = base/f2: no overwrite runs (fast),
	 * unless the record talks dispose into one */
	snprintf(p, sizeof(p), "%s/tree", base);
	rm_rf(p);
	snprintf(p, sizeof(p), "%s/run", base);
	rm_rf(p);
	snprintf(p, sizeof(p), "%s/tree/sub", base);
	if (mkdir(p, 0700) < 0 && errno == ENOENT) {
		snprintf(q, sizeof(q), "%s/tree", base);
		if (mkdir(q, 0700) < 0 || mkdir(p, 0700) < 0)
			abort();
	}
	snprintf(p, sizeof(p), "%s/run", base);
	if (mkdir(p, 0700) < 0)
		abort();
	put("keep", k, sizeof(k));
	put("f", f, sizeof(f));
	snprintf(p, sizeof(p), "%s/keep", base);
	snprintf(q, sizeof(q), "%s/tree/sub/link", base);
	if (link(p, q) < 0)
		abort();
	snprintf(p, sizeof(p), "%s/f", base);
	snprintf(q, sizeof(q), "%s/f2", base);
	unlink(q);
	if (link(p, q) < 0)
		abort();

	rec = rechain(data, size, &len);
	put("run/" DSP_LEDGER_FILE, rec, len);
	free(rec);
	snprintf(p, sizeof(p), "%s/run", base);
	if (dsp_ledger_open(p, DSP_LEDGER_RESUME, &l) != 0)
		return 0;
	o.method = method;
	o.verify = DSP_VERIFY_NONE;
	o.bufsize = 64 << 10;	/* small: the files are 4 KiB */
	o.ledger = l;
	o.resume = true;
	o.target_id = "t1";
	snprintf(p, sizeof(p), "%s/tree", base);
	dsp_erase_tree(p, &o, NULL);
	o.target_id = "t2";
	snprintf(p, sizeof(p), "%s/f", base);
	dsp_erase_file(p, &o, NULL);
	dsp_ledger_close(l);
	/* a crafted record never gets a file with outside names overwritten */
	if (!holds("keep", 'K', sizeof(k)) || !holds("f2", 'F', sizeof(f)))
		__builtin_trap();
	return 0;
}
