/* SPDX-License-Identifier: MIT */
/* cert.h - the signed disposal certificate (dispose-certificate/1, dispose-certificate(5)) */
#ifndef DISPOSE_CERT_H
#define DISPOSE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#define DSP_CERT_SCHEMA		"dispose-certificate/1"
#define DSP_CERT_KIND_OK	"certificate-of-sanitization"
#define DSP_CERT_KIND_FAIL	"sanitization-failure-report"

/*
 * Errors: every function that can fail on input names the fault in *why (a
 * new string, one line, "<thing>: <what is wrong>"; free()) when why is not
 * NULL. Returns are 0, a DSP_* code (DSP_INVALID: bad input; DSP_REFUSED:
 * a safety rule; DSP_MISMATCH: evidence does not match) or -errno.
 */

/* ---- keygen (keygen.c) ---- */

enum dsp_keygen_type { DSP_KEYGEN_EC_P256, DSP_KEYGEN_RSA_3072 };

struct dsp_keygen_opts {
	enum dsp_keygen_type type;
	const char *subject;		/* "/CN=.../O=..."; NULL: "/CN=<hostname> dispose signer" */
	unsigned days;			/* self-signed validity; 0: 825 */
	bool csr;			/* PREFIX.csr instead of PREFIX.crt */
	const char *passphrase_file;	/* encrypt PREFIX.key (AES-256); NULL: plain */
};

/* What dsp_keygen wrote (each a new string, NULL when not made); dsp_keygen_info_clear frees. */
struct dsp_keygen_info {
	char *key_path, *out_path;	/* PREFIX.key, PREFIX.crt or PREFIX.csr */
	char *subject;			/* as `openssl x509 -noout -subject` prints it */
	char *fingerprint;		/* "AB:CD:..": SHA-256 of the certificate's DER
					 * (with csr: of the public key's DER) */
	char *not_after;		/* RFC 3339 UTC; NULL with csr */
};
void dsp_keygen_info_clear(struct dsp_keygen_info *info);

/*
 * PREFIX.key (PKCS#8 PEM, 0600, O_EXCL|O_NOFOLLOW; AES-256-CBC with the
 * first line of passphrase_file, which must be a regular file or a pipe
 * no group or other may read: else DSP_REFUSED) and PREFIX.crt
 * (self-signed, keyUsage digitalSignature, critical) or PREFIX.csr (0644).
 * Nothing is left behind on failure; an existing file or symlink is never
 * replaced (-EEXIST, *why names it). A bad subject or days is DSP_INVALID.
 * info may be NULL.
 */
int dsp_keygen(const char *prefix, const struct dsp_keygen_opts *o,
	       struct dsp_keygen_info *info, char **why);

/*
 * Check a --subject ("/K=V/K=V", "\/" a slash and "\\" a backslash in a
 * value, UTF-8 values, keys OpenSSL knows): 0 and *oneline (may be NULL;
 * free()) as `openssl x509 -subject` would print it, or DSP_INVALID and
 * *why naming the fault. Parses outside input: fuzz_cert_subject.
 */
int dsp_keygen_subject(const char *subject, char **oneline, char **why);

/* ---- the document (build.c, host.c, canon.c) ---- */

/* What the operator says: the only inputs not taken from the records. NULL: not given. */
struct dsp_cert_attest {
	const char *operator_name, *operator_title, *organization, *location, *contact;
	const char *verifier, *validator;
	const char *media_destination;	/* internal-reuse|external-reuse|recycling|
					 * manufacturer|other:TEXT */
	const char *property_number, *classification;
};

struct dsp_cert_build_opts {
	const char *const *run_dirs;	/* each read with dsp_record_read; chain must be whole */
	size_t nrun_dirs;
	const char *inventory;		/* dispose-inventory/1 JSON, or NULL */
	const struct dsp_cert_attest *attest;
	const char *time;		/* "created" (RFC 3339 UTC, validated); NULL: now */
	unsigned redact;		/* DSP_CERT_REDACT_*: a "redaction" member (salt), and
					 * dsp_cert_certify writes the redacted copy too */
	const char *redacted_output;	/* the copy's name; NULL: NAME.redacted.json */
};

