/* peak_temp: a program with a known heap peak and known temporaries, for
 * t1250 (report --peak, --temporary) against massif and heaptrack.
 *
 *   hold_a:  40 blocks of 2000 bytes, kept to the end       80,000 bytes
 *   hold_b: 100 blocks of 3000 bytes, then all freed        300,000 bytes
 *            -> the peak: 380,000 bytes in 140 blocks, hold_b on top
 *   churn: 1000 x (malloc 32, free it at once): 1000 temporaries
 *   batch:  10 blocks of 64, freed oldest first: not temporary, but the
 *           first free has the size and stack of the last allocation
 *           (heaptrack counts it: 1 more)
 * No stdio: nothing but these allocations touches the heap.
 *
 * `peak_temp threads`: 4 threads each hold 50 blocks of 4000 bytes
 * (hold_t), all at once (a barrier), then free them: a peak of 800,000
 * bytes in hold_t's blocks, reached across threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NA 40
#define NB 100
#define NBATCH 10

static void *volatile a[NA], *volatile b[NB], *volatile batch_v[NBATCH];

__attribute__((noinline)) static void hold_a(void) {
  for (int i = 0; i < NA; i++) a[i] = malloc(2000);
}
__attribute__((noinline)) static void hold_b(void) {
  for (int i = 0; i < NB; i++) b[i] = malloc(3000);
}
__attribute__((noinline)) static void churn(int n) {
  for (int i = 0; i < n; i++) {
    void *volatile p = malloc(32);
    free(p);
  }
}
__attribute__((noinline)) static void batch(void) {
  for (int i = 0; i < NBATCH; i++) batch_v[i] = malloc(64);
  for (int i = 0; i < NBATCH; i++) free(batch_v[i]);
}

#define NT 4
#define NTB 50
static pthread_barrier_t all_hold;

__attribute__((noinline)) static void *hold_t(void *unused) {
  void *volatile v[NTB];
  (void)unused;
  for (int i = 0; i < NTB; i++) v[i] = malloc(4000);
  pthread_barrier_wait(&all_hold);
  pthread_barrier_wait(&all_hold);
  for (int i = 0; i < NTB; i++) free(v[i]);
  return NULL;
}

static int threads(void) {
  pthread_t t[NT];
  pthread_barrier_init(&all_hold, NULL, NT + 1);
  for (int i = 0; i < NT; i++) pthread_create(&t[i], NULL, hold_t, NULL);
  pthread_barrier_wait(&all_hold);
  pthread_barrier_wait(&all_hold);
  for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "threads")) return threads();
  hold_a();
  hold_b();
  for (int i = 0; i < NB; i++) free(b[i]);
  churn(1000);
  batch();
  for (int i = 0; i < NA; i++) free(a[i]);
  return 0;
}
