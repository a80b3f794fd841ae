/* lock_cycle3: three locks, three threads, each taking two in a rotating
 * order (a->b, b->c, c->a): no two threads invert a pair, yet together
 * they can deadlock. Threads run one after the other: no deadlock here. */
#include <pthread.h>

static pthread_mutex_t ring[3] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                   PTHREAD_MUTEX_INITIALIZER };

static void *worker(void *arg) {
  long i = (long)arg;
  pthread_mutex_lock(&ring[i]);
  pthread_mutex_lock(&ring[(i + 1) % 3]);     /* mark: cycle-inner */
  pthread_mutex_unlock(&ring[(i + 1) % 3]);
  pthread_mutex_unlock(&ring[i]);
  return NULL;
}

int main(void) {
  for (long i = 0; i < 3; i++) {
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)i);
    pthread_join(t, NULL);
  }
  return 0;
}
