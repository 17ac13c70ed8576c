/*
 * ob_seats: licenses — which members hold one of the org's purchased
 * seats — assigned and revoked one by one or in bulk (a list or a CSV),
 * and the org's automatic-seat-increase setting. A bulk change is all or
 * nothing: every bad row is reported and none is applied. See
 * docs/BILLING.md.
 */
#ifndef OB_SEATS_H
#define OB_SEATS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"

#define OB_SEATS_ROWS_MAX	2000	/* rows in one bulk change */
#define OB_SEATS_CSV_MAX	(256 * 1024)	/* bytes of CSV text */

/* One requested change: a member by e-mail or id, to assign or revoke. */
struct ob_seat_row {
	int line;		/* CSV line (or list index + 1) for reports */
	char email[321];	/* "" when user_id is given */
	int64_t user_id;	/* 0 when email is given */
	int assign;		/* 1 assign, 0 revoke */
};

/** The number of licenses assigned in org_id into *assigned. 0 or -1. */
int ob_seats_count(struct ob_db *db, int64_t org_id, int64_t *assigned);

/** Whether the org turned automatic seat increase on, into *on. 0 or -1. */
int ob_seats_auto_increase(struct ob_db *db, int64_t org_id, int *on);

/** Turn automatic seat increase on or off (audited). 0 or -1 with f. */
int ob_seats_set_auto_increase(const struct ob_actx *ax, int64_t org_id, int on,
    struct ob_fail *f);

/**
 * The members with their license status, filtered by q (a substring of
 * e-mail or name, may be NULL), status ("licensed", "unlicensed" or NULL)
 * and department (NULL: all), grouped by department:
 * {object:"seat_list", purchased, assigned, available, auto_seat_increase,
 *  data:[…], departments:[{name, members:[…]}]}. NULL on a database failure.
 */
cJSON *ob_seats_list(struct ob_db *db, int64_t org_id, const char *q, const char *status,
    const char *department);

/**
 * Parse CSV text: one member per line, "email" or "email,action" (action
 * assign or revoke, default assign), an optional header line starting with
 * "email", blank lines skipped, fields may be double-quoted. Rows go to
 * *rows (malloc'd, the caller frees), syntax errors to errors (an array:
 * {line, value, code, message}). Returns the row count, or -1 when the
 * text is over OB_SEATS_CSV_MAX or has more than OB_SEATS_ROWS_MAX rows.
 */
int ob_seats_csv_parse(const char *text, struct ob_seat_row **rows, cJSON *errors);

/**
 * Apply rows in one transaction with one audit row, all or nothing. Each
 * row must name an active member; assigning one who holds a license or
 * revoking one who does not is a no-op. Returns 0 with *result
 * {assigned, revoked, unchanged, seats:{purchased, assigned, available}};
 * or -1 with f: "bad_rows" (errors gets one entry per bad row, appended to
 * whatever is already in it), "seats_exhausted" (*needed = seats missing;
 * nothing applied), "seats_reduction_scheduled" (fewer seats are scheduled
 * for the renewal and the licenses would not fit them; nothing applied),
 * or a database failure. A non-empty errors on entry
 * (syntax errors) also fails as "bad_rows" after the rows are checked.
 */
int ob_seats_apply(const struct ob_actx *ax, int64_t org_id, const struct ob_seat_row *rows,
    int n, cJSON *errors, int64_t *needed, cJSON **result, struct ob_fail *f);

struct ob_sub;

/**
 * Seats added mid-period (seat_credits.c; docs/CREDITS.md): when after is
 * before's live subscription in the same period with more seats, grant the
 * plan's per-seat credits for the added seats prorated to the rest of the
 * period from at (Unix seconds): per_seat × added × (period_end − at) /
 * (period_end − period_start), rounded down, expiring with the period.
 * Seats already paid for in the period (its plan grant, an earlier seat
 * grant) are not paid again; removed seats take nothing back. Runs inside
 * the caller's transaction (the one applying the change), with an audit
 * row "credits.seat_grant" when it grants. *granted (may be NULL) receives
 * the credits granted (0: none due). 0, or -1 with f (a database failure).
 */
int ob_seats_grant_added(const struct ob_actx *ax, const struct ob_sub *before,
    const struct ob_sub *after, int64_t at, int64_t *granted, struct ob_fail *f);

#endif
