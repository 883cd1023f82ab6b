/* SPDX-License-Identifier: MIT */
/* inventory.c - the dispose-inventory/1 document: host, scan driver, streaming writer */
#include "dispose/inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "dispose/common.h"
#include "dispose/json.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

char *dsp_inv_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		if (len)
			buf[0] = '\0';
	}
	return buf;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need, min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

struct json_object *dsp_inv_string(const char *s, int *lossy)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i, k, o;
	char *fixed;
	struct json_object *j;

	if (lossy)
		*lossy = 0;
	if (!s)
		return NULL;
	n = strlen(s);
	for (i = 0; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (!k)
			break;
	}
	if (i == n)
		return json_object_new_string_len(s, (int)n);
	/* each invalid byte becomes U+FFFD (3 bytes) */
	fixed = malloc(n * 3 + 1);
	if (!fixed)
		return NULL;
	for (i = 0, o = 0; i < n;) {
		k = utf8_seq(p + i, n - i);
		if (k) {
			memcpy(fixed + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	fixed[o] = '\0';
	if (lossy)
		*lossy = 1;
	j = json_object_new_string_len(fixed, (int)o);
	free(fixed);
	return j;
}

int dsp_inv_error(dsp_inv_emit_fn emit, void *arg, const char *source,
		  const char *path, const char *reason)
{
	struct json_object *o = json_object_new_object();
	int rc;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "path", path ? dsp_inv_string(path, NULL) : NULL);
	json_object_object_add(o, "source", json_object_new_string(source ? source : ""));
	json_object_object_add(o, "reason", dsp_inv_string(reason ? reason : "", NULL));
	rc = emit(arg, "errors", o);
	json_object_put(o);
	return rc;
}

/* First line of a small file, trailing whitespace removed; NULL if unreadable or empty. */
static char *read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;
	char *nl;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	for (n = (ssize_t)strlen(buf); n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' ||
					       buf[n - 1] == '\r'); n--)
		buf[n - 1] = '\0';
	return buf[0] ? buf : NULL;
}

/* os-release value of key (unquoted) into buf, or NULL. */
static char *os_release(const char *key, char *buf, size_t len)
{
	static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };
	size_t klen = strlen(key);
	char line[512];

	for (size_t i = 0; i < DSP_ARRAY_SIZE(files); i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *v, *e;

			if (strncmp(line, key, klen) || line[klen] != '=')
				continue;
			v = line + klen + 1;
			v[strcspn(v, "\r\n")] = '\0';
			e = v + strlen(v);
			if ((*v == '"' || *v == '\'') && e > v + 1 && e[-1] == *v) {
				e[-1] = '\0';
				v++;
			}
			snprintf(buf, len, "%s", v);
			fclose(f);
			return buf;
		}
		fclose(f);
		return NULL;
	}
	return NULL;
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val ? dsp_inv_string(val, NULL) : NULL);
}

struct json_object *dsp_inv_host(void)
{
	static const struct { const char *key, *file; } dmi[] = {
		{ "vendor", "/sys/class/dmi/id/sys_vendor" },
		{ "product", "/sys/class/dmi/id/product_name" },
		{ "serial", "/sys/class/dmi/id/product_serial" },
		{ "uuid", "/sys/class/dmi/id/product_uuid" },
	};
	struct json_object *h = json_object_new_object(), *d;
	struct utsname u;
	char buf[512], host[256];

	if (!h)
		return NULL;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		add_str(h, "hostname", host);
	} else {
		add_str(h, "hostname", NULL);
	}
	add_str(h, "machine_id", read_line("/etc/machine-id", buf, sizeof(buf)));
	add_str(h, "os_name", os_release("NAME", buf, sizeof(buf)));
	add_str(h, "os_version_id", os_release("VERSION_ID", buf, sizeof(buf)));
	if (uname(&u) == 0) {
		add_str(h, "kernel", u.release);
		add_str(h, "kernel_version", u.version);
		add_str(h, "machine", u.machine);
	}
	d = json_object_new_object();
	for (size_t i = 0; d && i < DSP_ARRAY_SIZE(dmi); i++) {
		const char *v = read_line(dmi[i].file, buf, sizeof(buf));

		if (v)
			add_str(d, dmi[i].key, v);
	}
	json_object_object_add(h, "dmi", d);
	return h;
}

/* ---- the scan driver ---- */

struct scan_ctx {
	dsp_inv_emit_fn emit;
	void *arg;
	int stopped;		/* the consumer's non-zero return, once seen */
	/* progress: the caller's callback, and the counts it is given */
	dsp_inv_progress_fn progress;
	void *progress_arg;
	struct dsp_inv_progress p;
	uint64_t reading;	/* bytes read of p.path */
	struct timespec last;
};

