/*
 * Reading numbers and strings out of cJSON trees by dotted path
 * ("io.by_kind.file.write_bytes", "functions[0].name").  The reports the
 * driver reads come from our own tools, but a field a version does not have
 * must read as absent, never crash.
 */
#ifndef PERFPROF_JGET_H
#define PERFPROF_JGET_H

#include <stdint.h>
#include <cjson/cJSON.h>

/* The node at path, or NULL. */
cJSON *jget(const cJSON *root, const char *path);
/* 1 when path holds a number. */
int jhas(const cJSON *root, const char *path);
/* The number at path, or dflt when absent or not a number. */
double jnum(const cJSON *root, const char *path, double dflt);
/* The number at path as uint64_t (0 when absent or negative). */
uint64_t ju64(const cJSON *root, const char *path);
/* The string at path, or dflt. */
const char *jstr(const cJSON *root, const char *path, const char *dflt);
/* Parses a whole file; NULL (and -errno in *err when err != NULL) on failure. */
cJSON *jload(const char *path, int *err);
/* Adds a number, or null when !valid. */
void jadd_num_or_null(cJSON *obj, const char *key, int valid, double v);
/* Adds a number rounded to `decimals` places (to keep reports readable). */
void jadd_round(cJSON *obj, const char *key, double v, int decimals);
/* Prints a tree (formatted) into a malloc'd string with a trailing newline. */
char *jprint(const cJSON *root);

#endif
