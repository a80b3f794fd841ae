/*
 * hash.h: the one string hash of the CLI's tables (FNV-1a, 64 bits):
 * cheap, good enough for interning symbol names and paths. Not for
 * anything an attacker chooses to collide on purpose.
 */
#ifndef HS_HASH_H
#define HS_HASH_H

#include <stdint.h>

static inline uint64_t hs_hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

#endif
