/*
 * hsp_offsets.c: helper for t1010-bad-input.sh. Prints "NAME OFFSET SIZE"
 * for the profile header fields the test corrupts, taken from the real
 * layout (src/profile/hsp_format.h), so the test keeps patching the right
 * bytes when the layout changes.
 */
#include <stddef.h>
#include <stdio.h>

#include "../../src/profile/hsp_format.h"

#define F(field) \
  printf("%s %zu %zu\n", #field, offsetof(struct hsp_header, field), \
         sizeof(((struct hsp_header *)0)->field))

int main(void) {
  F(version);
  F(header_size);
  F(arena_used);
  F(shards_off);
  F(stacks.table_off);
  F(stacks.capacity);
  F(modules_off);
  F(samples_off);
  F(samples_count);
  F(marks_off);
  F(nfamilies);
  F(verdicts_off);
  F(verdicts_count);
  return 0;
}
