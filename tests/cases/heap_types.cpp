/*
 * heap_types.cpp: known counts of three polymorphic classes and of
 * strings, for `heapspy heap`'s census by type (t1730-heap-census):
 * 100 Circle (24 bytes: vptr, x, r), 250 Square (32 bytes: vptr, x, side,
 * tag), 37 Label (48 bytes: vptr, char[40]), 20 strdup'd strings "census
 * string NN", 10 freed Circles (must not count). Writes pid=PID to
 * READY_FILE and waits forever.
 *
 * usage: heap_types READY_FILE
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct Shape {
  double x = 1.5;
  virtual ~Shape() {}
  virtual double area() const = 0;
};
struct Circle : Shape {
  double r = 2.0;
  double area() const override { return 3.14159 * r * r; }
};
struct Square : Shape {
  double side = 3.0;
  long tag = 0x5157;
  double area() const override { return side * side; }
};
struct Label {
  char name[40];
  Label() { strcpy(name, "a label"); }
  virtual ~Label() {}
  virtual const char *text() const { return name; }
};

static void *volatile keep[1000];

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int n = 0;
  for (int i = 0; i < 100; i++) keep[n++] = new Circle;
  for (int i = 0; i < 250; i++) keep[n++] = new Square;
  for (int i = 0; i < 37; i++) keep[n++] = new Label;
  for (int i = 0; i < 20; i++) {
    char s[32];
    snprintf(s, sizeof s, "census string %02d", i);
    keep[n++] = strdup(s);
  }
  Circle *gone[10];
  for (int i = 0; i < 10; i++) gone[i] = new Circle;
  for (int i = 0; i < 10; i++) delete gone[i];
  char buf[64], tmp[4096];
  int len = snprintf(buf, sizeof buf, "pid=%d\n", (int)getpid());
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, buf, (size_t)len) != len) return 1;
  close(fd);
  rename(tmp, argv[1]);
  for (;;) pause();
}
