/* SPDX-License-Identifier: MIT */
/* json.h - JSON strings from bytes that may not be UTF-8 (reversibly), strict member getters */
#ifndef DISPOSE_JSON_H
#define DISPOSE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/*
 * Names on disk are bytes; JSON text must be UTF-8. The rule, used by every
 * document dispose writes (the run record above all, dispose-record(5)):
 *
 *  - bytes that are valid UTF-8 are written as they are (json-c escapes
 *    quotes, backslashes and control characters);
 *  - bytes that are not are written as readable text in which each byte
 *    that is not part of a valid UTF-8 sequence is the four characters
 *    \xHH and a backslash is doubled, and a sibling member "<key>_hex"
 *    holds the exact bytes as lowercase hex. In an array the element is
 *    {"text": <readable text>, "hex": <exact bytes>} instead.
 *
 * So the "_hex" member (or "hex" element member) is present exactly when
 * the name was not UTF-8, and it is what a reader trusts.
 */

/* True when s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF). */
bool dsp_utf8_valid(const char *s, size_t len);

/*
 * The readable text of s[0..len) as described above, malloc'd and
 * NUL-terminated; s itself (copied) when it is valid UTF-8. NULL on ENOMEM.
 */
char *dsp_json_escape_text(const char *s, size_t len);

/*
 * A JSON string for the bytes s (NUL-terminated): s itself when valid
 * UTF-8, else its readable text (*escaped then set to 1, when not NULL).
 * NULL s gives NULL (which json-c writes as null). A caller that needs the
 * exact bytes back uses dsp_json_add_bytes or dsp_json_bytes_value.
 */
struct json_object *dsp_json_string(const char *s, int *escaped);

/*
 * obj[key] = s as a string, and obj[key "_hex"] = its exact bytes when s is
 * not UTF-8; obj[key] = null when s is NULL. Returns 0 or -ENOMEM.
 */
int dsp_json_add_bytes(struct json_object *obj, const char *key, const char *s);

/* An array element for s: a string, or {"text","hex"} when s is not UTF-8. */
struct json_object *dsp_json_bytes_value(const char *s);

/*
 * The exact bytes of obj[key], written as above: from "<key>_hex" when
 * present, else the string itself. *out is malloc'd and NUL-terminated
 * (*len, when not NULL, is its length: a name holds no NUL byte, hex that
 * decodes to one is refused). Returns 0, -ENOENT (absent or null),
 * -EINVAL (not a string, bad hex) or -ENOMEM.
 */
int dsp_json_bytes(struct json_object *obj, const char *key, char **out, size_t *len);
/* The same for an array element (a string or {"text","hex"}). */
int dsp_json_value_bytes(struct json_object *v, char **out, size_t *len);

/*
 * Make every string in o (members, elements and keys, recursively) valid
 * UTF-8 by the rule above, in place. Returns the number of strings changed,
 * or -ENOMEM. dsp_json_is_utf8 says whether anything would change.
 */
int dsp_json_make_utf8(struct json_object *o);
bool dsp_json_is_utf8(struct json_object *o);

/*
 * The inverse, for a reader that wants names as bytes in memory: every
 * member with a "<key>_hex" sibling gets its exact bytes back (the _hex
 * member is removed), every {"text","hex"} element becomes the string of its
 * bytes, recursively. Returns the number restored, -EINVAL (bad hex, a NUL
 * byte: that member is left as it was) or -ENOMEM.
 */
int dsp_json_restore_bytes(struct json_object *o);

/*
 * Strict getters of a member (o may be NULL): the value only when present
 * with exactly that type; absent, null or another type is "none".
 */
const char *dsp_json_str(struct json_object *o, const char *key);	/* NULL: none */
int dsp_json_i64(struct json_object *o, const char *key, int64_t *out);	/* 0, -ENOENT, -EINVAL */
int dsp_json_u64(struct json_object *o, const char *key, uint64_t *out);	/* < 0 is -EINVAL */
int dsp_json_bool(struct json_object *o, const char *key, bool *out);	/* 0, -ENOENT, -EINVAL */

/*
 * A fraction (a percentage) as its shortest decimal string that reads back
 * as the same double ("12.5", "0.001"): documents hold integers and strings
 * only, never a float, so that they can be made canonical.
 */
struct json_object *dsp_json_new_decimal(double v);
/* Such a member read back; a JSON number is taken too (older records). 0, -ENOENT, -EINVAL. */
int dsp_json_decimal(struct json_object *o, const char *key, double *out);

#endif