/*
 * The certificate document, built only from the records (and the
 * inventory, the host's own identity and the attested fields). Refuses
 * (DSP_INVALID, *why) a record whose chain is broken or torn, a run that
 * has no run_end, an unknown record schema, an unknown destination.
 * A failed, interrupted or unverified target does not refuse: it makes
 * the document a DSP_CERT_KIND_FAIL report.
 */
int dsp_cert_build(const struct dsp_cert_build_opts *o, struct json_object **doc, char **why);

/*
 * The canonical bytes of doc: the key order doc holds, two-space
 * indentation, no "\/" escape, UTF-8, one trailing newline. Only
 * integers, strings, booleans, null, arrays and objects (a double is
 * -EINVAL). *buf is NUL-terminated; free().
 */
int dsp_cert_canonical(struct json_object *doc, char **buf, size_t *len);

/*
 * The document's own rules, used by verify: schema (every required key,
 * its type, no unknown key) and internal consistency (counts, each target
 * has a result, each category is one its method and medium allow, the
 * weakest-category summary, kind matches the results). 0 or DSP_INVALID
 * with *why naming the first fault.
 */
int dsp_cert_check_schema(struct json_object *doc, char **why);
int dsp_cert_check_consistency(struct json_object *doc, char **why);

/*
 * Parse a certificate's bytes: valid UTF-8 JSON, one object, canonical
 * (dsp_cert_canonical of the parse gives the same bytes back: no duplicate
 * key, no float, no other spacing). 0 or DSP_INVALID.
 */
int dsp_cert_parse(const char *buf, size_t len, struct json_object **doc, char **why);

/* ---- signing (sign.c) ---- */

struct dsp_cert_signer;

/*
 * The signer: its private key (passphrase_file for an encrypted one; NULL
 * otherwise), its X.509 certificate (must match the key, carry
 * digitalSignature, and be valid now) and an optional
 * PEM chain embedded with it: every certificate after the first in cert,
 * and in chain, must be an issuer on the way up from the signer (verify
 * rejects a signature carrying any other), else DSP_INVALID naming it. keyUsage must be present with digitalSignature
 * (verify refuses a signer without it). Only EC and RSA keys (OpenSSL 3.0
 * cannot sign CMS with Ed25519): DSP_UNSUPPORTED otherwise.
 */
int dsp_cert_signer_load(const char *key, const char *cert, const char *chain,
			 const char *passphrase_file, struct dsp_cert_signer **out, char **why);
void dsp_cert_signer_free(struct dsp_cert_signer *s);

/*
 * Detached CMS SignedData (DER, SHA-256, signer certificate and chain
 * embedded, signingTime attribute) over exactly buf[0..len).
 */
int dsp_cert_sign(struct dsp_cert_signer *s, const void *buf, size_t len,
		  unsigned char **der, size_t *derlen, char **why);

/*
 * certify: build, canonicalise, sign, and write out_json and
 * out_json ".p7s" (both new files, O_EXCL|O_NOFOLLOW, 0644, synced; on
 * failure neither is left). *kind_ok (may be NULL) tells whether it was
 * a certificate of sanitization. With o->redact, also the redacted copy
 * (o->redacted_output or NAME.redacted.json, and its .p7s), signed by s:
 * all four files or none.
 */
int dsp_cert_certify(const struct dsp_cert_build_opts *o, struct dsp_cert_signer *s,
		     const char *out_json, bool *kind_ok, char **why);

/* ---- verification (verify.c, device.c) ---- */

struct dsp_cert_verifier;

/* cafile: PEM file of trusted CAs (NULL: none; every signer is then untrusted). */
int dsp_cert_verifier_new(const char *cafile, struct dsp_cert_verifier **out, char **why);
/*
 * A verifier that trusts the certificate(s) in certfile themselves, issued by
 * a CA or not (X509_V_FLAG_PARTIAL_CHAIN): dispose run's check that what it
 * finds was signed with its policy's signer when the policy names no CA.
 */
