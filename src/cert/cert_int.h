/* SPDX-License-Identifier: MIT */
/* cert_int.h - shared by the files of src/cert only */
#ifndef DISPOSE_CERT_INT_H
#define DISPOSE_CERT_INT_H

#include "dispose/cert.h"

/* host.c (C4): the "host" object of dispose-certificate/1 (doc order, null where unreadable). */
struct json_object *cert_host_identity(void);
/* host.c (C4): this binary's ELF build id in hex (NULL when it has none); static storage. */
const char *cert_build_id(void);

/*
 * keys.c (C4): with --inventory, fill each target's "key_material" array
 * (targets: the document's "targets" array) with the keys of the
 * inventory that lay inside it (matched by device and inode, or by path).
 * 0 or DSP_INVALID (*why) for an inventory that cannot be read or parsed.
 */
int cert_inventory_keys(const char *inventory, struct json_object *targets, char **why);

/* build.c: set doc's certificate_id (the UUID of its canonical form with the id null). */
int cert_set_id(struct json_object *doc);
/*
 * redact.c: the rules of "redaction" (a full certificate) and "redacted" (a
 * copy) beyond their members' types: well-formed tokens, only in the fields
 * of the categories listed. 0 or DSP_INVALID (*why); called by the schema check.
 */
int cert_check_redaction(struct json_object *doc, char **why);
/*
 * redact.c: copy is the redaction of full (fbytes: the full's bytes): 0
 * (*nvalues tokens), DSP_MISMATCH (*why: the first field that differs), -ENOMEM.
 */
int cert_redact_compare(struct json_object *full, const void *fbytes, size_t flen,
			struct json_object *copy, size_t *nvalues, char **why);
/* redact.c: the copy's redacted.original_sha256 of the full's bytes (its id does not change). */
int cert_redact_original(struct json_object *copy, const void *full_bytes, size_t full_len);
/* build.c: dsp_cert_build, and (o->redact) the redacted copy made once (*copy, original_sha256 null). */
int cert_build(const struct dsp_cert_build_opts *o, struct json_object **doc,
	       struct json_object **copy, char **why);
/*
 * redact.c (#15): why the signer certificate of s names a hidden host value
 * of doc ("host" listed; its subject or a SAN holds the host name as a whole
 * word or its FQDN), *subject its one-line subject: DSP_REFUSED, else 0.
 */
struct dsp_cert_signer;
int cert_redact_signer_check(struct json_object *doc, struct dsp_cert_signer *s, char **why);

/* A new string printf'd into *why (when why is not NULL); returns rc. */
int cert_why(char **why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* consistency.c: why a "success" target's passes and read-back do not cover its
 * medium (an edited record), or NULL. */
const char *cert_evidence_fault(struct json_object *t);
/* verify.c: why x may not sign a certificate (a CA, a weak or other key), or NULL. */
typedef struct x509_st X509;
const char *cert_signer_key_fault(X509 *x);
/*
 * technique.c (#13): the NIST form's technique words for a record's technique
 * ("overwrite", "crypto-luks", "sanitize"; NULL: overwrite) and sanitize action.
 */
const char *cert_technique_words(const char *technique, const char *action, bool then);
/* A sanitize's raw status (dsp_san_result_json): "success", "failed", "in progress", "not reported". */
const char *cert_san_completion(struct json_object *status);
/* Why a LUKS destroy result (the document's evidence.luks) does not prove the key material gone, or NULL. */
const char *cert_luks_fault(struct json_object *luks);
/* The strongest category (0 none, 1 clear, 2 purge) target t's technique and evidence allow on a whole block device. */
int cert_technique_cap(struct json_object *t, const char **why);
struct dsp_record_target;
/* The target's "evidence" object: LUKS volume and proof, header backups, sanitize, health, hidden area. */
struct json_object *cert_evidence_doc(const struct dsp_record_target *t);
/* sign.c: open PATH to read without waiting for a FIFO's writer: fd or -1 (errno). */
int cert_open_in(const char *path);
typedef struct bio_st BIO;
BIO *cert_bio_in(const char *path);

#endif
