/* split_debug: a program whose debug info t1260 moves out of the binary
 * (objcopy --only-keep-debug, strip --strip-debug, build-id layout):
 * make_name's three blocks stay in use, so every report shows its stack. */
#include <stdlib.h>
#include <string.h>

char *names[3];

__attribute__((noinline)) static char *make_name(int i) {
  char *p = malloc(40);
  memset(p, 'a' + i, 39);
  p[39] = 0;
  return p;
}

int main(void) {
  for (int i = 0; i < 3; i++) names[i] = make_name(i);
  return 0;
}
