/*
 * demo.c: story 1 of heapspy's SPEC, "the string that leaked through a
 * wrapper". A loop asks the component for a fresh value and sends the
 * previous one over the "wire" through the marshalling helper. The
 * component's strings are all freed; the wire copies never are, so the
 * heap grows by one small buffer per iteration.
 *
 * Run it under heapspy:  heapspy run -- ./marshal-demo [N [MICROSECONDS]]
 * (N values, with a pause between them so the timeline shows the growth).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "component.h"
#include "heapspy.h"
#include "marshal.h"

static unsigned long sent_bytes;

static void send_to_peer(const struct wire_string *w) {
  sent_bytes += w->len + sizeof w->len;    /* pretend to write it out */
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int pause_us = argc > 2 ? atoi(argv[2]) : 0;
  char *previous = component_describe(0);
  for (int i = 1; i <= n; i++) {
    char *fresh = component_describe(i);
    struct wire_string *w = marshal_to_wire(previous);   /* never freed */
    send_to_peer(w);
    free(previous);
    previous = fresh;
    if (i == n / 2) HEAPSPY_CHECKPOINT("halfway");
    if (pause_us) usleep((useconds_t)pause_us);
  }
  free(previous);
  printf("sent %d values, %lu bytes\n", n, sent_bytes);
  return 0;
}
