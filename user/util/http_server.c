// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The HTTP server of `vigil serve` (http_server.h says why it is ours). */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

struct conn {
	int fd; /* -1: free */
	unsigned long long deadline_ns;
	size_t in_len;
	char head[512]; /* the status line and headers */
	size_t head_len, off; /* off: bytes of head + body sent */
	struct http_blob *body;
	size_t body_len; /* 0 for HEAD */
	bool writing;
	char in[HTTP_MAX_HEAD + 1]; /* last: a new connection clears what is before it */
};

struct http_server {
	int lfd, wake[2];
	pthread_t thread;
	bool started;
	http_handler handler;
	void *ctx;
	unsigned long long rejected; /* __atomic */
	char addr[80];
	struct conn conns[HTTP_MAX_CONN];
};

struct http_blob *http_blob_new(const char *data, size_t len)
{
	struct http_blob *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

struct http_blob *http_blob_get(struct http_blob *b)
{
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void http_blob_put(struct http_blob *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}

int http_parse_listen(const char *listen, char *host, size_t hostlen, unsigned *port, char *err, size_t errlen)
{
	const char *colon, *h = listen;
	size_t hl;
	char *end;
	long p;

	if (listen[0] == '[') { /* [v6]:port */
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':')
			goto bad;
		h = listen + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
			goto bad; /* a bare v6 address needs its brackets */
		hl = (size_t)(colon - listen);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535) {
		snprintf(err, errlen, "--listen '%s': '%s' is not a port (0-65535)", listen, colon + 1);
		return -1;
	}
	if (hl >= hostlen)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return 0;
bad:
	snprintf(err, errlen, "--listen '%s': expected ADDR:PORT, [IPv6]:PORT or :PORT (e.g. 127.0.0.1:9464)",
		 listen);
	return -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* host:port as a socket address.  Numeric addresses only (and
 * "localhost"): a daemon must not wait on DNS at boot, and a static binary
 * has no NSS to resolve names with. */
static int resolve(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[256];
	unsigned port;

	if (http_parse_listen(spec, host, sizeof(host), &port, err, errlen))
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (!host[0] || inet_pton(AF_INET, host, &in4->sin_addr) == 1) { /* "": every IPv4 address */
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*in6);
		return 0;
	}
	snprintf(err, errlen, "--listen '%s': '%s' is not an IPv4 or IPv6 address (names are not resolved)", spec,
		 host);
	return -1;
}

static int listen_on(struct http_server *s, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, e;

	if (resolve(spec, &ss, &sl, err, errlen))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		return -1;
	}
	/* a restarted daemon must not wait out TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64) || set_nonblock(fd)) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "cannot listen on %s: %s%s", spec, strerror(e),
			 e == EADDRINUSE ? " (another program serves that port)"
			 : e == EADDRNOTAVAIL ? " (no interface of this host has that address)"
			 : e == EACCES ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)" : "");
		return -1;
	}
	s->lfd = fd;
	sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
			snprintf(s->addr, sizeof(s->addr), "[%s]:%u", a, ntohs(in6->sin6_port));
		} else {
			struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
			snprintf(s->addr, sizeof(s->addr), "%s:%u", a, ntohs(in4->sin_port));
		}
	}
	return 0;
}

static void reject(struct http_server *s)
{
	__atomic_add_fetch(&s->rejected, 1, __ATOMIC_RELAXED);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	http_blob_put(c->body);
	c->fd = -1;
	c->body = NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* The reply goes out from the next writable poll on. */
static void respond(struct conn *c, struct http_reply *rp, bool head_only)
{
	if (!rp->body) { /* a short text of the status */
		char t[64];
		int n = snprintf(t, sizeof(t), "%d %s\n", rp->status, reason(rp->status));
		rp->body = http_blob_new(t, (size_t)n);
		rp->ctype = "text/plain; charset=utf-8";
	}
	c->body = rp->body;
	c->body_len = !c->body || head_only ? 0 : c->body->len;
	c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
				       "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				       "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
				       rp->status, reason(rp->status), rp->ctype, c->body ? c->body->len : 0);
	c->off = 0;
	c->writing = true;
}

/* The value of header name in the head, cut at its line's end (in place). */
static const char *header(char *head, const char *name)
{
	size_t nl = strlen(name);

	for (char *l = strstr(head, "\r\n"); l; l = strstr(l, "\r\n")) {
		l += 2;
		if (!strncasecmp(l, name, nl) && l[nl] == ':') {
			char *v = l + nl + 1, *e = strstr(v, "\r\n");
			while (*v == ' ' || *v == '\t')
				v++;
			if (e)
				*e = '\0';
			return v;
		}
	}
	return NULL;
}

