/* SPDX-License-Identifier: MIT */
/* redact.c - the redacted copy of a certificate: serials, host and paths as salted SHA-256 tokens */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define TOKEN_LEN	(sizeof(DSP_CERT_TOKEN_PREFIX) - 1 + 64)
#define SCHEME		"sha256(salt || value)"
/* a hidden value shorter than this is replaced where it is a whole string, not inside text */
#define MIN_SUB		4

static const char *const cat_words[] = { "serials", "host", "paths" };

int dsp_cert_redact_parse(const char *list, unsigned *mask, char **why)
{
	const char *p = list ? list : "";

	*mask = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;

		for (unsigned i = 0; i < DSP_ARRAY_SIZE(cat_words); i++)
			if (n == strlen(cat_words[i]) && !strncmp(p, cat_words[i], n))
				bit = 1u << i;
		if (!bit)
			return cert_why(why, DSP_INVALID, "--redact: '%.*s': unknown field, expected "
					"serials, host or paths", (int)(n > 64 ? 64 : n), p);
		*mask |= bit;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

const char *dsp_cert_redact_words(unsigned mask)
{
	static char buf[32];
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < DSP_ARRAY_SIZE(cat_words); i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ", " : "",
					      cat_words[i]);
	return buf;
}

static bool lowhex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* s starts with a well-formed token */
static bool token_at(const char *s)
{
	size_t pl = sizeof(DSP_CERT_TOKEN_PREFIX) - 1;

	return !strncmp(s, DSP_CERT_TOKEN_PREFIX, pl) && strnlen(s + pl, 64) == 64 &&
	       lowhex(s + pl, 64);
}

bool dsp_cert_is_token(const char *s)
{
	return s && strlen(s) == TOKEN_LEN && token_at(s);
}

static struct json_object *member(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, k, &v);
	return v;
}

bool dsp_cert_is_redacted(struct json_object *doc)
{
	return json_object_is_type(member(doc, "redacted"), json_type_object);
}

/* The DSP_CERT_REDACT_* mask of a "fields" array; 0 when it is not a valid list. */
static unsigned fields_mask(struct json_object *f)
{
	unsigned mask = 0;
	int last = -1;

	if (!json_object_is_type(f, json_type_array) || !json_object_array_length(f))
		return 0;
	for (size_t i = 0; i < json_object_array_length(f); i++) {
		const char *w = json_object_get_string(json_object_array_get_idx(f, i));
		int k = -1;

		if (!json_object_is_type(json_object_array_get_idx(f, i), json_type_string))
			return 0;
		for (int j = 0; j < (int)DSP_ARRAY_SIZE(cat_words); j++)
			if (!strcmp(w, cat_words[j]))
				k = j;
		if (k <= last)	/* unknown, repeated or out of order */
			return 0;
		last = k;
		mask |= 1u << k;
	}
	return mask;
}

/* ---- where the hidden values are ---- */

#define C_SER	DSP_CERT_REDACT_SERIALS
#define C_HOST	DSP_CERT_REDACT_HOST
#define C_PATH	DSP_CERT_REDACT_PATHS

/* obj[key] of category cat, at where: 0 to go on, else stop with that value */
typedef int (*slot_fn)(struct json_object *obj, const char *key, unsigned cat, const char *where,
		       void *arg);

struct walk {
	slot_fn fn;
	void *arg;
};

static int slot(struct walk *w, struct json_object *obj, const char *key, unsigned cat,
		const char *at)
{
	char where[320];

	if (!member(obj, key))
		return 0;
	snprintf(where, sizeof(where), "%.280s.%s", at, key);
	return w->fn(obj, key, cat, where, w->arg);
}

/* The members an as-recorded device object (health log, sanitize status) names a medium by. */
static int recorded(struct walk *w, struct json_object *o, const char *at, unsigned depth)
{
	static const char *const keys[] = { "serial", "wwn", "sysfs_serial", "sysfs_wwid",
					    "serial_number", "eui64", "nguid", "uuid" };
	char where[320];
	int rc;

	if (depth > 8)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			snprintf(where, sizeof(where), "%.280s[%zu]", at, i);
			if ((rc = recorded(w, json_object_array_get_idx(o, i), where, depth + 1)))
				return rc;
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		bool named = false;

		for (size_t i = 0; i < DSP_ARRAY_SIZE(keys); i++)
			named |= !strcmp(k, keys[i]);
		if (named && json_object_is_type(v, json_type_string)) {
			if ((rc = slot(w, o, k, C_SER, at)))
				return rc;
		} else if (!named) {
			snprintf(where, sizeof(where), "%.280s.%.30s", at, k);
			if ((rc = recorded(w, v, where, depth + 1)))
				return rc;
		}
	}
	return 0;
}

