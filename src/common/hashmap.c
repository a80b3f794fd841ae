/*
 * hashmap.c: see hashmap.h. Must never return a slot of a table it is
 * about to grow: growth happens before the probe, never after.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hashmap.h"

static size_t home(uint64_t key, size_t cap) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  return (size_t)key & (cap - 1);
}

uint64_t hs_map_get(const struct hs_map *m, uint64_t key) {
  if (!m->cap) return 0;
  for (size_t i = home(key, m->cap); m->vals[i]; i = (i + 1) & (m->cap - 1))
    if (m->keys[i] == key) return m->vals[i];
  return 0;
}

static int grow(struct hs_map *m) {
  size_t cap = m->cap ? m->cap * 2 : 256;
  uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return -1;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->vals[i]) continue;
    size_t j = home(m->keys[i], cap);
    while (vals[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  return 0;
}

uint64_t *hs_map_slot(struct hs_map *m, uint64_t key) {
  if ((m->count + 1) * 2 > m->cap && grow(m) < 0) return NULL;
  size_t i = home(key, m->cap);
  for (; m->vals[i]; i = (i + 1) & (m->cap - 1))
    if (m->keys[i] == key) return &m->vals[i];
  m->keys[i] = key;
  m->count++;
  return &m->vals[i];
}

void hs_map_clear(struct hs_map *m) {
  if (m->cap) memset(m->vals, 0, m->cap * sizeof *m->vals);
  m->count = 0;
}

void hs_map_free(struct hs_map *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}
