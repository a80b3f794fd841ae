/*
 * static_hello.c: test program for t1010-bad-input.sh. The test compiles
 * it with `gcc -static` to check that heapspy refuses a statically linked
 * program without running it; tests.mk also builds a dynamic copy, used
 * to check that heapspy's own usage errors stop it before it starts.
 *
 * usage: static_hello [MARKER]: creates the file MARKER (proof that it
 * ran), says hello, exits 0.
 */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 1) {
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
  }
  ssize_t w = write(1, "hello\n", 6);
  (void)w;
  return 0;
}