/* Every field of doc that holds a serial, a host's name or a path (dispose-certificate(5)). */
static int each_slot(struct json_object *doc, slot_fn fn, void *arg)
{
	static const char *const dmi[] = { "sys_vendor", "product_name", "product_serial",
					   "product_uuid", "chassis_serial", "chassis_asset_tag",
					   "board_serial" };
	struct walk w = { fn, arg };
	struct json_object *host = member(doc, "host"), *d = member(host, "dmi"), *a;
	char at[320];
	int rc;

	if ((rc = slot(&w, member(doc, "attested"), "property_number", C_SER, "$.attested")))
		return rc;
	if ((rc = slot(&w, host, "hostname", C_HOST, "$.host")) ||
	    (rc = slot(&w, host, "machine_id", C_HOST, "$.host")))
		return rc;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(dmi); i++)
		if ((rc = slot(&w, d, dmi[i], i < 2 ? C_HOST : C_SER, "$.host.dmi")))
			return rc;
	a = member(doc, "runs");
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		snprintf(at, sizeof(at), "$.runs[%zu]", i);
		if ((rc = slot(&w, r, "run_dir", C_PATH, at)) || (rc = slot(&w, r, "host", C_HOST, at)))
			return rc;
	}
	a = member(member(doc, "backup"), "archives");
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++) {
		struct json_object *ar = json_object_array_get_idx(a, i), *rc_ = member(ar, "recipients");

		snprintf(at, sizeof(at), "$.backup.archives[%zu]", i);
		if ((rc = slot(&w, ar, "path", C_PATH, at)))
			return rc;
		for (size_t j = 0; json_object_is_type(rc_, json_type_array) &&
				   j < json_object_array_length(rc_); j++) {
			snprintf(at, sizeof(at), "$.backup.archives[%zu].recipients[%zu]", i, j);
			/* the recipient certificate's fingerprint gives its serial back */
			if ((rc = slot(&w, json_object_array_get_idx(rc_, j), "serial", C_SER, at)) ||
			    (rc = slot(&w, json_object_array_get_idx(rc_, j), "sha256", C_SER, at)))
				return rc;
		}
	}
	a = member(doc, "targets");
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++) {
		struct json_object *t = json_object_array_get_idx(a, i), *id = member(t, "identity");
		struct json_object *ev = member(t, "evidence"), *km = member(t, "key_material");
		struct json_object *hb = member(ev, "header_backups");
		char sub[320];

		snprintf(at, sizeof(at), "$.targets[%zu]", i);
		if ((rc = slot(&w, t, "path", C_PATH, at)))
			return rc;
		snprintf(sub, sizeof(sub), "%.200s.identity", at);
		if ((rc = slot(&w, id, "serial", C_SER, sub)) || (rc = slot(&w, id, "wwn", C_SER, sub)) ||
		    (rc = slot(&w, id, "backing_file", C_PATH, sub)) ||
		    (rc = slot(&w, id, "name", C_PATH, sub)))	/* the device path less /dev/ */
			return rc;
		snprintf(sub, sizeof(sub), "%.200s.nist", at);
		if ((rc = slot(&w, member(t, "nist"), "serial", C_SER, sub)) ||
		    (rc = slot(&w, member(t, "nist"), "property_number", C_SER, sub)))
			return rc;
		for (size_t j = 0; json_object_is_type(km, json_type_array) &&
				   j < json_object_array_length(km); j++) {
			snprintf(sub, sizeof(sub), "%.200s.key_material[%zu]", at, j);
			/* a key's fingerprint is searchable (CT logs, scanners): it names the host */
			if ((rc = slot(&w, json_object_array_get_idx(km, j), "path", C_PATH, sub)) ||
			    (rc = slot(&w, json_object_array_get_idx(km, j), "fingerprint", C_HOST,
				       sub)))
				return rc;
		}
		snprintf(sub, sizeof(sub), "%.200s.evidence.luks", at);
		if ((rc = slot(&w, member(ev, "luks"), "uuid", C_SER, sub)))
			return rc;
		for (size_t j = 0; json_object_is_type(hb, json_type_array) &&
				   j < json_object_array_length(hb); j++) {
			struct json_object *b = json_object_array_get_idx(hb, j);

			snprintf(sub, sizeof(sub), "%.200s.evidence.header_backups[%zu]", at, j);
			if ((rc = slot(&w, b, "path", C_PATH, sub)) || (rc = slot(&w, b, "uuid", C_SER, sub)))
				return rc;
		}
		snprintf(sub, sizeof(sub), "%.200s.evidence.sanitize.status", at);
		if ((rc = recorded(&w, member(member(ev, "sanitize"), "status"), sub, 0)))
			return rc;
		static const char *const rec[] = { "health_before", "health_after", "hidden" };
		for (size_t j = 0; j < DSP_ARRAY_SIZE(rec); j++) {
			snprintf(sub, sizeof(sub), "%.200s.evidence.%s", at, rec[j]);
			if ((rc = recorded(&w, member(ev, rec[j]), sub, 0)))
				return rc;
		}
	}
	return 0;
}

