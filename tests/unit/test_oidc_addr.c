/*
 * Unit tests of the SSO client's address check (core/identity/oidc_addr.c):
 * the expected answers are the special-purpose ranges of RFC 1918, 6598,
 * 3927, 4291, 4193, 6052 and 5735, written out by hand.
 */
#include <check.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "identity/oidc_addr.h"
#include "unit/unit.h"

/* ob_oidc_addr_blocked for the address text (IPv4 or IPv6). */
static int
blocked(const char *text, int allow_loopback)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return ob_oidc_addr_blocked((struct sockaddr *)&s4, allow_loopback);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, &s6.sin6_addr), 1);
	s6.sin6_family = AF_INET6;
	return ob_oidc_addr_blocked((struct sockaddr *)&s6, allow_loopback);
}

START_TEST(public_addresses_pass)
{
	static const char *ok[] = { "93.184.216.34", "8.8.8.8", "1.1.1.1", "172.15.255.255",
		"172.32.0.1", "192.167.255.255", "100.63.255.255", "100.128.0.1", "169.253.1.1",
		"223.255.255.254", "11.0.0.1", "2606:2800:220:1:248:1893:25c8:1946",
		"2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(!blocked(ok[i], 0), "%s refused", ok[i]);
}
END_TEST

START_TEST(internal_addresses_are_refused)
{
	static const char *bad[] = { "10.0.0.1", "10.255.255.255", "172.16.0.1",
		"172.31.255.255", "192.168.0.1", "192.168.255.255", "100.64.0.1",
		"100.127.255.255", "169.254.169.254", "169.254.0.1", "0.0.0.0", "0.1.2.3",
		"224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255", "::",
		"fc00::1", "fd12:3456:789a::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
		"::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.1.1",
		"64:ff9b::a9fe:a9fe", "::10.0.0.1", "::8.8.8.8" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(blocked(bad[i], 0), "%s allowed", bad[i]);
		ck_assert_msg(blocked(bad[i], 1), "%s allowed with loopback allowed", bad[i]);
	}
}
END_TEST

START_TEST(loopback_only_when_allowed)
{
	static const char *lo[] = { "127.0.0.1", "127.1.2.3", "127.255.255.255", "::1",
		"::ffff:127.0.0.1" };
	struct sockaddr sa;
	size_t i;

	for (i = 0; i < sizeof(lo) / sizeof(lo[0]); i++) {
		ck_assert_msg(blocked(lo[i], 0), "%s allowed", lo[i]);
		ck_assert_msg(!blocked(lo[i], 1), "%s refused with loopback allowed", lo[i]);
	}
	/* Another family, or none: refused. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert(ob_oidc_addr_blocked(&sa, 1));
	ck_assert(ob_oidc_addr_blocked(NULL, 1));
}
END_TEST

Suite *oidc_addr_suite(void)
{
	return t_suite("oidc_addr", 30, T_TESTS(public_addresses_pass,
	    internal_addresses_are_refused, loopback_only_when_allowed));
}
