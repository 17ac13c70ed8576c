/*
 * Parsing a Stripe event's envelope (id, type, created, data.object's id
 * and kind). Pure: no database, no I/O — the fuzz target drives it.
 */
#include "stripe/event.h"

#include "base/num.h"

#include <string.h>

#define PAYLOAD_MAX (1024 * 1024)
#define OB_WHEVENT_CREATED_MAX 1000000000000LL	/* seconds: year 33658 */

static int
copy_str(char *dst, size_t len, const cJSON *v)
{
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
		return -1;
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

int
ob_whevent_parse(const char *payload, size_t len, struct ob_whevent *ev, cJSON **root)
{
	cJSON *j, *data, *obj, *v;
	int64_t created;
	int rc = -1;

	memset(ev, 0, sizeof(*ev));
	if (payload == NULL || len == 0 || len > PAYLOAD_MAX)
		return -1;
	if ((j = cJSON_ParseWithLength(payload, len)) == NULL || !cJSON_IsObject(j))
		goto out;
	if (copy_str(ev->id, sizeof(ev->id), cJSON_GetObjectItemCaseSensitive(j, "id")) != 0 ||
	    strncmp(ev->id, "evt_", 4) != 0 || strlen(ev->id) < 5)
		goto out;
	if (copy_str(ev->type, sizeof(ev->type), cJSON_GetObjectItemCaseSensitive(j, "type")) != 0 ||
	    ev->type[0] == '\0')
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(j, "created");
	if (!cJSON_IsNumber(v) || ob_num_json(v, 0, OB_WHEVENT_CREATED_MAX, &created) != 0)
		goto out;
	ev->created = (long long)created;
	ev->livemode = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "livemode"));
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	obj = cJSON_IsObject(data) ? cJSON_GetObjectItemCaseSensitive(data, "object") : NULL;
	if (!cJSON_IsObject(obj))
		goto out;
	/* Optional: an object may lack an id (rare); a wrong type is refused. */
	v = cJSON_GetObjectItemCaseSensitive(obj, "id");
	if (v != NULL && copy_str(ev->object_id, sizeof(ev->object_id), v) != 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(obj, "object");
	if (v != NULL && copy_str(ev->object_type, sizeof(ev->object_type), v) != 0)
		goto out;
	rc = 0;
out:
	if (rc == 0 && root != NULL)
		*root = j;
	else
		cJSON_Delete(j);
	return rc;
}

