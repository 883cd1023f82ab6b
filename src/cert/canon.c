/* SPDX-License-Identifier: MIT */
/* canon.c - the certificate's canonical bytes, its strict parser, its schema check */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest certificate read: far beyond any machine's, small enough to hold. */
#define CERT_MAX_BYTES	(64u << 20)
/* json-c's nesting limit for the parse: the document is 5 levels deep. */
#define CERT_MAX_DEPTH	32

#define CANON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
		     JSON_C_TO_STRING_NOSLASHESCAPE)

int cert_why(char **why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return rc;
	free(*why);
	*why = NULL;
	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
	return rc;
}

/* Only the types the canonical form allows, and UTF-8 everywhere. */
static int canon_ok(struct json_object *o, unsigned depth)
{
	const char *s;

	if (depth > CERT_MAX_DEPTH)
		return -EINVAL;
	switch (json_object_get_type(o)) {
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
		return 0;
	case json_type_double:
		return -EINVAL;
	case json_type_string:
		s = json_object_get_string(o);
		return dsp_utf8_valid(s, (size_t)json_object_get_string_len(o)) &&
			       strlen(s) == (size_t)json_object_get_string_len(o) ? 0 : -EINVAL;
	case json_type_array:
		for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
			int rc = canon_ok(json_object_array_get_idx(o, i), depth + 1);
			if (rc)
				return rc;
		}
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			int rc;
			if (!dsp_utf8_valid(k, strlen(k)))
				return -EINVAL;
			if ((rc = canon_ok(v, depth + 1)))
				return rc;
		}
		return 0;
	}
	}
	return -EINVAL;
}

int dsp_cert_canonical(struct json_object *doc, char **buf, size_t *len)
{
	const char *s;
	size_t n;
	int rc;

	*buf = NULL;
	if (len)
		*len = 0;
	if (!json_object_is_type(doc, json_type_object))
		return -EINVAL;
	if ((rc = canon_ok(doc, 0)))
		return rc;
	if (!(s = json_object_to_json_string_length(doc, CANON_FLAGS, &n)))
		return -ENOMEM;
	if (!(*buf = malloc(n + 2)))
		return -ENOMEM;
	memcpy(*buf, s, n);
	(*buf)[n] = '\n';
	(*buf)[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return 0;
}

int dsp_cert_parse(const char *buf, size_t len, struct json_object **doc, char **why)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	char *canon = NULL;
	size_t clen, off;
	int rc;

	*doc = NULL;
	if (len > CERT_MAX_BYTES)
		return cert_why(why, DSP_INVALID, "certificate: larger than %u MiB",
				CERT_MAX_BYTES >> 20);
	if (len == 0)
		return cert_why(why, DSP_INVALID, "certificate: empty");
	if (memchr(buf, '\0', len))
		return cert_why(why, DSP_INVALID, "certificate: holds a NUL byte");
	if (!dsp_utf8_valid(buf, len))
		return cert_why(why, DSP_INVALID, "certificate: not UTF-8");
	if (!(tok = json_tokener_new_ex(CERT_MAX_DEPTH)))
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		if (jerr == json_tokener_continue)
			return cert_why(why, DSP_INVALID, "certificate: JSON ends early");
		return cert_why(why, DSP_INVALID, "certificate: not JSON: %s at byte %zu",
				json_tokener_error_desc(jerr), off);
	}
	/* STRICT json-c stops after the value: what follows is ours to refuse */
	if (off != len && !(off + 1 == len && buf[off] == '\n')) {
		json_object_put(o);
		return cert_why(why, DSP_INVALID, "certificate: data after the JSON object at byte %zu",
				off);
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cert_why(why, DSP_INVALID, "certificate: not a JSON object");
	}
	rc = dsp_cert_canonical(o, &canon, &clen);
	if (rc == -ENOMEM) {
		json_object_put(o);
		return rc;
	}
	if (rc) {
		json_object_put(o);
		return cert_why(why, DSP_INVALID,
				"certificate: not canonical: holds a number that is not an integer");
	}
	if (clen != len || memcmp(canon, buf, len)) {
		size_t i = 0;
		while (i < len && i < clen && canon[i] == buf[i])
			i++;
		free(canon);
		json_object_put(o);
		return cert_why(why, DSP_INVALID,
				"certificate: not canonical from byte %zu (spacing, escapes, "
				"a duplicate key or a missing final newline)", i);
	}
	free(canon);
	*doc = o;
	return 0;
}

