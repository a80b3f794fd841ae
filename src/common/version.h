/*
 * version.h: heapspy's version, the one place it is written. `heapspy
 * --version` and the JSON report print it; the Makefile reads it for the
 * pkg-config file; t1020 checks that the man page says the same.
 */
#ifndef HS_VERSION_H
#define HS_VERSION_H

#define HS_VERSION "0.1.0"

#endif
