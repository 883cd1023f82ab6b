/* SPDX-License-Identifier: MIT */
/* env_bench.c - drive the envelope writer/decrypter over a file, for tests/bench/envelope.sh */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose/envelope.h"
#include "dispose/log.h"

static void logger(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	fprintf(stderr, "env_bench: %s\n", msg);
}

static int to_fd(void *arg, const void *buf, size_t len)
{
	int fd = *(int *)arg;
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	int rc;

	dsp_log_set_syslog(0);
	dsp_log_set_handler(logger, NULL);
	if (argc == 6 && !strcmp(argv[1], "enc")) {
		/* enc CERT IN CT ENV: encrypt IN ("-" = stdin) */
		const char *r[2] = { argv[2], NULL };
		struct dsp_env_writer *w;
		char cs[65], es[65];
		int fd = strcmp(argv[3], "-") ? open(argv[3], O_RDONLY) : 0;
		ssize_t n;

		if (fd < 0 || dsp_env_writer_open(r, argv[4], argv[5], &w))
			return 1;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (dsp_env_write(w, buf, (size_t)n)) {
				dsp_env_writer_abort(w);
				return 1;
			}
		if (n < 0) {
			dsp_env_writer_abort(w);
			return 1;
		}
		rc = dsp_env_writer_close(w, cs, es);
		if (!rc)
			printf("%s  %s\n", cs, argv[4]);
		return rc ? 1 : 0;
	}
	if (argc == 6 && !strcmp(argv[1], "dec")) {
		/* dec KEY CERT CT ENV: plaintext to stdout */
		int fd = 1;

		rc = dsp_env_decrypt(argv[5], argv[4], argv[2], argv[3], to_fd, &fd);
		return rc == 0 ? 0 : rc == DSP_MISMATCH ? 3 : 1;
	}
	fprintf(stderr, "usage: env_bench enc CERT IN CT ENV | dec KEY CERT CT ENV\n");
	return 2;
}
