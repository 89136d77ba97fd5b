/*
 * policy-load.c - load generator for Postfix policy delegation servers
 *
 * Opens "connections" connections to a policy server, keeps up to "depth"
 * RCPT requests in flight on each (depth 1: one request, wait for the
 * reply, as Postfix does; more: pipelined), and reports decisions per
 * second and the latency percentiles of the replies.  With -r the total
 * request rate is fixed (open loop), to measure latency below the peak.
 * When the warm-up ends and the measured seconds begin, it prints
 * "policy-load: measuring" on standard error.
 *
 * Each request has its own instance and recipient, so a server cannot
 * answer from a per-transaction cache, and the recipient domains cycle
 * through gmail.com, yahoo.com, outlook.com and example.org.
 *
 * Usage: policy-load [-c CONNECTIONS] [-d DEPTH] [-t SECONDS] [-r RATE]
 *                    [-w WARMUP_SECONDS] unix:/PATH | HOST:PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX  512
#define READ_BUF     65536
#define HISTOGRAM_US 100000 /* latencies up to 100 ms, 1 us buckets */

struct conn {
    int fd;
    long id;
    int in_flight;
    long sent_total;
    double *sent_at; /* send times of the requests in flight, a ring */
    int head;        /* oldest request in flight */
    char out[REQUEST_MAX * 64];
    size_t out_len;
    char in[READ_BUF];
    size_t in_len;
};

struct options {
    int connections;
    int depth;
    double seconds;
    double warmup;
    double rate;
    const char *target;
};

static uint64_t histogram[HISTOGRAM_US + 1];
static long replies;
static long deferred;
static long unexpected;
static int measuring;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: policy-load [-c CONNECTIONS] [-d DEPTH] "
                    "[-t SECONDS] [-r RATE] [-w WARMUP] unix:/PATH | "
                    "HOST:PORT\n");
    exit(64);
}

