/*
 * fd_closer.c: a program that behaves like a daemon towards file
 * descriptors: it closes every descriptor above 2, opens a file of its
 * own and dup2's it onto high numbers (where a spy might keep its own),
 * then allocates enough to make heapspy's profile grow. Its file must
 * come out exactly as it wrote it, and the profile must stay complete.
 * Leaks 100,000 blocks of 64 bytes on purpose.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  for (int fd = 3; fd < 1024; fd++) close(fd);
  int f = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f < 0) return 3;
  for (int fd = 600; fd < 1024; fd++) dup2(f, fd);
  for (int i = 0; i < 200000; i++) {
    void *volatile p = malloc(64);
    if (i % 2) free(p);
  }
  if (write(f, "intact\n", 7) != 7) return 4;
  return 0;
}
