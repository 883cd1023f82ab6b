/* SPDX-License-Identifier: MIT */
/* technique.c - what crypto-erase and device sanitize put in a certificate, and what they allow */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

/* The method's and the sanitize module's names for one action (both appear in records). */
static bool action_in(const char *a, const char *const *names)
{
	for (; *names; names++)
		if (is(a, *names))
			return true;
	return false;
}

static const char *const A_CRYPTO[] = { "crypto", "format-crypto", NULL };
static const char *const A_USER[] = { "format-user-data", "secdiscard", "secure-discard",
				      "ata-security-erase", "security-erase",
				      "security-erase-enhanced", NULL };
static const char *const A_ATA_SE[] = { "ata-security-erase", "security-erase",
					"security-erase-enhanced", NULL };

const char *cert_technique_words(const char *technique, const char *action, bool then)
{
	if (!technique || is(technique, "overwrite"))
		return "overwrite";
	if (is(technique, "crypto-luks"))
		return then ? "cryptographic erase, then overwrite" : "cryptographic erase";
	if (!is(technique, "sanitize"))
		return "unknown";
	if (action_in(action, A_CRYPTO))
		return "cryptographic erase";
	if (is(action, "block"))
		return "block erase";
	if (is(action, "overwrite"))
		return "overwrite";
	if (action_in(action, A_USER))
		return "user data erase";
	return "unknown";
}

/* "0x1f" -> 31; -1 when not a hex string */
static long hexval(struct json_object *o, const char *key)
{
	const char *s = dsp_json_str(o, key);
	char *end;
	long v;

	if (!s || strncmp(s, "0x", 2) || !s[2])
		return -1;
	v = strtol(s + 2, &end, 16);
	return *end || v < 0 ? -1 : v;
}

const char *cert_san_completion(struct json_object *st)
{
	const char *bus = dsp_json_str(st, "bus"), *action = dsp_json_str(st, "action");
	int64_t ioctl = 0;
	long v;

	if (!json_object_is_type(st, json_type_object))
		return "not reported";
	if (!dsp_json_i64(st, "ioctl", &ioctl) && ioctl != 0)
		return "failed";
	if (is(bus, "nvme")) {
		/* SC and SCT of the completion (CRD, M, DNR say nothing once SC is 0) */
		if ((v = hexval(st, "status")) < 0)
			return "not reported";
		if (v & 0x7ff)
			return "failed";
		if (!action_in(action, (const char *const[]){ "crypto", "block", "overwrite", NULL }))
			return "success";
		/* the log's last sanitize must be ours: SANACT of its dword 10 (2 block, 3
		 * overwrite, 4 crypto); a log naming another says nothing of this one */
		if ((v = hexval(st, "scdw10")) < 0 ||
		    (v & 7) != (is(action, "block") ? 2 : is(action, "overwrite") ? 3 : 4))
			return "not reported";
		/* the sanitize status log: 1 done, 4 done (no-deallocate asked), 2 running, 3 failed */
		switch ((v = hexval(st, "sstat")) < 0 ? -1 : v & 7) {
		case 1: case 4: return "success";
		case 2: return "in progress";
		case 3: return "failed";
		default: return "not reported";
		}
	}
	if (is(bus, "ata")) {
		if ((v = hexval(st, "ata_status")) < 0)
			return "not reported";
		return v & 0x21 ? "failed" : "success";	/* ERR or DF */
	}
	if (is(bus, "scsi")) {
		if ((v = hexval(st, "scsi_status")) < 0)
			return "not reported";
		return v ? "failed" : "success";
	}
	if (is(bus, "mmc"))
		return json_object_object_get_ex(st, "ioctl", NULL) ? "success" : "not reported";
	return "not reported";
}