static int connect_target(const char *target)
{
    int fd;
    int one = 1;

    if (strncmp(target, "unix:", 5) == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};

        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", target + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
            return -1;
    } else {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        char host[64];
        const char *colon = strrchr(target, ':');

        if (colon == NULL || (size_t)(colon - target) >= sizeof(host))
            return -1;
        memcpy(host, target, (size_t)(colon - target));
        host[colon - target] = '\0';
        sin.sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
            return -1;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
            return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void queue_request(struct conn *c, int depth, double at)
{
    static const char *const domains[] = {"gmail.com", "yahoo.com",
                                          "outlook.com", "example.org"};
    long n = c->sent_total++;
    int len;

    len = snprintf(c->out + c->out_len, sizeof(c->out) - c->out_len,
                   "request=smtpd_access_policy\n"
                   "protocol_state=RCPT\n"
                   "protocol_name=ESMTP\n"
                   "client_address=192.0.2.%ld\n"
                   "client_name=client.example\n"
                   "helo_name=client.example\n"
                   "sender=news@shop.example.com\n"
                   "recipient=user%ld.%ld@%s\n"
                   "recipient_count=0\n"
                   "queue_id=\n"
                   "instance=%lx.%lx.1\n"
                   "size=12345\n\n",
                   c->id % 250 + 1, c->id, n, domains[n % 4], c->id, n);
    c->out_len += (size_t)len;
    c->sent_at[(c->head + c->in_flight) % depth] = at;
    c->in_flight++;
}

static void flush_out(struct conn *c)
{
    while (c->out_len > 0) {
        ssize_t n = write(c->fd, c->out, c->out_len);

        if (n < 0) {
            if (errno == EAGAIN)
                return;
            perror("write");
            exit(1);
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
}

static void record(double latency)
{
    long us = (long)(latency * 1e6);

    if (!measuring)
        return;
    if (us > HISTOGRAM_US)
        us = HISTOGRAM_US;
    histogram[us]++;
    replies++;
}

/* Read replies; each ends with an empty line.  Returns replies read. */
static int read_replies(struct conn *c, int depth)
{
    int got = 0;
    ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
    char *p;

    if (n == 0) {
        fprintf(stderr, "policy-load: the server closed a connection\n");
        exit(1);
    }
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    c->in_len += (size_t)n;
    while ((p = memmem(c->in, c->in_len, "\n\n", 2)) != NULL) {
        size_t len = (size_t)(p - c->in) + 2;
        double t = now_s();

        if (strncmp(c->in, "action=", 7) != 0)
            unexpected += measuring;
        else if (strncmp(c->in, "action=DUNNO", 12) != 0 &&
                 strncmp(c->in, "action=OK", 9) != 0 &&
                 strncmp(c->in, "action=dunno", 12) != 0)
            deferred += measuring;
        record(t - c->sent_at[c->head]);
        c->head = (c->head + 1) % depth;
        c->in_flight--;
        memmove(c->in, c->in + len, c->in_len - len);
        c->in_len -= len;
        got++;
    }
    return got;
}

static double percentile(double q)
{
    uint64_t want = (uint64_t)(q * (double)replies);
    uint64_t seen = 0;

    for (long us = 0; us <= HISTOGRAM_US; us++) {
        seen += histogram[us];
        if (seen > want)
            return (double)us / 1000.0;
    }
    return (double)HISTOGRAM_US / 1000.0;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    int opt;

    o->connections = 10;
    o->depth = 1;
    o->seconds = 10;
    o->warmup = 2;
    o->rate = 0;
    while ((opt = getopt(argc, argv, "c:d:t:r:w:")) != -1) {
        switch (opt) {
        case 'c':
            o->connections = atoi(optarg);
            break;
        case 'd':
            o->depth = atoi(optarg);
            break;
        case 't':
            o->seconds = atof(optarg);
            break;
        case 'r':
            o->rate = atof(optarg);
            break;
        case 'w':
            o->warmup = atof(optarg);
            break;
        default:
            usage();
        }
    }
    if (optind + 1 != argc || o->connections < 1 || o->depth < 1 ||
        o->depth > 64 || o->seconds <= 0)
        usage();
    o->target = argv[optind];
}

int main(int argc, char **argv)
{
    struct options o;
    struct conn *conns;
    struct epoll_event ev;
    struct epoll_event events[256];
    int ep = epoll_create1(0);
    double start;
    double measure_from;
    double end;
    double next_send;
    double interval;
    long sent_in_window = 0;

    parse_options(argc, argv, &o);
    conns = calloc((size_t)o.connections, sizeof(*conns));
    for (int i = 0; i < o.connections; i++) {
        conns[i].id = i + 1;
        conns[i].sent_at = calloc((size_t)o.depth, sizeof(double));
        conns[i].fd = connect_target(o.target);
        if (conns[i].fd < 0) {
            fprintf(stderr, "policy-load: cannot connect to %s: %s\n", o.target,
                    strerror(errno));
            return 1;
        }
        ev.events = EPOLLIN;
        ev.data.ptr = &conns[i];
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }

    start = now_s();
    measure_from = start + o.warmup;
    end = measure_from + o.seconds;
    interval = o.rate > 0 ? 1.0 / o.rate : 0;
    next_send = start;
    if (o.rate <= 0)
        for (int i = 0; i < o.connections; i++) {
            for (int k = 0; k < o.depth; k++)
                queue_request(&conns[i], o.depth, now_s());
            flush_out(&conns[i]);
        }

    for (;;) {
        double t = now_s();
        struct timespec timeout = {0, 1000000};
        int n;

        if (t >= end)
            break;
        if (!measuring && t >= measure_from) {
            measuring = 1;
            /* bench/run-policy starts its CPU accounting at this line. */
            fprintf(stderr, "policy-load: measuring\n");
        }
        if (o.rate > 0) {
            /* Open loop: send on schedule, round robin over connections. */
            while (next_send <= t) {
                struct conn *c = &conns[sent_in_window % o.connections];

                sent_in_window++;
                next_send += interval;
                if (c->in_flight == o.depth)
                    continue; /* the server is behind; skip this slot */
                queue_request(c, o.depth, next_send - interval);
                flush_out(c);
            }
            /*
             * Sleep until the next send is due.  Spinning instead would
             * take a core from the server on a 2-core machine and show up
             * as scheduler delays in its latency.
             */
            double wait = next_send - now_s();

            if (wait < 0)
                wait = 0;
            timeout.tv_sec = (time_t)wait;
            timeout.tv_nsec = (long)((wait - (double)timeout.tv_sec) * 1e9);
        }
        n = epoll_pwait2(ep, events, 256, &timeout, NULL);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            int got = read_replies(c, o.depth);

            if (got < 0) {
                perror("read");
                return 1;
            }
            if (o.rate <= 0) {
                for (int k = 0; k < got; k++)
                    queue_request(c, o.depth, now_s());
                flush_out(c);
            }
        }
    }

    if (o.rate > 0)
        printf("connections=%d depth=%d rate=%.0f seconds=%.1f\n",
               o.connections, o.depth, o.rate, o.seconds);
    else
        printf("connections=%d depth=%d rate=max seconds=%.1f\n", o.connections,
               o.depth, o.seconds);
    printf("decisions=%ld per_second=%.0f deferred=%ld unexpected=%ld "
           "p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f\n",
           replies, (double)replies / o.seconds, deferred, unexpected,
           percentile(0.50), percentile(0.99), percentile(0.999));
    return unexpected > 0 ? 2 : 0;
}
