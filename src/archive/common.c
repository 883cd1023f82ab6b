/* SPDX-License-Identifier: MIT */
/* common.c - helpers the archive module's files share: whole-file SHA-256, full writes, bag name, locale */
/*
 * Archive files in dependency order, each using only files before it (no cycles):
 * common; bag, pstore, hasher, side, rbkey, envelope; names, status, items, interlock;
 * reader; writer. Each file names the ones it uses at its top.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/util.h"
#include "archive_int.h"

int arc_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int arc_file_sha256(const char *path, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t md[32];
	char *buf = malloc(ARC_BLOCK);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (!c || !buf || fd < 0 || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		rc = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, ARC_BLOCK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		EVP_DigestUpdate(c, buf, (size_t)r);
	}
	EVP_DigestFinal_ex(c, md, NULL);
	dsp_hex(md, 32, hex);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(c);
	return rc;
}

void arc_bag_name(const char *name, char *out, size_t len)
{
	static const char *const sfx[] = { ".tar.zst.enc", ".tar.zst", ".tzst", ".zst", ".tar" };
	const char *b = strrchr(name, '/');
	size_t l;

	b = b ? b + 1 : name;
	l = strlen(b);
	for (size_t i = 0; i < DSP_ARRAY_SIZE(sfx); i++) {
		size_t s = strlen(sfx[i]);

		if (l > s && !strcmp(b + l - s, sfx[i])) {
			l -= s;
			break;
		}
	}
	if (l == 0 || (l == 1 && b[0] == '.') || (l == 2 && !strncmp(b, "..", 2))) {
		b = "bag";
		l = 3;
	}
	if (l >= len)
		l = len - 1;
	memcpy(out, b, l);
	out[l] = '\0';
	/* pax names are UTF-8: a byte of NAME that is not stays out of the bag's name */
	for (size_t i = 0; i < l;) {
		unsigned char c = (unsigned char)out[i];
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

		if (c < 0x80 || (i + n <= l && dsp_utf8_valid(out + i, n))) {
			i += n;
			continue;
		}
		out[i++] = '_';
	}
}

void arc_locale_enter(struct arc_locale *l)
{
	l->loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	l->old = l->loc ? uselocale(l->loc) : (locale_t)0;
}

void arc_locale_leave(struct arc_locale *l)
{
	if (l->loc) {
		uselocale(l->old);
		freelocale(l->loc);
	}
}
