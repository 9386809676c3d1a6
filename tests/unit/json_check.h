/* A strict JSON reader for the tests (RFC 8259): recursive descent over the
 * whole grammar, refusing trailing commas, leading zeros, raw control bytes
 * in strings, bad escapes, lone surrogates, invalid UTF-8, duplicate keys
 * and trailing garbage.  It builds a small tree so tests can look values up
 * by path ("processes.0.cpu.on_cpu_ns").  Test code only: no limits beyond
 * a nesting depth, errors say where. */
#ifndef VIGIL_JSON_CHECK_H
#define VIGIL_JSON_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	char raw[64];  /* number as written (exact integers beyond 2^53) */
	bool is_float; /* number written with '.' or an exponent */
	char *str;     /* decoded, NUL-terminated (embedded NULs kept, see len) */
	size_t len;
	size_t n;      /* children */
	struct jv *kids;
	char **keys;   /* JV_OBJ: key of each child */
};

struct jp {
	const char *s;
	size_t n, i;
	int depth;
	char err[160];
};

static inline bool jp_fail(struct jp *p, const char *what)
{
	if (!p->err[0])
		snprintf(p->err, sizeof(p->err), "offset %zu: %s", p->i, what);
	return false;
}

static inline void jp_ws(struct jp *p)
{
	while (p->i < p->n && strchr(" \t\n\r", p->s[p->i]) && p->s[p->i])
		p->i++;
}

static inline bool jp_lit(struct jp *p, const char *lit)
{
	size_t l = strlen(lit);
	if (p->n - p->i < l || memcmp(p->s + p->i, lit, l))
		return jp_fail(p, "bad literal");
	p->i += l;
	return true;
}

static inline void jp_put(char **buf, size_t *len, size_t *cap, const char *b, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, b, n);
	*len += n;
	(*buf)[*len] = 0;
}

static inline int jp_hex4(struct jp *p)
{
	int v = 0;
	if (p->n - p->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = p->s[p->i++];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= c - '0';
		else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
		else return -1;
	}
	return v;
}

static inline size_t jp_utf8(unsigned cp, char *o)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f)); return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f)); return 4;
}

/* strict UTF-8 check of one raw sequence, independent of the writer's code */
static inline size_t jp_raw_utf8(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need;
	unsigned cp;
	if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
	else return 0;
	if (n < need + 1)
		return 0;
	for (unsigned k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

static inline bool jp_string(struct jp *p, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	jp_put(&buf, &len, &cap, "", 0);
	p->i++; /* opening quote */
	for (;;) {
		if (p->i >= p->n) { free(buf); return jp_fail(p, "unterminated string"); }
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') { p->i++; break; }
		if (c < 0x20) { free(buf); return jp_fail(p, "raw control byte in string"); }
		if (c == '\\') {
			char e = p->i + 1 < p->n ? p->s[p->i + 1] : 0;
			const char *m = strchr("\"\\/bfnrt", e);
			p->i += 2;
			if (e && m) {
				static const char map[] = "\"\\/\b\f\n\r\t";
				jp_put(&buf, &len, &cap, &map[m - "\"\\/bfnrt"], 1);
				continue;
			}
			if (e != 'u') { free(buf); return jp_fail(p, "bad escape"); }
			int v = jp_hex4(p);
			if (v < 0) { free(buf); return jp_fail(p, "bad \\u escape"); }
			unsigned cp = (unsigned)v;
			if (cp >= 0xdc00 && cp <= 0xdfff) { free(buf); return jp_fail(p, "lone low surrogate"); }
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u') {
					free(buf); return jp_fail(p, "lone high surrogate");
				}
				p->i += 2;
				int lo = jp_hex4(p);
				if (lo < 0xdc00 || lo > 0xdfff) { free(buf); return jp_fail(p, "bad surrogate pair"); }
				cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
			}
			char o[4];
			jp_put(&buf, &len, &cap, o, jp_utf8(cp, o));
			continue;
		}
		if (c < 0x80) { jp_put(&buf, &len, &cap, (const char *)&c, 1); p->i++; continue; }
		size_t l = jp_raw_utf8((const unsigned char *)p->s + p->i, p->n - p->i);
		if (!l) { free(buf); return jp_fail(p, "invalid UTF-8 in string"); }
		jp_put(&buf, &len, &cap, p->s + p->i, l);
		p->i += l;
	}
	*out = buf;
	*outlen = len;
	return true;
}

