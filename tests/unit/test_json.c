/*
 * test_json.c: the JSON string writer (src/common/json.c), hs_json_str
 * and hs_utf8_len. Every case writes into a memory stream and compares
 * the whole output: escapes (quote, backslash, \n, \t, the other control
 * bytes and DEL as \u00XX), well-formed UTF-8 of 2, 3 and 4 bytes at the
 * edges of each range passed through unchanged, and each ill-formed
 * piece written as U+FFFD, one per maximal subpart, as Python's
 * errors="replace" decodes the same bytes (the expected strings below are
 * Python's answers, written out by hand). Sequences cut short at a page
 * whose next page is inaccessible show that neither function reads past
 * the terminating NUL. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/json.h"
#include "tap.h"

#define FFFD "\xef\xbf\xbd"

/* hs_json_str(s) as a string (static buffer, overwritten by each call). */
static const char *json_of(const char *s) {
  static char out[256];
  FILE *f = fmemopen(out, sizeof out, "w");
  if (!f) { perror("fmemopen"); exit(1); }
  hs_json_str(f, s);
  if (fclose(f)) { perror("fmemopen: output too long"); exit(1); }
  return out;
}

static void json_is(const char *in, const char *want, const char *what) {
  is_str(json_of(in), want, "%s", what);
}

int main(void) {
  /* ---- escapes ---- */
  is_str(json_of(NULL), "null", "NULL is null, unquoted");
  json_is("", "\"\"", "the empty string");
  json_is("plain text 123", "\"plain text 123\"", "plain ASCII passes through");
  json_is("say \"hi\"", "\"say \\\"hi\\\"\"", "quotes are escaped");
  json_is("C:\\dir\\", "\"C:\\\\dir\\\\\"", "backslashes are escaped");
  json_is("a\nb\tc", "\"a\\nb\\tc\"", "newline and tab use their short escapes");
  json_is("\x01", "\"\\u0001\"", "U+0001 is \\u0001");
  json_is("\x7f", "\"\\u007f\"", "DEL is \\u007f");
  json_is("\r\b\f\x1b\x1f", "\"\\u000d\\u0008\\u000c\\u001b\\u001f\"",
          "other control bytes (CR, BS, FF, ESC, 0x1f) are \\u00XX, lowercase hex");
  json_is("/ ~", "\"/ ~\"", "slash and tilde are not escaped");

  /* ---- well-formed UTF-8 passes through ---- */
  json_is("caf\xc3\xa9", "\"caf\xc3\xa9\"", "2 bytes: U+00E9");
  json_is("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"", "2 bytes: U+0080 and U+07FF, the range's ends");
  json_is("\xe2\x82\xac", "\"\xe2\x82\xac\"", "3 bytes: U+20AC");
  json_is("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf",
          "\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"",
          "3 bytes: U+0800, U+D7FF, U+E000, U+FFFF (around the surrogates)");
  json_is(FFFD, "\"" FFFD "\"", "U+FFFD itself passes through");
  json_is("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", "4 bytes: U+1F600");
  json_is("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"",
          "4 bytes: U+10000 and U+10FFFF, the range's ends");

  /* ---- ill-formed: U+FFFD per maximal subpart ---- */
  json_is("a\x80z", "\"a" FFFD "z\"", "a lone continuation byte");
  json_is("\xbf\xbf", "\"" FFFD FFFD "\"", "two continuation bytes: two U+FFFD");
  json_is("\xc0\x80", "\"" FFFD FFFD "\"", "overlong C0 80 (NUL): two U+FFFD");
  json_is("\xc1\xbf", "\"" FFFD FFFD "\"", "overlong C1 BF: two U+FFFD");
  json_is("\xe0\x80\x80", "\"" FFFD FFFD FFFD "\"", "overlong E0 80 80: three U+FFFD");
  json_is("\xf0\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", "overlong F0 80 80 80: four U+FFFD");
  json_is("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"", "surrogate ED A0 80 (U+D800): three U+FFFD");
  json_is("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"",
          "F4 90 80 80, above U+10FFFF: four U+FFFD");
  json_is("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", "lead byte F5: four U+FFFD");
  json_is("x\xff", "\"x" FFFD "\"", "0xFF");
  json_is("\xfe\xff", "\"" FFFD FFFD "\"", "0xFE 0xFF");
  json_is("ab\xe2\x82", "\"ab" FFFD "\"", "3-byte sequence cut short by the end: one U+FFFD");
  json_is("\xf0\x9f\x98", "\"" FFFD "\"", "4-byte sequence cut short by the end: one U+FFFD");
  json_is("\xc3", "\"" FFFD "\"", "2-byte lead byte at the end: one U+FFFD");
  json_is("\xe2\x82" "A", "\"" FFFD "A\"", "3-byte sequence cut short by ASCII: U+FFFD, then A");
  json_is("\xf0\x9f\x98\"", "\"" FFFD "\\\"\"", "cut short by a quote: U+FFFD, then the escape");
  json_is("\xe1\x80\xe1\x80\x80", "\"" FFFD "\xe1\x80\x80\"",
          "cut short by a new lead byte: U+FFFD, then U+1000 whole");
  json_is("\xc3\xa9\x80\xc3\xa9", "\"\xc3\xa9" FFFD "\xc3\xa9\"",
          "a stray byte between good sequences");

  /* ---- hs_utf8_len ---- */
  static const struct { const char *s; int len; const char *what; } lens[] = {
    { "A", 1, "ASCII" },
    { "\xc3\xa9", 2, "U+00E9" },
    { "\xe2\x82\xac", 3, "U+20AC" },
    { "\xf0\x9f\x98\x80", 4, "U+1F600" },
    { "\xf4\x8f\xbf\xbf", 4, "U+10FFFF" },
    { "\x80", 0, "continuation byte" },
    { "\xc0\x80", 0, "overlong C0 80" },
    { "\xe0\x9f\xbf", 0, "overlong E0 9F BF" },
    { "\xed\xa0\x80", 0, "surrogate ED A0 80" },
    { "\xf4\x90\x80\x80", 0, "F4 90 80 80" },
    { "\xff", 0, "0xFF" },
    { "\xe2\x82", 0, "cut short" },
  };
  for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
    is_int(hs_utf8_len((const unsigned char *)lens[i].s), lens[i].len, "hs_utf8_len: %s is %d",
           lens[i].what, lens[i].len);

  /* ---- never past the NUL: the string ends a page, the next one is
   * inaccessible ---- */
  long page = sysconf(_SC_PAGESIZE);
  char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map + page, page, PROT_NONE)) { perror("mmap"); return 1; }
  static const struct { const char *s; size_t n; const char *json; int len; } edge[] = {
    { "\xf0", 2, "\"" FFFD "\"", 0 },
    { "\xf0\x9f", 3, "\"" FFFD "\"", 0 },
    { "\xf0\x9f\x98", 4, "\"" FFFD "\"", 0 },
    { "\xe2\x82", 3, "\"" FFFD "\"", 0 },
  };
  for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
    char *at = map + page - edge[i].n;   /* the NUL is the page's last byte */
    memcpy(at, edge[i].s, edge[i].n);
    is_int(hs_utf8_len((const unsigned char *)at), edge[i].len,
           "hs_utf8_len of %zu bytes cut short at a page's end: 0", edge[i].n - 1);
    is_str(json_of(at), edge[i].json, "hs_json_str of %zu bytes cut short at a page's end",
           edge[i].n - 1);
  }
  munmap(map, 2 * page);
  return done_testing();
}
