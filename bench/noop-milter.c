/*
 * noop-milter.c - the baseline milter of bench/run-milter
 *
 * It registers the callbacks of rampart-milter and negotiates the same
 * protocol steps, actions and macros, so the MTA sends it exactly the
 * commands it sends rampart-milter.  Every callback returns
 * SMFIS_CONTINUE at once.  The gap between the two milters in a benchmark
 * is then rampart's own work: Redis round trips, routing and logging.
 *
 * Usage: noop-milter -s SOCKET [-t SECONDS] [-n]
 *   SOCKET is in libmilter syntax: unix:/path or inet:PORT@HOST.
 *   -n drops the DATA callback and negotiates SMFIP_NODATA, so the MTA
 *   skips DATA.  This shows what replying at DATA saves a milter on TCP.
 */
#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

/* Set by -n: no DATA callback, and the MTA skips the DATA step. */
static bool skip_data;

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3,
                             unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
    /* The same skip flags and macro lists as rampart-milter's filter.c. */
    unsigned long skip = SMFIP_NOHELO | SMFIP_NOHDRS | SMFIP_NOEOH |
                         SMFIP_NOBODY | SMFIP_NOUNKNOWN;

    if (skip_data)
        skip |= SMFIP_NODATA;

    *pf0 = f0 & SMFIF_ADDHDRS;
    *pf1 = f1 & skip;
    *pf2 = 0;
    *pf3 = 0;
    smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_addr} {daemon_name} j");
    smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
    smfi_setsymlist(ctx, SMFIM_DATA, "i");
    smfi_setsymlist(ctx, SMFIM_EOM, "i");
    return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname,
                           struct sockaddr *hostaddr)
{
    return SMFIS_CONTINUE;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    return SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    return SMFIS_CONTINUE;
}

/* Like rampart-milter, reply at DATA so a TCP connection does not stall. */
static sfsistat cb_data(SMFICTX *ctx)
{
    return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    return SMFIS_CONTINUE;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    return SMFIS_CONTINUE;
}

static struct smfiDesc noop_description = {
    .xxfi_name = "noop",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS,
    .xxfi_connect = cb_connect,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_data = cb_data,
    .xxfi_negotiate = cb_negotiate,
};

static void usage(void)
{
    fprintf(stderr, "usage: noop-milter -s SOCKET [-t SECONDS] [-n]\n"
                    "  -s SOCKET   unix:/path or inet:PORT@HOST\n"
                    "  -t SECONDS  how long libmilter waits for the MTA "
                    "(default 30, as rampart-milter)\n"
                    "  -n          no DATA callback: the MTA skips DATA\n");
}

int main(int argc, char **argv)
{
    const char *socket_spec = NULL;
    int timeout_s = 30;
    char *end;
    int c;

    while ((c = getopt(argc, argv, "s:t:nh")) != -1) {
        switch (c) {
        case 's':
            socket_spec = optarg;
            break;
        case 't':
            timeout_s = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || end == optarg || timeout_s <= 0) {
                fprintf(stderr,
                        "noop-milter: invalid timeout \"%s\": expected "
                        "a positive number of seconds\n",
                        optarg);
                return EX_USAGE;
            }
            break;
        case 'n':
            skip_data = true;
            noop_description.xxfi_data = NULL;
            break;
        case 'h':
            usage();
            return EX_OK;
        default:
            usage();
            return EX_USAGE;
        }
    }
    if (socket_spec == NULL || optind != argc) {
        usage();
        return EX_USAGE;
    }
    if (smfi_setconn((char *)socket_spec) != MI_SUCCESS ||
        smfi_settimeout(timeout_s) != MI_SUCCESS ||
        smfi_register(noop_description) != MI_SUCCESS) {
        fprintf(stderr,
                "noop-milter: failed to set up libmilter for %s; expected "
                "unix:/path or inet:PORT@HOST\n",
                socket_spec);
        return EX_SOFTWARE;
    }
    if (smfi_opensocket(true) != MI_SUCCESS) {
        fprintf(stderr,
                "noop-milter: cannot listen on %s; check that the address "
                "is free and the directory exists\n",
                socket_spec);
        return EX_UNAVAILABLE;
    }
    return smfi_main() == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
