/*
 * http_post.h: one HTTP/1.1 POST over a plain TCP socket, for `--push`
 * (analyze/export_push.c): connect, send the request with its body, read
 * the status line, close. Nothing more of HTTP is needed: no redirects,
 * no keep-alive, no chunked bodies.
 *
 * Must never: block longer than the timeout it is given (connect, send
 * and receive are each bounded), raise SIGPIPE, or speak TLS: an https
 * URL is refused at parse time with a sentence saying so.
 */
#ifndef HS_HTTP_POST_H
#define HS_HTTP_POST_H

#include <stddef.h>

struct hs_url {
  char host[256];     /* a name, an IPv4 address, or an IPv6 one without brackets */
  char port[8];       /* "80" unless given */
  char path[1024];    /* the URL's path without a trailing '/', "" for none */
};

/* "http://HOST[:PORT][/PATH]"; -1 with one line in err otherwise. */
int hs_url_parse(const char *url, struct hs_url *u, char *err, size_t errlen);

/* POST target (path and query, already encoded) to u's host with body;
 * returns the HTTP status (200...), or -1 with one line in err when no
 * status came back (refused, unreachable, timed out, not HTTP). */
int hs_http_post(const struct hs_url *u, const char *target, const char *content_type,
                 const void *body, size_t len, double timeout_s, char *err, size_t errlen);

/* Appends s to out (capacity cap, kept NUL-terminated) percent-encoded
 * as a query value: only unreserved characters stay as they are. */
void hs_url_encode(char *out, size_t cap, const char *s);

#endif
