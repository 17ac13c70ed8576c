/*
 * The e-mail outbox and its SMTP sender (libcurl). See outbox.h.
 */
#include "base/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/log.h"
#include "base/row.h"
#include "base/num.h"

void
ob_outbox_smtp_from_env(struct ob_outbox_smtp *s)
{
	const char *u = getenv("ORGBILL_SMTP_URL"), *f = getenv("ORGBILL_MAIL_FROM");

	s->url = u != NULL ? u : "";
	s->from = f != NULL && *f != '\0' ? f : "billing@orgbill.localhost";
	s->timeout_ms = 15000;
}

/* An address we will hand to SMTP: one @, no spaces, brackets or controls. */
static int
addr_ok(const char *a)
{
	const char *at, *p;

	if (a == NULL || strlen(a) < 3 || strlen(a) > 320)
		return 0;
	if ((at = strchr(a, '@')) == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';' ||
		    *p == '"' || *p == '(' || *p == ')' || (unsigned char)*p == 0x7f)
			return 0;
	return 1;
}

int
ob_outbox_enqueue(struct ob_db *db, int64_t org_id, const char *kind, const char *dedupe,
    const char *to, const char *subject, const char *body)
{
	char org[24], subj[OB_OUTBOX_SUBJECT_MAX + 1];
	const char *params[6] = { org, kind, dedupe, to, subj, body };
	size_t i;

	if (!addr_ok(to)) {
		ob_log(OB_LOG_WARN, "outbox_skip", "unusable address for %s", kind);
		return 0;
	}
	ob_num_str(org, sizeof(org), org_id);
	snprintf(subj, sizeof(subj), "%s", subject);
	for (i = 0; subj[i] != '\0'; i++)
		if (subj[i] == '\r' || subj[i] == '\n' || subj[i] == '\t')
			subj[i] = ' ';
	if (subj[0] == '\0' || strlen(body) > OB_OUTBOX_BODY_MAX || strlen(dedupe) > 300 ||
	    *dedupe == '\0')
		return -1;
	return ob_db_run(db, OB_STMT_OUT_ENQUEUE, params);
}

int
ob_outbox_notify(struct ob_db *db, int64_t org_id, int members, const char *kind,
    const char *dedupe, const char *subject, const char *body, int *queued)
{
	char org[24], key[400];
	const char *params[2] = { org, members ? "true" : "false" };
	PGresult *q;
	int i, rc = 0;

	if (queued != NULL)
		*queued = 0;
	ob_num_str(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_OUT_CONTACTS, params, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q) && rc == 0; i++) {
		const char *addr = ob_row_str(q, i, "addr");

		snprintf(key, sizeof(key), "%.200s:%.190s", dedupe, addr);
		rc = ob_outbox_enqueue(db, org_id, kind, key, addr, subject, body);
		if (rc == 0 && queued != NULL)
			(*queued)++;
	}
	PQclear(q);
	return rc;
}

/* Append s without CR or LF. */
static void
put_header_value(struct ob_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		ob_buf_putc(b, *s == '\r' || *s == '\n' ? ' ' : *s);
}

int
ob_outbox_format(struct ob_buf *out, const char *from, const char *to, const char *subject,
    const char *body, const char *message_id, time_t date)
{
	char when[64];
	struct tm tm;
	const char *p;

	if (!addr_ok(from) || !addr_ok(to))
		return -1;
	gmtime_r(&date, &tm);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	ob_buf_printf(out, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: ", when, from, to);
	put_header_value(out, subject);
	ob_buf_puts(out, "\r\nMessage-ID: <");
	put_header_value(out, message_id);
	ob_buf_puts(out, ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (p = body; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			ob_buf_puts(out, "\r\n");
		else
			ob_buf_putc(out, *p);
	}
	if (out->len < 2 || out->data[out->len - 1] != '\n')
		ob_buf_puts(out, "\r\n");
	return 0;
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* Send one message; 0, or -1 with err filled. */
static int
smtp_send(const struct ob_outbox_smtp *s, const char *to, const struct ob_buf *msg, char *err,
    size_t errlen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg->data, msg->len, 0 };
	char from[400];
	CURLcode rc;

	if (c == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	snprintf(from, sizeof(from), "<%s>", s->from);
	rcpt = curl_slist_append(rcpt, to);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

int
ob_outbox_send_due(struct ob_db *db, const struct ob_outbox_smtp *s, int limit, int *sent,
    int *failed)
{
	char err[256], backoff[16], maxs[16], msgid[128];
	const char *params[4];
	struct ob_buf msg = OB_BUF_INIT;
	PGresult *q;
	int i, attempts, rc = 0;

	*sent = *failed = 0;
	if (s->url == NULL || *s->url == '\0')
		return 0;
	for (i = 0; i < limit; i++) {
		if (ob_db_begin(db) != 0)
			return -1;
		if ((q = ob_db_exec(db, OB_STMT_OUT_NEXT, NULL, NULL)) == NULL) {
			ob_db_rollback(db);
			return -1;
		}
		if (PQntuples(q) == 0) {
			PQclear(q);
			ob_db_rollback(db);
			break;
		}
		attempts = (int)ob_row_i64(q, 0, "attempts");
		snprintf(msgid, sizeof(msgid), "outbox-%s@orgbill", ob_row_str(q, 0, "id"));
		ob_buf_reset(&msg);
		params[0] = ob_row_str(q, 0, "id");
		if (ob_outbox_format(&msg, s->from, ob_row_str(q, 0, "to_addr"),
		    ob_row_str(q, 0, "subject"), ob_row_str(q, 0, "body"), msgid, time(NULL)) != 0) {
			snprintf(err, sizeof(err), "unusable sender or recipient address");
			attempts = OB_OUTBOX_MAX_ATTEMPTS;
		} else if (smtp_send(s, ob_row_str(q, 0, "to_addr"), &msg, err, sizeof(err)) == 0) {
			rc = ob_db_run(db, OB_STMT_OUT_SENT, params);
			PQclear(q);
			if (rc != 0 || ob_db_commit(db) != 0) {
				ob_db_rollback(db);
				ob_buf_free(&msg);
				return -1;
			}
			(*sent)++;
			continue;
		}
		ob_log(OB_LOG_WARN, "outbox_failed", "message %s: %s", params[0], err);
		ob_num_str(backoff, sizeof(backoff), 60L << (attempts < 10 ? attempts : 10));
		ob_num_str(maxs, sizeof(maxs), OB_OUTBOX_MAX_ATTEMPTS);
		params[1] = err;
		params[2] = backoff;
		params[3] = maxs;
		rc = ob_db_run(db, OB_STMT_OUT_FAILED, params);
		PQclear(q);
		if (rc != 0 || ob_db_commit(db) != 0) {
			ob_db_rollback(db);
			ob_buf_free(&msg);
			return -1;
		}
		(*failed)++;
	}
	ob_buf_free(&msg);
	return 0;
}
