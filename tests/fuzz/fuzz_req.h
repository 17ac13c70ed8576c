/*
 * A request for the fcgi/ parsers without FastCGI: what ob_req_init would
 * fill from nginx's parameters, set by hand, with the environment (headers,
 * cookies) in a FCGX_Request that is never accepted, an arena, and a
 * worker with no database and no templates (refusals answer in the JSON
 * error envelope and are never sent).
 */
#ifndef OB_FUZZ_REQ_H
#define OB_FUZZ_REQ_H

#include "fuzz.h"

#include "base/arena.h"
#include "fcgi/ctx.h"
#include "fcgi/req.h"

struct fuzz_req {
	struct ob_req r;
	struct ob_worker w;
	FCGX_Request fr;
	char *envp[8];
	int nenv;
};

/* Start f on arena a: method, path, query ("" if NULL). */
static inline void
fuzz_req_init(struct fuzz_req *f, struct ob_arena *a, const char *method, const char *path,
    const char *query)
{
	memset(f, 0, sizeof(*f));
	f->fr.envp = f->envp;
	f->r.fr = &f->fr;
	f->r.a = a;
	f->r.w = &f->w;
	f->r.method = method;
	f->r.path = path;
	f->r.uri = path;
	f->r.query = query != NULL ? ob_arena_strdup(a, query) : "";
	f->r.request_id = "fuzz";
	f->r.remote_addr = "127.0.0.1";
	f->r.content_length = -1;
	f->r.route = -1;
}

/* Add "NAME=value" to the environment (at most 7). */
static inline void
fuzz_req_env(struct fuzz_req *f, const char *name, const char *value)
{
	if (f->nenv < 7)
		f->envp[f->nenv++] = ob_arena_printf(f->r.a, "%s=%s", name, value);
}

/* The body: len bytes (any, NUL included) with its Content-Type. */
static inline void
fuzz_req_body(struct fuzz_req *f, const char *type, const char *body, size_t len)
{
	char *b = ob_arena_alloc(f->r.a, len + 1);

	memcpy(b, body, len);
	b[len] = '\0';
	f->r.body = b;
	f->r.body_len = len;
	f->r.content_length = (long)len;
	f->r.content_type = type;
	if (type != NULL)
		fuzz_req_env(f, "CONTENT_TYPE", type);
}

/* Release what the request holds outside the arena, and the arena's contents. */
static inline void
fuzz_req_end(struct fuzz_req *f)
{
	ob_req_clear(&f->r);
	ob_arena_reset(f->r.a);
}

#endif
