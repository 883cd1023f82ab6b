/* SPDX-License-Identifier: MIT */
/* method.h - overwrite methods: profiles/methods/<name>.json, loaded with json-c */
#ifndef DISPOSE_METHOD_H
#define DISPOSE_METHOD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define DSP_METHOD_SCHEMA "dispose-method/1"	/* overwrite only: a pass list */
#define DSP_METHOD_SCHEMA2 "dispose-method/2"	/* adds technique, action, category */
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
	char *note;		/* the file's "note" (NULL: none); freed by dsp_method_free */
};

enum dsp_verify_mode {
	DSP_VERIFY_NONE,
	DSP_VERIFY_LAST,	/* every byte of the last pass */
	DSP_VERIFY_ALL,		/* every byte of every pass */
	DSP_VERIFY_SAMPLE,	/* NIST SP 800-88r1 stratified sample of the last pass */
};

/* How a method erases; /1 files are all DSP_TECH_OVERWRITE. */
enum dsp_technique {
	DSP_TECH_OVERWRITE,	/* the pass list, through the I/O seam */
	DSP_TECH_CRYPTO_LUKS,	/* destroy a LUKS volume's keyslots and headers */
	DSP_TECH_SANITIZE,	/* the device's own sanitize (action says which) */
	DSP_TECH_AUTO,		/* the strongest the medium supports */
};

/* The sanitize action of a DSP_TECH_SANITIZE method (file names in comments). */
enum dsp_method_action {
	DSP_ACT_NONE,		/* not a sanitize method */
	DSP_ACT_CRYPTO,		/* "crypto" */
	DSP_ACT_BLOCK,		/* "block" */
	DSP_ACT_OVERWRITE,	/* "overwrite" (the device's, not ours) */
	DSP_ACT_FORMAT_USER,	/* "format-user-data": NVMe Format NVM SES 1 */
	DSP_ACT_FORMAT_CRYPTO,	/* "format-crypto": NVMe Format NVM SES 2 */
	DSP_ACT_SECDISCARD,	/* "secdiscard": BLKSECDISCARD (eMMC) */
	DSP_ACT_ATA_SECURITY_ERASE, /* "ata-security-erase": SECURITY ERASE UNIT */
};

/* The NIST SP 800-88 category a method asks for (what the run must achieve). */
enum dsp_category {
	DSP_CAT_NONE,
	DSP_CAT_CLEAR,
	DSP_CAT_PURGE,
};

struct dsp_method {
	char name[64];
	int schema;		/* 1 or 2: the file's dispose-method/N */
	enum dsp_technique technique;
	enum dsp_method_action action;	/* DSP_ACT_NONE unless technique is sanitize */
	enum dsp_category category;	/* requested; /1 files: clear */
	char variant[128];	/* which reading of the standard, e.g. "00,FF,random" */
	char description[256];
	char source[512];	/* where the pass list comes from */
	enum dsp_verify_mode verify;	/* default verification */
	double sample_percent;		/* for DSP_VERIFY_SAMPLE (default 10) */
	unsigned npasses;	/* 0 for every technique but overwrite */
	struct dsp_pass *passes;
	char path[512];		/* file it was loaded from ("" when parsed from memory) */
	char sha256[65];	/* of the file's bytes, for the run record */
};

/*
 * m was loaded from a file (by path) that carries a shipped method's name
 * but is not that shipped file: 1, with the shipped file's path in shipped;
 * else 0. What shows the method's name should then also show m->path.
 */
int dsp_method_shadows_shipped(const struct dsp_method *m, char *shipped, size_t len);

/*
 * The strict JSON reader of method files, shared with policies (run.h): at
 * most max bytes, no NUL byte, valid UTF-8, one JSON value in strict mode
 * (nothing but white space after it), each key once per object. Returns 0
 * and *out (json_object_put), DSP_INVALID with "<origin>: file|json|<key
 * path>: <what is wrong>" in err (json errors give line and column; a
 * duplicate key its path, e.g. "passes[2].pattern"), -ENOMEM or -EINVAL.
 */
int dsp_method_json_parse(const char *text, size_t len, size_t max, const char *origin,
			  struct json_object **out, char *err, size_t errlen);
/*
 * Copy outside text into a message: control bytes become '?', and long
 * text is cut with "..." so a hostile file cannot flood the terminal.
 */
void dsp_method_clean(char *dst, size_t n, const char *src, size_t srclen);
/* "a number", "an array", ...: what a member holds, for "expected X, got Y". */
const char *dsp_method_json_kind(struct json_object *v);

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
 * The shipped data directory (a realpath), the one holding methods/,
 * policies/ and schemas/, found from the running binary's location
 * (/proc/self/exe): BINDIR/../share/dispose (installed under any PREFIX),
 * else profiles/ one or two directories above the binary (the source tree),
 * else the compiled-in DSP_DATADIR: the first holding a methods/ directory.
 * NULL when none. Methods, policies and schemas are all found through it.
 */
