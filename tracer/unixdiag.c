/*
 * The unix sockets of perftrace's network namespace with their peers, from
 * the kernel's sock_diag netlink interface (/proc/net/unix lists names but
 * not peers).  waits.c uses it to name the client end of a connection by the
 * path its server listens on.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unixdiag.h"

int unixdiag_dump(unixdiag_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg = {
	    .nlh = {.nlmsg_len = sizeof(msg),
		    .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .req = {.sdiag_family = AF_UNIX,
		    .udiag_states = ~0u,
		    .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER},
	};
	static char buf[32768] __attribute__((aligned(8)));
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (send(fd, &msg, sizeof(msg), 0) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int len;
			uint32_t peer = 0;
			char name[256] = "";

			if (h->nlmsg_type == NLMSG_DONE)
				goto out;
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = -EPROTO;
				goto out;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				size_t plen = RTA_PAYLOAD(a);

				if (a->rta_type == UNIX_DIAG_PEER && plen >= sizeof(peer)) {
					memcpy(&peer, RTA_DATA(a), sizeof(peer));
				} else if (a->rta_type == UNIX_DIAG_NAME && plen > 0) {
					const char *p = RTA_DATA(a);

					/* an abstract name starts with NUL: shown as '@' */
					if (plen >= sizeof(name))
						plen = sizeof(name) - 1;
					memcpy(name, p, plen);
					name[plen] = 0;
					if (!name[0] && plen > 1)
						name[0] = '@';
				}
			}
			fn(ctx, m->udiag_ino, peer, name);
		}
	}
out:
	close(fd);
	return err;
}