#define PROGRESS_MS 100

/* The caller's progress callback, at most every PROGRESS_MS unless forced. */
static void scan_report(struct scan_ctx *c, int force)
{
	struct dsp_inv_progress p = c->p;
	struct timespec now;

	if (!c->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && (now.tv_sec - c->last.tv_sec) * 1000 +
	    (now.tv_nsec - c->last.tv_nsec) / 1000000 < PROGRESS_MS)
		return;
	c->last = now;
	p.bytes += c->reading;
	c->progress(&p, c->progress_arg);
}

/* A scanner's report (the walk: bytes read of the file it hashes). */
static void scan_progress(const struct dsp_inv_progress *p, void *arg)
{
	struct scan_ctx *c = arg;

	c->p.path = p->path;
	c->reading = p->path ? p->bytes : 0;
	scan_report(c, 0);
}

static int scan_emit(void *arg, const char *section, struct json_object *item)
{
	struct scan_ctx *c = arg;
	const char *type;
	uint64_t size;
	int rc;

	if (c->stopped)
		return c->stopped;
	rc = c->emit(c->arg, section, item);
	if (rc)
		c->stopped = rc;
	if (!rc && item && c->progress) {
		c->p.items++;
		c->p.path = NULL;
		c->reading = 0;
		if (!strcmp(section, "files") && (type = dsp_json_str(item, "type")) &&
		    !strcmp(type, "file")) {
			c->p.files++;
			if (!dsp_json_u64(item, "size", &size))
				c->p.bytes += size;
		}
		scan_report(c, 0);
	}
	return rc;
}

static int section_begin(struct scan_ctx *c, const char *section)
{
	int rc = scan_emit(c, section, NULL);

	/* "errors" is the end marker, not something scanned: the final counts */
	if (!rc) {
		if (strcmp(section, "errors"))
			c->p.section = section;
		scan_report(c, 1);
	}
	return rc;
}

static int scan(const struct dsp_inv_opts *in, dsp_inv_emit_fn emit, void *arg)
{
	struct scan_ctx c = { .emit = emit, .arg = arg, .progress = in->progress,
			      .progress_arg = in->progress_arg };
	/* the scanners report to scan_progress, which adds up */
	struct dsp_inv_opts o = *in, *opts = &o;
	unsigned what = opts->what;
	int failed = 0, rc;

	if (c.progress) {
		o.progress = scan_progress;
		o.progress_arg = &c;
	}

	if (what & DSP_INV_HASH)
		what |= DSP_INV_DATA;
	if (what & DSP_INV_SOFTWARE) {
		if ((rc = section_begin(&c, "software")))
			return rc;
		rc = dsp_inv_software(opts, scan_emit, &c);
		if (c.stopped)
			return c.stopped;
		if (rc < 0)
			failed = 1;
	}
	if (what & (DSP_INV_DATA | DSP_INV_KEYS)) {
		if ((what & DSP_INV_DATA) && (rc = section_begin(&c, "files")))
			return rc;
		/* keys stream directly when there is no files[] to interleave with */
		if (!(what & DSP_INV_DATA) && (rc = section_begin(&c, "keys")))
			return rc;
		rc = dsp_inv_walk(opts, scan_emit, &c);
		if (c.stopped)
			return c.stopped;
		if (rc < 0)
			failed = 1;
		if ((what & DSP_INV_DATA) && (what & DSP_INV_KEYS) &&
		    (rc = section_begin(&c, "keys")))
			return rc;
	}
	if (what & DSP_INV_DEVICES) {
		if ((rc = section_begin(&c, "devices")))
			return rc;
		rc = dsp_inv_devices(scan_emit, &c);
		if (c.stopped)
			return c.stopped;
		if (rc < 0) {
			char why[160];

			snprintf(why, sizeof(why), "device scan failed: %s", strerror(-rc));
			failed = 1;
			if ((rc = dsp_inv_error(scan_emit, &c, "devices", NULL, why)))
				return rc;
		}
	}
	if ((rc = section_begin(&c, "errors")))
		return rc;
	return failed;
}

int dsp_inv_scan(const struct dsp_inv_opts *opts, dsp_inv_emit_fn emit, void *arg)
{
	struct dsp_log_sink prev;
	int rc;

	if (!opts->log)
		return scan(opts, emit, arg);
	prev = dsp_log_use(opts->log);
	rc = scan(opts, emit, arg);
	dsp_log_use(&prev);
	return rc;
}

