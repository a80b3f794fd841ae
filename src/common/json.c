/*
 * json.c: the JSON string writer (see json.h). Must never emit invalid
 * UTF-8, an invalid escape or a raw control character, and never allocate.
 */
#include "common/json.h"

/* The well-formed sequence at p: its length (1-4), or 0 with *bad set to
 * the length of the maximal subpart it starts (1-3: a lead byte and the
 * continuation bytes it accepts before the sequence breaks off, or a lone
 * byte), which one U+FFFD replaces. */
static int utf8_scan(const unsigned char *p, int *bad) {
  unsigned c = p[0];
  *bad = 1;
  if (c < 0x80) return 1;
  int n;
  unsigned lo = 0x80, hi = 0xbf;               /* allowed range of the second byte */
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;                  /* overlong */
    if (c == 0xed) hi = 0x9f;                  /* surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;                  /* overlong */
    if (c == 0xf4) hi = 0x8f;                  /* above U+10FFFF */
  } else
    return 0;                                  /* continuation byte, 0xc0/0xc1, 0xf5.. */
  if (p[1] < lo || p[1] > hi) return 0;
  for (int i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf) {          /* a NUL stops here too */
      *bad = i;
      return 0;
    }
  return n;
}

int hs_utf8_len(const unsigned char *p) {
  int bad;
  return utf8_scan(p, &bad);
}

void hs_json_str(FILE *out, const char *s) {
  if (!s) { fputs("null", out); return; }
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    switch (*p) {
    case '"': fputs("\\\"", out); p++; continue;
    case '\\': fputs("\\\\", out); p++; continue;
    case '\n': fputs("\\n", out); p++; continue;
    case '\t': fputs("\\t", out); p++; continue;
    }
    if (*p < 0x20 || *p == 0x7f) { fprintf(out, "\\u%04x", *p); p++; continue; }
    int bad, n = utf8_scan(p, &bad);
    if (!n) { fputs("\xef\xbf\xbd", out); p += bad; continue; }   /* U+FFFD */
    fwrite(p, 1, (size_t)n, out);
    p += n;
  }
  fputc('"', out);
}
