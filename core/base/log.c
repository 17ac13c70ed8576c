#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"

static const char *log_component = "orgbill";
static enum ob_log_level log_level = OB_LOG_INFO;
static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
ob_log_set_component(const char *component)
{
	log_component = component;
}

void
ob_log_set_level(enum ob_log_level level)
{
	log_level = level;
}

int
ob_log_parse_level(const char *s, enum ob_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum ob_log_level)i;
			return 0;
		}
	}
	return -1;
}

void
ob_log_begin(struct ob_buf *b, enum ob_log_level level)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	ob_buf_printf(b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"component\":",
	    when, ts.tv_nsec / 1000000L, log_names[level]);
	ob_json_put_str(b, log_component);
	ob_buf_printf(b, ",\"pid\":%ld,", (long)getpid());
}

void
ob_log_end(struct ob_buf *b)
{
	ob_buf_puts(b, "}\n");
	/* One write(2) per line keeps lines from interleaving between workers. */
	if (write(STDERR_FILENO, b->data, b->len) < 0) {
		/* Nowhere left to report it. */
	}
}

void
ob_log(enum ob_log_level level, const char *event, const char *fmt, ...)
{
	struct ob_buf b = OB_BUF_INIT;
	char msg[1024];
	va_list ap;

	if (level < log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ob_log_begin(&b, level);
	ob_buf_puts(&b, "\"event\":");
	ob_json_put_str(&b, event);
	ob_buf_puts(&b, ",\"msg\":");
	ob_json_put_str(&b, msg);
	ob_log_end(&b);
	ob_buf_free(&b);
}
