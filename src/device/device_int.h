/* SPDX-License-Identifier: MIT */
/* device_int.h - helpers the device module's files share (not for other modules) */
#ifndef DISPOSE_DEVICE_INT_H
#define DISPOSE_DEVICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dispose/device.h"

#define SYS_BLOCK "/sys/class/block"
/* the root the system is read under: "" is the running system */
#define R(root) ((root) ? (root) : "")

/* snprintf that reports truncation: 0 or -ENAMETOOLONG */
int dev_fmt(char *buf, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* strlcpy */
void dev_copy(char *dst, size_t n, const char *src);
/* blanks cut at both ends, in place */
char *dev_trim(char *s);
/* a kernel name from a sysfs entry: no path tricks */
bool dev_valid_name(const char *name);
/* a small file, trimmed. 0 or -errno */
int dev_read_file(const char *path, char *buf, size_t len);
/* ROOT/sys/class/block/NAME/ATTR, trimmed; as an unsigned number. 0 or -errno */
int dev_read_attr(const char *root, const char *name, const char *attr, char *buf, size_t len);
int dev_read_u64(const char *root, const char *name, const char *attr, uint64_t *v);
bool dev_attr_exists(const char *root, const char *name, const char *attr);
/* the device number of kernel name NAME (its dev attribute). 0 or -errno */
int dev_name_devno(const char *root, const char *name, dev_t *d);
/* the device number of the block device node at path. 0, -ENOTBLK or -errno */
int dev_path_devno(const char *path, dev_t *d);
/* a whole /proc file (stat size 0: read to EOF), malloc'ed and NUL-terminated */
int dev_read_all(const char *path, char **out, size_t *outlen);

#endif