/* ---- the schema (the same rules as profiles/schemas/dispose-certificate-1.schema.json) ---- */

enum {
	T_NULL = 1, T_BOOL = 2, T_INT = 4, T_STR = 8, T_OBJ = 16, T_ARR = 32,
};

enum fmt { F_ANY, F_UUID, F_TIME, F_RTIME, F_HEX, F_HEX64, F_HEX64T, F_NONNEG, F_RANGE, F_DECIMAL };

struct field {
	const char *key;
	unsigned types;
	enum fmt fmt;
	const char *const *enums;	/* NULL-terminated; for strings */
	const struct field *sub;	/* object members (NULL key ends); NULL: any object */
	unsigned elem;			/* T_ARR: element types */
	bool bytes;			/* a name on disk: may have a "<key>_hex" sibling */
};

static const char *const E_KIND[] = { DSP_CERT_KIND_OK, DSP_CERT_KIND_FAIL, NULL };
static const char *const E_SCHEMA[] = { DSP_CERT_SCHEMA, NULL };
static const char *const E_CAT[] = { "purge", "clear", "none", NULL };
static const char *const E_YESNO[] = { "yes", "no", NULL };
static const char *const E_DEST[] = { "internal-reuse", "external-reuse", "recycling",
				      "manufacturer", "other", NULL };
static const char *const E_TKIND[] = { "block", "file", "tree", NULL };
static const char *const E_SANIT[] = { "Clear", "Purge", "Destroy", "none", NULL };
static const char *const E_VMETH[] = { "full", "sampling", "device status", "none", NULL };
static const char *const E_VMODE[] = { "all", "last", "sample", "none", NULL };
static const char *const E_RESULT[] = { "success", "completed-with-errors", "failed",
					"interrupted", "unfinished", NULL };

#define S	T_STR
#define SN	(T_STR | T_NULL)
#define IN	(T_INT | T_NULL)
#define END	{ NULL, 0, F_ANY, NULL, NULL, 0, false }