static size_t count_tokens(struct json_object *o, unsigned depth);

/* ---- making the copy ---- */

/*
 * The hidden values in a byte trie (children in one open-addressing table
 * keyed by node and byte): at each place of a string the longest value that
 * starts there is found in as many steps as it has bytes, whatever the
 * number of values (a run of thousands of files: no quadratic walk).
 */
struct hid {
	size_t len;
	char token[TOKEN_LEN + 1];
};

struct mk {
	unsigned char salt[32];
	unsigned mask;
	struct hid *v;
	size_t n, cap;
	uint32_t *slot_node, *slot_child;	/* the table: parent node+1 (0: free), child */
	unsigned char *slot_byte;
	size_t tcap, tused;
	int32_t *term;			/* node -> value index, -1 */
	size_t nodes, ncap;
	size_t tokens;
	int err;
};

static size_t tslot(const struct mk *m, uint32_t node, unsigned char b)
{
	uint64_t h = ((uint64_t)node * 257u + b + 1) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (m->tcap - 1);
}

static int64_t child(const struct mk *m, uint32_t node, unsigned char b)
{
	if (!m->tcap)
		return -1;
	for (size_t i = tslot(m, node, b);; i = (i + 1) & (m->tcap - 1)) {
		if (!m->slot_node[i])
			return -1;
		if (m->slot_node[i] == node + 1 && m->slot_byte[i] == b)
			return m->slot_child[i];
	}
}

static int put_child(struct mk *m, uint32_t node, unsigned char b, uint32_t c)
{
	if (2 * (m->tused + 1) > m->tcap) {
		size_t ocap = m->tcap, ncap = ocap ? 2 * ocap : 1024;
		uint32_t *on = m->slot_node, *oc = m->slot_child;
		unsigned char *ob = m->slot_byte;

		m->slot_node = calloc(ncap, sizeof(*m->slot_node));
		m->slot_child = malloc(ncap * sizeof(*m->slot_child));
		m->slot_byte = malloc(ncap);
		if (!m->slot_node || !m->slot_child || !m->slot_byte) {
			free(m->slot_node);
			free(m->slot_child);
			free(m->slot_byte);
			m->slot_node = on;
			m->slot_child = oc;
			m->slot_byte = ob;
			return -ENOMEM;
		}
		m->tcap = ncap;
		for (size_t i = 0; i < ocap; i++) {
			size_t j;

			if (!on[i])
				continue;
			for (j = tslot(m, on[i] - 1, ob[i]); m->slot_node[j]; j = (j + 1) & (ncap - 1))
				;
			m->slot_node[j] = on[i];
			m->slot_child[j] = oc[i];
			m->slot_byte[j] = ob[i];
		}
		free(on);
		free(oc);
		free(ob);
	}
	for (size_t i = tslot(m, node, b);; i = (i + 1) & (m->tcap - 1))
		if (!m->slot_node[i]) {
			m->slot_node[i] = node + 1;
			m->slot_child[i] = c;
			m->slot_byte[i] = b;
			m->tused++;
			return 0;
		}
}

static int new_node(struct mk *m, uint32_t *id)
{
	if (m->nodes == m->ncap) {
		size_t cap = m->ncap ? 2 * m->ncap : 1024;
		int32_t *nt = cap < UINT32_MAX / 2 ? realloc(m->term, cap * sizeof(*nt)) : NULL;

		if (!nt)
			return -ENOMEM;
		m->term = nt;
		m->ncap = cap;
	}
	m->term[m->nodes] = -1;
	*id = (uint32_t)m->nodes++;
	return 0;
}

static int token_of(const unsigned char salt[32], const void *val, size_t len,
		    char out[TOKEN_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdl = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, salt, 32) && EVP_DigestUpdate(c, val, len) &&
		 EVP_DigestFinal_ex(c, md, &mdl) && mdl == 32;

	EVP_MD_CTX_free(c);
	if (!ok)
		return -ENOMEM;
	memcpy(out, DSP_CERT_TOKEN_PREFIX, sizeof(DSP_CERT_TOKEN_PREFIX) - 1);
	dsp_hex(md, 32, out + sizeof(DSP_CERT_TOKEN_PREFIX) - 1);
	out[TOKEN_LEN] = '\0';
	return 0;
}

