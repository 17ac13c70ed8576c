/*
 * The Overview dashboard's pure pieces (dash.h): the run-out forecast and
 * the share of a limit used. Integers only.
 */
#include "fcgi/dash.h"

void
ob_dash_forecast(int64_t balance, const int64_t *daily, int n,
    struct ob_dash_forecast *out)
{
	int first = -1, i;
	int64_t used = 0, v;

	out->status = OB_DASH_FC_NOT_ENOUGH_DATA;
	out->days = 0;
	out->used = 0;
	out->avg_daily = 0;
	out->days_left = 0;
	for (i = 0; i < n; i++) {
		v = daily[i] > 0 ? daily[i] : 0;
		if (v > 0 && first < 0)
			first = i;
		if (first >= 0 && used <= INT64_MAX - v)
			used += v;
	}
	out->days = first >= 0 ? n - first : 0;
	out->used = used;
	if (out->days > 0)
		out->avg_daily = (used + out->days / 2) / out->days;
	if (balance <= 0) {
		out->status = OB_DASH_FC_EMPTY;
		return;
	}
	if (out->days < OB_DASH_FORECAST_MIN_DAYS) {
		out->status = first < 0 && n >= OB_DASH_FORECAST_MIN_DAYS ? OB_DASH_FC_NO_USAGE :
		    OB_DASH_FC_NOT_ENOUGH_DATA;
		return;
	}
	/* balance / (used / days) = balance × days / used; past the horizon
	 * (or where the product would overflow) it is "beyond". */
	if (balance > INT64_MAX / out->days) {
		out->status = OB_DASH_FC_BEYOND;
		return;
	}
	out->days_left = balance * out->days / used;
	out->status = out->days_left > OB_DASH_FORECAST_MAX_DAYS ? OB_DASH_FC_BEYOND : OB_DASH_FC_OK;
}

const char *
ob_dash_forecast_name(enum ob_dash_forecast_status s)
{
	switch (s) {
	case OB_DASH_FC_OK: return "ok";
	case OB_DASH_FC_NOT_ENOUGH_DATA: return "not_enough_data";
	case OB_DASH_FC_NO_USAGE: return "no_usage";
	case OB_DASH_FC_EMPTY: return "empty";
	case OB_DASH_FC_BEYOND: return "beyond";
	}
	return "not_enough_data";
}

int
ob_dash_percent(int64_t current, int64_t limit)
{
	if (limit < 0)
		return -1;
	if (limit == 0)
		return current > 0 ? 100 : 0;
	if (current <= 0)
		return 0;
	if (current > INT64_MAX / 100)
		return current / limit > 100000000 ? 100000000 : (int)(current / limit * 100);
	return current * 100 / limit > 100000000 ? 100000000 : (int)(current * 100 / limit);
}
