/*
 * lock_leak.c: blocks holding a lock, locked and unlocked, then dropped
 * (t2139). Under --locks the spy remembers the lock's address (the lock
 * order's memo, the locks a thread holds) in its own per-thread memory;
 * that memory must never be a root of the leak scan, or the last such
 * block of each thread reads "still reachable" where memcheck finds all
 * of them definitely lost. Two threads, 3 blocks each, 104 bytes a block.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct obj {
  pthread_mutex_t m;                   /* 40 bytes */
  pthread_rwlock_t rw;                 /* 56 bytes */
  long n;
};

static void *drop_three(void *arg) {
  for (int i = 0; i < 3; i++) {
    struct obj *o = malloc(sizeof *o);
    if (!o) abort();
    pthread_mutex_init(&o->m, NULL);
    pthread_rwlock_init(&o->rw, NULL);
    pthread_mutex_lock(&o->m);
    pthread_rwlock_rdlock(&o->rw);
    o->n = i;
    pthread_rwlock_unlock(&o->rw);
    pthread_mutex_unlock(&o->m);
  }
  return arg;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, drop_three, NULL) || pthread_join(t, NULL)) return 1;
  drop_three(NULL);
  printf("dropped 6 blocks of %zu bytes\n", sizeof(struct obj));
  return 0;
}