/* text (as the document writes it) hides under token; the first value of a text gives its token */
static int hid_add(struct mk *m, const char *text, const char *token)
{
	uint32_t node = 0;
	int rc;

	if (!*text)
		return 0;
	if (!m->nodes && (rc = new_node(m, &node)))
		return rc;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		int64_t c = child(m, node, *p);
		uint32_t nn;

		if (c < 0) {
			if ((rc = new_node(m, &nn)) || (rc = put_child(m, node, *p, nn)))
				return rc;
			c = nn;
		}
		node = (uint32_t)c;
	}
	if (m->term[node] >= 0)
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 32;
		struct hid *nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->v = nv;
		m->cap = cap;
	}
	m->v[m->n].len = strlen(text);
	memcpy(m->v[m->n].token, token, TOKEN_LEN + 1);
	m->term[node] = (int32_t)m->n++;
	return 0;
}

/* The token of value text into tok, from its exact bytes (obj[key] and its "<key>_hex"). */
static int value_token(struct mk *m, struct json_object *obj, const char *key,
		       char tok[TOKEN_LEN + 1])
{
	const char *text = json_object_get_string(member(obj, key));
	char *bytes = NULL;
	size_t blen = 0;
	int rc = dsp_json_bytes(obj, key, &bytes, &blen);

	if (rc == -ENOMEM)
		return rc;
	rc = rc ? token_of(m->salt, text, strlen(text), tok) : token_of(m->salt, bytes, blen, tok);
	free(bytes);
	return rc;
}

/* Hide one field: the value and its "<key>_hex" sibling become the token of its exact bytes. */
static int hide_slot(struct json_object *obj, const char *key, unsigned cat, const char *where,
		     void *arg)
{
	struct mk *m = arg;
	struct json_object *v = member(obj, key);
	char hk[128], tok[TOKEN_LEN + 1];
	const char *text;
	int rc;

	(void)where;
	if (!(cat & m->mask) || !json_object_is_type(v, json_type_string))
		return 0;
	text = json_object_get_string(v);
	if (dsp_cert_is_token(text))
		return 0;
	if ((rc = value_token(m, obj, key, tok)) || (rc = hid_add(m, text, tok)))
		return rc;
	json_object_object_add(obj, key, json_object_new_string(tok));
	snprintf(hk, sizeof(hk), "%s_hex", key);
	if (member(obj, hk))
		json_object_object_add(obj, hk, json_object_new_string(tok));
	m->tokens++;
	return 0;
}

static bool alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * The longest hidden value at s[i..n): 4 bytes or more anywhere, a shorter
 * one only as a whole word (non-alphanumerics or the ends around it).
 */
static const struct hid *match_at(const struct mk *m, const char *s, size_t i, size_t n)
{
	const struct hid *best = NULL;
	uint32_t node = 0;

	if (!m->nodes)
		return NULL;
	for (size_t j = i; j < n; j++) {
		int64_t c = child(m, node, (unsigned char)s[j]);
		const struct hid *h;

		if (c < 0)
			break;
		node = (uint32_t)c;
		if (m->term[node] < 0)
			continue;
		h = &m->v[m->term[node]];
		if (h->len >= MIN_SUB ||
		    ((!i || !alnum((unsigned char)s[i - 1])) &&
		     (j + 1 == n || !alnum((unsigned char)s[j + 1]))))
			best = h;
	}
	return best;
}

/* s with every hidden value replaced by its token (longest first, one pass), or NULL: unchanged. */
static char *replace_in(struct mk *m, const char *s, size_t *ntok)
{
	size_t n = strlen(s), cap = 0, o = 0;
	char *out = NULL;

	if (dsp_cert_is_token(s))
		return NULL;
	for (size_t i = 0; i < n;) {
		const struct hid *h = NULL;
		size_t skip = 1;

		if (s[i] == DSP_CERT_TOKEN_PREFIX[0] && token_at(s + i))
			skip = TOKEN_LEN;	/* a token stays whole */
		else
			h = match_at(m, s, i, n);
		if (!out) {
			if (!h) {
				i += skip;
				continue;
			}
			cap = n + TOKEN_LEN * 4 + 1;
			if (!(out = malloc(cap))) {
				m->err = -ENOMEM;
				return NULL;
			}
			memcpy(out, s, i);
			o = i;
		}
		if (o + TOKEN_LEN + skip + 1 >= cap) {
			char *no = realloc(out, cap = 2 * cap + TOKEN_LEN + skip);

			if (!no) {
				free(out);
				m->err = -ENOMEM;
				return NULL;
			}
			out = no;
		}
		if (h) {
			memcpy(out + o, h->token, TOKEN_LEN);
			o += TOKEN_LEN;
			i += h->len;
			(*ntok)++;
		} else {
			memcpy(out + o, s + i, skip);
			o += skip;
			i += skip;
		}
	}
	if (!out)
		return NULL;
	out[o] = '\0';
	return out;
}

