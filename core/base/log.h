/*
 * ob_log: one JSON object per line on stderr.
 *
 * {"ts":"2026-11-21T15:04:05.123Z","level":"info","component":"app",
 *  "pid":42,"event":"worker_start","msg":"…"}
 *
 * Callers never pass secrets (keys, tokens, passwords, raw webhook bodies).
 */
#ifndef OB_LOG_H
#define OB_LOG_H

#include "base/buf.h"

enum ob_log_level {
	OB_LOG_DEBUG,
	OB_LOG_INFO,
	OB_LOG_WARN,
	OB_LOG_ERROR,
};

/** Name the process ("app", "webhook", "cli", "master") for every line. */
void ob_log_set_component(const char *component);

/** Drop lines below level. */
void ob_log_set_level(enum ob_log_level level);

/** Parse "debug|info|warn|error"; returns 0 and sets *out, or -1. */
int ob_log_parse_level(const char *s, enum ob_log_level *out);

/** Log one event with a printf-style message. */
void ob_log(enum ob_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Start a line: appends {"ts":…,"level":…,"component":…,"pid":…, to b. */
void ob_log_begin(struct ob_buf *b, enum ob_log_level level);

/** Finish a line started by ob_log_begin (closes the object) and write it. */
void ob_log_end(struct ob_buf *b);

#endif