const char *cert_luks_fault(struct json_object *l)
{
	const char *blkid = dsp_json_str(l, "blkid_type_after");
	struct json_object *v;
	uint64_t a, b;

	if (!json_object_is_type(l, json_type_object))
		return "the record shows no result of the LUKS destroy";
	if (!is(dsp_json_str(l, "outcome"), "ok"))
		return "the LUKS destroy did not report ok";
	if (dsp_json_u64(l, "keyslots_failed", &a) || a)
		return "a keyslot could not be destroyed";
	if (!json_object_object_get_ex(l, "header_found_after", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return "the record does not show that libcryptsetup finds no LUKS header";
	if (json_object_get_boolean(v))
		return "libcryptsetup still finds a LUKS header";
	if (blkid)
		return "libblkid still reports a signature on the volume";
	if (dsp_json_u64(l, "bytes_overwritten", &a) || dsp_json_u64(l, "bytes_verified", &b) ||
	    !a || b < a)
		return "the overwritten header area was not read back in full";
	return NULL;
}

/* A header backup with the volume's UUID that this run did not erase, or NULL. */
static struct json_object *surviving_backup(struct json_object *backups)
{
	for (size_t i = 0; json_object_is_type(backups, json_type_array) &&
			   i < json_object_array_length(backups); i++) {
		struct json_object *b = json_object_array_get_idx(backups, i);
		bool erased = false;

		if (dsp_json_bool(b, "erased_in_run", &erased) || !erased)
			return b;
	}
	return NULL;
}

int cert_technique_cap(struct json_object *t, const char **why)
{
	struct json_object *ev = NULL, *id = NULL, *rot = NULL;
	const char *tech = dsp_json_str(t, "technique"), *f;
	bool rotational;

	json_object_object_get_ex(t, "evidence", &ev);
	json_object_object_get_ex(t, "identity", &id);
	rotational = json_object_object_get_ex(id, "rotational", &rot) &&
		     json_object_is_type(rot, json_type_boolean) && json_object_get_boolean(rot);
	if (!tech || is(tech, "overwrite")) {
		int64_t hidden = 0;

		/* sectors an ATA drive hides beyond what was overwritten keep their data */
		if (!dsp_json_i64(json_object_object_get(ev, "hidden"), "hidden_sectors", &hidden) &&
		    hidden > 0) {
			*why = "the drive hides sectors (HPA/DCO) the overwrite did not reach";
			return 0;
		}
		*why = "an overwrite allows at most clear";
		return 1;
	}
	if (is(tech, "crypto-luks")) {
		if ((f = cert_luks_fault(json_object_object_get(ev, "luks")))) {
			*why = f;
			return 0;
		}
		if (surviving_backup(json_object_object_get(ev, "header_backups"))) {
			*why = "a LUKS header backup of the volume survives: clear at most";
			return 1;
		}
		if (!rotational) {
			*why = "a cryptographic erase on a medium not known to be rotational leaves "
			       "the spare area: clear at most";
			return 1;
		}
		/* a loop's rotational flag is not evidence of the medium under its backing file */
		if (json_object_get_type(json_object_object_get(id, "backing_file")) == json_type_string ||
		    is(dsp_json_str(id, "kind"), "loop")) {
			*why = "a loop device: its medium is a file; the medium under it was not "
			       "examined: clear at most";
			return 1;
		}
		*why = "a cryptographic erase allows purge";
		return 2;
	}
	if (is(tech, "sanitize")) {
		struct json_object *san = json_object_object_get(ev, "sanitize");
		const char *action = dsp_json_str(t, "action");

		if (!is(cert_san_completion(json_object_object_get(san, "status")), "success") ||
		    !is(dsp_json_str(san, "completion"), "success")) {
			*why = "the record does not show the device reporting the sanitize done";
			return 0;
		}
		if (is(action, "format-user-data")) {
			*why = "a user data erase (format) allows at most clear";
			return 1;
		}
		if (action_in(action, (const char *const[]){ "secdiscard", "secure-discard", NULL })) {
			*why = "a secure discard allows at most clear";
			return 1;
		}
		if (action_in(action, A_ATA_SE) && !rotational) {
			*why = "an ATA security erase on a medium not known to be rotational allows "
			       "at most clear";
			return 1;
		}
		*why = "the device's sanitize allows purge";
		return 2;
	}
	*why = "the technique is not one dispose records";
	return 0;
}

/* ---- the document's "evidence" ---- */

/* v copied with only the types the canonical form has (a double becomes its text). */
static struct json_object *plain(struct json_object *v)
{
	struct json_object *o;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return NULL;
	case json_type_double:
		return json_object_new_string(json_object_get_string(v));
	case json_type_array:
		o = json_object_new_array();
		for (size_t i = 0; o && i < json_object_array_length(v); i++)
			json_object_array_add(o, plain(json_object_array_get_idx(v, i)));
		return o;
	case json_type_object:
		o = json_object_new_object();
		json_object_object_foreach(v, k, x)
			json_object_object_add(o, k, plain(x));
		return o;
	default:
		return json_object_get(v);
	}
}

static struct json_object *typed(struct json_object *o, const char *k, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return json_object_get(v);
}

/* A name the record keeps as bytes: the text, and "<k>_hex" when escaped. */
static void add_bytes(struct json_object *dst, const char *k, struct json_object *src,
		      const char *sk)
{
	char *b = NULL;

	if (!dsp_json_bytes(src, sk, &b, NULL))
		dsp_json_add_bytes(dst, k, b);
	else
		json_object_object_add(dst, k, NULL);
	free(b);
}

static struct json_object *luks_doc(const struct dsp_record_target *t)
{
	struct json_object *o, *vol = t->luks_volume, *res = t->luks, *tk, *arr;

	/* what the destroy recorded when it ended outweighs a later end that says better */
	if (t->luks_destroyed && cert_luks_fault(t->luks_destroyed) && !cert_luks_fault(res))
		res = t->luks_destroyed;

	if (!vol && !res)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "version", typed(vol, "version", json_type_int));
	add_bytes(o, "uuid", vol, "uuid");
	add_bytes(o, "cipher", vol, "cipher");
	json_object_object_add(o, "key_bits", typed(vol, "key_bits", json_type_int));
	json_object_object_add(o, "keyslots", typed(vol, "keyslots_active", json_type_int));
	json_object_object_add(o, "keyslots_max", typed(vol, "keyslots_max", json_type_int));
	arr = json_object_new_array();
	if (json_object_object_get_ex(vol, "tokens", &tk) && json_object_is_type(tk, json_type_array))
		for (size_t i = 0; i < json_object_array_length(tk); i++) {
			struct json_object *e = json_object_array_get_idx(tk, i);
			struct json_object *d = json_object_new_object();

			json_object_object_add(d, "token", typed(e, "token", json_type_int));
			add_bytes(d, "type", e, "type");
			json_object_array_add(arr, d);
		}
	json_object_object_add(o, "tokens", arr);
	json_object_object_add(o, "header_sha256", typed(vol, "header_area_sha256", json_type_string));
	json_object_object_add(o, "header_area_length",
			       typed(vol, "header_area_length", json_type_int));
	json_object_object_add(o, "keyslots_destroyed",
			       typed(res, "keyslots_destroyed", json_type_int));
	json_object_object_add(o, "keyslots_failed", typed(res, "keyslots_failed", json_type_int));
	json_object_object_add(o, "bytes_overwritten", typed(res, "bytes_overwritten", json_type_int));
	json_object_object_add(o, "bytes_verified", typed(res, "bytes_verified", json_type_int));
	json_object_object_add(o, "header_found_after",
			       typed(res, "header_found_after", json_type_boolean));
	json_object_object_add(o, "blkid_type_after", typed(res, "blkid_type_after", json_type_string));
	json_object_object_add(o, "outcome", typed(res, "outcome", json_type_string));
	json_object_object_add(o, "error", typed(res, "error", json_type_string));
	return o;
}