int dsp_cert_verifier_new_pinned(const char *certfile, struct dsp_cert_verifier **out,
				 char **why);
void dsp_cert_verifier_free(struct dsp_cert_verifier *v);

struct dsp_cert_verify_opts {
	const char *const *run_dirs;	/* check each stated run's chain head and count */
	size_t nrun_dirs;
	const char *device;		/* re-read a sample of this device, or NULL */
	double sample_percent;		/* for device; 0: 1 % */
};

enum dsp_cert_outcome {
	DSP_CERT_VALID = 0,		/* signature, chain and every check: a sanitization */
	DSP_CERT_FAILURE_REPORT,	/* valid as signed, but kind is a failure report */
	DSP_CERT_UNTRUSTED,		/* signature valid, signer not trusted (no --ca / not in it) */
	DSP_CERT_INVALID,		/* a check failed: reason says which */
	DSP_CERT_UNREADABLE,		/* the .json or .p7s cannot be read */
};

struct dsp_cert_result {
	enum dsp_cert_outcome outcome;
	char *reason;			/* one line: why not valid, or "valid" */
	char *certificate_id;		/* NULL when unparsable */
	char *kind;
	char *signer;			/* signer subject (one line), NULL when unknown */
	char *signing_time;		/* RFC 3339 UTC, NULL when unknown */
	char *category;			/* the weakest category stated */
	char *signer_sha256;		/* SHA-256 (hex) of the signer certificate's DER, or NULL */
	struct json_object *redacted;	/* a redacted copy: {"copy": true, fields, original_id,
					 * original_sha256}; a full certificate with a copy:
					 * {"copy": false, fields, redacted_copy}; else NULL */
	struct json_object *device;	/* the --device report (seed, bytes, mismatches), or NULL */
	bool refused;			/* --device named another device (exit 4) */
};

/*
 * Verify json_path against json_path ".p7s", in the order of
 * dispose-certificate(5): signature and chain, signer key usage and
 * validity at signing time, schema, consistency, run records, device.
 * One verifier serves a whole batch. Returns 0 when res is filled (the
 * outcome says the verdict), -errno/-ENOMEM otherwise.
 */
int dsp_cert_verify(struct dsp_cert_verifier *v, const char *json_path,
		    const struct dsp_cert_verify_opts *o, struct dsp_cert_result *res);
/* The same from memory (the fuzz target's entry): name labels the reason. */
int dsp_cert_verify_mem(struct dsp_cert_verifier *v, const char *name, const void *json,
			size_t jlen, const void *p7s, size_t plen,
			const struct dsp_cert_verify_opts *o, struct dsp_cert_result *res);
void dsp_cert_result_clear(struct dsp_cert_result *res);

/*
 * The device re-read (device.c): dev must be the medium of one target of
 * doc (serial/WWN and size as probed; else DSP_REFUSED, *why names what
 * differs). Reads at least percent of it through the I/O layer, read-only,
 * compares with that target's final pass (constant patterns directly,
 * random passes regenerated from the recorded key) and fills *report with
 * target, seed, percent, bytes_read, mismatches, first_mismatch,
 * unreadable_bytes. 0 (matches), DSP_MISMATCH, DSP_PARTIAL, or an error.
 */
int dsp_cert_check_device(struct json_object *doc, const char *dev, double percent,
			  struct json_object **report, char **why);

/* ---- the redacted copy (redact.c; dispose-certificate(5) REDACTION) ---- */

#define DSP_CERT_REDACT_SERIALS	0x1u	/* medium, DMI, LUKS and X.509 recipient serials */
#define DSP_CERT_REDACT_HOST	0x2u	/* hostname, machine id, DMI vendor and product */
#define DSP_CERT_REDACT_PATHS	0x4u	/* every path: targets, backing files, runs, archives */
#define DSP_CERT_REDACT_ALL	0x7u
#define DSP_CERT_TOKEN_PREFIX	"redacted:"	/* + 64 lowercase hex: SHA-256(salt || value) */

