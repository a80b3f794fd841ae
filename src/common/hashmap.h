/*
 * hashmap.h: the one hash map of the CLI: 64-bit keys to non-zero 64-bit
 * values (usually an index + 1 into the caller's own array, which keeps
 * the entries dense and in insertion order), open addressing with linear
 * probing, doubled at half load. Keys are mixed here, so sequential keys
 * (addresses, stack ids) are fine.
 *
 * Keys that are hashes of something bigger (strings) may collide: such a
 * caller compares the entry it found and, on a mismatch, tries the next
 * key of the chain hs_map_next_key(key), for lookups and inserts alike.
 *
 * Never dies: an allocation failure returns NULL / -1, and callers that
 * must not go on check for it. Not thread-safe.
 */
#ifndef HS_HASHMAP_H
#define HS_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hs_map {
  uint64_t *keys, *vals;    /* vals[i] == 0: slot i is empty */
  size_t count, cap;        /* cap: 0 or a power of two */
};

/* The value stored for key, or 0. */
uint64_t hs_map_get(const struct hs_map *m, uint64_t key);

/* The value slot of key, inserted (holding 0) if absent: the caller
 * stores a non-zero value in it before the next call. NULL when out of
 * memory. */
uint64_t *hs_map_slot(struct hs_map *m, uint64_t key);

/* Empties the map, keeping its memory. */
void hs_map_clear(struct hs_map *m);
void hs_map_free(struct hs_map *m);

/* The next key to try after a hash collision on key. */
static inline uint64_t hs_map_next_key(uint64_t key) {
  return key * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
}

#endif