static const struct field f_summary[] = {
	{ "targets", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "succeeded", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "failed", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "category_requested", S, F_ANY, E_CAT, NULL, 0, false },
	{ "category_achieved", S, F_ANY, E_CAT, NULL, 0, false },
	{ "backed_up", S, F_ANY, E_YESNO, NULL, 0, false },
	{ "failures", T_ARR, F_ANY, NULL, NULL, T_STR, false },
	END
};
static const struct field f_tool[] = {
	{ "name", S, F_ANY, NULL, NULL, 0, false },
	{ "version", S, F_ANY, NULL, NULL, 0, false },
	{ "gitrev", S, F_ANY, NULL, NULL, 0, false },
	{ "build_id", SN, F_HEX, NULL, NULL, 0, false },
	END
};
static const struct field f_dmi[] = {
	{ "sys_vendor", SN, F_ANY, NULL, NULL, 0, true },
	{ "product_name", SN, F_ANY, NULL, NULL, 0, true },
	{ "product_serial", SN, F_ANY, NULL, NULL, 0, true },
	{ "product_uuid", SN, F_ANY, NULL, NULL, 0, true },
	{ "chassis_serial", SN, F_ANY, NULL, NULL, 0, true },
	{ "chassis_asset_tag", SN, F_ANY, NULL, NULL, 0, true },
	{ "board_serial", SN, F_ANY, NULL, NULL, 0, true },
	END
};
static const struct field f_host[] = {
	{ "hostname", SN, F_ANY, NULL, NULL, 0, true },
	{ "machine_id", SN, F_ANY, NULL, NULL, 0, true },
	{ "dmi", T_OBJ, F_ANY, NULL, f_dmi, 0, false },
	END
};
static const struct field f_person[] = {
	{ "name", SN, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_sanitizer[] = {
	{ "name", SN, F_ANY, NULL, NULL, 0, false },
	{ "title", SN, F_ANY, NULL, NULL, 0, false },
	{ "organization", SN, F_ANY, NULL, NULL, 0, false },
	{ "location", SN, F_ANY, NULL, NULL, 0, false },
	{ "contact", SN, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_dest[] = {
	{ "type", SN, F_ANY, E_DEST, NULL, 0, false },
	{ "details", SN, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_attested[] = {
	{ "sanitization", T_OBJ, F_ANY, NULL, f_sanitizer, 0, false },
	{ "verification", T_OBJ, F_ANY, NULL, f_person, 0, false },
	{ "validation", T_OBJ, F_ANY, NULL, f_person, 0, false },
	{ "property_number", SN, F_ANY, NULL, NULL, 0, false },
	{ "classification", SN, F_ANY, NULL, NULL, 0, false },
	{ "media_destination", T_OBJ, F_ANY, NULL, f_dest, 0, false },
	END
};
/* dispose run (#14): the policy it carried out, the digest of its inventory and plan */
static const struct field f_run_policy[] = {
	{ "name", SN, F_ANY, NULL, NULL, 0, false },
	{ "sha256", SN, F_HEX64, NULL, NULL, 0, false },
	END
};
static const struct field f_run_file[] = {
	{ "sha256", S, F_HEX64, NULL, NULL, 0, false },
	END
};
static const struct field f_run[] = {
	{ "run_dir", S, F_ANY, NULL, NULL, 0, true },
	{ "command", SN, F_ANY, NULL, NULL, 0, false },
	{ "schema", S, F_ANY, NULL, NULL, 0, false },
	{ "version", SN, F_ANY, NULL, NULL, 0, false },
	{ "gitrev", SN, F_ANY, NULL, NULL, 0, false },
	{ "host", SN, F_ANY, NULL, NULL, 0, true },
	{ "operator", SN, F_ANY, NULL, NULL, 0, true },
	{ "started", SN, F_RTIME, NULL, NULL, 0, false },
	{ "ended", SN, F_RTIME, NULL, NULL, 0, false },
	{ "status", SN, F_ANY, NULL, NULL, 0, false },
	{ "exit", T_INT, F_ANY, NULL, NULL, 0, false },
	{ "events", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "head", S, F_HEX64, NULL, NULL, 0, false },
	{ "policy", T_OBJ, F_ANY, NULL, f_run_policy, 0, false },
	{ "inventory", T_OBJ, F_ANY, NULL, f_run_file, 0, false },
	{ "plan", T_OBJ, F_ANY, NULL, f_run_file, 0, false },
	END
};
static const struct field f_recipient[] = {
	{ "subject", SN, F_ANY, NULL, NULL, 0, true },
	{ "issuer", SN, F_ANY, NULL, NULL, 0, true },
	{ "serial", SN, F_ANY, NULL, NULL, 0, false },
	{ "sha256", SN, F_HEX64T, NULL, NULL, 0, false },	/* a token in a copy */
	END
};
static const struct field f_archive[] = {
	{ "run", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "path", SN, F_ANY, NULL, NULL, 0, true },
	{ "external_identifier", SN, F_ANY, NULL, NULL, 0, true },
	{ "bytes", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "sha256", SN, F_HEX64, NULL, NULL, 0, false },
	{ "encrypted", T_BOOL, F_ANY, NULL, NULL, 0, false },
	{ "envelope_sha256", SN, F_HEX64, NULL, NULL, 0, false },
	{ "recipients", T_ARR, F_ANY, NULL, f_recipient, T_OBJ, false },
	{ "verified", T_BOOL, F_ANY, NULL, NULL, 0, false },
	{ "retain_until", SN, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_backup[] = {
	{ "backed_up", S, F_ANY, E_YESNO, NULL, 0, false },
	{ "archives", T_ARR, F_ANY, NULL, f_archive, T_OBJ, false },
	END
};
static const struct field f_identity[] = {
	{ "vendor", SN, F_ANY, NULL, NULL, 0, true },
	{ "model", SN, F_ANY, NULL, NULL, 0, true },
	{ "serial", SN, F_ANY, NULL, NULL, 0, true },
	{ "wwn", SN, F_ANY, NULL, NULL, 0, true },
	{ "size", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "logical_sector", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "physical_sector", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "rotational", T_BOOL | T_NULL, F_ANY, NULL, NULL, 0, false },
	{ "transport", SN, F_ANY, NULL, NULL, 0, true },
	{ "devno", SN, F_ANY, NULL, NULL, 0, false },
	{ "dev", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "ino", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "fstype", SN, F_ANY, NULL, NULL, 0, true },
	{ "name", SN, F_ANY, NULL, NULL, 0, true },
	{ "partition", T_BOOL | T_NULL, F_ANY, NULL, NULL, 0, false },
	{ "backing_file", SN, F_ANY, NULL, NULL, 0, true },
	{ "backing_dev", SN, F_ANY, NULL, NULL, 0, false },
	{ "backing_ino", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "backing_size", IN, F_NONNEG, NULL, NULL, 0, false },
	END
};
static const struct field f_nist[] = {
	{ "manufacturer", SN, F_ANY, NULL, NULL, 0, true },
	{ "model", SN, F_ANY, NULL, NULL, 0, true },
	{ "serial", SN, F_ANY, NULL, NULL, 0, true },
	{ "property_number", SN, F_ANY, NULL, NULL, 0, false },
	{ "media_type", SN, F_ANY, NULL, NULL, 0, false },
	{ "media_source", SN, F_ANY, NULL, NULL, 0, false },
	{ "classification_pre", SN, F_ANY, NULL, NULL, 0, false },
	{ "classification_post", SN, F_ANY, NULL, NULL, 0, false },
	{ "sanitization", S, F_ANY, E_SANIT, NULL, 0, false },
	{ "technique", S, F_ANY, NULL, NULL, 0, false },
	{ "tool", S, F_ANY, NULL, NULL, 0, false },
	{ "verification_method", S, F_ANY, E_VMETH, NULL, 0, false },
	{ "destination", SN, F_ANY, NULL, NULL, 0, false },
	{ "backup", SN, F_ANY, E_YESNO, NULL, 0, false },
	END
};
static const struct field f_method[] = {
	{ "name", SN, F_ANY, NULL, NULL, 0, true },
	{ "variant", SN, F_ANY, NULL, NULL, 0, false },
	{ "sha256", SN, F_HEX64, NULL, NULL, 0, false },
	{ "source", SN, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_pass[] = {
	{ "pass", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "label", SN, F_ANY, NULL, NULL, 0, false },
	{ "pattern", T_OBJ | T_NULL, F_ANY, NULL, NULL, 0, false },	/* as recorded */
	{ "bytes_written", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "complete", T_BOOL | T_NULL, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_verification[] = {
	{ "mode", S, F_ANY, E_VMODE, NULL, 0, false },
	{ "text", SN, F_ANY, NULL, NULL, 0, false },
	{ "percent", SN, F_DECIMAL, NULL, NULL, 0, false },
	{ "seed", SN, F_HEX, NULL, NULL, 0, false },
	{ "sampling", SN, F_ANY, NULL, NULL, 0, false },
	{ "bytes_read", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "mismatches", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "unreadable_bytes", T_INT, F_NONNEG, NULL, NULL, 0, false },
	END
};
static const struct field f_key[] = {
	{ "path", SN, F_ANY, NULL, NULL, 0, true },
	{ "type", SN, F_ANY, NULL, NULL, 0, false },
	{ "fingerprint", SN, F_ANY, NULL, NULL, 0, false },
	END
};
/* #13: crypto-erase and device sanitize evidence */
static const char *const E_TECH[] = { "overwrite", "crypto-luks", "sanitize", NULL };
static const char *const E_LUKS_OUTCOME[] = { "ok", "mismatch", "survived", "error", NULL };
static const char *const E_COMPLETION[] = { "success", "failed", "in progress", "not reported",
					    NULL };
static const struct field f_token[] = {
	{ "token", IN, F_ANY, NULL, NULL, 0, false },
	{ "type", SN, F_ANY, NULL, NULL, 0, true },
	END
};
static const struct field f_luks[] = {
	{ "version", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "uuid", SN, F_ANY, NULL, NULL, 0, true },
	{ "cipher", SN, F_ANY, NULL, NULL, 0, true },
	{ "key_bits", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "keyslots", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "keyslots_max", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "tokens", T_ARR, F_ANY, NULL, f_token, T_OBJ, false },
	{ "header_sha256", SN, F_HEX64, NULL, NULL, 0, false },
	{ "header_area_length", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "keyslots_destroyed", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "keyslots_failed", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "bytes_overwritten", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "bytes_verified", IN, F_NONNEG, NULL, NULL, 0, false },
	{ "header_found_after", T_BOOL | T_NULL, F_ANY, NULL, NULL, 0, false },
	{ "blkid_type_after", SN, F_ANY, NULL, NULL, 0, false },
	{ "outcome", SN, F_ANY, E_LUKS_OUTCOME, NULL, 0, false },
	{ "error", SN, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_backup_hdr[] = {
	{ "path", SN, F_ANY, NULL, NULL, 0, true },
	{ "uuid", SN, F_ANY, NULL, NULL, 0, true },
	{ "erased_in_run", T_BOOL | T_NULL, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_sanitize[] = {
	{ "bus", SN, F_ANY, NULL, NULL, 0, false },
	{ "action", SN, F_ANY, NULL, NULL, 0, false },
	{ "command", SN, F_ANY, NULL, NULL, 0, false },
	{ "completion", S, F_ANY, E_COMPLETION, NULL, 0, false },
	{ "status", T_OBJ | T_NULL, F_ANY, NULL, NULL, 0, false },	/* as recorded */
	END
};
static const struct field f_evidence[] = {
	{ "luks", T_OBJ | T_NULL, F_ANY, NULL, f_luks, 0, false },
	{ "header_backups", T_ARR, F_ANY, NULL, f_backup_hdr, T_OBJ, false },
	{ "sanitize", T_OBJ | T_NULL, F_ANY, NULL, f_sanitize, 0, false },
	{ "health_before", T_OBJ | T_NULL, F_ANY, NULL, NULL, 0, false },	/* as recorded */
	{ "health_after", T_OBJ | T_NULL, F_ANY, NULL, NULL, 0, false },
	{ "dealloc", T_BOOL | T_NULL, F_ANY, NULL, NULL, 0, false },
	{ "hidden", T_OBJ | T_NULL, F_ANY, NULL, NULL, 0, false },
	END
};
static const struct field f_target[] = {
	{ "run", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "id", S, F_ANY, NULL, NULL, 0, false },
	{ "path", SN, F_ANY, NULL, NULL, 0, true },
	{ "kind", SN, F_ANY, E_TKIND, NULL, 0, false },
	{ "started", SN, F_RTIME, NULL, NULL, 0, false },
	{ "ended", SN, F_RTIME, NULL, NULL, 0, false },
	{ "identity", T_OBJ, F_ANY, NULL, f_identity, 0, false },
	{ "nist", T_OBJ, F_ANY, NULL, f_nist, 0, false },
	{ "method", T_OBJ, F_ANY, NULL, f_method, 0, false },
	{ "technique", S, F_ANY, E_TECH, NULL, 0, false },
	{ "action", SN, F_ANY, NULL, NULL, 0, false },
	{ "auto_reason", SN, F_ANY, NULL, NULL, 0, false },
	{ "then", T_OBJ | T_NULL, F_ANY, NULL, f_method, 0, false },
	{ "passes", T_ARR, F_ANY, NULL, f_pass, T_OBJ, false },
	{ "verification", T_OBJ, F_ANY, NULL, f_verification, 0, false },
	{ "bad_ranges", T_ARR, F_RANGE, NULL, NULL, T_ARR, false },
	{ "bytes_written", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "bytes_verified", T_INT, F_NONNEG, NULL, NULL, 0, false },
	{ "result", S, F_ANY, E_RESULT, NULL, 0, false },
	{ "result_text", S, F_ANY, NULL, NULL, 0, false },
	{ "category_requested", S, F_ANY, E_CAT, NULL, 0, false },
	{ "category_achieved", S, F_ANY, E_CAT, NULL, 0, false },
	{ "category_reason", SN, F_ANY, NULL, NULL, 0, false },
	{ "old_data_may_remain", T_BOOL, F_ANY, NULL, NULL, 0, false },
	{ "caveats", T_ARR, F_ANY, NULL, NULL, T_STR, false },
	{ "removed", T_BOOL, F_ANY, NULL, NULL, 0, false },
	{ "key_material", T_ARR, F_ANY, NULL, f_key, T_OBJ, false },
	{ "evidence", T_OBJ, F_ANY, NULL, f_evidence, 0, false },
	END
};
/* #15: the salt of a full certificate with a redacted copy; the copy's own account */
static const char *const E_SCHEME[] = { "sha256(salt || value)", NULL };
static const struct field f_redaction_path[] = {
	{ "path", S, F_ANY, NULL, NULL, 0, true },
	END
};
static const struct field f_redaction[] = {
	{ "salt", S, F_HEX64, NULL, NULL, 0, false },
	{ "fields", T_ARR, F_ANY, NULL, NULL, T_STR, false },
	/* paths the records name that targets[] does not (targets that never started) */
	{ "paths", T_ARR, F_ANY, NULL, f_redaction_path, T_OBJ, false },
	{ "redacted_copy", S, F_UUID, NULL, NULL, 0, false },
	END
};
static const struct field f_redacted[] = {
	{ "fields", T_ARR, F_ANY, NULL, NULL, T_STR, false },
	{ "original_id", S, F_UUID, NULL, NULL, 0, false },
	{ "original_sha256", S, F_HEX64, NULL, NULL, 0, false },
	{ "scheme", S, F_ANY, E_SCHEME, NULL, 0, false },
	END
};
static const struct field f_doc[] = {
	{ "schema", S, F_ANY, E_SCHEMA, NULL, 0, false },
	{ "kind", S, F_ANY, E_KIND, NULL, 0, false },
	{ "certificate_id", S, F_UUID, NULL, NULL, 0, false },
	{ "created", S, F_TIME, NULL, NULL, 0, false },
	{ "notice", S, F_ANY, NULL, NULL, 0, false },
	{ "summary", T_OBJ, F_ANY, NULL, f_summary, 0, false },
	{ "tool", T_OBJ, F_ANY, NULL, f_tool, 0, false },
	{ "host", T_OBJ, F_ANY, NULL, f_host, 0, false },
	{ "attested", T_OBJ, F_ANY, NULL, f_attested, 0, false },
	{ "runs", T_ARR, F_ANY, NULL, f_run, T_OBJ, false },
	{ "backup", T_OBJ, F_ANY, NULL, f_backup, 0, false },
	{ "targets", T_ARR, F_ANY, NULL, f_target, T_OBJ, false },
	{ "redaction", T_OBJ, F_ANY, NULL, f_redaction, 0, false },
	{ "redacted", T_OBJ, F_ANY, NULL, f_redacted, 0, false },
	END
};

static unsigned type_bit(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return T_NULL;
	case json_type_boolean: return T_BOOL;
	case json_type_int: return T_INT;
	case json_type_string: return T_STR;
	case json_type_object: return T_OBJ;
	case json_type_array: return T_ARR;
	default: return 0;
	}
}

static bool hex_ok(const char *s, size_t want)
{
	size_t n = strlen(s);

	if (!n || (want && n != want))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* YYYY-MM-DDTHH:MM:SS[.fff]Z; frac: whether a fraction may follow the seconds */
static bool time_ok(const char *s, bool frac)
{
	size_t n = strlen(s), i = 19;

	if (n < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return false;
	if (frac && s[i] == '.') {
		size_t j = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == j)
			return false;
	}
	return i == n - 1 && s[i] == 'Z';
}

static bool uuid_ok(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') ||
					   (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static bool decimal_ok(const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return false;
	if (i == n)
		return true;
	if (s[i++] != '.' || i == n)
		return false;
	return digits(s + i, n - i);
}

static int check_value(const struct field *f, struct json_object *v, const char *where,
		       char **why);

/*
 * A target's keys added by #13: a certificate written before has none of
 * them. A run's keys of #14: only a dispose run's record has them.
 */
static bool added_key(const struct field *spec, const char *key)
{
	static const char *const added[] = { "technique", "action", "auto_reason", "then",
					     "evidence" };
	static const char *const run_added[] = { "policy", "inventory", "plan" };

	/* #15: only a certificate with a redacted copy, or the copy */
	if (spec == f_doc)
		return !strcmp(key, "redaction") || !strcmp(key, "redacted");
	if (spec == f_redaction)
		return !strcmp(key, "paths");

	if (spec == f_run) {
		for (size_t i = 0; i < DSP_ARRAY_SIZE(run_added); i++)
			if (!strcmp(run_added[i], key))
				return true;
		return false;
	}
	if (spec != f_target)
		return false;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(added); i++)
		if (!strcmp(added[i], key))
			return true;
	return false;
}

static int check_object(const struct field *spec, struct json_object *o, const char *where,
			char **why)
{
	char path[256];
	int rc;

	/* every key of the spec, in the spec's order */
	for (const struct field *f = spec; f->key; f++) {
		struct json_object *v;
		snprintf(path, sizeof(path), "%.200s.%.40s", where, f->key);
		if (!json_object_object_get_ex(o, f->key, &v)) {
			if (added_key(spec, f->key))
				continue;
			return cert_why(why, DSP_INVALID, "certificate: %s: missing", path);
		}
		if ((rc = check_value(f, v, path, why)))
			return rc;
	}
	/* and nothing else, but a "<key>_hex" sibling of a name */
	json_object_object_foreach(o, k, v) {
		const struct field *f;
		size_t kl = strlen(k);
		for (f = spec; f->key; f++)
			if (!strcmp(f->key, k))
				break;
		if (f->key)
			continue;
		if (kl > 4 && !strcmp(k + kl - 4, "_hex")) {
			for (f = spec; f->key; f++)
				if (f->bytes && strlen(f->key) == kl - 4 && !strncmp(f->key, k, kl - 4))
					break;
			if (f->key) {
				/* a redacted copy's name is a token (cert_check_redaction) */
				if (!json_object_is_type(v, json_type_string) ||
				    (!dsp_cert_is_token(json_object_get_string(v)) &&
				     (!hex_ok(json_object_get_string(v), 0) ||
				      json_object_get_string_len(v) % 2)))
					return cert_why(why, DSP_INVALID,
							"certificate: %s.%s: not lowercase hex", where, k);
				continue;
			}
		}
		return cert_why(why, DSP_INVALID, "certificate: %s.%s: unknown key", where, k);
	}
	return 0;
}

static int check_value(const struct field *f, struct json_object *v, const char *where,
		       char **why)
{
	unsigned t = type_bit(v);
	const char *s;
	char path[256];
	int rc;

	if (!(t & f->types))
		return cert_why(why, DSP_INVALID, "certificate: %s: wrong type", where);
	if (t == T_INT && f->fmt == F_NONNEG && json_object_get_int64(v) < 0)
		return cert_why(why, DSP_INVALID, "certificate: %s: negative", where);
	if (t == T_STR) {
		bool ok = true;
		s = json_object_get_string(v);
		if (f->enums) {
			ok = false;
			for (const char *const *e = f->enums; *e; e++)
				ok |= !strcmp(*e, s);
		}
		switch (f->fmt) {
		case F_UUID: ok &= uuid_ok(s); break;
		case F_TIME: ok &= time_ok(s, false); break;
		case F_RTIME: ok &= time_ok(s, true); break;
		case F_HEX: ok &= hex_ok(s, 0); break;
		case F_HEX64: ok &= hex_ok(s, 64); break;
		case F_HEX64T: ok &= hex_ok(s, 64) || dsp_cert_is_token(s); break;
		case F_DECIMAL: ok &= decimal_ok(s); break;
		default: break;
		}
		if (!ok)
			return cert_why(why, DSP_INVALID, "certificate: %s: '%s' is not allowed",
					where, s);
	}
	if (t == T_OBJ && f->sub)
		return check_object(f->sub, v, where, why);
	if (t == T_ARR) {
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			unsigned et = type_bit(e);
			snprintf(path, sizeof(path), "%.200s[%zu]", where, i);
			if (!(et & f->elem))
				return cert_why(why, DSP_INVALID, "certificate: %s: wrong type", path);
			if (f->fmt == F_RANGE) {	/* [offset, length] */
				if (json_object_array_length(e) != 2 ||
				    type_bit(json_object_array_get_idx(e, 0)) != T_INT ||
				    type_bit(json_object_array_get_idx(e, 1)) != T_INT ||
				    json_object_get_int64(json_object_array_get_idx(e, 0)) < 0 ||
				    json_object_get_int64(json_object_array_get_idx(e, 1)) < 0)
					return cert_why(why, DSP_INVALID,
							"certificate: %s: not [offset, length]", path);
			}
			if (et == T_OBJ && f->sub && (rc = check_object(f->sub, e, path, why)))
				return rc;
		}
	}
	return 0;
}

int dsp_cert_check_schema(struct json_object *doc, char **why)
{
	int rc;

	if (!json_object_is_type(doc, json_type_object))
		return cert_why(why, DSP_INVALID, "certificate: not a JSON object");
	if ((rc = check_object(f_doc, doc, "$", why)))
		return rc;
	return cert_check_redaction(doc, why);
}
