/* SPDX-License-Identifier: MIT */
/* target_int.h - held file/tree targets and the inode table of tree walks (not public) */
#ifndef DISPOSE_TARGET_INT_H
#define DISPOSE_TARGET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "dispose/erase.h"

struct dsp_erase_target {
	int fd;			/* O_PATH|O_NOFOLLOW: the object checked */
	int dirfd;		/* O_RDONLY directory holding it under name; -1 for "/" */
	char *name;		/* entry name in dirfd */
	char *path;		/* as opened, for the recheck */
	char *display;		/* for the record and messages */
	struct stat st;
	struct dsp_erase_target_info info;
};

/*
 * Open path (no symbolic link followed in any component) with oflags
 * (O_PATH|O_NOFOLLOW, or O_RDONLY|O_DIRECTORY). Returns the fd or -errno;
 * -ELOOP: a component (or, without O_PATH, the last one) is a symlink.
 */
int target_resolve(const char *path, int oflags);

/* Mount id of name in dirfd (statx), or 0 when the kernel cannot say. */
uint64_t mnt_id_at(int dirfd, const char *name);

/* Regular files with several names met in a walk, by device and inode. */
enum { INO_PENDING = 1, INO_ERASED = 2, INO_REPORTED = 4 };
struct ino_ent {
	uint64_t dev, ino;	/* ino 0 = free slot (no inode has number 0) */
	uint64_t size, nlink;	/* as first seen */
	uint64_t links;		/* names left after ours were removed */
	unsigned names;		/* names met inside the tree */
	unsigned state;
	char *path;		/* the first name met */
};
struct ino_tab {
	struct ino_ent *v;
	size_t n, cap;
};
/* The entry for dev+ino; with create, a new zeroed one (NULL: no memory). */
struct ino_ent *ino_get(struct ino_tab *t, uint64_t dev, uint64_t ino, bool create);
void ino_free(struct ino_tab *t);

#endif
