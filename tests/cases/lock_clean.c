/* lock_clean: correct locking through every intercepted kind (condition
 * waits and timed waits, rwlocks read and write, spinlocks, trylock,
 * timedlock, a recursive mutex), all in one consistent order: under
 * --locks no cycle and no error, and the same output as without. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static int queue, produced, consumed;

static void *producer(void *unused) {
  for (int i = 0; i < 1000; i++) {
    pthread_rwlock_rdlock(&rw);
    pthread_mutex_lock(&m);
    queue++;
    produced++;
    pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
    pthread_rwlock_unlock(&rw);
  }
  return unused;
}

static void *consumer(void *unused) {
  while (consumed < 1000) {
    pthread_rwlock_rdlock(&rw);
    pthread_mutex_lock(&m);
    while (!queue) {
      struct timespec t;
      clock_gettime(CLOCK_REALTIME, &t);
      t.tv_nsec += 1000000;
      if (t.tv_nsec >= 1000000000) { t.tv_sec++; t.tv_nsec -= 1000000000; }
      if (consumed & 1) pthread_cond_wait(&c, &m);
      else pthread_cond_timedwait(&c, &m, &t);
    }
    queue--;
    pthread_spin_lock(&spin);
    consumed++;
    pthread_spin_unlock(&spin);
    pthread_mutex_unlock(&m);
    pthread_rwlock_unlock(&rw);
  }
  return unused;
}

int main(void) {
  pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
  pthread_t p, q;
  pthread_create(&q, NULL, consumer, NULL);
  pthread_create(&p, NULL, producer, NULL);
  pthread_join(p, NULL);
  pthread_join(q, NULL);

  pthread_rwlock_wrlock(&rw);                 /* write mode, then try and timed */
  if (pthread_mutex_trylock(&m) == 0) pthread_mutex_unlock(&m);
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec++;
  if (pthread_mutex_timedlock(&m, &t) == 0) pthread_mutex_unlock(&m);
  pthread_rwlock_unlock(&rw);
  if (pthread_rwlock_tryrdlock(&rw) == 0) pthread_rwlock_unlock(&rw);

  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_t r;
  pthread_mutex_init(&r, &a);
  pthread_mutex_lock(&r);
  pthread_mutex_lock(&r);
  pthread_mutex_lock(&m);
  pthread_mutex_unlock(&m);
  pthread_mutex_unlock(&r);
  pthread_mutex_unlock(&r);
  pthread_mutex_destroy(&r);
  pthread_spin_destroy(&spin);
  printf("produced %d consumed %d\n", produced, consumed);
  return 0;
}
