/* SPDX-License-Identifier: MIT */
/* test_cert_technique.c - certificates of crypto-luks and device sanitize records: evidence, labels, consistency, show */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir_helpers.h"
#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"
#include "sanitize_fake.h"

#define TIME "2026-12-06T10:00:00Z"
#define UUID "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define HDR_SHA "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SIZE 1048576

/* One block target's record, as the crypto-luks and sanitize producers write it (wiring.md). */
struct trec {
	const char *technique;	/* NULL: a record older than #13 (overwrite, no technique) */
	const char *action;	/* sanitize */
	const char *requested;	/* category_requested; NULL: not said */
	const char *achieved;	/* nist_category */
	bool rotational;
	const char *outcome;	/* luks: "ok", "survived"...; NULL: destroy never reported */
	bool ended;		/* a target_end */
	int backup;		/* 0 none, 1 surviving, 2 erased in the run */
	const char *sstat;	/* nvme sanitize log status */
	const char *caveat;
	const char *status;	/* target_end's; NULL: success, or failed when outcome is not ok */
	bool then;		/* crypto-luks --then zero: its passes and its end's caveats */
	bool san_failed;	/* sanitize_end's ok false (the raw status looks fine) */
	bool no_readback;	/* verify none: nothing read back (a crypto sanitize's content is undefined) */
	bool partition;
	const char *destroyed;	/* luks_destroyed's own outcome when it differs from the end's */
	bool no_san_events;	/* a sanitize target_end without sanitize_sent/sanitize_end */
};

static void append(struct dsp_ledger *l, const char *ev, const char *target, struct json_object *f)
{
	if (target)
		json_object_object_add(f, "target", json_object_new_string(target));
	assert_int_equal(dsp_ledger_append(l, ev, f, 0), 0);
	json_object_put(f);
}

static struct json_object *jparse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static struct json_object *volume(void)
{
	return jparse("{\"version\": 2, \"uuid\": \"" UUID "\", \"cipher\": \"aes-xts-plain64\","
		      " \"key_bits\": 512, \"keyslots_max\": 32, \"keyslots_active\": 2,"
		      " \"keyslots\": [], \"tokens\": [{\"token\": 0, \"type\": \"systemd-tpm2\"}],"
		      " \"metadata_size\": 16384, \"keyslots_size\": 16744448, \"data_offset\": 16777216,"
		      " \"header_area_length\": 4096, \"header_area_sha256\": \"" HDR_SHA "\"}");
}

