/*
 * sim_svc.c: which service answers a channel to a given device port.
 *
 * AMT's ports: 16992/16993 WS-Man (HTTP/HTTPS), 16994/16995 redirection
 * (SOL, IDER; plain/TLS), 623/664 ASF RMCP, 5900 KVM (VNC).  Every port
 * echoes for now; the WS-Man responder and the SOL service take their rows
 * here when they exist.  A port without a row refuses the channel
 * (OPEN_FAILURE 2, as AMT does for a port with nothing behind it).
 */
#include <stddef.h>

#include "sim.h"

static const struct {
	uint32_t		 port;	/* 0 = any port */
	const struct sim_svc	*svc;
} sim_svc_table[] = {
	{ 0, &sim_svc_echo },
};

const struct sim_svc *
sim_svc_for_port(uint32_t port)
{
	size_t	i;

	for (i = 0; i < sizeof(sim_svc_table) / sizeof(sim_svc_table[0]); i++)
		if (sim_svc_table[i].port == port ||
		    sim_svc_table[i].port == 0)
			return sim_svc_table[i].svc;
	return NULL;
}
