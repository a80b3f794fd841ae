/* lock_inversion: two locks taken in opposite orders by two threads that
 * run one after the other, so this run never deadlocks; a later one may.
 * lock_a is a global, the second lock lives in a heap block (named by its
 * allocation site). t13xx finds the `mark:` lines by grep. With an
 * argument (t1766) it says "ready" and waits for a line on stdin before
 * the threads start: heapspy attaches meanwhile. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct account { long balance; pthread_mutex_t lock; };

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static struct account *the_acct;

static void *first(void *unused) {
  pthread_mutex_lock(&lock_a);                /* mark: first-takes-a */
  pthread_mutex_lock(&the_acct->lock);            /* mark: first-takes-b */
  the_acct->balance++;
  pthread_mutex_unlock(&the_acct->lock);
  pthread_mutex_unlock(&lock_a);
  return unused;
}

static void *second(void *unused) {
  pthread_mutex_lock(&the_acct->lock);            /* mark: second-takes-b */
  pthread_mutex_lock(&lock_a);                /* mark: second-takes-a */
  the_acct->balance--;
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&the_acct->lock);
  return unused;
}

static struct account *new_account(void) {
  struct account *a = calloc(1, sizeof *a);   /* mark: account-alloc */
  pthread_mutex_init(&a->lock, NULL);
  return a;
}

int main(int argc, char **argv) {
  pthread_t t;
  char c;
  (void)argv;
  the_acct = new_account();
  if (argc > 1) {
    (void)!write(1, "ready\n", 6);
    while (read(0, &c, 1) == 1 && c != '\n') {}
  }
  pthread_create(&t, NULL, first, NULL);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, second, NULL);
  pthread_join(t, NULL);
  return the_acct->balance != 0;   /* the_acct stays reachable: no leak to report */
}
