/*
 * http_post.c: a POST over plain HTTP/1.1 (http_post.h). The connect is
 * non-blocking under poll() so an unreachable host costs the timeout, not
 * the kernel's minutes; the socket then has send and receive timeouts.
 *
 * Must never: raise SIGPIPE (send with MSG_NOSIGNAL), or read more of
 * the answer than its status line needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/http_post.h"
#include "common/version.h"

int hs_url_parse(const char *url, struct hs_url *u, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  if (!strncmp(url, "https://", 8)) {
    snprintf(err, errlen, "--push: https is not supported (heapspy speaks plain HTTP only): push "
                          "to a local agent over http:// (Grafana Alloy's pyroscope.receive_http "
                          "forwards over TLS), or through a TLS-terminating proxy");
    return -1;
  }
  if (strncmp(url, "http://", 7)) {
    snprintf(err, errlen, "--push: '%s' is not an http:// URL", url);
    return -1;
  }
  const char *h = url + 7, *end = h + strcspn(h, "/?#"), *colon = NULL;
  if (*h == '[') {                              /* [v6]:port */
    const char *close = memchr(h, ']', (size_t)(end - h));
    if (!close) return snprintf(err, errlen, "--push: bad IPv6 address in '%s'", url), -1;
    snprintf(u->host, sizeof u->host, "%.*s", (int)(close - h - 1), h + 1);
    if (close[1] == ':') colon = close + 1;
  } else {
    colon = memchr(h, ':', (size_t)(end - h));
    size_t n = (size_t)((colon ? colon : end) - h);
    if (n >= sizeof u->host) n = sizeof u->host - 1;
    memcpy(u->host, h, n);
  }
  if (!u->host[0]) return snprintf(err, errlen, "--push: no host in '%s'", url), -1;
  snprintf(u->port, sizeof u->port, "80");
  if (colon) {
    size_t n = (size_t)(end - colon - 1);
    char *e;
    long port = n && n < 6 ? strtol(colon + 1, &e, 10) : 0;
    if (!n || n >= 6 || e != end || port < 1 || port > 65535)
      return snprintf(err, errlen, "--push: bad port in '%s'", url), -1;
    snprintf(u->port, sizeof u->port, "%ld", port);
  }
  if (*end == '?' || *end == '#')
    return snprintf(err, errlen, "--push: '%s': give the server's URL without a query; heapspy "
                                 "adds /ingest?name=...", url), -1;
  size_t n = strlen(end);
  while (n && end[n - 1] == '/') n--;
  if (n >= sizeof u->path) return snprintf(err, errlen, "--push: URL too long"), -1;
  memcpy(u->path, end, n);
  return 0;
}

void hs_url_encode(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(out);
  for (; *s && n + 4 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '_' || c == '.' || c == '~') {
      out[n++] = (char)c;
    } else {
      out[n++] = '%';
      out[n++] = hex[c >> 4];
      out[n++] = hex[c & 15];
    }
  }
  out[n] = 0;
}

/* A connected socket within timeout_ms, or -1 with err. */
static int dial(const struct hs_url *u, int timeout_ms, char *err, size_t errlen) {
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *a;
  int rc = getaddrinfo(u->host, u->port, &hints, &ai);
  if (rc) {
    snprintf(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
    return -1;
  }
  int fd = -1, saved = 0;
  for (a = ai; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) { saved = errno; continue; }
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno == EINPROGRESS) {
      struct pollfd p = { .fd = fd, .events = POLLOUT };
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (poll(&p, 1, timeout_ms) <= 0) soerr = ETIMEDOUT;
      else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
      errno = soerr;
      if (!soerr) break;
    } else if (errno == 0 || errno == EISCONN) {
      break;
    }
    saved = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  if (fd < 0) {
    snprintf(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port, strerror(saved));
    return -1;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static int send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

int hs_http_post(const struct hs_url *u, const char *target, const char *content_type,
                 const void *body, size_t len, double timeout_s, char *err, size_t errlen) {
  errno = 0;
  int fd = dial(u, (int)(timeout_s * 1000), err, errlen);
  if (fd < 0) return -1;
  char head[4096 + 512];
  int hn = snprintf(head, sizeof head,
                    "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: heapspy/" HS_VERSION "\r\n"
                    "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                    target, strchr(u->host, ':') ? "[" : "", u->host,
                    strchr(u->host, ':') ? "]" : "", u->port, content_type, len);
  if (hn < 0 || (size_t)hn >= sizeof head) {
    close(fd);
    return snprintf(err, errlen, "request line too long"), -1;
  }
  if (send_all(fd, head, (size_t)hn) < 0 || send_all(fd, body, len) < 0) {
    snprintf(err, errlen, "sending to %s:%s failed: %s", u->host, u->port,
             errno == EAGAIN ? "timed out" : strerror(errno));
    close(fd);
    return -1;
  }
  char line[64] = "";
  size_t got = 0;
  while (got < sizeof line - 1 && !memchr(line, '\n', got)) {
    ssize_t r = recv(fd, line + got, sizeof line - 1 - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  line[got] = 0;
  close(fd);
  int status;
  if (sscanf(line, "HTTP/1.%*d %d", &status) != 1) {
    snprintf(err, errlen, "no HTTP answer from %s:%s%s", u->host, u->port,
             got ? "" : " (connection closed or timed out)");
    return -1;
  }
  return status;
}
