#include "base/json.h"
#include "base/num.h"

#include <stdio.h>
#include <string.h>

void
ob_json_put_strn(struct ob_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;
	unsigned char c;
	char esc[7];

	ob_buf_putc(b, '"');
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		ob_buf_append(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': ob_buf_puts(b, "\\\""); break;
		case '\\': ob_buf_puts(b, "\\\\"); break;
		case '\n': ob_buf_puts(b, "\\n"); break;
		case '\r': ob_buf_puts(b, "\\r"); break;
		case '\t': ob_buf_puts(b, "\\t"); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			ob_buf_append(b, esc, 6);
		}
	}
	ob_buf_append(b, s + start, len - start);
	ob_buf_putc(b, '"');
}

void
ob_json_put_str(struct ob_buf *b, const char *s)
{
	ob_json_put_strn(b, s, strlen(s));
}

void
ob_json_put_error(struct ob_buf *b, const char *type, const char *code,
    const char *message, const char *param)
{
	ob_buf_puts(b, "{\"error\":{\"type\":");
	ob_json_put_str(b, type);
	ob_buf_puts(b, ",\"code\":");
	ob_json_put_str(b, code);
	ob_buf_puts(b, ",\"message\":");
	ob_json_put_str(b, message);
	ob_buf_puts(b, ",\"param\":");
	if (param != NULL)
		ob_json_put_str(b, param);
	else
		ob_buf_puts(b, "null");
	ob_buf_puts(b, "}}");
}

void
ob_json_add_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[24];

	ob_num_str(buf, sizeof(buf), v);
	cJSON_AddRawToObject(o, name, buf);
}

const char *
ob_json_str(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

const char *
ob_json_str_or(const cJSON *o, const char *name, const char *dflt)
{
	const char *s = ob_json_str(o, name);

	return s != NULL ? s : dflt;
}

const char *
ob_json_id(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;

	if (cJSON_IsString(it))
		return it->valuestring;
	if (cJSON_IsObject(it))
		return ob_json_str(it, "id");
	return NULL;
}
