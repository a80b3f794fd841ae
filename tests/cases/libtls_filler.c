/*
 * libtls_filler.c: a library with initial-exec TLS, dlopen'd by
 * attach_prog (ATTACH_PROG_DLOPEN) to use up glibc's spare static TLS, so
 * that heapspy attach has to fall back on its dynamic-TLS build (t1760).
 * Built as build/tests/libtls_filler.so; FILL bytes of TLS.
 */
static __thread char fill[FILL] __attribute__((tls_model("initial-exec")));

char *tls_filler(void) { return fill; }