const char *dsp_method_data_dir(void);
/* DATA/<name> ("methods", "policies", "schemas"), a realpath, into out; NULL: not a directory. */
const char *dsp_method_data_subdir(const char *name, char *out, size_t len);

/*
 * Where methods are found: the shipped directory (DATA/methods, above) and
 * the user's directory $DISPOSE_METHODS_DIR, which adds methods and never
 * replaces a shipped one.
 */
/* The shipped directory (a realpath), or NULL when none exists. */
const char *dsp_method_shipped_dir(void);
/* $DISPOSE_METHODS_DIR as given, or NULL when unset, empty or the shipped directory itself. */
const char *dsp_method_user_dir(void);

/*
 * Find a method by name or by path (anything with a '/' or ending in .json
 * is a path: that file, whatever its name). A name is looked up in the
 * shipped directory first, then in the user's: a user file with a shipped
 * method's name is not used (a DSP_LOG_WARN line names both files) - the
 * name always means the shipped method. -ENOENT: unknown name ("<name>:
 * unknown method"); DSP_INVALID: invalid file, invalid name, or the "name"
 * inside <name>.json differs from <name>.
 */
int dsp_method_find(const char *name_or_path, struct dsp_method **out,
		    char *err, size_t errlen);

/*
 * Name rules: 1-63 characters of [a-z0-9._-], starting with a letter or
 * digit. 1 when s is a valid method name, else 0.
 */
int dsp_method_name_valid(const char *s);

enum dsp_method_origin {
	DSP_METHOD_SHIPPED,
	DSP_METHOD_USER,
};

/* One file of a listing: a method, or why it is not one. */
struct dsp_method_entry {
	char name[64];		/* from the file name; "" when that is no method name */
	char path[PATH_MAX];	/* the file (the directory when rc says it cannot be read) */
	enum dsp_method_origin origin;
	/*
	 * 0 (method set); DSP_INVALID (bad file name or content, or its
	 * "name" differs from the file name); DSP_REFUSED (a user file with a
	 * shipped method's name); -errno (unreadable file or user directory).
	 * A user directory or file another user could change (not the
	 * caller's or root's, or group/world writable) is DSP_INVALID and not
	 * used, as dsp_method_find refuses it.
	 */
	int rc;
	char err[1024];		/* when rc != 0: "<file>: <what is wrong>", one line */
	struct dsp_method *method;
};

/*
 * Every *.json file of the shipped and the user directory, sorted by name
 * (a shipped file before a user file of the same name). Each is loaded;
 * one that fails keeps its entry with rc and err, so a listing names it and
 * still shows the rest (a file name that is no method name is such an
 * entry; hidden files and names not ending in .json are skipped). Returns
 * 0 (*out freed with dsp_method_list_free), -ENOENT when neither directory
 * exists, or -ENOMEM.
 */
int dsp_method_list(struct dsp_method_entry **out, size_t *n);
void dsp_method_list_free(struct dsp_method_entry *v, size_t n);

void dsp_method_free(struct dsp_method *m);

/*
 * {"name","variant","source","sha256","technique","category","verify",
 * "passes":[labels]} for records ("category": the requested one);
 * "action" is added for a sanitize method, "sample_percent" when verify
 * is "sample".
 */
struct json_object *dsp_method_to_json(const struct dsp_method *m);
/*
 * m as a method document in its own schema version (schema, name, variant,
 * description, source, for /2 technique, action and category, verify,
 * passes with their notes): what dsp_method_parse accepts and reads back
 * as the same method. NULL on ENOMEM.
 */
struct json_object *dsp_method_to_document(const struct dsp_method *m);

const char *dsp_verify_mode_name(enum dsp_verify_mode v);
/* The file-format name of a pass type: "pattern", "random", "random-byte", "complement". */
const char *dsp_pass_kind_name(enum dsp_pass_kind k);
/* File-format names: "overwrite", "crypto-luks", "sanitize", "auto". */
const char *dsp_technique_name(enum dsp_technique t);
/* "none" (DSP_ACT_NONE), "crypto", "block", ..., "ata-security-erase". */
const char *dsp_method_action_name(enum dsp_method_action a);
/* "none", "clear", "purge". */
const char *dsp_category_name(enum dsp_category c);
/* "none", "last", "all", "sample", "sample:P": 0 or DSP_INVALID. */
int dsp_verify_mode_parse(const char *s, enum dsp_verify_mode *v, double *percent);

#endif