/* obj[key], a string, through replace_in. */
static void rewrite(struct mk *m, struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);
	char *r;

	if (m->err || !json_object_is_type(v, json_type_string))
		return;
	if ((r = replace_in(m, json_object_get_string(v), &m->tokens)))
		json_object_object_add(obj, key, json_object_new_string(r));
	free(r);
}

/* Every string of an array of strings, or (recorded: as the device said it) of a whole tree. */
static void rewrite_all(struct mk *m, struct json_object *o, unsigned depth)
{
	if (depth > 64 || m->err)
		return;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *e = json_object_array_get_idx(o, i);
			char *r;

			if (!json_object_is_type(e, json_type_string)) {
				rewrite_all(m, e, depth + 1);
				continue;
			}
			if ((r = replace_in(m, json_object_get_string(e), &m->tokens)))
				json_object_array_put_idx(o, i, json_object_new_string(r));
			free(r);
		}
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			if (json_object_is_type(v, json_type_string))
				rewrite(m, o, k);
			else
				rewrite_all(m, v, depth + 1);
		}
	}
}

/* A field that carries a hidden value (listed or not): occurrences of the listed ones in it. */
static int rewrite_slot(struct json_object *obj, const char *key, unsigned cat, const char *where,
			void *arg)
{
	const char *s = json_object_get_string(member(obj, key));

	(void)cat;
	(void)where;
	/* digests, uuids, machine ids: nothing a name could hide in */
	if (s && s[strspn(s, "0123456789abcdefABCDEF:.-")])
		rewrite(arg, obj, key);
	return ((struct mk *)arg)->err;
}

static void rewrite_keys(struct mk *m, struct json_object *o, const char *const *keys)
{
	for (; *keys; keys++)
		rewrite(m, o, *keys);
}

/*
 * The free text of the document: only these members (and the fields that
 * carry hidden values) have hidden values replaced inside them; dispose's
 * own words (schema, kind, method, technique, results, categories, modes,
 * pattern kinds...) never, so a value equal to one of them stays there.
 */
static void rewrite_text(struct mk *m, struct json_object *doc)
{
	static const char *const sanitizer[] = { "name", "title", "organization", "location",
						 "contact", NULL };
	static const char *const attested[] = { "classification", NULL };
	static const char *const ident[] = { "vendor", "model", NULL };
	static const char *const nist[] = { "manufacturer", "model", "classification_pre",
					    "classification_post", "destination", NULL };
	static const char *const target[] = { "auto_reason", "result_text", "category_reason",
					      NULL };
	static const char *const recipient[] = { "subject", "issuer", NULL };
	static const char *const recorded[] = { "health_before", "health_after", "hidden", NULL };
	struct json_object *at = member(doc, "attested"), *a;

	rewrite_all(m, member(member(doc, "summary"), "failures"), 0);
	rewrite_keys(m, member(at, "sanitization"), sanitizer);
	rewrite(m, member(at, "verification"), "name");
	rewrite(m, member(at, "validation"), "name");
	rewrite_keys(m, at, attested);
	rewrite(m, member(at, "media_destination"), "details");
	a = member(doc, "runs");
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++)
		rewrite(m, member(json_object_array_get_idx(a, i), "policy"), "name");
	a = member(member(doc, "backup"), "archives");
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++) {
		struct json_object *ar = json_object_array_get_idx(a, i), *r = member(ar, "recipients");

		rewrite(m, ar, "external_identifier");
		for (size_t j = 0; json_object_is_type(r, json_type_array) &&
				   j < json_object_array_length(r); j++)
			rewrite_keys(m, json_object_array_get_idx(r, j), recipient);
	}
	a = member(doc, "targets");
	for (size_t i = 0; json_object_is_type(a, json_type_array) &&
			   i < json_object_array_length(a); i++) {
		struct json_object *t = json_object_array_get_idx(a, i), *ev = member(t, "evidence");

		rewrite_keys(m, member(t, "identity"), ident);
		rewrite_keys(m, member(t, "nist"), nist);
		rewrite_keys(m, t, target);
		rewrite_all(m, member(t, "caveats"), 0);
		rewrite(m, member(ev, "luks"), "error");
		rewrite_all(m, member(member(ev, "sanitize"), "status"), 0);
		for (size_t j = 0; recorded[j]; j++)
			rewrite_all(m, member(ev, recorded[j]), 0);
	}
}

