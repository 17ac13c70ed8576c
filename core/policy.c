#include "policy.h"

static const char *const action_names[OB_ACT__MAX] = {
	[OB_ACT_NONE] = "none",
	[OB_ACT_PUBLIC] = "public",
	[OB_ACT_WEBHOOK] = "webhook",
};

const char *
ob_action_name(enum ob_action a)
{
	if ((int)a < 0 || a >= OB_ACT__MAX || action_names[a] == 0)
		return "unknown";
	return action_names[a];
}
