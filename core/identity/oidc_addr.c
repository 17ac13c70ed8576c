#include "identity/oidc_addr.h"

#include <stdint.h>
#include <string.h>

#include <netinet/in.h>

/* The IPv4 address a (host order) is internal or not routable. */
static int
v4_blocked(uint32_t a, int allow_loopback)
{
	if ((a >> 24) == 127)
		return !allow_loopback;
	return (a >> 24) == 0 ||			/* 0.0.0.0/8 "this network" */
	    (a >> 24) == 10 ||				/* 10/8 */
	    (a >> 20) == (172u << 4 | 1) ||		/* 172.16/12 */
	    (a >> 16) == (192u << 8 | 168) ||		/* 192.168/16 */
	    (a >> 22) == (100u << 2 | 1) ||		/* 100.64/10 */
	    (a >> 16) == (169u << 8 | 254) ||		/* 169.254/16 link-local */
	    (a >> 28) >= 14;				/* 224/4 multicast, 240/4, broadcast */
}

static uint32_t
v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int
v6_blocked(const unsigned char *b, int allow_loopback)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char zero[16] = { 0 };

	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return v4_blocked(v4_at(b + 12), allow_loopback);
	if (memcmp(b, zero, 15) == 0)
		return b[15] == 1 ? !allow_loopback : 1;	/* ::1, :: */
	if (memcmp(b, zero, 12) == 0)
		return 1;					/* ::/96 IPv4-compatible */
	if ((b[0] & 0xfe) == 0xfc || b[0] == 0xff)		/* fc00::/7, ff00::/8 */
		return 1;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)		/* fe80::/10 */
		return 1;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)		/* fec0::/10 site-local */
		return 1;
	return 0;
}

int
ob_oidc_addr_blocked(const struct sockaddr *sa, int allow_loopback)
{
	if (sa == NULL)
		return 1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		return v4_blocked(ntohl(s4->sin_addr.s_addr), allow_loopback);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		return v6_blocked(s6->sin6_addr.s6_addr, allow_loopback);
	}
	return 1;
}
