/*
 * ob_oidc_addr: which addresses the SSO client may connect to (docs/SSO.md
 * "Reaching the provider"). The check runs on the address libcurl is about
 * to connect to (CURLOPT_OPENSOCKETFUNCTION), after name resolution, so a
 * name that resolves to an internal address — at any time, DNS rebinding
 * included — is refused.
 */
#ifndef OB_OIDC_ADDR_H
#define OB_OIDC_ADDR_H

#include <sys/socket.h>

/**
 * True if sa must not be connected to: loopback (127/8, ::1; allowed when
 * allow_loopback), private (10/8, 172.16/12, 192.168/16), shared (100.64/10),
 * link-local (169.254/16 — cloud metadata — and fe80::/10), unique local
 * (fc00::/7), unspecified, "this network" (0/8), multicast, reserved and
 * broadcast addresses; IPv4-mapped, -compatible and NAT64 (64:ff9b::/96)
 * IPv6 addresses are judged by their IPv4 address; any other family is refused.
 */
int ob_oidc_addr_blocked(const struct sockaddr *sa, int allow_loopback);

#endif