/* A whole head is in: parse it and ask the handler. */
static void handle(struct http_server *s, struct conn *c)
{
	struct http_reply rp = {.status = 400};
	struct http_request rq = {0};
	char *sp1, *sp2, *q, *eol = strstr(c->in, "\r\n");

	*eol = '\0';
	sp1 = strchr(c->in, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) || sp1[1] != '/') {
		reject(s);
		respond(c, &rp, false);
		return;
	}
	*sp1 = *sp2 = '\0';
	*eol = '\r'; /* header() scans from the first line's end */
	rq.method = c->in;
	rq.path = sp1 + 1;
	if ((q = strchr(sp1 + 1, '?')))
		*q = '\0';
	rq.accept = header(eol, "Accept");
	if (strcmp(rq.method, "GET") && strcmp(rq.method, "HEAD")) {
		rp.status = 405;
		respond(c, &rp, false);
		return;
	}
	rp.status = 404;
	s->handler(s->ctx, &rq, &rp);
	respond(c, &rp, !strcmp(rq.method, "HEAD"));
}

static void on_readable(struct http_server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, HTTP_MAX_HEAD - c->in_len, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c); /* gone before asking anything */
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (memchr(c->in, '\0', c->in_len)) { /* no NUL in a head */
		struct http_reply rp = {.status = 400};
		reject(s);
		respond(c, &rp, false);
	} else if (strstr(c->in, "\r\n\r\n")) {
		handle(s, c);
	} else if (c->in_len >= HTTP_MAX_HEAD) {
		struct http_reply rp = {.status = 431};
		reject(s);
		respond(c, &rp, false);
	}
}

static void on_writable(struct conn *c)
{
	while (c->off < c->head_len + c->body_len) {
		const char *p = c->off < c->head_len ? c->head + c->off : c->body->data + (c->off - c->head_len);
		size_t len = c->off < c->head_len ? c->head_len - c->off : c->head_len + c->body_len - c->off;
		ssize_t n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		c->off += (size_t)n;
	}
	conn_close(c);
}

static void on_accept(struct http_server *s, unsigned long long now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or a connection that went away meanwhile */
		for (size_t i = 0; i < HTTP_MAX_CONN && !c; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		if (!c) { /* a flood: told so in one non-blocking try, never waited on */
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
						   "Connection: close\r\nRetry-After: 1\r\n\r\n";
			if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				(void)0; /* it was told nothing: it sees the close */
			close(fd);
			reject(s);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->deadline_ns = now + HTTP_TIMEOUT_MS * 1000000ull;
	}
}

static void *serve(void *arg)
{
	struct http_server *s = arg;
	struct pollfd pf[HTTP_MAX_CONN + 2];
	struct conn *of[HTTP_MAX_CONN + 2];

	for (;;) {
		unsigned long long now = clock_mono_ns(), next = now + 1000000000ull;
		nfds_t n = 0;

		pf[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		for (size_t i = 0; i < HTTP_MAX_CONN; i++) {
			struct conn *c = &s->conns[i];
			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ns) { /* slow, or half-open: its slot is freed */
				reject(s);
				conn_close(c);
				continue;
			}
			if (c->deadline_ns < next)
				next = c->deadline_ns;
			of[n] = c;
			pf[n++] = (struct pollfd){.fd = c->fd, .events = c->writing ? POLLOUT : POLLIN};
		}
		int timeout = (int)((next - now) / 1000000ull) + 1;
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			return NULL;
		if (pf[0].revents)
			return NULL; /* http_server_stop */
		for (nfds_t i = 2; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (of[i]->writing)
				on_writable(of[i]);
			else
				on_readable(s, of[i]);
		}
		if (pf[1].revents & POLLIN)
			on_accept(s, clock_mono_ns());
	}
}

struct http_server *http_server_start(const char *spec, http_handler h, void *ctx, char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->lfd = s->wake[0] = s->wake[1] = -1;
	s->handler = h;
	s->ctx = ctx;
	for (size_t i = 0; i < HTTP_MAX_CONN; i++)
		s->conns[i].fd = -1;
	if (listen_on(s, spec, err, errlen))
		goto fail;
	if (pipe2(s->wake, O_CLOEXEC) || pthread_create(&s->thread, NULL, serve, s)) {
		snprintf(err, errlen, "cannot start the HTTP thread: %s", strerror(errno));
		goto fail;
	}
	s->started = true;
	return s;
fail:
	http_server_stop(s);
	return NULL;
}

const char *http_server_addr(const struct http_server *s)
{
	return s->addr;
}

unsigned long long http_server_rejected(const struct http_server *s)
{
	return __atomic_load_n(&s->rejected, __ATOMIC_RELAXED);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	if (s->started) {
		if (write(s->wake[1], "x", 1) < 0)
			pthread_cancel(s->thread); /* cannot be: a fresh pipe has room */
		pthread_join(s->thread, NULL);
	}
	for (size_t i = 0; i < HTTP_MAX_CONN; i++)
		conn_close(&s->conns[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	free(s);
}
