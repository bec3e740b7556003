/*
 * A small YAML emitter for cJSON trees: block style, keys in the tree's
 * order, every string double-quoted with JSON escapes (valid YAML 1.2 and
 * 1.1), numbers, booleans and null as plain scalars.
 */
#ifndef PERFPROF_YAMLW_H
#define PERFPROF_YAMLW_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Appends the YAML for root (an object) to sb. */
void yaml_emit(struct strbuf *sb, const cJSON *root);

#endif