static struct json_object *backups_doc(struct json_object *b)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; json_object_is_type(b, json_type_array) &&
			   i < json_object_array_length(b); i++) {
		struct json_object *e = json_object_array_get_idx(b, i);
		struct json_object *d = json_object_new_object();

		add_bytes(d, "path", e, "path");
		add_bytes(d, "uuid", e, "uuid");
		json_object_object_add(d, "erased_in_run", typed(e, "erased_in_run",
								 json_type_boolean));
		json_object_array_add(arr, d);
	}
	return arr;
}

static struct json_object *sanitize_doc(const struct dsp_record_target *t)
{
	struct json_object *o, *st = t->sanitize, *sent = t->sanitize_sent, *cmd = NULL;
	const char *bus, *action;

	if (!st && !sent && !is(t->technique, "sanitize"))
		return NULL;
	bus = dsp_json_str(st, "bus") ? dsp_json_str(st, "bus") : dsp_json_str(sent, "bus");
	action = dsp_json_str(st, "action") ? dsp_json_str(st, "action") :
		 dsp_json_str(sent, "action") ? dsp_json_str(sent, "action") : t->action;
	o = json_object_new_object();
	json_object_object_add(o, "bus", bus ? json_object_new_string(bus) : NULL);
	json_object_object_add(o, "action", action ? json_object_new_string(action) : NULL);
	if (sent && json_object_object_get_ex(sent, "command", &cmd) && cmd &&
	    !json_object_is_type(cmd, json_type_string))
		cmd = json_object_new_string(json_object_to_json_string_ext(
			cmd, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		cmd = json_object_get(cmd);
	json_object_object_add(o, "command", cmd);
	/*
	 * Only what the device reported to this run counts: the command on record
	 * before it was sent (sanitize_sent) and the outcome recorded when it ended
	 * (sanitize_end, ok); the end's own result can only lower the target_end's.
	 */
	{
		const char *c = cert_san_completion(st);

		if (is(c, "success") && (!sent || !t->sanitize_end))
			c = "not reported";
		else if (is(c, "success") && t->sanitize_ok == 0)
			c = "failed";
		else if (is(c, "success") && !is(cert_san_completion(t->sanitize_end), "success"))
			c = cert_san_completion(t->sanitize_end);
		json_object_object_add(o, "completion", json_object_new_string(c));
	}
	json_object_object_add(o, "status", json_object_is_type(st, json_type_object) ?
					     plain(st) : NULL);
	return o;
}

static struct json_object *object_or_null(struct json_object *v)
{
	return json_object_is_type(v, json_type_object) ? plain(v) : NULL;
}

struct json_object *cert_evidence_doc(const struct dsp_record_target *t)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "luks", luks_doc(t));
	json_object_object_add(o, "header_backups", backups_doc(t->header_backups));
	json_object_object_add(o, "sanitize", sanitize_doc(t));
	json_object_object_add(o, "health_before", object_or_null(t->health_before));
	json_object_object_add(o, "health_after", object_or_null(t->health_after));
	json_object_object_add(o, "dealloc", t->dealloc < 0 ? NULL :
					      json_object_new_boolean(t->dealloc));
	json_object_object_add(o, "hidden", object_or_null(t->hidden));
	return o;
}