static void write_run(const char *name, const struct trec *o)
{
	char *argv[] = { "dispose", "erase", "/dev/sdz", NULL };
	bool luks = o->technique && !strcmp(o->technique, "crypto-luks");
	bool san = o->technique && !strcmp(o->technique, "sanitize");
	struct dsp_ledger *l;
	struct json_object *f, *id, *m, *res = NULL;
	char buf[512];

	assert_int_equal(dsp_ledger_open(at(name), DSP_LEDGER_CREATE, &l), 0);
	append(l, "run_start", NULL, dsp_record_run_start("erase", 3, argv));
	id = json_object_new_object();
	json_object_object_add(id, "model", json_object_new_string("Disk"));
	json_object_object_add(id, "serial", json_object_new_string("SN1"));
	json_object_object_add(id, "size", json_object_new_int64(SIZE));
	json_object_object_add(id, "rotational", json_object_new_boolean(o->rotational));
	json_object_object_add(id, "partition", json_object_new_boolean(o->partition));
	f = dsp_record_target_start("/dev/sdz", "block", id);
	snprintf(buf, sizeof(buf), "{\"name\": \"%s\", \"variant\": \"v\", \"source\": \"s\","
		 " \"sha256\": \"%064d\", \"technique\": \"%s\", \"category\": \"purge\"}",
		 luks ? "crypto-luks" : san ? "sanitize-crypto" : "zero", 7,
		 o->technique ? o->technique : "overwrite");
	m = jparse(buf);
	if (o->action)
		json_object_object_add(m, "action", json_object_new_string(o->action));
	json_object_object_add(f, "method", m);
	json_object_object_add(f, "verify", json_object_new_string(o->no_readback ? "none" : "last"));
	if (o->technique)
		json_object_object_add(f, "technique", json_object_new_string(o->technique));
	if (o->requested)
		json_object_object_add(f, "category_requested", json_object_new_string(o->requested));
	if (o->then)
		json_object_object_add(f, "then", jparse("{\"name\": \"zero\", \"variant\": \"00\","
			" \"technique\": \"overwrite\", \"category\": \"clear\"}"));
	append(l, "target", "t1", f);
	if (luks) {
		f = json_object_new_object();
		json_object_object_add(f, "volume", volume());
		append(l, "luks_header", "t1", f);
		if (o->outcome) {
			snprintf(buf, sizeof(buf), "{\"keyslots_destroyed\": 2, \"keyslots_failed\": 0,"
				 " \"bytes_overwritten\": 4096, \"bytes_verified\": 4096,"
				 " \"header_found_after\": %s, \"blkid_type_after\": null,"
				 " \"blkid_ambiguous_after\": false, \"outcome\": \"%s\"}",
				 strcmp(o->outcome, "ok") ? "true" : "false", o->outcome);
			res = jparse(buf);
			json_object_object_add(res, "volume", volume());
			f = json_object_new_object();
			if (o->destroyed) {	/* the end says better than the destroy did */
				struct json_object *c = NULL;
				assert_int_equal(json_object_deep_copy(res, &c, NULL), 0);
				json_object_object_add(c, "outcome", json_object_new_string(o->destroyed));
				json_object_object_add(f, "result", c);
			} else {
				json_object_object_add(f, "result", json_object_get(res));
			}
			append(l, "luks_destroyed", "t1", f);
		}
	}
	if (san && o->no_san_events) {
		res = jparse("{\"bus\": \"nvme\", \"action\": \"crypto\", \"ioctl\": 0,"
			     " \"status\": \"0x0000\", \"sstat\": \"0x0001\", \"scdw10\": \"0x00000004\"}");
	} else if (san) {
		f = jparse("{\"bus\": \"nvme\", \"command\": \"84 00000004\","
			   " \"health_before\": {\"critical_warning\": 0, \"percentage_used\": 3,"
			   " \"media_errors\": 0, \"power_on_hours\": 1200, \"failing\": false}}");
		json_object_object_add(f, "action", json_object_new_string(o->action));
		append(l, "sanitize_sent", "t1", f);
		/* the sanitize log's dword 10 names the action: SANACT 4 crypto, 2 block */
		snprintf(buf, sizeof(buf), "{\"bus\": \"nvme\", \"action\": \"%s\", \"ioctl\": 0,"
			 " \"status\": \"0x0000\", \"result\": \"0x00000000\", \"cdw10\": \"0x0000000%d\","
			 " \"sstat\": \"%s\", \"sprog\": \"0xffff\", \"scdw10\": \"0x0000000%d\","
			 " \"resumed\": false, \"deallocated\": true, \"polls\": 3}", o->action,
			 strcmp(o->action, "block") ? 4 : 2, o->sstat ? o->sstat : "0x0001",
			 strcmp(o->action, "block") ? 4 : 2);
		res = jparse(buf);
		f = json_object_new_object();
		json_object_object_add(f, "result", json_object_get(res));
		json_object_object_add(f, "ok", json_object_new_boolean(!o->san_failed));
		json_object_object_add(f, "health_after", jparse("{\"critical_warning\": 0,"
			" \"percentage_used\": 3, \"media_errors\": 0, \"power_on_hours\": 1201}"));
		append(l, "sanitize_end", "t1", f);
	}
	if ((!luks && !san) || o->then) {	/* an overwrite (older records: no technique) */
		f = jparse("{\"pass\": 1, \"label\": \"0x00\", \"pattern\": {\"kind\": \"pattern\","
			   " \"bytes\": \"00\"}}");
		append(l, "pass_start", "t1", f);
		f = json_object_new_object();
		json_object_object_add(f, "pass", json_object_new_int64(1));
		json_object_object_add(f, "bytes_written", json_object_new_int64(SIZE));
		json_object_object_add(f, "complete", json_object_new_boolean(1));
		append(l, "pass_end", "t1", f);
	}
	if (o->ended) {
		bool ok = o->outcome ? !strcmp(o->outcome, "ok") : true;
		uint64_t w = luks ? 4096 : san ? 0 : SIZE, v = luks ? 4096 : o->no_readback ? 0 : SIZE;

		f = dsp_record_target_end(o->status ? o->status : ok ? "success" : "failed", 0,
					  o->status || !ok ? "not reached" : NULL, w, v);
		json_object_object_add(f, "nist_category", json_object_new_string(o->achieved));
		if (strcmp(o->achieved, "purge"))
			json_object_object_add(f, "category_reason",
					       json_object_new_string("said by the producer"));
		json_object_object_add(f, "verification", json_object_new_string("read back"));
		json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(!ok));
		json_object_object_add(f, "caveats", json_object_new_array());
		if (o->caveat)
			json_object_array_add(json_object_object_get(f, "caveats"),
					      json_object_new_string(o->caveat));
		if (o->technique)
			json_object_object_add(f, "technique", json_object_new_string(o->technique));
		if (o->action)
			json_object_object_add(f, "action", json_object_new_string(o->action));
		if (o->requested)
			json_object_object_add(f, "category_requested",
					       json_object_new_string(o->requested));
		if (res && luks)
			json_object_object_add(f, "luks", json_object_get(res));
		if (o->then)
			json_object_object_add(f, "then", jparse("{\"method\": \"zero\", \"status\":"
				" \"success\", \"nist_category\": \"clear\", \"caveats\":"
				" [\"host overwrite is never Purge (NIST SP 800-88)\"]}"));
		if (luks) {
			struct json_object *b = json_object_new_array();

			if (o->backup) {
				snprintf(buf, sizeof(buf), "{\"path\": \"/root/hdr.img\", \"uuid\": \""
					 UUID "\", \"erased_in_run\": %s}",
					 o->backup == 2 ? "true" : "false");
				json_object_array_add(b, jparse(buf));
			}
			json_object_object_add(f, "header_backups", b);
		}
		if (san) {
			json_object_object_add(f, "sanitize", json_object_get(res));
			json_object_object_add(f, "health_before", jparse("{\"critical_warning\": 0,"
				" \"percentage_used\": 3, \"media_errors\": 0, \"power_on_hours\": 1200,"
				" \"failing\": false}"));
			json_object_object_add(f, "health_after", jparse("{\"critical_warning\": 0,"
				" \"percentage_used\": 3, \"media_errors\": 0, \"power_on_hours\": 1201,"
				" \"failing\": false}"));
			json_object_object_add(f, "dealloc", json_object_new_boolean(1));
		}
		append(l, "target_end", "t1", f);
	}
	json_object_put(res);
	append(l, "run_end", NULL, dsp_record_run_end(o->ended ? "success" : "interrupted",
						      o->ended ? 0 : 130));
	dsp_ledger_close(l);
}

