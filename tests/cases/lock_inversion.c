/* lock_inversion: two locks taken in opposite orders by two threads that
 * run one after the other, so this run never deadlocks; a later one may.
 * lock_a is a global, the second lock lives in a heap block (named by its
 * allocation site). t13xx finds the `mark:` lines by grep. */
#include <pthread.h>
#include <stdlib.h>

struct account { long balance; pthread_mutex_t lock; };

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static struct account *acct;

static void *first(void *unused) {
  pthread_mutex_lock(&lock_a);                /* mark: first-takes-a */
  pthread_mutex_lock(&acct->lock);            /* mark: first-takes-b */
  acct->balance++;
  pthread_mutex_unlock(&acct->lock);
  pthread_mutex_unlock(&lock_a);
  return unused;
}

static void *second(void *unused) {
  pthread_mutex_lock(&acct->lock);            /* mark: second-takes-b */
  pthread_mutex_lock(&lock_a);                /* mark: second-takes-a */
  acct->balance--;
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&acct->lock);
  return unused;
}

static struct account *new_account(void) {
  struct account *a = calloc(1, sizeof *a);   /* mark: account-alloc */
  pthread_mutex_init(&a->lock, NULL);
  return a;
}

int main(void) {
  pthread_t t;
  acct = new_account();
  pthread_create(&t, NULL, first, NULL);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, second, NULL);
  pthread_join(t, NULL);
  return acct->balance != 0;   /* acct stays reachable: no leak to report */
}
