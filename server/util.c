/*
 * util.c: small helpers shared by the daemon's files: compact peer
 * addresses, time formats, process facts.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

int
util_peer_set(struct peer_addr *p, const struct sockaddr *sa, socklen_t len)
{
	memset(p, 0, sizeof(*p));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		p->family = AF_INET;
		p->port = ntohs(sin->sin_port);
		memcpy(p->addr, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		p->family = AF_INET6;
		p->port = ntohs(sin6->sin6_port);
		memcpy(p->addr, &sin6->sin6_addr, 16);
		return 0;
	}
	p->family = (uint8_t)sa->sa_family;
	return MPS_ERR_INVALID;
}

const char *
util_peer_str(const struct peer_addr *p, char buf[PEER_STRLEN])
{
	char	a[INET6_ADDRSTRLEN];

	switch (p->family) {
	case AF_INET:
		inet_ntop(AF_INET, p->addr, a, sizeof(a));
		snprintf(buf, PEER_STRLEN, "%s:%u", a, p->port);
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, p->addr, a, sizeof(a));
		snprintf(buf, PEER_STRLEN, "[%s]:%u", a, p->port);
		break;
	default:
		snprintf(buf, PEER_STRLEN, "unknown");
		break;
	}
	return buf;
}

const char *
util_iso8601(time_t t, char buf[ISO8601_LEN])
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, ISO8601_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

uint32_t
util_mono(void)
{
	static struct timespec	base;
	struct timespec		now;

	/* COARSE: a vDSO read with tick resolution, plenty for seconds. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (base.tv_sec == 0)
		base = now;
	return (uint32_t)(now.tv_sec - base.tv_sec) + 1;
}

uint64_t
util_rss_bytes(void)
{
	FILE			*fp;
	unsigned long long	 size, rss;
	int			 n;

	if ((fp = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	n = fscanf(fp, "%llu %llu", &size, &rss);
	fclose(fp);
	if (n != 2)
		return 0;
	return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t
util_heap_bytes(void)
{
	struct mallinfo2	mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

int
util_mkdir_p(const char *path, mode_t mode)
{
	char	buf[PATH_MAX];
	char	*p;
	size_t	len;

	len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return MPS_ERR_USAGE;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char saved = *p;

			*p = '\0';
			if (mkdir(buf, mode) == -1 && errno != EEXIST)
				return MPS_ERR_IO;
			*p = saved;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

int
util_count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory stream's own descriptor */
}

const char *
util_sanitize(const void *p, size_t len, char *buf, size_t cap)
{
	const unsigned char	*s = p;
	size_t			 i;

	if (cap == 0)
		return buf;
	for (i = 0; i < len && i + 1 < cap; i++) {
		if (s[i] == '"')
			buf[i] = '\'';
		else if (s[i] < 0x20 || s[i] > 0x7e)
			buf[i] = '?';
		else
			buf[i] = (char)s[i];
	}
	buf[i] = '\0';
	return buf;
}
