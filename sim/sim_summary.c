/*
 * sim_summary.c: the machine-readable JSON summary (at exit, on SIGUSR1,
 * as the ready file) and the one-line human progress report.
 *
 * Every key is always present so scripts can index without guarding; maps
 * (disconnect_reasons, states) list only non-zero entries.  Every key and
 * string value is one of our own ASCII constants, so nothing needs escaping.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mps_err.h"
#include "sim.h"

static int
sim_summary_cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles of connect-to-ACTIVE times; zeros when there are none. */
static void
sim_summary_connect_times(const struct sim_stats *st, uint32_t *p50,
    uint32_t *p99, uint32_t *max)
{
	uint32_t	*v;
	size_t		 n = st->nconnect_ms;

	*p50 = *p99 = *max = 0;
	if (n == 0 || (v = malloc(n * sizeof(*v))) == NULL)
		return;
	memcpy(v, st->connect_ms, n * sizeof(*v));
	qsort(v, n, sizeof(*v), sim_summary_cmp_u32);
	*p50 = v[(n - 1) * 50 / 100];
	*p99 = v[(n - 1) * 99 / 100];
	*max = v[n - 1];
	free(v);
}

static double
sim_summary_tv(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int
sim_summary_fprint(struct sim_fleet *f, FILE *fp)
{
	struct sim_stats	*st = &f->st;
	struct sim_opts		*o = &f->opt;
	struct rusage		 ru;
	uint32_t		 p50, p99, max, i;
	uint32_t		 mbdev;
	const char		*sep;
	double			 elapsed;

	memset(&ru, 0, sizeof(ru));
	(void)getrusage(RUSAGE_SELF, &ru);
	sim_summary_connect_times(st, &p50, &p99, &max);
	elapsed = (double)(sim_fleet_now_ms() - f->t0_ms) / 1000.0;
	mbdev = o->misbehave == SIM_MB_NONE ? 0 : o->misbehave_count;

	fprintf(fp, "{\"devices\":%u,\"connections\":%u,", o->count, f->ndevs);
	fprintf(fp, "\"connect_attempts\":%llu,\"connected\":%llu,"
	    "\"authenticated\":%llu,\"auth_failed\":%llu,\"active\":%u,"
	    "\"reached_active\":%llu,\"inflight\":%u,\"disconnected\":%llu,",
	    (unsigned long long)st->connect_attempts,
	    (unsigned long long)st->connected,
	    (unsigned long long)st->authenticated,
	    (unsigned long long)st->auth_failed,
	    f->state_count[SIM_DEV_ACTIVE],
	    (unsigned long long)st->reached_active, f->inflight,
	    (unsigned long long)st->disconnected);

	fprintf(fp, "\"disconnect_reasons\":{");
	sep = "";
	for (i = 0; i < SIM_CLOSE_COUNT; i++) {
		if (st->close_reason[i] == 0 || i == SIM_CLOSE_APF_DISCONNECT)
			continue;
		fprintf(fp, "%s\"%s\":%llu", sep,
		    sim_close_reason_name((enum sim_close_reason)i),
		    (unsigned long long)st->close_reason[i]);
		sep = ",";
	}
	for (i = 0; i < SIM_APF_REASONS; i++) {
		if (st->apf_reason[i] == 0)
			continue;
		fprintf(fp, "%s\"apf_disconnect_%u\":%llu", sep, i,
		    (unsigned long long)st->apf_reason[i]);
		sep = ",";
	}
	fprintf(fp, "},\"states\":{");
	sep = "";
	for (i = 0; i < SIM_DEV_STATE_COUNT; i++) {
		if (f->state_count[i] == 0)
			continue;
		fprintf(fp, "%s\"%s\":%u", sep,
		    sim_dev_state_name((enum sim_dev_state)i),
		    f->state_count[i]);
		sep = ",";
	}
	fprintf(fp, "},");

	fprintf(fp, "\"keepalive_sent\":%llu,\"keepalive_replies\":%llu,"
	    "\"keepalive_bad_cookie\":%llu,\"keepalive_missed\":%llu,"
	    "\"keepalive_probes_answered\":%llu,\"keepalive_options\":%llu,"
	    "\"forwards_refused\":%llu,\"request_failures\":%llu,",
	    (unsigned long long)st->keepalive_sent,
	    (unsigned long long)st->keepalive_replies,
	    (unsigned long long)st->keepalive_bad_cookie,
	    (unsigned long long)st->keepalive_missed,
	    (unsigned long long)st->keepalive_probes,
	    (unsigned long long)st->keepalive_options,
	    (unsigned long long)st->forwards_refused,
	    (unsigned long long)st->request_failures);
	fprintf(fp, "\"channels_opened\":%llu,\"channels_refused\":%llu,"
	    "\"channels_closed\":%llu,\"channel_glitches\":%llu,"
	    "\"channel_bytes_in\":%llu,\"channel_bytes_out\":%llu,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu,",
	    (unsigned long long)st->channels_opened,
	    (unsigned long long)st->channels_refused,
	    (unsigned long long)st->channels_closed,
	    (unsigned long long)st->channel_glitches,
	    (unsigned long long)st->channel_bytes_in,
	    (unsigned long long)st->channel_bytes_out,
	    (unsigned long long)st->bytes_in,
	    (unsigned long long)st->bytes_out);
	fprintf(fp, "\"window_adjusts_delayed\":%llu,"
	    "\"sol\":{\"sessions\":%llu,\"auth_failed\":%llu,"
	    "\"errors\":%llu,\"bytes\":%llu},"
	    "\"bulk\":{\"bytes_in\":%llu,\"bytes_out\":%llu},",
	    (unsigned long long)st->window_adjusts_delayed,
	    (unsigned long long)st->sol_sessions,
	    (unsigned long long)st->sol_auth_failed,
	    (unsigned long long)st->sol_errors,
	    (unsigned long long)st->sol_bytes,
	    (unsigned long long)st->bulk_bytes_in,
	    (unsigned long long)st->bulk_bytes_out);
	fprintf(fp, "\"misbehaving\":{\"kind\":\"%s\",\"devices\":%u,"
	    "\"closed_by_server\":%llu,\"reached_active\":%llu,"
	    "\"originals_closed_by_server\":%llu},",
	    sim_misbehave_name(o->misbehave), mbdev,
	    (unsigned long long)st->mb_closed_by_server,
	    (unsigned long long)st->mb_active,
	    (unsigned long long)st->mb_originals_closed_by_server);
	fprintf(fp, "\"wsman\":{\"requests\":%llu,\"ok\":%llu,"
	    "\"unauthorized\":%llu,\"faults\":%llu,\"http_errors\":%llu,"
	    "\"tls_handshakes\":%llu,\"tls_failures\":%llu,"
	    "\"connections\":%u},",
	    (unsigned long long)f->wsman.st.requests,
	    (unsigned long long)f->wsman.st.ok,
	    (unsigned long long)f->wsman.st.unauthorized,
	    (unsigned long long)f->wsman.st.faults,
	    (unsigned long long)f->wsman.st.http_errors,
	    (unsigned long long)f->wsman.st.tls_handshakes,
	    (unsigned long long)f->wsman.st.tls_failures,
	    f->wsman.nconns);
	fprintf(fp, "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,"
	    "\"max_rss_kib\":%ld,\"nofile_limit\":%llu,",
	    sim_summary_tv(ru.ru_utime), sim_summary_tv(ru.ru_stime),
	    ru.ru_maxrss, (unsigned long long)f->nofile_limit);
	fprintf(fp, "\"connect_time_ms\":{\"samples\":%zu,\"p50\":%u,"
	    "\"p99\":%u,\"max\":%u},\"elapsed_s\":%.3f}\n",
	    st->nconnect_ms, p50, p99, max, elapsed);
	if (fflush(fp) != 0 || ferror(fp))
		return MPS_ERR_IO;
	return 0;
}

int
sim_summary_write(struct sim_fleet *f, const char *path)
{
	char	tmp[4096];
	FILE	*fp;
	int	 r, fd;

	if (strcmp(path, "-") == 0)
		return sim_summary_fprint(f, stdout);
	/* Readers poll for the file: it must appear complete or not at all. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >=
	    sizeof(tmp))
		return MPS_ERR_USAGE;
	if ((fd = mkstemp(tmp)) == -1)
		return MPS_ERR_IO;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return MPS_ERR_IO;
	}
	r = sim_summary_fprint(f, fp);
	if (fclose(fp) != 0 && r == 0)
		r = MPS_ERR_IO;
	if (r == 0 && rename(tmp, path) != 0)
		r = MPS_ERR_IO;
	if (r != 0)
		unlink(tmp);
	return r;
}

void
sim_summary_progress(struct sim_fleet *f, FILE *fp)
{
	struct sim_stats	*st = &f->st;

	fprintf(fp, "amt-cira-sim: t=%.1fs started=%u/%u inflight=%u "
	    "active=%u retry=%u closed=%u auth_failed=%llu disc=%llu "
	    "ka=%llu/%llu ch=%llu\n",
	    (double)(sim_fleet_now_ms() - f->t0_ms) / 1000.0,
	    f->next_fresh, f->ndevs, f->inflight,
	    f->state_count[SIM_DEV_ACTIVE],
	    f->state_count[SIM_DEV_WAIT_RETRY],
	    f->state_count[SIM_DEV_CLOSED],
	    (unsigned long long)st->auth_failed,
	    (unsigned long long)st->disconnected,
	    (unsigned long long)st->keepalive_replies,
	    (unsigned long long)st->keepalive_sent,
	    (unsigned long long)st->channels_opened);
}
