/* tests/cases/lock_deadlock.c: a real deadlock (t1360). Two threads take
 * two global mutexes in opposite orders; a barrier makes sure each holds
 * its first lock before either asks for its second, so both block for
 * ever. Prints "holding" when both hold their first lock. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

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

int main(void) {
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
