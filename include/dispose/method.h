/* SPDX-License-Identifier: MIT */
/* method.h - overwrite methods: profiles/methods/<name>.json, loaded with json-c */
#ifndef DISPOSE_METHOD_H
#define DISPOSE_METHOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define DSP_METHOD_SCHEMA "dispose-method/1"
#define DSP_PATTERN_MAX 64
#define DSP_METHOD_MAX_PASSES 100
#define DSP_METHOD_FILE_MAX 65536	/* a method file larger than this is invalid */

enum dsp_pass_kind {
	DSP_PASS_PATTERN,	/* bytes repeated, device-continuous: b[o] = P[o mod len] */
	DSP_PASS_RANDOM,	/* keyed AES-128-CTR stream, fresh key per pass */
	DSP_PASS_RANDOM_BYTE,	/* one random byte repeated ("random character"), chosen per run */
	DSP_PASS_COMPLEMENT,	/* bitwise complement of the previous pass (pattern or random byte) */
};

struct dsp_pass {
	enum dsp_pass_kind kind;
	uint8_t pattern[DSP_PATTERN_MAX];	/* DSP_PASS_PATTERN */
	size_t pattern_len;
	char label[48];		/* e.g. "0x00", "92 49 24", "random", "complement (0xFF)";
				 * patterns over 16 bytes: first 8 + "... (N bytes)" */
};

enum dsp_verify_mode {
	DSP_VERIFY_NONE,
	DSP_VERIFY_LAST,	/* every byte of the last pass */
	DSP_VERIFY_ALL,		/* every byte of every pass */
	DSP_VERIFY_SAMPLE,	/* NIST SP 800-88r1 stratified sample of the last pass */
};

struct dsp_method {
	char name[64];
	char variant[128];	/* which reading of the standard, e.g. "00,FF,random" */
	char description[256];
	char source[512];	/* where the pass list comes from */
	enum dsp_verify_mode verify;	/* default verification */
	double sample_percent;		/* for DSP_VERIFY_SAMPLE (default 10) */
	unsigned npasses;
	struct dsp_pass *passes;
	char path[512];		/* file it was loaded from ("" when parsed from memory) */
	char sha256[65];	/* of the file's bytes, for the run record */
};

/*
 * Parse a method document. origin names it in messages. On invalid input
 * returns DSP_INVALID and writes "<origin>: <field>: <what is wrong>" to err.
 * Returns 0 (and *out, free with dsp_method_free), DSP_INVALID or -errno.
 */
int dsp_method_parse(const char *text, size_t len, const char *origin,
		     struct dsp_method **out, char *err, size_t errlen);
/*
 * Read and parse a file (at most DSP_METHOD_FILE_MAX bytes, regular file);
 * messages name path as given, m->path is its realpath. -errno when it
 * cannot be read ("<path>: <strerror>" in err).
 */
int dsp_method_load_file(const char *path, struct dsp_method **out,
			 char *err, size_t errlen);

/*
 * Find a method by name (searched in $DISPOSE_METHODS_DIR, the profiles/
 * directory next to the binary's source tree, then DSP_DATADIR/methods) or
 * by path (anything with a '/' or ending in .json). -ENOENT: unknown name
 * ("<name>: unknown method"); DSP_INVALID: invalid file, invalid name, or
 * the "name" inside <name>.json differs from <name>.
 */
int dsp_method_find(const char *name_or_path, struct dsp_method **out,
		    char *err, size_t errlen);

/*
 * Name rules: 1-63 characters of [a-z0-9._-], starting with a letter or
 * digit. 1 when s is a valid method name, else 0.
 */
int dsp_method_name_valid(const char *s);

/* The directory names are searched in; first existing one, or NULL. */
const char *dsp_method_dir(void);

/* Names of all methods in dsp_method_dir(), sorted; free with dsp_method_names_free. */
int dsp_method_names(char ***names, size_t *n);
void dsp_method_names_free(char **names, size_t n);

void dsp_method_free(struct dsp_method *m);

/*
 * {"name","variant","source","sha256","verify","passes":[labels]} for records;
 * "sample_percent" is added when verify is "sample".
 */
struct json_object *dsp_method_to_json(const struct dsp_method *m);

const char *dsp_verify_mode_name(enum dsp_verify_mode v);
/* The file-format name of a pass type: "pattern", "random", "random-byte", "complement". */
const char *dsp_pass_kind_name(enum dsp_pass_kind k);
/* "none", "last", "all", "sample", "sample:P": 0 or DSP_INVALID. */
int dsp_verify_mode_parse(const char *s, enum dsp_verify_mode *v, double *percent);

#endif
