/*
 * libFuzzer target: the Cookie header as fcgi/input.c reads it
 * (ob_cookie_get, for every cookie the console reads), and the session
 * token decoding a cookie's value then goes through (ob_auth_token_decode).
 *
 * Input: the Cookie header (up to the first NUL, as FastCGI hands it). A
 * value found must be well-formed UTF-8 and appear in the header right
 * after "name=".
 */
#include "fuzz_req.h"

#include "base/utf8.h"
#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "identity/auth.h"

static struct ob_arena *arena;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		OB_SESSION_COOKIE, OB_LOGIN_COOKIE, "__Host-ob_sso", "__Host-ob_invite", "a", "",
	};
	unsigned char raw[OB_TOKEN_BYTES];
	char *header = fuzz_strndup(data, size), *key;
	const char *v, *at;
	struct fuzz_req f;
	size_t i;

	if (arena == NULL)
		arena = ob_arena_new();
	fuzz_req_init(&f, arena, "GET", "/", NULL);
	fuzz_req_env(&f, "HTTP_COOKIE", header);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((v = ob_cookie_get(&f.r, names[i])) == NULL)
			continue;
		if (!ob_utf8_valid_str(v))
			abort();
		key = ob_arena_printf(arena, "%s=%s", names[i], v);
		for (at = strstr(header, key); at != NULL && at != header && at[-1] != ' ' &&
		    at[-1] != ';'; at = strstr(at + 1, key))
			;
		if (at == NULL)
			abort();
		(void)ob_auth_token_decode(v, raw);
	}
	(void)ob_auth_token_decode(header, raw);
	fuzz_req_end(&f);
	free(header);
	return 0;
}
