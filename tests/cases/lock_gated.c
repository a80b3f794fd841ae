/* lock_gated: lock_x and lock_y are taken in both orders, but always
 * under the gate lock, so the inversion cannot deadlock. helgrind and
 * TSan report it anyway; heapspy calls it gated (safe). The threads run
 * at the same time here: the gate keeps them apart. */
#include <pthread.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_y = PTHREAD_MUTEX_INITIALIZER;
static long shared;

static void *xy(void *unused) {
  for (int i = 0; i < 100; i++) {
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&lock_x);
    pthread_mutex_lock(&lock_y);              /* mark: gated-xy */
    shared++;
    pthread_mutex_unlock(&lock_y);
    pthread_mutex_unlock(&lock_x);
    pthread_mutex_unlock(&gate);
  }
  return unused;
}

static void *yx(void *unused) {
  for (int i = 0; i < 100; i++) {
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&lock_y);
    pthread_mutex_lock(&lock_x);              /* mark: gated-yx */
    shared--;
    pthread_mutex_unlock(&lock_x);
    pthread_mutex_unlock(&lock_y);
    pthread_mutex_unlock(&gate);
  }
  return unused;
}

int main(void) {
  pthread_t a, b;
  pthread_create(&a, NULL, xy, NULL);
  pthread_create(&b, NULL, yx, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  return shared != 0;
}
