/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small HTTP/1.1 server for `vigil serve`: GET and HEAD of a few paths,
 * one thread, non-blocking sockets.
 *
 * Why not libmicrohttpd (the library the issue suggested): Debian 12's
 * libmicrohttpd.a is built with HTTPS, so a static link pulls in GnuTLS
 * and its p11-kit, and Debian ships no libp11-kit.a (amd64 nor arm64):
 * `make static` could not link it at all (32 undefined p11-kit symbols).
 * Forcing it through would also cost size: a stripped static binary of
 * a minimal MHD server is 3.9 MB against 0.7 MB for an empty one.
 * What serve needs is narrow (no TLS, no bodies, no keep-alive), so this
 * file is the whole server; docs/serve.md has the numbers.
 *
 * One client never stalls another nor the tracing thread: every socket is
 * non-blocking, the handler only takes a reference to a rendered buffer
 * (http_blob), a connection has HTTP_TIMEOUT_MS from accept to its last
 * byte, at most HTTP_MAX_CONN are open (more are answered 503 and closed),
 * a request head is at most HTTP_MAX_HEAD bytes (else 431).  Responses
 * close the connection.
 */
#ifndef VIGIL_HTTP_SERVER_H
#define VIGIL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_CONN 16
#define HTTP_MAX_HEAD 8192
#define HTTP_TIMEOUT_MS 5000

/* An immutable, reference-counted body: the tracing thread publishes one,
 * the server sends it while holding a reference. */
struct http_blob {
	int refs;
	size_t len;
	char data[];
};
/* A copy of data (len bytes), one reference; NULL when out of memory. */
struct http_blob *http_blob_new(const char *data, size_t len);
struct http_blob *http_blob_get(struct http_blob *b); /* one more reference; NULL-safe */
void http_blob_put(struct http_blob *b);              /* drops one; NULL-safe */

struct http_request {
	const char *method; /* "GET" or "HEAD" */
	const char *path;   /* without the query */
	const char *accept; /* the Accept header, or NULL */
};

struct http_reply {
	int status;             /* 200, 404, ... */
	const char *ctype;      /* static string */
	struct http_blob *body; /* a reference the server drops; NULL: a short text of the status */
};

/* Runs in the server's thread: must not block (take a reference, return). */
typedef void (*http_handler)(void *ctx, const struct http_request *rq, struct http_reply *rp);

struct http_server;

/* Listens on listen ("ADDR:PORT" with a numeric IPv4 address or
 * localhost, "[IPv6]:PORT", or ":PORT" for every IPv4 address; port 0: one
 * the kernel picks) and serves from a thread.  NULL
 * with the reason in err (an unusable address, a port in use). */
struct http_server *http_server_start(const char *listen, http_handler h, void *ctx, char *err, size_t errlen);
/* The address bound, e.g. "127.0.0.1:9464" (the port the kernel chose for 0). */
const char *http_server_addr(const struct http_server *s);
/* Connections turned away so far: over the limit, timed out, bad requests. */
unsigned long long http_server_rejected(const struct http_server *s);
/* Stops the thread and closes every connection; NULL-safe. */
void http_server_stop(struct http_server *s);

/* Splits listen into host (NULL: any) and port.  0, or -1 with err. */
int http_parse_listen(const char *listen, char *host, size_t hostlen, unsigned *port, char *err, size_t errlen);

#endif