static struct json_object *build(const char *name, const struct trec *o)
{
	const char *dirs[] = { at(name) };
	struct dsp_cert_build_opts b = { .run_dirs = dirs, .nrun_dirs = 1, .time = TIME };
	struct json_object *doc = NULL;
	char *why = NULL;

	write_run(name, o);
	if (dsp_cert_build(&b, &doc, &why))
		fail_msg("build: %s", why);
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	free(why);
	return doc;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
		struct json_object *v = NULL;

		if (json_object_is_type(o, json_type_array))
			v = json_object_array_get_idx(o, (size_t)atoi(t));
		else if (!json_object_object_get_ex(o, t, &v))
			fail_msg("no %s in %s", t, path);
		o = v;
	}
	return o;
}

static const char *str(struct json_object *doc, const char *path)
{
	const char *s = json_object_get_string(get(doc, path));

	assert_non_null(s);
	return s;
}

static void set(struct json_object *d, const char *parent, const char *key, struct json_object *v)
{
	json_object_object_add(get(d, parent), key, v);
}

/* d's consistency: NULL consistent, else the fault must contain want. Frees d. */
static void expect(struct json_object *d, const char *want)
{
	char *why = NULL;
	int rc = dsp_cert_check_consistency(d, &why);

	if (!want) {
		if (rc)
			fail_msg("unexpected: %s", why);
	} else {
		assert_int_equal(rc, DSP_INVALID);
		if (!strstr(why, want))
			fail_msg("'%s' does not say '%s'", why, want);
	}
	free(why);
	json_object_put(d);
}

static struct json_object *copy(struct json_object *d)
{
	struct json_object *c = NULL;

	assert_int_equal(json_object_deep_copy(d, &c, NULL), 0);
	return c;
}

static const struct trec luks_purge = {
	.technique = "crypto-luks", .requested = "purge", .achieved = "purge", .rotational = true,
	.outcome = "ok", .ended = true,
};