static inline bool jp_number(struct jp *p, struct jv *v)
{
	size_t st = p->i;
	const char *s = p->s;
#define DIG(k) ((k) < p->n && s[k] >= '0' && s[k] <= '9')
	if (p->i < p->n && s[p->i] == '-') p->i++;
	if (!DIG(p->i)) return jp_fail(p, "bad number");
	if (s[p->i] == '0') { p->i++; if (DIG(p->i)) return jp_fail(p, "leading zero"); }
	else while (DIG(p->i)) p->i++;
	if (p->i < p->n && s[p->i] == '.') {
		p->i++; v->is_float = true;
		if (!DIG(p->i)) return jp_fail(p, "bad fraction");
		while (DIG(p->i)) p->i++;
	}
	if (p->i < p->n && (s[p->i] == 'e' || s[p->i] == 'E')) {
		p->i++; v->is_float = true;
		if (p->i < p->n && (s[p->i] == '+' || s[p->i] == '-')) p->i++;
		if (!DIG(p->i)) return jp_fail(p, "bad exponent");
		while (DIG(p->i)) p->i++;
	}
#undef DIG
	size_t l = p->i - st;
	if (l >= sizeof(v->raw)) return jp_fail(p, "number too long");
	memcpy(v->raw, s + st, l);
	v->raw[l] = 0;
	v->num = strtod(v->raw, NULL);
	v->type = JV_NUM;
	return true;
}

static inline bool jp_value(struct jp *p, struct jv *v);

static inline bool jp_container(struct jp *p, struct jv *v, bool obj)
{
	size_t cap = 0;

	v->type = obj ? JV_OBJ : JV_ARR;
	p->i++;
	if (++p->depth > 200) return jp_fail(p, "too deep");
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) { p->i++; p->depth--; return true; }
	for (;;) {
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			v->kids = realloc(v->kids, cap * sizeof(*v->kids));
			v->keys = realloc(v->keys, cap * sizeof(*v->keys));
		}
		struct jv *k = &v->kids[v->n];
		memset(k, 0, sizeof(*k));
		v->keys[v->n] = NULL;
		jp_ws(p);
		if (obj) {
			size_t kl;
			if (p->i >= p->n || p->s[p->i] != '"') return jp_fail(p, "expected a key");
			if (!jp_string(p, &v->keys[v->n], &kl)) return false;
			for (size_t q = 0; q < v->n; q++)
				if (!strcmp(v->keys[q], v->keys[v->n])) { v->n++; return jp_fail(p, "duplicate key"); }
			jp_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':') { v->n++; return jp_fail(p, "expected ':'"); }
			p->i++;
		}
		v->n++;
		if (!jp_value(p, k)) return false;
		jp_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
		if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) { p->i++; p->depth--; return true; }
		return jp_fail(p, "expected ',' or a closing bracket");
	}
}

static inline bool jp_value(struct jp *p, struct jv *v)
{
	jp_ws(p);
	if (p->i >= p->n) return jp_fail(p, "unexpected end");
	switch (p->s[p->i]) {
	case '{': return jp_container(p, v, true);
	case '[': return jp_container(p, v, false);
	case '"': v->type = JV_STR; return jp_string(p, &v->str, &v->len);
	case 't': v->type = JV_BOOL; v->b = true; return jp_lit(p, "true");
	case 'f': v->type = JV_BOOL; return jp_lit(p, "false");
	case 'n': v->type = JV_NULL; return jp_lit(p, "null");
	default: return jp_number(p, v);
	}
}

static inline void jv_free(struct jv *v)
{
	if (!v) return;
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->kids[i]);
		if (v->keys) free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->str);
	v->kids = NULL; v->keys = NULL; v->str = NULL; v->n = 0;
}

/* Parses exactly one JSON text (surrounding whitespace allowed).  On
 * failure returns false with the reason in err (and frees what was built). */
static inline bool json_parse(const char *s, size_t n, struct jv *out, char *err, size_t errlen)
{
	struct jp p = {.s = s, .n = n};
	bool ok;

	memset(out, 0, sizeof(*out));
	ok = jp_value(&p, out);
	if (ok) {
		jp_ws(&p);
		if (p.i != p.n)
			ok = jp_fail(&p, "trailing bytes after the value");
	}
	if (!ok) {
		jv_free(out);
		snprintf(err, errlen, "%s", p.err);
	}
	return ok;
}

/* Child by path: object keys and array indexes separated by '.'. */
static inline const struct jv *jv_get(const struct jv *v, const char *path)
{
	char seg[128];

	while (v && *path) {
		size_t l = strcspn(path, ".");
		if (l >= sizeof(seg)) return NULL;
		memcpy(seg, path, l);
		seg[l] = 0;
		path += l + (path[l] == '.');
		if (v->type == JV_OBJ) {
			const struct jv *found = NULL;
			for (size_t i = 0; i < v->n && !found; i++)
				if (!strcmp(v->keys[i], seg)) found = &v->kids[i];
			v = found;
		} else if (v->type == JV_ARR) {
			char *end;
			unsigned long k = strtoul(seg, &end, 10);
			v = (*end || k >= v->n) ? NULL : &v->kids[k];
		} else {
			return NULL;
		}
	}
	return v;
}

static inline bool jv_is(const struct jv *v, const char *path, enum jv_type t)
{
	const struct jv *x = jv_get(v, path);
	return x && x->type == t;
}

static inline double jv_num(const struct jv *v, const char *path)
{
	const struct jv *x = jv_get(v, path);
	return x && x->type == JV_NUM ? x->num : -1e300;
}

static inline const char *jv_str(const struct jv *v, const char *path)
{
	const struct jv *x = jv_get(v, path);
	return x && x->type == JV_STR ? x->str : NULL;
}

#endif
