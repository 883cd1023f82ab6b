/* SPDX-License-Identifier: MIT */
/* list.c - the block devices sysfs names (all, a disk's partitions, a device's slaves), sorted */
#include "device_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Has dir/name a partition attribute? */
static int is_partition(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s/partition", dir, name) >= (int)sizeof(path))
		return 0;
	return access(path, F_OK) == 0;
}

/* Entries of path in version order; keep filters. NULL-terminated. 0 or -errno. */
static int list_dir(const char *path, int (*keep)(const char *dir, const char *name),
		    char ***out)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;
	DIR *dir;

	*out = NULL;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || (keep && !keep(path, de->d_name)))
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto nomem;
		v[++n] = NULL;
	}
	closedir(dir);
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return 0;
nomem:
	closedir(dir);
	while (n)
		free(v[--n]);
	free(v);
	return -ENOMEM;
}

int dsp_device_names(const char *root, const char *disk, char ***out)
{
	char path[PATH_MAX];

	*out = NULL;
	if (disk && !dev_valid_name(disk))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s" SYS_BLOCK "%s%s", R(root),
		     disk ? "/" : "", disk ? disk : "") >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return list_dir(path, disk ? is_partition : NULL, out);
}

int dsp_device_slaves(const char *root, const char *name, char ***out)
{
	char path[PATH_MAX];

	*out = NULL;
	if (!dev_valid_name(name))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s" SYS_BLOCK "/%s/slaves", R(root),
		     name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return list_dir(path, NULL, out);
}

void dsp_device_names_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
