/*
 * sim_svc.c: which service answers a channel to a given device port.
 *
 * AMT's ports: 16992/16993 WS-Man (HTTP/HTTPS), 16994/16995 redirection
 * (SOL, IDER; plain/TLS), 623/664 ASF RMCP, 5900 KVM (VNC).  WS-Man
 * answers on 16992/16993, SOL on 16994 (plain redirection; 16995 would need
 * TLS inside the channel and echoes), the bulk test service on 9999; every
 * other port echoes.  A port without a row refuses the
 * channel (OPEN_FAILURE 2, as AMT does for a port with nothing behind it).
 * Rows are searched in order: port 0 (any) comes last.
 */
#include <stddef.h>

#include "sim.h"

static const struct {
	uint32_t		 port;	/* 0 = any port */
	const struct sim_svc	*svc;
} sim_svc_table[] = {
	{ 16992, &sim_svc_wsman },
	{ 16993, &sim_svc_wsman },
	{ 16994, &sim_svc_sol },
	{ SIM_BULK_PORT, &sim_svc_bulk },
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