/* The full certificate's other paths (targets that never started): hidden values too. */
static int hide_extra(struct mk *m, struct json_object *red)
{
	struct json_object *p = member(red, "paths");
	char tok[TOKEN_LEN + 1];
	int rc;

	if (!(m->mask & C_PATH))
		return 0;
	for (size_t i = 0; json_object_is_type(p, json_type_array) &&
			   i < json_object_array_length(p); i++) {
		struct json_object *e = json_object_array_get_idx(p, i);
		const char *text = json_object_get_string(member(e, "path"));

		if (!json_object_is_type(member(e, "path"), json_type_string))
			continue;
		if ((rc = value_token(m, e, "path", tok)) || (rc = hid_add(m, text, tok)))
			return rc;
	}
	return 0;
}

static void mk_free(struct mk *m)
{
	free(m->v);
	free(m->slot_node);
	free(m->slot_child);
	free(m->slot_byte);
	free(m->term);
	OPENSSL_cleanse(m->salt, sizeof(m->salt));
}

int cert_redact_original(struct json_object *copy, const void *full_bytes, size_t full_len)
{
	struct json_object *r = member(copy, "redacted");
	char hex[65];
	int rc;

	if (!json_object_is_type(r, json_type_object))
		return -EINVAL;
	if ((rc = dsp_sha256_hex(full_bytes, full_len, hex)))
		return rc;
	json_object_object_add(r, "original_sha256", json_object_new_string(hex));
	return 0;
}

int dsp_cert_redact(struct json_object *full, const void *full_bytes, size_t full_len,
		    struct json_object **copy, size_t *ntokens, char **why)
{
	struct json_object *red = member(full, "redaction"), *c = NULL, *r, *f;
	const char *salt = json_object_get_string(member(red, "salt"));
	struct mk m = { .mask = fields_mask(member(red, "fields")) };
	size_t sl = 0;
	int rc;

	*copy = NULL;
	if (ntokens)
		*ntokens = 0;
	if (!json_object_is_type(red, json_type_object) || !salt || strlen(salt) != 64 ||
	    !lowhex(salt, 64) || !m.mask)
		return cert_why(why, DSP_INVALID, "certificate: no valid \"redaction\" member "
				"(salt and fields): not made with --redact");
	if (dsp_unhex(salt, 64, m.salt, sizeof(m.salt), &sl) || sl != 32)
		return cert_why(why, DSP_INVALID, "certificate: redaction.salt: not 64 hex digits");
	if (json_object_deep_copy(full, &c, NULL) || !c) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_object_del(c, "redaction");
	if ((rc = each_slot(c, hide_slot, &m)) || (rc = hide_extra(&m, red)))
		goto out;
	if ((rc = each_slot(c, rewrite_slot, &m)))
		goto out;
	rewrite_text(&m, c);
	if ((rc = m.err))
		goto out;
	if (!(r = json_object_new_object()) || !(f = json_object_new_array())) {
		json_object_put(r);
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < DSP_ARRAY_SIZE(cat_words); i++)
		if (m.mask & (1u << i))
			json_object_array_add(f, json_object_new_string(cat_words[i]));
	json_object_object_add(r, "fields", f);
	json_object_object_add(r, "original_id", json_object_get(member(full, "certificate_id")));
	json_object_object_add(r, "original_sha256", NULL);
	json_object_object_add(r, "scheme", json_object_new_string(SCHEME));
	json_object_object_add(c, "redacted", r);
	if ((rc = cert_set_id(c)))
		goto out;
	if (full_bytes && (rc = cert_redact_original(c, full_bytes, full_len)))
		goto out;
	if (ntokens)
		*ntokens = count_tokens(c, 0);
	*copy = c;
	c = NULL;
	rc = 0;
out:
	if (rc == -ENOMEM)
		cert_why(why, rc, "redact: out of memory");
	mk_free(&m);
	json_object_put(c);
	return rc;
}

/* ---- the rules verify applies ---- */

struct chk {
	unsigned mask;
	struct json_object *listed;	/* tokens of listed fields: token -> true */
	bool second;			/* second pass: tokens of unlisted fields */
	char **why;
};

