/* lock_misuse MODE: one lock error, then whatever the program does next.
 *   relock   takes a default (non-recursive) mutex twice in one thread:
 *            it waits for ever; alarm(2) ends it (SIGALRM, exit 142)
 *   unlock   unlocks a mutex another thread holds
 *   destroy  destroys a mutex it holds
 *   recursive  takes a recursive mutex twice: no error */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int pipefd[2];

static void *holder(void *unused) {
  char c = 1;
  pthread_mutex_lock(&m);
  if (write(pipefd[1], &c, 1) != 1) return NULL;
  pause();                                    /* until exit */
  return unused;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "relock";
  if (!strcmp(mode, "relock")) {
    alarm(2);
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&m);                   /* mark: relock */
    return 0;                                 /* never reached */
  }
  if (!strcmp(mode, "unlock")) {
    pthread_t t;
    char c;
    if (pipe(pipefd)) return 1;
    pthread_create(&t, NULL, holder, NULL);
    if (read(pipefd[0], &c, 1) != 1) return 1;
    pthread_mutex_unlock(&m);                 /* mark: unlock-not-held */
    return 0;
  }
  if (!strcmp(mode, "destroy")) {
    pthread_mutex_lock(&m);
    pthread_mutex_destroy(&m);                /* mark: destroy-held */
    return 0;
  }
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_t r;
  pthread_mutex_init(&r, &a);
  pthread_mutex_lock(&r);
  pthread_mutex_lock(&r);
  pthread_mutex_unlock(&r);
  pthread_mutex_unlock(&r);
  return 0;
}
