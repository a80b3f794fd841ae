/* lock_exit: main calls exit(3) while a thread named "holder" holds
 * held_lock (and waits for ever) and another, "idler", holds nothing
 * (SPEC story 5: the report names them and what they hold). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static int ready[2];

static void *holder(void *unused) {
  char c = 1;
  pthread_setname_np(pthread_self(), "holder");
  pthread_mutex_lock(&held_lock);             /* mark: holder-takes */
  if (write(ready[1], &c, 1) != 1) return NULL;
  for (;;) pause();
  return unused;
}

static void *idler(void *unused) {
  char c = 1;
  pthread_setname_np(pthread_self(), "idler");
  if (write(ready[1], &c, 1) != 1) return NULL;
  for (;;) pause();
  return unused;
}

int main(void) {
  pthread_t a, b;
  char c;
  if (pipe(ready)) return 1;
  pthread_create(&a, NULL, holder, NULL);
  pthread_create(&b, NULL, idler, NULL);
  if (read(ready[0], &c, 1) != 1 || read(ready[0], &c, 1) != 1) return 1;
  exit(3);
}