static void test_cert_luks_purge_evidence(void **state)
{
	struct json_object *d = build("lp", &luks_purge), *p = NULL;
	char *buf = NULL, *why = NULL;
	size_t len;
	(void)state;

	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	assert_string_equal(str(d, "summary.category_achieved"), "purge");
	assert_string_equal(str(d, "summary.category_requested"), "purge");
	assert_string_equal(str(d, "targets.0.technique"), "crypto-luks");
	assert_string_equal(str(d, "targets.0.nist.technique"), "cryptographic erase");
	assert_string_equal(str(d, "targets.0.nist.sanitization"), "Purge");
	assert_string_equal(str(d, "targets.0.category_requested"), "purge");
	assert_string_equal(str(d, "targets.0.method.name"), "crypto-luks");
	assert_string_equal(str(d, "targets.0.evidence.luks.uuid"), UUID);
	assert_string_equal(str(d, "targets.0.evidence.luks.cipher"), "aes-xts-plain64");
	assert_int_equal(json_object_get_int(get(d, "targets.0.evidence.luks.key_bits")), 512);
	assert_int_equal(json_object_get_int(get(d, "targets.0.evidence.luks.keyslots")), 2);
	assert_string_equal(str(d, "targets.0.evidence.luks.tokens.0.type"), "systemd-tpm2");
	assert_string_equal(str(d, "targets.0.evidence.luks.header_sha256"), HDR_SHA);
	assert_string_equal(str(d, "targets.0.evidence.luks.outcome"), "ok");
	assert_false(json_object_get_boolean(get(d, "targets.0.evidence.luks.header_found_after")));
	assert_null(get(d, "targets.0.evidence.sanitize"));
	assert_null(get(d, "targets.0.then"));
	/* canonical bytes parse back to the same document */
	assert_int_equal(dsp_cert_canonical(d, &buf, &len), 0);
	assert_int_equal(dsp_cert_parse(buf, len, &p, &why), 0);
	assert_true(json_object_equal(p, d));
	json_object_put(p);
	free(buf);

	expect(copy(d), NULL);
	/* the proof the purge rests on, taken away one piece at a time */
	p = copy(d);
	set(p, "targets.0.identity", "rotational", json_object_new_boolean(0));
	expect(p, "category_achieved purge, but a cryptographic erase on a medium not known to be "
		  "rotational leaves the spare area");
	p = copy(d);
	json_object_array_add(get(p, "targets.0.evidence.header_backups"),
			      jparse("{\"path\": \"/b\", \"uuid\": \"" UUID "\", \"erased_in_run\": false}"));
	expect(p, "a LUKS header backup of the volume survives");
	p = copy(d);
	set(p, "targets.0.evidence.luks", "outcome", json_object_new_string("survived"));
	expect(p, "the LUKS destroy did not report ok");
	p = copy(d);
	set(p, "targets.0.evidence.luks", "header_found_after", json_object_new_boolean(1));
	expect(p, "libcryptsetup still finds a LUKS header");
	p = copy(d);
	set(p, "targets.0.evidence.luks", "blkid_type_after", json_object_new_string("crypto_LUKS"));
	expect(p, "libblkid still reports");
	p = copy(d);
	set(p, "targets.0.evidence.luks", "bytes_verified", json_object_new_int(512));
	expect(p, "not read back in full");
	p = copy(d);
	set(p, "targets.0.evidence", "luks", NULL);
	expect(p, "the record shows no result of the LUKS destroy");
	/* the technique and the form's words must agree */
	p = copy(d);
	set(p, "targets.0", "technique", json_object_new_string("sanitize"));
	expect(p, "the technique is not one dispose records");
	p = copy(d);
	set(p, "targets.0.nist", "technique", json_object_new_string("overwrite"));
	expect(p, "the technique is not one dispose records");
	/* never purge for an overwrite */
	p = copy(d);
	set(p, "targets.0", "technique", json_object_new_string("overwrite"));
	set(p, "targets.0.nist", "technique", json_object_new_string("overwrite"));
	expect(p, "category_achieved purge, but an overwrite allows at most clear");
	/* an erased-in-run backup does not count */
	p = copy(d);
	json_object_array_add(get(p, "targets.0.evidence.header_backups"),
			      jparse("{\"path\": \"/b\", \"uuid\": \"" UUID "\", \"erased_in_run\": true}"));
	expect(p, NULL);
	json_object_put(d);
}

