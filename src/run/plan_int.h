/* SPDX-License-Identifier: MIT */
/* plan_int.h - shared by plan.c (building) and plan_out.c (printing, writing) only */
#ifndef DISPOSE_PLAN_INT_H
#define DISPOSE_PLAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Files erased per second, devices per second: the plan's estimates (dispose(8) PLAN). */
#define PLAN_FILE_RATE	300000000ull
#define PLAN_DEV_RATE	500000000ull

/*
 * Paths ordered component by component ('/' sorts before every other
 * byte), so that everything under a directory follows it directly.
 */
int plan_pathcmp(const char *a, const char *b);
/* a is b or a directory above it. */
bool plan_path_within(const char *path, const char *dir);

#endif