/*
 * "serials,host,paths" (any subset, comma-separated) -> DSP_CERT_REDACT_*.
 * An unknown or empty word: DSP_INVALID, *why names it.
 */
int dsp_cert_redact_parse(const char *list, unsigned *mask, char **why);
/* "serials, host, paths" of mask (static storage). */
const char *dsp_cert_redact_words(unsigned mask);
/* s is exactly a token: "redacted:" and 64 lowercase hex digits. */
bool dsp_cert_is_token(const char *s);
/* doc is a redacted copy (it has a "redacted" member). */
bool dsp_cert_is_redacted(struct json_object *doc);

/*
 * The redacted copy of full (a document with a "redaction" member): every
 * value of the categories it names replaced by its token, every other
 * string's occurrences of those values too, "redaction" dropped, a
 * "redacted" member added and its own certificate_id (computed with
 * redacted.original_sha256 null). full_bytes (NULL: original_sha256 stays
 * null) are the full certificate's bytes. *ntokens (may be NULL): how many
 * tokens the copy holds. 0, DSP_INVALID (*why) or -ENOMEM.
 */
int dsp_cert_redact(struct json_object *full, const void *full_bytes, size_t full_len,
		    struct json_object **copy, size_t *ntokens, char **why);

/*
 * dispose verify --original: FULL.json and COPY.json (each with its .p7s)
 * are verified (*full_res, *copy_res filled as dsp_cert_verify does); then
 * the copy must be the redaction of the full certificate: both signed by
 * the same certificate, original_id and original_sha256 those of FULL's
 * bytes, and every value equal to the full's or its token. 0 (*nvalues:
 * the tokens that match), DSP_MISMATCH (*why names the first field that
 * differs), DSP_INVALID (a document cannot be read or is not of that
 * kind; *why), -ENOMEM.
 */
int dsp_cert_verify_original(struct dsp_cert_verifier *v, const char *full_path,
			     const char *copy_path, struct dsp_cert_result *full_res,
			     struct dsp_cert_result *copy_res, size_t *nvalues, char **why);

/*
 * The redacted copy of the certificate full_json (which holds a "redaction"
 * member) made again from it: copy_json and its .p7s, signed by s, both new
 * files, neither left on failure. The copy's bytes are those certify wrote
 * (its signature's time differs). For a resume that finds the full
 * certificate without its copy; the caller has verified full_json.
 */
int dsp_cert_redact_file(const char *full_json, struct dsp_cert_signer *s, const char *copy_json,
			 char **why);

/*
 * A copy that hides the host must not be signed by a certificate that
 * names it: DSP_REFUSED (*why names the signer's subject) when s's subject
 * or a subjectAltName holds this host's name (its FQDN, or its first label
 * as a whole word, ignoring case); else 0. certify checks the records'
 * hosts too; dispose run checks before it starts.
 */
int dsp_cert_redact_signer_host(struct dsp_cert_signer *s, char **why);

/* " (redacted copy of ID: serials, host)" or " (full certificate; redacted copy ID)" for
 * res, or "" (static storage until the next call). */
const char *dsp_cert_redaction_note(const struct dsp_cert_result *res);

/* ---- for people (show.c) ---- */

/* The certificate as a person reads it: the NIST form's sections first, then the details. */
int dsp_cert_show(FILE *out, struct json_object *doc, const struct dsp_cert_result *res);
/*
 * dispose show: read path and path ".p7s", check the signature without a
 * CA (signer not trusted; the document's schema and consistency too), and
 * print the document as dsp_cert_show does, or (json) as the document with
 * a "signature" member added. 0: shown, signature valid (a failure report
 * too); DSP_MISMATCH: shown, but the signature or the document is invalid
 * (said first); DSP_INVALID (*why): not readable or not JSON, nothing
 * printed; -ENOMEM, -EIO (writing out).
 */
int dsp_cert_show_file(FILE *out, const char *path, bool json, char **why);

#endif
