/*
 * test_size.c: hs_parse_size (src/common/util.c), the one SIZE grammar
 * of every heapspy option that takes a size. Checks exact bytes for each
 * spelling (fractions, units in either case, B, b, iB), the largest size
 * that fits in 64 bits and the first that does not, what the end pointer
 * leaves for the caller ("/s" of a growth rate), and that malformed
 * sizes are refused. Prints TAP.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "tap.h"

/* Each helper is one check: the exact rc and value, with both printed on
 * failure. */
static void size_is(const char *s, uint64_t want) {
  uint64_t v = 12345;
  int rc = hs_parse_size(s, &v, NULL);
  if (!ok(rc == 0 && v == want, "'%s' is %" PRIu64 " bytes", s, want))
    diag("got rc %d, %" PRIu64, rc, v);
}

static void refused(const char *s) {
  uint64_t v = 12345;
  int rc = hs_parse_size(s, &v, NULL);
  if (!ok(rc < 0 && v == 12345, "'%s' is refused, *out untouched", s))
    diag("got rc %d, %" PRIu64, rc, v);
}

static void prefix_is(const char *s, uint64_t want, const char *rest) {
  uint64_t v = 0;
  const char *end = NULL;
  int rc = hs_parse_size(s, &v, &end);
  if (!ok(rc == 0 && v == want && end && !strcmp(end, rest), "'%s' is %" PRIu64 " bytes, then '%s'",
          s, want, rest))
    diag("got rc %d, %" PRIu64 ", '%s'", rc, v, end ? end : "(null)");
}

int main(void) {
  size_is("0", 0);
  size_is("4096", 4096);
  size_is("64K", 65536);
  size_is("64k", 65536);
  size_is("1.5M", 1572864);
  size_is("1.5k", 1536);
  size_is("10mb", 10485760);
  size_is("10MB", 10485760);
  size_is("2KiB", 2048);
  size_is("3GiB", 3221225472u);
  size_is("1g", 1073741824);
  size_is("1T", 1099511627776u);
  size_is("2t", 2199023255552u);
  size_is("100B", 100);
  size_is("100b", 100);
  size_is("0.1K", 102);                       /* 102.4: rounded down */
  size_is("0.046875K", 48);
  size_is("1.000", 1);
  size_is("007K", 7168);
  size_is("18446744073709551615", UINT64_MAX);
  size_is("16777215T", UINT64_MAX - ((1ull << 40) - 1));
  size_is("16777215.999999999999999999T", UINT64_MAX);  /* 18 fraction digits */
  refused("18446744073709551616");
  refused("99999999999999999999");
  refused("16777216T");
  refused("17179869184G");
  refused("");
  refused("-1");
  refused("+1");
  refused(" 1");
  refused("1 ");
  refused("1 K");
  refused("1Q");
  refused("1..5M");
  refused("1.");
  refused(".5");
  refused("1.5.2");
  refused("1e3");
  refused("0x10");
  refused("inf");
  refused("nan");
  refused("1iB");
  refused("1Ki");
  refused("1Kib");
  refused("1KBB");
  refused("1MK");
  prefix_is("10M/s", 10485760, "/s");
  prefix_is("10MiB/s", 10485760, "/s");
  prefix_is("1.5kb/s", 1536, "/s");
  prefix_is("512", 512, "");
  return done_testing();
}
