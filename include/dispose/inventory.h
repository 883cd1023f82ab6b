/* SPDX-License-Identifier: MIT */
/* inventory.h - what is on the machine: host, software, data, keys, devices */
#ifndef DISPOSE_INVENTORY_H
#define DISPOSE_INVENTORY_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "dispose/log.h"

#define DSP_INV_SCHEMA "dispose-inventory/1"

/*
 * Scanners never build the whole document: they hand each item to an emit
 * callback, which streams it out (a million files need not be in memory).
 * section is "software", "files", "keys", "devices" or "errors". The
 * callback does not take ownership of item. A non-zero return stops the scan
 * and is passed back up.
 */
typedef int (*dsp_inv_emit_fn)(void *arg, const char *section,
			       struct json_object *item);

/* Record an unreadable source: {"path":path,"source":source,"reason":reason}. */
int dsp_inv_error(dsp_inv_emit_fn emit, void *arg, const char *source,
		  const char *path, const char *reason);

#define DSP_INV_SOFTWARE	0x01
#define DSP_INV_DATA		0x02
#define DSP_INV_KEYS		0x04
#define DSP_INV_DEVICES		0x08
#define DSP_INV_HASH		0x10	/* sha256 of every regular file; sha256_sparse
					   for 64 MiB of holes or more (dispose-inventory(5)) */

/*
 * How far a scan got (dsp_inv_scan, dsp_inv_write): at most every 100 ms,
 * and when a section starts. No total is known before the walk ends.
 */
struct dsp_inv_progress {
	const char *section;	/* being scanned: "software", "files" (files and keys), "devices" */
	const char *path;	/* the file being read for its sha256, or NULL */
	uint64_t items;		/* items found so far, every section */
	uint64_t files;		/* regular files listed so far */
	uint64_t bytes;		/* their bytes, and what was read of path */
};
/*
 * dsp_inv_scan reports the whole scan through it; a scanner called on its
 * own (dsp_inv_walk) only the bytes of path read so far, in bytes.
 */
typedef void (*dsp_inv_progress_fn)(const struct dsp_inv_progress *p, void *arg);

struct dsp_inv_opts {
	unsigned what;			/* DSP_INV_* */
	const char *const *roots;	/* NULL-terminated; NULL = { "/" } */
	const char *sysroot;		/* prefix for /var/lib/dpkg etc. (tests); NULL = "" */
	const struct dsp_log_sink *log;	/* the scan's messages; NULL: the caller's thread's */
	dsp_inv_progress_fn progress;	/* may be NULL */
	void *progress_arg;
};

/* Host identity object (hostname, machine-id, os-release, kernel, DMI). */
struct json_object *dsp_inv_host(void);

/*
 * Write the whole dispose-inventory/1 document to out, streaming.
 * Returns 0 when complete except for listed errors[], 1 (DSP_MISMATCH is
 * not used here) when a whole requested category failed, -errno on an
 * output error.
 */
int dsp_inv_write(FILE *out, const struct dsp_inv_opts *opts);

/* Scanners (each streams through emit; 0, or -errno when the whole category failed). */
int dsp_inv_software(const struct dsp_inv_opts *opts, dsp_inv_emit_fn emit, void *arg);
int dsp_inv_walk(const struct dsp_inv_opts *opts, dsp_inv_emit_fn emit, void *arg);
int dsp_inv_devices(dsp_inv_emit_fn emit, void *arg);

/*
 * dpkg status parsing, exposed for tests and the fuzzer: parse one status
 * file's text and call fn for each *installed* package stanza.
 */
struct dsp_dpkg_pkg {
	const char *name, *version, *arch, *status;
	uint64_t installed_size;	/* bytes (the field is in KiB) */
};
typedef int (*dsp_dpkg_fn)(const struct dsp_dpkg_pkg *pkg, void *arg);
int dsp_dpkg_parse_status(const char *text, size_t len, dsp_dpkg_fn fn, void *arg);
/*
 * (dsp_dpkg_parse_status returns 0, -EBADMSG when malformed stanzas were
 * skipped after parsing the rest, -ENOMEM, or fn's non-zero return.)
 */

/* Merged-/usr alias of a dpkg .list path: "/bin/sh" -> "/usr/bin/sh" (buf), else path. */
const char *dsp_dpkg_canon_path(const char *path, char *buf, size_t len);

/* One rpm package header (the Packages.blob of an sqlite rpmdb). */
struct dsp_rpm_pkg {
	const char *name, *version, *release, *arch;	/* point into the blob */
	int64_t epoch;			/* -1 when absent */
	uint64_t size;			/* bytes (SIZE or LONGSIZE) */
	int64_t files;			/* entries in BASENAMES */
};
/* Decode a header blob; 0, or -EBADMSG when it is not a usable header. */
int dsp_rpm_parse_header(const uint8_t *blob, size_t len, struct dsp_rpm_pkg *pkg);

/*
 * Run every requested scanner in document order (software, then one walk
 * for files and keys, then devices) and hand each item to emit. Before a
 * requested section starts, emit is called once with item == NULL, so a
 * consumer can open that section (keys and errors may arrive before their
 * own marker: the walk finds keys while files stream; errors come from any
 * scanner). The errors marker comes last. Returns 0 when complete except for
 * listed errors, 1 when a whole requested category failed, or emit's
 * non-zero / -errno when the scan was stopped.
 */
int dsp_inv_scan(const struct dsp_inv_opts *opts, dsp_inv_emit_fn emit, void *arg);

/*
 * A JSON string for bytes that may not be UTF-8 (paths, package fields):
 * invalid sequences become U+FFFD. Sets *lossy when something was replaced.
 */
struct json_object *dsp_inv_string(const char *s, int *lossy);

/* RFC 3339 UTC ("2026-01-31T12:00:00Z") into buf (at least 21 bytes). */
char *dsp_inv_time(time_t t, char *buf, size_t len);

#endif
