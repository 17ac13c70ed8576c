/*
 * API keys: the console page; keys are shown once, at creation.
 */
#include "fcgi/handlers.h"

#include <string.h>

#include <sodium.h>

#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/form_errors.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"

/* The new key's form: its controls, and its failures in plain words. */
static const struct ob_form_field key_controls[] = {
	{ "name", "key-name", NULL },
	{ "scope_read", "scope-read", "scopes" },
	{ "scope_write", "scope-write", NULL },
	{ "scope_meter", "scope-meter", NULL },
	{ "scope_admin", "scope-admin", NULL },
};
static const struct ob_form_msg key_msgs[] = {
	{ "invalid_name", NULL, "Shorten the name to 100 characters or fewer, on one line." },
	{ "invalid_scopes", NULL, "Choose at least one scope: read, write, meter or admin." },
};
static const struct ob_form key_form = OB_FORM(key_controls, key_msgs);

static int
render_keys(struct ob_req *r, int status, const char *new_key, const struct ob_fail *f)
{
	cJSON *d, *list;

	if ((list = ob_apikey_list(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	d = ob_page_new(r, "API keys", "api_keys");
	cJSON_AddItemReferenceToObject(d, "keys", cJSON_GetObjectItem(list, "data"));
	cJSON_AddBoolToObject(d, "has_keys", cJSON_GetArraySize(cJSON_GetObjectItem(list, "data")) > 0);
	if (new_key != NULL)
		cJSON_AddStringToObject(d, "new_key", new_key);
	if (f != NULL && r->ftab == &ob_h_apikey_create_form_fields) {
		/* No scope ticked is core's to refuse; say it with the rest. */
		if (!ob_form_get(r, "scope_read") && !ob_form_get(r, "scope_write") &&
		    !ob_form_get(r, "scope_meter") && !ob_form_get(r, "scope_admin"))
			(void)ob_form_error_add(d, &key_form, "scopes",
			    ob_form_msg_for(&key_form, "invalid_scopes", "scopes"));
		ob_form_errors_show(r, &key_form, f, d);	/* next to the fields */
	} else if (f != NULL) {
		ob_page_flash(d, "error", f->message);
	}
	ob_page_render(r, status, "pages/api_keys", d);
	cJSON_Delete(d);
	cJSON_Delete(list);
	return 0;
}

int
ob_h_apikeys_page(struct ob_req *r)
{
	return render_keys(r, 200, NULL, NULL);
}

/* A form's fields refused: the page again with the error. */
static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return render_keys(r, ob_api_fail_status(f->kind), NULL, f);
}

/* The key's name (as core bounds it) and one checkbox per scope. */
static const struct ob_field create_rows[] = {
	{ .name = "name", .type = OB_FIELD_STRING, .max = 100, .chars = OB_CHARS_TEXT,
	    .code = "invalid_name", .message = "The name must be at most {max} characters." },
	{ .name = "scope_read", .type = OB_FIELD_BOOL },
	{ .name = "scope_write", .type = OB_FIELD_BOOL },
	{ .name = "scope_meter", .type = OB_FIELD_BOOL },
	{ .name = "scope_admin", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_apikey_create_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, create_rows, form_fail);

int
ob_h_apikey_create_form(struct ob_req *r)
{
	static const char *const scope_fields[] = { "read", "write", "meter", "admin" };
	char key[OB_APIKEY_TEXT], prefix[OB_APIKEY_PREFIX_LEN + 1], scopes[64];
	struct ob_actx ax = { &r->w->db, &r->who, r->request_id, r->remote_addr, NULL, 0 };
	struct ob_fail f = { 0 };
	size_t i, used = 0;
	int rc;

	scopes[0] = '\0';
	for (i = 0; i < 4; i++)
		if (ob_field_bool(r, ob_arena_printf(r->a, "scope_%s", scope_fields[i]), 0))
			used += (size_t)snprintf(scopes + used, sizeof(scopes) - used, "%s%s",
			    used ? "," : "", scope_fields[i]);
	rc = ob_apikey_create_audited(&ax, r->who.org_id, ob_field_str(r, "name"), scopes,
	    key, prefix, &f);
	if (rc != 0)
		return f.kind == OB_FAIL_DB ? -1 :
		    render_keys(r, ob_api_fail_status(f.kind), NULL, &f);
	rc = render_keys(r, 201, key, NULL);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
ob_h_apikey_revoke_form(struct ob_req *r)
{
	struct ob_actx ax = { &r->w->db, &r->who, r->request_id, r->remote_addr, NULL, 0 };
	struct ob_fail f = { 0 };

	if (ob_apikey_revoke(&ax, r->who.org_id, ob_route_param(r, "prefix"), &f) != 0)
		return f.kind == OB_FAIL_DB ? -1 :
		    render_keys(r, ob_api_fail_status(f.kind), NULL, &f);
	ob_page_redirect_flash(r, "/api-keys", "key_revoked");
	return 0;
}
