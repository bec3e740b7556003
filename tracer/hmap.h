/*
 * A small open-addressing map from 64-bit keys to 32-bit values, for the
 * report's interning tables (addresses, functions, strings).  Callers that
 * key by a hash must compare what the value designates and probe on with
 * hmap_next_key() on a collision.
 */
#ifndef PERFTRACE_HMAP_H
#define PERFTRACE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap {
	uint64_t *keys;
	uint32_t *vals; /* UINT32_MAX: empty slot */
	size_t cap, n;
};

/* 1 and *val when key is present, else 0. */
int hmap_get(const struct hmap *m, uint64_t key, uint32_t *val);
/* Inserts or replaces; returns 0 or -ENOMEM. */
int hmap_put(struct hmap *m, uint64_t key, uint32_t val);
void hmap_free(struct hmap *m);
/* 64-bit FNV-1a of a string, mixed with seed. */
uint64_t hmap_hash_str(const char *s, uint64_t seed);
/* The key to try after a collision on key. */
static inline uint64_t hmap_next_key(uint64_t key)
{
	return key * 0x9E3779B97F4A7C15ull + 1;
}

#endif
