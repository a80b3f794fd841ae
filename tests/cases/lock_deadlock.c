/* tests/cases/lock_deadlock.c: a real deadlock (t1360). Two threads take
 * two global mutexes in opposite orders; a barrier makes sure each holds
 * its first lock before either asks for its second, so both block for
 * ever. Prints "holding" when both hold their first lock.
 * `lock_deadlock ring`: three threads in a ring through three kinds of
 * lock: "ring0" holds the mutex and wants the rwlock (write), "ring1"
 * holds the rwlock and wants the spinlock, "ring2" holds the spinlock and
 * wants the mutex. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t accounts = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *transfer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&accounts);               /* mark: transfer-first */
  pthread_barrier_wait(&both_hold);
  pthread_mutex_lock(&journal);                /* mark: transfer-second */
  pthread_mutex_unlock(&journal);
  pthread_mutex_unlock(&accounts);
  return NULL;
}

static void *audit(void *arg) {
  (void)arg;
  pthread_mutex_lock(&journal);                /* mark: audit-first */
  pthread_barrier_wait(&both_hold);
  pthread_mutex_lock(&accounts);               /* mark: audit-second */
  pthread_mutex_unlock(&accounts);
  pthread_mutex_unlock(&journal);
  return NULL;
}

static pthread_mutex_t ring_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t ring_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t ring_s;

static void *ring0(void *arg) {
  (void)arg;
  pthread_mutex_lock(&ring_m);
  pthread_barrier_wait(&both_hold);
  pthread_rwlock_wrlock(&ring_rw);             /* mark: ring0-waits */
  return NULL;
}

static void *ring1(void *arg) {
  (void)arg;
  pthread_rwlock_wrlock(&ring_rw);
  pthread_barrier_wait(&both_hold);
  pthread_spin_lock(&ring_s);                  /* mark: ring1-waits */
  return NULL;
}

static void *ring2(void *arg) {
  (void)arg;
  pthread_spin_lock(&ring_s);
  pthread_barrier_wait(&both_hold);
  pthread_mutex_lock(&ring_m);                 /* mark: ring2-waits */
  return NULL;
}

static int ring(void) {
  void *(*fn[3])(void *) = { ring0, ring1, ring2 };
  pthread_t t[3];
  pthread_spin_init(&ring_s, PTHREAD_PROCESS_PRIVATE);
  pthread_barrier_init(&both_hold, NULL, 4);
  for (int i = 0; i < 3; i++) {
    char name[16];
    snprintf(name, sizeof name, "ring%d", i);
    pthread_create(&t[i], NULL, fn[i], NULL);
    pthread_setname_np(t[i], name);
  }
  pthread_barrier_wait(&both_hold);
  printf("holding\n");
  fflush(stdout);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "ring")) return ring();
  pthread_t a, b;
  pthread_barrier_init(&both_hold, NULL, 3);
  pthread_create(&a, NULL, transfer, NULL);
  pthread_create(&b, NULL, audit, NULL);
  pthread_setname_np(a, "transfer");
  pthread_setname_np(b, "audit");
  pthread_barrier_wait(&both_hold);
  printf("holding\n");
  fflush(stdout);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("done\n");
  return 0;
}
