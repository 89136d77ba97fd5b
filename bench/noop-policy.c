/*
 * noop-policy.c - the baseline policy server of bench/run-policy
 *
 * Answers every Postfix policy request with "action=DUNNO" at once, on one
 * epoll loop in one thread as rampart-policyd does, without Redis or any
 * parsing beyond the empty line that ends a request.  Its rate and latency
 * under the same load show what the machine, the kernel and policy-load
 * cost before rampart-policyd does any work.
 *
 * Usage: noop-policy unix:/PATH | HOST:PORT ...  (runs until killed)
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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE 65536

static const char reply[] = "action=DUNNO\n\n";

struct conn {
    int fd;
    int listener;
    char in[BUF_SIZE];
    size_t in_len;
    char out[BUF_SIZE];
    size_t out_len;
};

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "noop-policy: %s %s: %s\n", what, arg, strerror(errno));
    exit(1);
}

static int listen_on(const char *endpoint)
{
    int fd;
    int one = 1;

    if (strncmp(endpoint, "unix:", 5) == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};

        if (strlen(endpoint + 5) >= sizeof(sun.sun_path)) {
            errno = ENAMETOOLONG;
            die("invalid socket path", endpoint);
        }
        strcpy(sun.sun_path, endpoint + 5);
        unlink(sun.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
            die("cannot listen on", endpoint);
        chmod(sun.sun_path, 0666);
    } else {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        char host[64];
        const char *colon = strrchr(endpoint, ':');

        if (colon == NULL || (size_t)(colon - endpoint) >= sizeof(host)) {
            errno = EINVAL;
            die("invalid endpoint", endpoint);
        }
        memcpy(host, endpoint, (size_t)(colon - endpoint));
        host[colon - endpoint] = '\0';
        sin.sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
            errno = EINVAL;
            die("invalid address", endpoint);
        }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            die("cannot listen on", endpoint);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
            die("cannot listen on", endpoint);
    }
    if (listen(fd, 1024) != 0)
        die("cannot listen on", endpoint);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void close_conn(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static void accept_all(int ep, int listener)
{
    int one = 1;
    int fd;

    while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        struct conn *c = calloc(1, sizeof(*c));
        struct epoll_event ev = {.events = EPOLLIN};

        if (c == NULL) {
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->fd = fd;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

/* Read what arrived, queue one reply per complete request, and write. */
static int serve(struct conn *c)
{
    ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
    size_t start = 0;
    char *p;

    if (n == 0 || (n < 0 && errno != EAGAIN))
        return -1;
    if (n < 0)
        return 0;
    c->in_len += (size_t)n;
    while ((p = memmem(c->in + start, c->in_len - start, "\n\n", 2)) != NULL) {
        if (c->out_len + sizeof(reply) - 1 > sizeof(c->out))
            return -1;
        memcpy(c->out + c->out_len, reply, sizeof(reply) - 1);
        c->out_len += sizeof(reply) - 1;
        start = (size_t)(p - c->in) + 2;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->in_len == sizeof(c->in))
        return -1; /* a request longer than the buffer */
    /*
     * NOTE: a reply that does not fit the socket buffer waits for the next
     * request, because there is no EPOLLOUT.  policy-load keeps at most 64
     * requests in flight, 14 bytes of replies each, so this never happens
     * in bench/run-policy.
     */
    while (c->out_len > 0) {
        n = write(c->fd, c->out, c->out_len);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct conn listeners[4];
    struct epoll_event events[256];
    int ep = epoll_create1(0);

    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: noop-policy unix:/PATH | HOST:PORT ... (1 to 4)\n");
        return 64;
    }
    for (int i = 1; i < argc; i++) {
        struct epoll_event ev = {.events = EPOLLIN};

        listeners[i - 1].fd = listen_on(argv[i]);
        listeners[i - 1].listener = 1;
        ev.data.ptr = &listeners[i - 1];
        epoll_ctl(ep, EPOLL_CTL_ADD, listeners[i - 1].fd, &ev);
    }
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);

        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;

            if (c->listener)
                accept_all(ep, c->fd);
            else if (serve(c) != 0)
                close_conn(ep, c);
        }
    }
}