static void test_cert_luks_then_overwrite(void **state)
{
	struct trec o = luks_purge;
	struct json_object *d;
	(void)state;

	o.then = true;
	d = build("lt", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	assert_string_equal(str(d, "targets.0.nist.technique"), "cryptographic erase, then overwrite");
	assert_string_equal(str(d, "targets.0.then.name"), "zero");
	assert_string_equal(str(d, "targets.0.then.variant"), "00");
	assert_int_equal(json_object_array_length(get(d, "targets.0.passes")), 1);
	/* the --then passes' own caveats are the record's: named, never dropped */
	assert_string_equal(str(d, "targets.0.caveats.0"),
			    "--then zero: host overwrite is never Purge (NIST SP 800-88)");
	expect(copy(d), NULL);
	/* a --then pass cut short is no success */
	set(d, "targets.0.passes.0", "complete", json_object_new_boolean(0));
	expect(d, "an overwrite pass that did not complete");
}

static void test_cert_luks_clear_backup_and_flash(void **state)
{
	struct trec o = luks_purge;
	struct json_object *d;
	char *why = NULL;
	(void)state;

	/* flash: clear with the spare-area caveat; purge asked: failed, a report saying so */
	o.rotational = false;
	o.achieved = "clear";
	o.status = "failed";
	o.caveat = "flash spare area: old key material may survive outside the LBA space; "
		   "follow with a device sanitize for Purge";
	d = build("lf", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
	assert_string_equal(str(d, "targets.0.category_achieved"), "clear");
	assert_string_equal(str(d, "targets.0.nist.sanitization"), "Clear");
	assert_string_equal(str(d, "targets.0.caveats.0"), o.caveat);
	assert_non_null(strstr(str(d, "summary.failures.0"), "category clear, requested purge"));
	/* the erase itself ran to its end: no old-data claim */
	assert_false(json_object_get_boolean(get(d, "targets.0.old_data_may_remain")));
	expect(copy(d), NULL);
	/* a failure is no licence for clear without the proof */
	set(d, "targets.0.evidence.luks", "outcome", json_object_new_string("error"));
	expect(d, "category_achieved clear, but the LUKS destroy did not report ok");

	/* the same from a record whose destroy did not prove it: none */
	o.outcome = "survived";
	d = build("lg", &o);
	assert_string_equal(str(d, "targets.0.category_achieved"), "none");
	expect(d, NULL);

	/* clear asked and reached: a certificate of sanitization */
	o.outcome = "ok";
	o.status = NULL;
	o.requested = "clear";
	d = build("lc", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	expect(d, NULL);

	/* a record that claims purge beside a surviving backup: certify must refuse it */
	o = luks_purge;
	o.backup = 1;
	d = build("lb", &o);
	assert_string_equal(str(d, "targets.0.evidence.header_backups.0.path"), "/root/hdr.img");
	assert_false(json_object_get_boolean(get(d, "targets.0.evidence.header_backups.0.erased_in_run")));
	assert_int_equal(dsp_cert_check_consistency(d, &why), DSP_INVALID);
	assert_non_null(strstr(why, "header backup"));
	free(why);
	json_object_put(d);

	/* the backup erased first in the same run: purge stands */
	o.backup = 2;
	d = build("le", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	expect(d, NULL);
}

static void test_cert_luks_cut_short_keeps_volume(void **state)
{
	struct trec o = luks_purge;
	struct json_object *d;
	(void)state;

	/* the header was recorded, the destroy never reported, no end: claims nothing */
	o.outcome = NULL;
	o.ended = false;
	d = build("li", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
	assert_string_equal(str(d, "targets.0.result"), "unfinished");
	assert_string_equal(str(d, "targets.0.category_achieved"), "none");
	assert_string_equal(str(d, "targets.0.evidence.luks.uuid"), UUID);
	assert_null(get(d, "targets.0.evidence.luks.outcome"));
	expect(d, NULL);

	/* destroy reported survived: a failure, none achieved */
	o.outcome = "survived";
	o.ended = true;
	o.achieved = "none";
	d = build("ls", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
	assert_string_equal(str(d, "targets.0.result"), "failed");
	assert_string_equal(str(d, "targets.0.evidence.luks.outcome"), "survived");
	expect(d, NULL);
}

static const struct trec san_crypto = {
	.technique = "sanitize", .action = "crypto", .requested = "purge", .achieved = "purge",
	.rotational = false, .ended = true,
};

static void test_cert_sanitize_evidence(void **state)
{
	struct trec o = san_crypto;
	struct json_object *d = build("sc", &o), *p;
	(void)state;

	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	assert_string_equal(str(d, "targets.0.technique"), "sanitize");
	assert_string_equal(str(d, "targets.0.action"), "crypto");
	assert_string_equal(str(d, "targets.0.nist.technique"), "cryptographic erase");
	assert_string_equal(str(d, "targets.0.nist.sanitization"), "Purge");
	assert_string_equal(str(d, "targets.0.evidence.sanitize.bus"), "nvme");
	assert_string_equal(str(d, "targets.0.evidence.sanitize.completion"), "success");
	assert_string_equal(str(d, "targets.0.evidence.sanitize.command"), "84 00000004");
	assert_string_equal(str(d, "targets.0.evidence.sanitize.status.sstat"), "0x0001");
	assert_int_equal(json_object_get_int(get(d, "targets.0.evidence.health_before.power_on_hours")),
			 1200);
	assert_int_equal(json_object_get_int(get(d, "targets.0.evidence.health_after.power_on_hours")),
			 1201);
	assert_true(json_object_get_boolean(get(d, "targets.0.evidence.dealloc")));
	assert_null(get(d, "targets.0.evidence.luks"));
	expect(copy(d), NULL);

	/* the device did not report success: no purge, no clear */
	p = copy(d);
	set(p, "targets.0.evidence.sanitize.status", "sstat", json_object_new_string("0x0003"));
	expect(p, "category_achieved purge, but the record does not show the device reporting the sanitize done");
	p = copy(d);
	set(p, "targets.0.evidence.sanitize.status", "status", json_object_new_string("0x0281"));
	expect(p, "the record does not show the device reporting the sanitize done");
	p = copy(d);
	set(p, "targets.0.evidence.sanitize", "completion", json_object_new_string("failed"));
	expect(p, "the record does not show the device reporting the sanitize done");
	p = copy(d);
	set(p, "targets.0.evidence", "sanitize", NULL);
	expect(p, "the record does not show the device reporting");
	/* the status log's last sanitize must be the one claimed */
	p = copy(d);
	set(p, "targets.0.evidence.sanitize.status", "scdw10", json_object_new_string("0x00000002"));
	expect(p, "the record does not show the device reporting the sanitize done");
	/* a secure discard (eMMC) is clear at most */
	p = copy(d);
	set(p, "targets.0", "action", json_object_new_string("secure-discard"));
	set(p, "targets.0.nist", "technique", json_object_new_string("user data erase"));
	expect(p, "a secure discard allows at most clear");
	/* a user data erase is clear at most; an ATA security erase on flash too */
	p = copy(d);
	set(p, "targets.0", "action", json_object_new_string("format-user-data"));
	set(p, "targets.0.nist", "technique", json_object_new_string("user data erase"));
	expect(p, "a user data erase (format) allows at most clear");
	p = copy(d);
	set(p, "targets.0", "action", json_object_new_string("security-erase-enhanced"));
	set(p, "targets.0.nist", "technique", json_object_new_string("user data erase"));
	expect(p, "an ATA security erase on a medium not known to be rotational");
	p = copy(d);
	set(p, "targets.0", "action", json_object_new_string("block"));
	expect(p, "the technique is not one dispose records");
	json_object_put(d);

	/* nothing read back: the device's completion status is the verification, said so */
	o.no_readback = true;
	d = build("sn", &o);
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	assert_string_equal(str(d, "targets.0.verification.mode"), "none");
	assert_string_equal(str(d, "targets.0.nist.verification_method"), "device status");
	expect(copy(d), NULL);
	/* ... and only while the device's status says done */
	set(d, "targets.0.evidence.sanitize.status", "sstat", json_object_new_string("0x0003"));
	expect(d, "the record does not show the device reporting the sanitize done");
	/* an overwrite with nothing read back stays unverified */
	{
		struct trec ow = { .achieved = "none", .rotational = true, .ended = true };
		ow.no_readback = true;
		d = build("on", &ow);
		assert_string_equal(str(d, "targets.0.nist.verification_method"), "none");
		assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
		json_object_put(d);
	}
	o.no_readback = false;

	/* the tool judged the sanitize failed at the time: never reported success */
	o.san_failed = true;
	o.achieved = "none";
	d = build("sf", &o);
	assert_string_equal(str(d, "targets.0.evidence.sanitize.completion"), "failed");
	expect(d, NULL);
	o.san_failed = false;
	o.achieved = "purge";

	/* block erase words; a sanitize still running is not done */
	o.action = "block";
	d = build("sb", &o);
	assert_string_equal(str(d, "targets.0.nist.technique"), "block erase");
	expect(d, NULL);
	o.sstat = "0x0002";
	o.achieved = "none";
	d = build("sp", &o);
	assert_string_equal(str(d, "targets.0.evidence.sanitize.completion"), "in progress");
	assert_string_equal(str(d, "targets.0.category_achieved"), "none");
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
	expect(d, NULL);
}

/* R2 (#13): records edited so their own events contradict the claim */
static void test_cert_contradicting_records(void **state)
{
	struct trec o = luks_purge;
	struct json_object *d;
	(void)state;

	/* target_end's luks says ok, the destroy itself recorded a mismatch */
	o.destroyed = "mismatch";
	d = build("cx", &o);
	assert_string_equal(str(d, "targets.0.evidence.luks.outcome"), "mismatch");
	assert_string_equal(str(d, "targets.0.category_achieved"), "none");
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
	expect(d, NULL);

	/* a sanitize claimed done with no sanitize_sent or sanitize_end of its own */
	o = san_crypto;
	o.no_san_events = true;
	o.no_readback = true;
	d = build("cn", &o);
	assert_string_equal(str(d, "targets.0.evidence.sanitize.completion"), "not reported");
	assert_null(get(d, "targets.0.evidence.sanitize.command"));
	/* nothing read back and no device report of its own: not verified */
	assert_string_equal(str(d, "targets.0.nist.verification_method"), "none");
	assert_string_equal(str(d, "targets.0.category_achieved"), "none");
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_FAIL);
	expect(d, NULL);
}

static void test_cert_overwrite_old_record_and_old_document(void **state)
{
	struct trec o = { .achieved = "clear", .rotational = true, .ended = true };
	struct json_object *d = build("ow", &o), *t;
	char *why = NULL;
	(void)state;

	/* a record without technique reads as overwrite, requested from the medium */
	assert_string_equal(str(d, "kind"), DSP_CERT_KIND_OK);
	assert_string_equal(str(d, "targets.0.technique"), "overwrite");
	assert_string_equal(str(d, "targets.0.nist.technique"), "overwrite");
	assert_string_equal(str(d, "targets.0.category_requested"), "clear");
	assert_null(get(d, "targets.0.evidence.luks"));
	assert_int_equal(json_object_array_length(get(d, "targets.0.evidence.header_backups")), 0);
	expect(copy(d), NULL);
	/* an ATA drive hiding sectors the overwrite did not reach: not even clear */
	t = copy(d);
	set(t, "targets.0.evidence", "hidden", jparse("{\"accessible_sectors\": 2048,"
		" \"native_sectors\": 4096, \"hpa\": true, \"hidden_sectors\": 2048}"));
	expect(t, "category_achieved clear, but the drive hides sectors (HPA/DCO) the overwrite "
		  "did not reach");
	t = copy(d);
	set(t, "targets.0.evidence", "hidden", jparse("{\"accessible_sectors\": 4096,"
		" \"native_sectors\": 4096, \"hpa\": false, \"hidden_sectors\": 0}"));
	expect(t, NULL);
	/* a partition reaches no category: the method's clear in the record asks none */
	{
		struct trec pt = { .achieved = "none", .requested = "clear", .rotational = true,
				   .ended = true, .partition = true, .technique = "overwrite" };
		struct json_object *p = build("op", &pt);

		assert_string_equal(str(p, "targets.0.category_requested"), "none");
		assert_string_equal(str(p, "kind"), DSP_CERT_KIND_OK);
		expect(p, NULL);
	}
	/* a certificate written before #13 has none of the new keys: still valid */
	t = get(d, "targets.0");
	for (const char *const *k = (const char *const[]){ "technique", "action", "auto_reason",
			"then", "evidence", NULL }; *k; k++)
		json_object_object_del(t, *k);
	assert_int_equal(dsp_cert_check_schema(d, &why), 0);
	expect(copy(d), NULL);
	/* but a key it does have must be right */
	json_object_object_add(t, "technique", json_object_new_string("degauss"));
	assert_int_equal(dsp_cert_check_schema(d, &why), DSP_INVALID);
	assert_string_equal(why, "certificate: $.targets[0].technique: 'degauss' is not allowed");
	free(why);
	json_object_put(d);
}

/* out holds "    LABEL:<spaces to the value column>VALUE" (show.c's layout) */
static void has(const char *out, const char *label, const char *value)
{
	char want[512];

	snprintf(want, sizeof(want), "    %s:%*s%s", label, (int)(36 - 4 - strlen(label)), "", value);
	if (!strstr(out, want))
		fail_msg("show does not print '%s'", want);
}

static void test_cert_show_technique(void **state)
{
	struct json_object *d = build("sh", &luks_purge);
	struct trec o = san_crypto;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	(void)state;

	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(dsp_cert_show(f, d, NULL), 0);
	fclose(f);
	if (getenv("SHOW"))
		fputs(out, stderr);
	has(out, "Method used", "cryptographic erase\n");
	has(out, "Technique (record)", "crypto-luks\n");
	has(out, "LUKS volume UUID", UUID "\n");
	has(out, "Cipher", "aes-xts-plain64\n");
	has(out, "Key size (bits)", "512\n");
	has(out, "Keyslots in use", "2\n");
	has(out, "Tokens", "systemd-tpm2\n");
	has(out, "Old header SHA-256", HDR_SHA "\n");
	has(out, "Key material gone", "proven: every keyslot destroyed");
	has(out, "Method details", "crypto-luks, variant v\n");
	free(out);
	json_object_put(d);

	d = build("sh2", &o);
	f = open_memstream(&out, &len);
	assert_int_equal(dsp_cert_show(f, d, NULL), 0);
	fclose(f);
	has(out, "Device reported", "success\n");
	has(out, "Sanitize bus", "nvme\n");
	has(out, "Drive health before", "failing no, critical warning 0, percentage used 3, "
	    "media errors 0, power on hours 1200\n");
	has(out, "Drive health after", "failing no, critical warning 0, percentage used 3, media errors 0, "
	    "power on hours 1201\n");
	has(out, "Deallocated by the device", "yes\n");
	free(out);
	json_object_put(d);
}

/*
 * The producer itself: the sanitize technique against a fake NVMe drive
 * (sanitize_fake.h) writes the record, then the certificate is built from
 * it: a reported-done crypto sanitize is Purge, verified by device status.
 */
static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static void test_cert_from_sanitize_producer(void **state)
{
	struct dsp_method m = { .schema = 2, .technique = DSP_TECH_SANITIZE,
				.action = DSP_ACT_CRYPTO, .category = DSP_CAT_PURGE,
				.verify = DSP_VERIFY_NONE, .sample_percent = 10 };
	struct dsp_san_opts san = { .poll_ms = 1, .sleep_ms = fake_sleep };
	struct dsp_blkdev_info dev = { .rotational = 0 };
	struct dsp_erase_opts eo = { .method = &m, .verify = DSP_VERIFY_NONE, .target_id = "t1",
				     .device = &dev, .san = &san, .path = "/dev/nvme0n1" };
	char *argv[] = { "dispose", "erase", "/dev/nvme0n1", NULL };
	struct fake_dev *d = fake_dev_new();
	struct dsp_ledger *l;
	struct dsp_io *io;
	struct json_object *doc;
	const char *dirs[] = { at("prod") };
	struct dsp_cert_build_opts b = { .run_dirs = dirs, .nrun_dirs = 1, .time = TIME };
	char *why = NULL;
	(void)state;

	snprintf(m.name, sizeof(m.name), "sanitize-crypto");
	memset(m.sha256, 'a', 64);	/* as of a method file */
	snprintf(dev.name, sizeof(dev.name), "nvme0n1");
	snprintf(dev.disk, sizeof(dev.disk), "nvme0n1");
	snprintf(dev.path, sizeof(dev.path), "/dev/nvme0n1");
	snprintf(dev.serial, sizeof(dev.serial), "S64ANS0T512345");
	d->size = 8u << 20;
	d->nvme = true;
	d->nsid = 1;
	d->san_steps = 3;
	fake_load(d->id_ctrl, sizeof(d->id_ctrl), "nvme/id-ctrl-crypto-block.bin");
	fake_load(d->id_ns, sizeof(d->id_ns), "nvme/id-ns-lbaf1.bin");
	fake_load(d->health, sizeof(d->health), "nvme/health-ok.bin");
	san.sleep_arg = d;
	io = fake_dev_io(d);
	free(io->path);
	io->path = strdup(dev.path);
	assert_int_equal(dsp_ledger_open(dirs[0], DSP_LEDGER_CREATE, &l), 0);
	append(l, "run_start", NULL, dsp_record_run_start("erase", 3, argv));
	eo.ledger = l;
	dsp_log_set_handler(quiet, NULL);
	assert_int_equal(dsp_erase_sanitize_io(io, &eo, NULL), 0);
	dsp_log_set_handler(NULL, NULL);
	append(l, "run_end", NULL, dsp_record_run_end("success", 0));
	dsp_ledger_close(l);
	dsp_io_close(io);

	if (dsp_cert_build(&b, &doc, &why))
		fail_msg("build: %s", why);
	if (dsp_cert_check_schema(doc, &why))
		fail_msg("schema: %s", why);
	assert_string_equal(str(doc, "kind"), DSP_CERT_KIND_OK);
	assert_string_equal(str(doc, "targets.0.technique"), "sanitize");
	assert_string_equal(str(doc, "targets.0.action"), "crypto");
	assert_string_equal(str(doc, "targets.0.nist.sanitization"), "Purge");
	assert_string_equal(str(doc, "targets.0.nist.technique"), "cryptographic erase");
	assert_string_equal(str(doc, "targets.0.nist.verification_method"), "device status");
	/* the drive's identity as the producer recorded it, in the NIST form */
	assert_string_equal(str(doc, "targets.0.nist.serial"), "S64ANS0T512345");
	assert_string_equal(str(doc, "targets.0.evidence.sanitize.bus"), "nvme");
	assert_string_equal(str(doc, "targets.0.evidence.sanitize.completion"), "success");
	assert_non_null(strstr(str(doc, "targets.0.evidence.sanitize.command"), "cdw10"));
	assert_true(json_object_is_type(get(doc, "targets.0.evidence.health_before"),
					json_type_object));
	assert_true(json_object_is_type(get(doc, "targets.0.evidence.health_after"),
					json_type_object));
	expect(doc, NULL);
	free(why);
}

static int setup(void **state)
{
	(void)state;
	dsp_log_set_syslog(0);
	return tmpdir_make("test_cert_technique");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_luks_purge_evidence),
		cmocka_unit_test(test_cert_luks_then_overwrite),
		cmocka_unit_test(test_cert_contradicting_records),
		cmocka_unit_test(test_cert_luks_clear_backup_and_flash),
		cmocka_unit_test(test_cert_luks_cut_short_keeps_volume),
		cmocka_unit_test(test_cert_sanitize_evidence),
		cmocka_unit_test(test_cert_overwrite_old_record_and_old_document),
		cmocka_unit_test(test_cert_show_technique),
		cmocka_unit_test(test_cert_from_sanitize_producer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