/* ---- the streaming JSON writer ---- */

static const char *const sections[] = { "software", "files", "keys", "devices", "errors" };
#define NSECT DSP_ARRAY_SIZE(sections)

struct sbuf {
	char *p;
	size_t len, cap;
};

struct writer {
	FILE *out;
	int open;		/* index of the open array, -1 none */
	int first;		/* no item written yet in the open array */
	int requested[NSECT];
	uint64_t count[NSECT];
	struct sbuf held[NSECT];	/* items that came before their section opened */
};

static int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static int section_index(const char *section)
{
	for (size_t i = 0; i < NSECT; i++)
		if (!strcmp(section, sections[i]))
			return (int)i;
	return -1;
}

static void close_open(struct writer *w)
{
	if (w->open >= 0)
		fputc(']', w->out);
	w->open = -1;
}

static int writer_emit(void *arg, const char *section, struct json_object *item)
{
	struct writer *w = arg;
	int i = section_index(section);
	const char *s;
	size_t n;

	if (i < 0)
		return -EINVAL;
	if (!item) {
		close_open(w);
		fprintf(w->out, ",\"%s\":[", sections[i]);
		w->requested[i] = 1;
		w->open = i;
		w->first = 1;
		if (w->held[i].len) {
			fwrite(w->held[i].p, 1, w->held[i].len, w->out);
			w->first = 0;
		}
		free(w->held[i].p);
		w->held[i] = (struct sbuf){ 0 };
		return ferror(w->out) ? -EIO : 0;
	}
	s = json_object_to_json_string_ext(item, JSON_FLAGS);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	w->count[i]++;
	if (w->open == i) {
		if (!w->first)
			fputc(',', w->out);
		w->first = 0;
		fwrite(s, 1, n, w->out);
		return ferror(w->out) ? -EIO : 0;
	}
	/* keys found during the files walk, errors from any scanner: few, held as text */
	if (w->held[i].len && sbuf_add(&w->held[i], ",", 1))
		return -ENOMEM;
	return sbuf_add(&w->held[i], s, n);
}

int dsp_inv_write(FILE *out, const struct dsp_inv_opts *opts)
{
	static const char *const dflt[] = { "/", NULL };
	const char *const *roots = opts->roots ? opts->roots : dflt;
	struct writer w = { .out = out, .open = -1 };
	struct json_object *o, *host;
	char now[32];
	int rc;

	dsp_inv_time(time(NULL), now, sizeof(now));
	fprintf(out, "{\"schema\":\"%s\",\"created\":\"%s\"", DSP_INV_SCHEMA, now);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(DSP_TOOL_NAME));
	json_object_object_add(o, "version", json_object_new_string(DSP_VERSION));
	fprintf(out, ",\"tool\":%s", json_object_to_json_string_ext(o, JSON_FLAGS));
	json_object_put(o);
	o = json_object_new_array();
	for (size_t i = 0; roots[i]; i++)
		json_object_array_add(o, dsp_inv_string(roots[i], NULL));
	fprintf(out, ",\"roots\":%s", json_object_to_json_string_ext(o, JSON_FLAGS));
	json_object_put(o);
	host = dsp_inv_host();
	fprintf(out, ",\"host\":%s",
		host ? json_object_to_json_string_ext(host, JSON_FLAGS) : "null");
	json_object_put(host);

	rc = dsp_inv_scan(opts, writer_emit, &w);
	if (rc >= 0) {
		close_open(&w);
		/* anything still held belongs to a section that never opened */
		for (size_t i = 0; i < NSECT; i++) {
			if (!w.held[i].len)
				continue;
			fprintf(out, ",\"%s\":[", sections[i]);
			fwrite(w.held[i].p, 1, w.held[i].len, out);
			fputc(']', out);
		}
		o = json_object_new_object();
		for (size_t i = 0; i < NSECT; i++)
			if (w.requested[i])
				json_object_object_add(o, sections[i],
						       json_object_new_int64((int64_t)w.count[i]));
		fprintf(out, ",\"counts\":%s,\"complete\":%s}\n",
			json_object_to_json_string_ext(o, JSON_FLAGS),
			rc == 0 && w.count[4] == 0 ? "true" : "false");
		json_object_put(o);
	}
	for (size_t i = 0; i < NSECT; i++)
		free(w.held[i].p);
	errno = 0;
	if (fflush(out) != 0)
		return errno ? -errno : -EIO;
	if (ferror(out))
		return -EIO;
	return rc;
}
