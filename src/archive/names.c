/* SPDX-License-Identifier: MIT */
/* names.c - what an archive's files are called (dispose-archive(5) "Names"), and the key check */
/* Archive files used (no cycles, see common.c): envelope (the key check) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "dispose/envelope.h"

static int ends_with(const char *s, size_t l, const char *sfx)
{
	size_t n = strlen(sfx);

	return l >= n && !memcmp(s + l - n, sfx, n);
}

/* Length of name without the archive suffix it carries (either kind's, or a lone .zst/.tar). */
static size_t stem_len(const char *name)
{
	static const char *const sfx[] = { DSP_ARCHIVE_ENC_SUFFIX, DSP_ARCHIVE_SUFFIX,
					   ".tzst", ".zst", ".tar", ".enc" };
	size_t l = strlen(name);

	for (size_t i = 0; i < DSP_ARRAY_SIZE(sfx); i++)
		if (ends_with(name, l, sfx[i]))
			return l - strlen(sfx[i]);
	return l;
}

int dsp_archive_name_check(const char *name, int encrypted, char *why, size_t wlen)
{
	const char *want = encrypted ? DSP_ARCHIVE_ENC_SUFFIX : DSP_ARCHIVE_SUFFIX;
	const char *base = strrchr(name, '/');
	size_t l = strlen(name), s;

	base = base ? base + 1 : name;
	if (ends_with(name, l, want) && strlen(base) > strlen(want))
		return 0;
	s = stem_len(name);
	if (s <= (size_t)(base - name))
		snprintf(why, wlen, "%s: an archive needs a name before %s", name, want);
	else if (encrypted)
		snprintf(why, wlen, "%s: an encrypted archive is named NAME%s, never like a "
			 "plain one: use -o %.*s%s", name, want, (int)s, name, want);
	else if (ends_with(name, l, ".enc"))
		snprintf(why, wlen, "%s: .enc names an encrypted archive, and no --recipient "
			 "was given: use -o %.*s%s", name, (int)s, name, want);
	else
		snprintf(why, wlen, "%s: a plain archive is named NAME%s: use -o %.*s%s", name,
			 want, (int)s, name, want);
	return DSP_INVALID;
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Digits after the last '.' of s[0..l), as a volume number >= 2; else 0. */
static unsigned volume_of(const char *s, size_t l, size_t *dot)
{
	size_t i = l;
	unsigned v = 0;

	while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
		i--;
	if (l - i < 3 || l - i > 6 || i < 2 || s[i - 1] != '.')
		return 0;
	for (size_t j = i; j < l; j++)
		v = v * 10 + (unsigned)(s[j] - '0');
	*dot = i - 1;
	return v >= 2 ? v : 0;
}

int dsp_archive_member_of(const char *path, char *archive, size_t len,
			  char *what, size_t wlen)
{
	size_t l = strlen(path), n = sizeof(DSP_ENV_SUFFIX) - 1, dot;
	char env[4200];
	unsigned vol;

	if (ends_with(path, l, DSP_BAG_INFO_SUFFIX)) {
		l -= sizeof(DSP_BAG_INFO_SUFFIX) - 1;
		snprintf(what, wlen, "the plain copy of the bag-info.txt");
	} else if (ends_with(path, l, DSP_ENV_SUFFIX)) {
		/* an old encrypted archive may itself end in .cms: then NAME.cms.cms is there */
		if ((size_t)snprintf(env, sizeof(env), "%s%s", path, DSP_ENV_SUFFIX) >=
		    sizeof(env) || is_file(env))
			return 0;
		l -= n;
		snprintf(what, wlen, "the encrypted envelope");
		if ((vol = volume_of(path, l, &dot))) {
			l = dot;
			snprintf(what, wlen, "the envelope of volume %u", vol);
		}
	} else if ((vol = volume_of(path, l, &dot))) {
		/* volume k of X only when X is encrypted: X.cms is there */
		if ((size_t)snprintf(env, sizeof(env), "%.*s%s", (int)dot, path,
				     DSP_ENV_SUFFIX) >= sizeof(env) || !is_file(env))
			return 0;
		l = dot;
		snprintf(what, wlen, "volume %u", vol);
	} else {
		return 0;
	}
	if (l == 0 || l >= len)
		return 0;
	memcpy(archive, path, l);
	archive[l] = '\0';
	return is_file(archive);
}

int dsp_archive_envelope_missing(const char *name, char *env, size_t len)
{
	static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	unsigned char head[4];
	size_t l = strlen(name);
	ssize_t n;
	int fd;

	if (!ends_with(name, l, DSP_ARCHIVE_ENC_SUFFIX) ||
	    (size_t)snprintf(env, len, "%s%s", name, DSP_ENV_SUFFIX) >= len || !access(env, F_OK))
		return 0;
	/* a plain archive named so by an older version starts as zstd: read it as one */
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	n = read(fd, head, sizeof(head));
	close(fd);
	return !(n == (ssize_t)sizeof(head) && !memcmp(head, zstd_magic, sizeof(head)));
}

int dsp_archive_key_check(const char *name, const char *key, const char *cert,
			  struct dsp_archive_result *res)
{
	char env[4200];

	memset(res, 0, sizeof(*res));
	if (!key || (size_t)snprintf(env, sizeof(env), "%s%s", name, DSP_ENV_SUFFIX) >=
		    sizeof(env) || access(env, F_OK))
		return 0;	/* plain: no key to check */
	return dsp_env_key_check(env, key, cert, name, res->bad_path, sizeof(res->bad_path));
}
