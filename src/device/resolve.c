/* SPDX-License-Identifier: MIT */
/* resolve.c - a user's device name resolved once to a node and number; the erase lock */
#include "dispose/device.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

int dsp_device_resolve(const char *given, struct dsp_device_ref *ref)
{
	char real[PATH_MAX];
	struct stat st, lst;
	size_t l;

	memset(ref, 0, sizeof(*ref));
	l = strlen(given);
	if (!l)
		return -ENOENT;
	if (l >= sizeof(ref->given))
		return -ENAMETOOLONG;
	memcpy(ref->given, given, l + 1);
	if (lstat(given, &lst) < 0)
		return -errno;
	if (!realpath(given, real))
		return -errno;
	if (strlen(real) >= sizeof(ref->node))
		return -ENAMETOOLONG;
	strcpy(ref->node, real);
	/* a link anywhere on the way makes the node differ from the name given */
	ref->symlink = S_ISLNK(lst.st_mode) || strcmp(real, given);
	if (stat(real, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	ref->devno = st.st_rdev;
	return 0;
}

int dsp_device_recheck_fd(int fd, const struct dsp_device_ref *ref)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	return S_ISBLK(st.st_mode) && st.st_rdev == ref->devno ? 0 : -ESTALE;
}

int dsp_device_lock(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}
