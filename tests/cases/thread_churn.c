/*
 * thread_churn.c: WAVES waves of WIDTH short-lived threads, each making
 * 100 malloc/free pairs; prints its own virtual size after the first wave
 * and at the end (t1105: the spy's per-thread memory is reused, not
 * piled up), then the pairs it made.
 * Usage: thread_churn WAVES WIDTH
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_barrier_t wave;

static void *work(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++) {
    char *volatile p = malloc(32 + (size_t)i);   /* each thread its own: */
    free(p);                    /* a shared global made threads free each other's blocks */
  }
  pthread_barrier_wait(&wave);
  return NULL;
}

static long vm_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  int waves = argc > 1 ? atoi(argv[1]) : 100, width = argc > 2 ? atoi(argv[2]) : 4;
  pthread_t t[64];
  if (width > 64) width = 64;
  long first = 0;
  pthread_barrier_init(&wave, NULL, (unsigned)width);
  for (int w = 0; w < waves; w++) {
    for (int i = 0; i < width; i++) pthread_create(&t[i], NULL, work, NULL);
    for (int i = 0; i < width; i++) pthread_join(t[i], NULL);
    if (w == 0) first = vm_kb();
  }
  printf("vm_kb first %ld end %ld\npairs %ld\n", first, vm_kb(), (long)waves * width * 100);
  return 0;
}