static int check_slot(struct json_object *obj, const char *key, unsigned cat, const char *where,
		      void *arg)
{
	struct chk *c = arg;
	const char *s = json_object_get_string(member(obj, key));
	struct json_object *h;
	char hk[128];

	if (!json_object_is_type(member(obj, key), json_type_string) || !dsp_cert_is_token(s))
		return 0;
	snprintf(hk, sizeof(hk), "%s_hex", key);
	h = member(obj, hk);
	if (h && (!json_object_is_type(h, json_type_string) || strcmp(json_object_get_string(h), s)))
		return cert_why(c->why, DSP_INVALID, "certificate: %s_hex: not the token of %s",
				where, where);
	if (!c->second) {
		if (cat & c->mask)
			json_object_object_add(c->listed, s, json_object_new_boolean(1));
		return 0;
	}
	if (!(cat & c->mask) && !member(c->listed, s))
		return cert_why(c->why, DSP_INVALID, "certificate: %s: a redaction token, but "
				"redacted.fields does not list %s", where, dsp_cert_redact_words(cat));
	return 0;
}

/* Every "redacted:" in a copy's strings starts a well-formed token. */
static int check_tokens(struct json_object *o, const char *at, unsigned depth, char **why)
{
	char where[320];
	int rc;

	if (depth > 64)
		return 0;
	if (json_object_is_type(o, json_type_string)) {
		const char *s = json_object_get_string(o), *p = s;

		while ((p = strstr(p, DSP_CERT_TOKEN_PREFIX)) != NULL) {
			if (!token_at(p))
				return cert_why(why, DSP_INVALID, "certificate: %s: malformed redaction "
						"token (not \"redacted:\" and 64 lowercase hex digits)", at);
			p += TOKEN_LEN;
		}
		return 0;
	}
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			snprintf(where, sizeof(where), "%.280s[%zu]", at, i);
			if ((rc = check_tokens(json_object_array_get_idx(o, i), where, depth + 1, why)))
				return rc;
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		if (depth == 0 && !strcmp(k, "redacted"))
			continue;
		snprintf(where, sizeof(where), "%.280s.%.30s", at, k);
		if ((rc = check_tokens(v, where, depth + 1, why)))
			return rc;
	}
	return 0;
}

/* A full certificate: no "<key>_hex" holds a token (only a copy's names are tokens). */
static int no_hex_token(struct json_object *o, const char *at, unsigned depth, char **why)
{
	char where[320];
	int rc;

	if (depth > 64)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			snprintf(where, sizeof(where), "%.280s[%zu]", at, i);
			if ((rc = no_hex_token(json_object_array_get_idx(o, i), where, depth + 1, why)))
				return rc;
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		size_t kl = strlen(k);

		snprintf(where, sizeof(where), "%.280s.%.30s", at, k);
		if (kl > 4 && !strcmp(k + kl - 4, "_hex") && json_object_is_type(v, json_type_string) &&
		    dsp_cert_is_token(json_object_get_string(v)))
			return cert_why(why, DSP_INVALID, "certificate: %s: a redaction token in a "
					"document that is not a redacted copy", where);
		if ((rc = no_hex_token(v, where, depth + 1, why)))
			return rc;
	}
	return 0;
}

int cert_check_redaction(struct json_object *doc, char **why)
{
	struct json_object *full = member(doc, "redaction"), *red = member(doc, "redacted");
	struct chk c = { .why = why };
	int rc;

	if (full && red)
		return cert_why(why, DSP_INVALID, "certificate: both \"redaction\" and \"redacted\": "
				"a document is a full certificate or a redacted copy");
	if (full && !fields_mask(member(full, "fields")))
		return cert_why(why, DSP_INVALID, "certificate: $.redaction.fields: not a list of "
				"serials, host, paths (in that order, each once)");
	if (!red)
		return no_hex_token(doc, "$", 0, why);
	if (!(c.mask = fields_mask(member(red, "fields"))))
		return cert_why(why, DSP_INVALID, "certificate: $.redacted.fields: not a list of "
				"serials, host, paths (in that order, each once)");
	if ((rc = check_tokens(doc, "$", 0, why)))
		return rc;
	if (!(c.listed = json_object_new_object()))
		return -ENOMEM;
	rc = each_slot(doc, check_slot, &c);
	c.second = true;
	if (!rc)
		rc = each_slot(doc, check_slot, &c);
	json_object_put(c.listed);
	return rc;
}

/* ---- the copy against its full certificate ---- */

static size_t count_tokens(struct json_object *o, unsigned depth)
{
	size_t n = 0;

	if (depth > 64)
		return 0;
	if (json_object_is_type(o, json_type_string)) {
		const char *p = json_object_get_string(o);

		while ((p = strstr(p, DSP_CERT_TOKEN_PREFIX)) != NULL) {
			n++;
			p += sizeof(DSP_CERT_TOKEN_PREFIX) - 1;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += count_tokens(json_object_array_get_idx(o, i), depth + 1);
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			if (depth == 0 && !strcmp(k, "redacted"))
				continue;
			n += count_tokens(v, depth + 1);
		}
	}
	return n;
}

