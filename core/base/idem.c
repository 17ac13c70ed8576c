#include "base/idem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/mem.h"
#include "base/row.h"
#include "base/num.h"

int
ob_idem_key_ok(const char *key)
{
	size_t i, n;

	if (key == NULL)
		return 0;
	n = strlen(key);
	if (n == 0 || n > OB_IDEM_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return 0;
	return 1;
}

int
ob_idem_check_key(const char *key, struct ob_fail *f)
{
	if (ob_idem_key_ok(key))
		return 0;
	return ob_fail(f, OB_FAIL_INVALID, "invalid_idempotency_key", "Idempotency-Key",
	    "Idempotency-Key must be 1 to %d printable ASCII characters without spaces.",
	    OB_IDEM_KEY_MAX);
}

int
ob_idem_fail_reused(struct ob_fail *f)
{
	return ob_fail(f, OB_FAIL_IDEMPOTENCY, "idempotency_key_reused", "Idempotency-Key",
	    "This Idempotency-Key was used with a different request.");
}

void
ob_idem_hash(const char *method, const char *path, const char *body,
    size_t body_len, unsigned char out[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)method, strlen(method) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)path, strlen(path) + 1);
	if (body != NULL)
		crypto_hash_sha256_update(&st, (const unsigned char *)body, body_len);
	crypto_hash_sha256_final(&st, out);
}

enum ob_idem_state
ob_idem_claim(struct ob_db *db, int64_t org_id, const char *key,
    const unsigned char hash[32], int *status, char **body)
{
	char org[24], hex[67];
	const char *params[3] = { org, key, hex };
	unsigned char *stored;
	PGresult *res;
	size_t n;
	enum ob_idem_state st;

	ob_num_str(org, sizeof(org), org_id);
	hex[0] = '\\';
	hex[1] = 'x';
	sodium_bin2hex(hex + 2, 65, hash, 32);
	if ((res = ob_db_exec(db, OB_STMT_IDEM_CLAIM, params, NULL)) == NULL)
		return OB_IDEM_ERROR;
	n = (size_t)PQntuples(res);
	PQclear(res);
	if (n == 1)
		return OB_IDEM_NEW;
	if ((res = ob_db_exec(db, OB_STMT_IDEM_GET, params, NULL)) == NULL)
		return OB_IDEM_ERROR;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return OB_IDEM_ERROR;
	}
	stored = PQunescapeBytea((const unsigned char *)ob_row_str(res, 0, "request_hash"), &n);
	if (stored == NULL || n != 32 || sodium_memcmp(stored, hash, 32) != 0) {
		st = OB_IDEM_MISMATCH;
	} else {
		st = OB_IDEM_REPLAY;
		*status = (int)ob_row_i64(res, 0, "status");
		*body = ob_xstrdup(ob_row_str(res, 0, "response"));
	}
	PQfreemem(stored);
	PQclear(res);
	return st;
}

int
ob_idem_finish(struct ob_db *db, int64_t org_id, const char *key, int status,
    const char *body)
{
	char org[24], st[16];
	const char *params[4] = { org, key, st, body };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(st, sizeof(st), status);
	return ob_db_run(db, OB_STMT_IDEM_FINISH, params);
}