/* The first place a and b differ, into where (a: as the full certificate makes it). */
static bool differ(struct json_object *a, struct json_object *b, char *where, size_t size,
		   unsigned depth)
{
	size_t len = strlen(where);

	if (json_object_get_type(a) != json_object_get_type(b))
		return true;
	if (depth > 64)
		return false;
	if (json_object_is_type(a, json_type_object)) {
		json_object_object_foreach(a, k, v) {
			struct json_object *w;

			snprintf(where + len, size - len, ".%.40s", k);
			if (!json_object_object_get_ex(b, k, &w) || differ(v, w, where, size, depth + 1))
				return true;
		}
		json_object_object_foreach(b, k2, v2) {
			(void)v2;
			snprintf(where + len, size - len, ".%.40s", k2);
			if (!json_object_object_get_ex(a, k2, NULL))
				return true;
		}
		where[len] = '\0';
		return false;
	}
	if (json_object_is_type(a, json_type_array)) {
		size_t n = json_object_array_length(a);

		if (n != json_object_array_length(b))
			return true;
		for (size_t i = 0; i < n; i++) {
			snprintf(where + len, size - len, "[%zu]", i);
			if (differ(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i),
				   where, size, depth + 1))
				return true;
		}
		where[len] = '\0';
		return false;
	}
	return !json_object_equal(a, b);
}

int cert_redact_compare(struct json_object *full, const void *fbytes, size_t flen,
			struct json_object *copy, size_t *nvalues, char **why)
{
	struct json_object *want = NULL, *red = member(copy, "redacted");
	struct json_object *fr = member(full, "redaction");
	const char *fid = json_object_get_string(member(full, "certificate_id"));
	const char *cid = json_object_get_string(member(copy, "certificate_id"));
	const char *oid = json_object_get_string(member(red, "original_id"));
	const char *osha = json_object_get_string(member(red, "original_sha256"));
	const char *rcopy = json_object_get_string(member(fr, "redacted_copy"));
	char hex[65], where[512] = "$";
	int rc;

	*nvalues = 0;
	if (!json_object_is_type(fr, json_type_object))
		return cert_why(why, DSP_MISMATCH, "the original has no redaction member: it is not "
				"a certificate made with --redact");
	if (!json_object_is_type(red, json_type_object))
		return cert_why(why, DSP_MISMATCH, "not a redacted copy (no redacted member)");
	if (!oid || !fid || strcmp(oid, fid))
		return cert_why(why, DSP_MISMATCH, "$.redacted.original_id: %s, the original is %s",
				oid ? oid : "null", fid ? fid : "null");
	if ((rc = dsp_sha256_hex(fbytes, flen, hex)))
		return rc;
	if (!osha || strcmp(osha, hex))
		return cert_why(why, DSP_MISMATCH, "$.redacted.original_sha256: %.64s, the original's "
				"bytes are %s", osha ? osha : "null", hex);
	if (!rcopy || !cid || strcmp(rcopy, cid))
		return cert_why(why, DSP_MISMATCH, "$.certificate_id: %s, the original names its "
				"copy %s", cid ? cid : "null", rcopy ? rcopy : "null");
	if ((rc = dsp_cert_redact(full, fbytes, flen, &want, NULL, why)))
		return rc == -ENOMEM ? rc : DSP_MISMATCH;
	if (differ(want, copy, where, sizeof(where), 0)) {
		rc = cert_why(why, DSP_MISMATCH, "%s: differs from the original (neither its value "
			      "nor the token SHA-256(salt || value) of it)", where);
		json_object_put(want);
		return rc;
	}
	*nvalues = count_tokens(copy, 0);
	json_object_put(want);
	return 0;
}

const char *dsp_cert_redaction_note(const struct dsp_cert_result *res)
{
	static char buf[256];
	struct json_object *r = res ? res->redacted : NULL;
	const char *words = dsp_cert_redact_words(fields_mask(member(r, "fields")));
	bool copy = json_object_get_boolean(member(r, "copy"));

	if (!r)
		return "";
	if (copy)
		snprintf(buf, sizeof(buf), " (redacted copy of %.40s: %s)",
			 json_object_get_string(member(r, "original_id")) ?: "?", words);
	else
		snprintf(buf, sizeof(buf), " (full certificate; redacted copy %.40s)",
			 json_object_get_string(member(r, "redacted_copy")) ?: "?");
	return buf;
}
