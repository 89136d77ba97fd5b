/*
 * server.c - policy protocol connections: framing, order, limits, timeouts
 */
#include "server.h"

#include "daemon.h"
#include "log.h"
#include "protocol.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LISTENERS_MAX 4

/*
 * Replies waiting for a client that does not read them.  Over this, the
 * server reads no more requests from that client until they are out, so a
 * client that pipelines and never reads cannot grow the server's memory.
 */
#define OUTPUT_MAX (64 * 1024)

/* How long accepting pauses when the process runs out of descriptors. */
#define ACCEPT_PAUSE_MS 250

/*
 * Seconds and bytes of input that a connection closed on a protocol error
 * discards before its socket is closed; see conn_finish().
 */
#define LINGER_S   2
#define LINGER_MAX (1024 * 1024)

struct conn;

/* One request's place in its connection's reply order. */
struct slot {
    struct slot *next;
    struct conn *conn;
    int done;
    int close_after; /* malformed: close without replying */
    char action[512];
};

struct conn {
    struct server *srv;
    struct bufferevent *bev; /* NULL once closed */
    char peer[64];
    struct evbuffer *request; /* the request being read */
    struct slot *head;
    struct slot *tail;
    size_t slots;
    char last_instance[128]; /* the transaction this client last asked on */
    int busy;                /* a callback of this connection is running */
    int closing;      /* read no more; close once earlier replies are out */
    int eof;          /* the client half-closed */
    int malformed;    /* malformed input came: dispatch nothing after it */
    int throttled;    /* reading paused until the replies are out */
    int lingering;    /* replies sent, discarding input: conn_finish() */
    size_t discarded; /* bytes discarded while lingering */
    struct timespec linger_end; /* when lingering ends (CLOCK_MONOTONIC) */
    struct conn *next_dirty;    /* on the server's list of unsent replies */
    int dirty;
};

struct server {
    struct event_base *base;
    struct server_limits limits;
    server_decide_fn *decide;
    void *ctx;
    struct evconnlistener *listeners[LISTENERS_MAX];
    size_t listener_count;
    size_t connections;
    struct conn *dirty;         /* connections with replies to write */
    struct event *accept_pause; /* re-enables the listeners */
};

static struct log_repeat refused_connections =
    LOG_REPEAT_INIT(60, "connections refused over max_connections");
static struct log_repeat protocol_errors =
    LOG_REPEAT_INIT(60, "malformed policy requests");
static struct log_repeat accept_errors =
    LOG_REPEAT_INIT(60, "failed accept() calls");

static void read_requests(struct conn *c);
static void finish_input(struct conn *c);

/* Free the connection once it is closed and no decision refers to it. */
static void conn_release(struct conn *c)
{
    if (c->bev != NULL || c->slots > 0 || c->busy > 0 || c->dirty)
        return;
    evbuffer_free(c->request);
    c->srv->connections--;
    free(c);
}

/* Close the socket; conn_release() frees the rest when nothing refers to
 * the connection any more. */
static void conn_close(struct conn *c)
{
    if (c->bev == NULL)
        return;
    bufferevent_free(c->bev);
    c->bev = NULL;
}

/*
 * Discard what a lingering client sent.  Close once it sent too much or
 * the linger time is over.  Otherwise wait at most for the time left.
 */
static void discard_input(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t len = evbuffer_get_length(in);
    struct timespec now;
    long left_ms;
    struct timeval left;

    c->discarded += len;
    evbuffer_drain(in, len);
    clock_gettime(CLOCK_MONOTONIC, &now);
    left_ms = (c->linger_end.tv_sec - now.tv_sec) * 1000 +
              (c->linger_end.tv_nsec - now.tv_nsec) / 1000000;
    if (c->discarded > LINGER_MAX || left_ms <= 0) {
        conn_close(c);
        return;
    }
    left.tv_sec = left_ms / 1000;
    left.tv_usec = (left_ms % 1000) * 1000;
    bufferevent_set_timeouts(c->bev, &left, NULL);
}

/*
 * Close a connection whose replies are all written.  Closing a TCP socket
 * with unread input resets the connection, which drops replies the client
 * has not received yet.  So after a protocol error, end the stream and
 * discard input until the client closes, LINGER_S passes or LINGER_MAX
 * bytes arrive.
 */
static void conn_finish(struct conn *c)
{
    if (c->lingering)
        return;
    if (!c->closing || c->eof ||
        shutdown(bufferevent_getfd(c->bev), SHUT_WR) != 0) {
        conn_close(c);
        return;
    }
    c->lingering = 1;
    clock_gettime(CLOCK_MONOTONIC, &c->linger_end);
    c->linger_end.tv_sec += LINGER_S;
    discard_input(c);
    if (c->bev != NULL)
        bufferevent_enable(c->bev, EV_READ);
}

/*
 * Handle an emptied output buffer: stop watching for writability, close a
 * connection that has nothing more to send, or resume reading after a
 * pause.  The caller holds a busy count on the connection.
 */
static void output_drained(struct conn *c)
{
    if (bufferevent_get_enabled(c->bev) & EV_WRITE)
        bufferevent_disable(c->bev, EV_WRITE);
    if (c->throttled && !c->closing) {
        /* First the requests that arrived before the pause. */
        c->throttled = 0;
        if (c->eof) {
            finish_input(c);
        } else if (!c->malformed) {
            bufferevent_enable(c->bev, EV_READ);
            read_requests(c);
        }
        return;
    }
    if ((c->eof || c->closing) && c->head == NULL)
        conn_finish(c);
}

/* Libevent wrote the rest of the replies that server_flush() could not. */
static void on_drained(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;

    (void)bev;
    c->busy++;
    output_drained(c);
    c->busy--;
    conn_release(c);
}

/* Write every finished reply at the head of the queue, in order. */
static void flush_replies(struct conn *c)
{
    struct slot *s;

    c->busy++;
    while ((s = c->head) != NULL && s->done) {
        c->head = s->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->slots--;
        if (s->close_after && !c->closing && c->bev != NULL) {
            /* A malformed request: the replies before it still go out. */
            c->closing = 1;
            bufferevent_disable(c->bev, EV_READ);
        } else if (c->bev != NULL && !c->closing) {
            evbuffer_add_printf(bufferevent_get_output(c->bev), "action=%s\n\n",
                                s->action);
            if (!c->dirty) {
                c->dirty = 1;
                c->next_dirty = c->srv->dirty;
                c->srv->dirty = c;
            }
        }
        free(s);
    }
    /* After a protocol error, close once the replies before it are out. */
    if (c->malformed && c->head == NULL)
        c->closing = 1;
    if (c->bev != NULL && (c->eof || c->closing) && c->head == NULL &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        conn_finish(c);
    c->busy--;
    conn_release(c);
}

void slot_done(struct slot *slot, const char *action)
{
    struct conn *c = slot->conn;

    slot->done = 1;
    if (action == NULL) {
        /* The replies before it still go out, but no request after it is
         * decided: the client gets no reply for those. */
        slot->close_after = 1;
        c->malformed = 1;
        if (c->bev != NULL)
            bufferevent_disable(c->bev, EV_READ);
    } else {
        snprintf(slot->action, sizeof(slot->action), "%s", action);
    }
    flush_replies(c);
}

/*
 * Stop reading.  The requests before the error still get their replies,
 * also those waiting for Redis, and the connection closes after the last.
 */
static void protocol_error(struct conn *c, const char *why)
{
    log_repeat(&protocol_errors, LOG_WARNING,
               "closing policy connection from %s: %s", c->peer, why);
    if (c->bev == NULL || c->closing)
        return;
    c->malformed = 1;
    bufferevent_disable(c->bev, EV_READ);
    evbuffer_drain(bufferevent_get_input(c->bev),
                   evbuffer_get_length(bufferevent_get_input(c->bev)));
    flush_replies(c);
}

/* Hand the request read so far to the decision code. */
static void dispatch(struct conn *c)
{
    struct slot *s = calloc(1, sizeof(*s));
    size_t len = evbuffer_get_length(c->request);
    char *text;

    if (s == NULL) {
        protocol_error(c, "out of memory");
        return;
    }
    text = (char *)evbuffer_pullup(c->request, -1);
    s->conn = c;
    if (c->tail != NULL)
        c->tail->next = s;
    else
        c->head = s;
    c->tail = s;
    c->slots++;
    c->srv->decide(c->srv->ctx, s, text ? text : "", len, c->peer);
    evbuffer_drain(c->request, len);
}

/* Split the input into lines; an empty line ends a request. */
static void read_requests(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);

    while (c->bev != NULL && !c->closing && !c->malformed && !c->throttled) {
        struct evbuffer_ptr eol =
            evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
        size_t line_len;

        if (eol.pos < 0) {
            if (evbuffer_get_length(in) > POLICY_LINE_MAX)
                protocol_error(c, "line longer than 4096 bytes");
            return;
        }
        line_len = (size_t)eol.pos + 1;
        if (line_len > POLICY_LINE_MAX + 1) {
            protocol_error(c, "line longer than 4096 bytes");
            return;
        }
        if (line_len == 1 ||
            (line_len == 2 && evbuffer_pullup(in, 2)[0] == '\r')) {
            evbuffer_drain(in, line_len);
            if (evbuffer_get_length(c->request) > 0)
                dispatch(c);
            continue;
        }
        if (evbuffer_get_length(c->request) + line_len > POLICY_REQUEST_MAX) {
            protocol_error(c, "request longer than 32768 bytes");
            return;
        }
        evbuffer_remove_buffer(in, c->request, line_len);
    }
}

/*
 * The busy count keeps the connection alive while its callbacks run, as
 * a decision may finish (and close the connection) inside dispatch().
 */
static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;

    (void)bev;
    c->busy++;
    if (c->lingering)
        discard_input(c);
    else
        read_requests(c);
    c->busy--;
    conn_release(c);
}

/*
 * Decide the requests left in the input after the client half-closed.
 * While reading is paused, output_drained() calls this again later.
 */
static void finish_input(struct conn *c)
{
    read_requests(c);
    if (c->throttled)
        return;
    if (c->bev != NULL && !c->closing && !c->malformed &&
        evbuffer_get_length(c->request) > 0)
        dispatch(c);
    if (c->bev != NULL) {
        bufferevent_disable(c->bev, EV_READ);
        flush_replies(c);
    }
}

static void on_eof(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);

    /* Exim may leave out the final empty line before half-closing. */
    c->eof = 1;
    if (evbuffer_get_length(in) > 0)
        evbuffer_add(in, "\n", 1);
    finish_input(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;

    (void)bev;
    c->busy++;
    if (c->lingering) {
        conn_close(c); /* the client closed, or LINGER_S passed */
    } else if (what & BEV_EVENT_EOF) {
        on_eof(c);
    } else {
        if (what & BEV_EVENT_TIMEOUT)
            log_debug("closing idle policy connection from %s", c->peer);
        else if (what & BEV_EVENT_ERROR)
            log_debug("policy connection from %s failed: %s", c->peer,
                      evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        conn_close(c);
    }
    c->busy--;
    conn_release(c);
}

static void peer_text(const struct sockaddr *sa, char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN] = "?";

    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr,
                  sizeof(addr));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
                  sizeof(addr));
    else if (sa->sa_family == AF_UNIX)
        snprintf(addr, sizeof(addr), "unix");
    snprintf(buf, len, "%s", addr);
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg)
{
    struct server *srv = arg;
    struct conn *c;
    struct timeval idle = {srv->limits.idle_timeout_s, 0};
    int one = 1;

    (void)listener;
    (void)socklen;
    if ((int)srv->connections >= srv->limits.max_connections) {
        log_repeat(&refused_connections, LOG_WARNING,
                   "refusing a policy connection: %zu open, max_connections "
                   "is %d",
                   srv->connections, srv->limits.max_connections);
        evutil_closesocket(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->request = evbuffer_new()) == NULL) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    if (sa->sa_family != AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->srv = srv;
    peer_text(sa, c->peer, sizeof(c->peer));
    c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        evbuffer_free(c->request);
        free(c);
        evutil_closesocket(fd);
        return;
    }
    srv->connections++;
    bufferevent_setcb(c->bev, on_read, on_drained, on_event, c);
    /* The write timeout drops a client that stopped reading its replies. */
    bufferevent_set_timeouts(c->bev, &idle, &idle);
    /* Replies leave from server_flush(); see there. */
    bufferevent_enable(c->bev, EV_READ);
    bufferevent_disable(c->bev, EV_WRITE);
}

/*
 * Write the replies that became ready during this pass of the event loop,
 * one system call per connection.  Writing here instead of from a write
 * event saves adding and removing that event for every reply, and
 * replies to pipelined requests share one write.  What the socket does
 * not take now, libevent writes when the socket is writable again.
 */
void server_flush(struct server *srv)
{
    struct conn *c;

    while ((c = srv->dirty) != NULL) {
        srv->dirty = c->next_dirty;
        c->next_dirty = NULL;
        c->dirty = 0;
        if (c->bev != NULL) {
            struct evbuffer *out = bufferevent_get_output(c->bev);
            int n, err;

            /* A bufferevent keeps the front of its output frozen, so only
             * its own write callback drains it; do as that callback does. */
            evbuffer_unfreeze(out, 1);
            n = evbuffer_write(out, bufferevent_getfd(c->bev));
            err = errno;
            evbuffer_freeze(out, 1);
            if (n < 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
                log_debug("policy connection from %s failed: %s", c->peer,
                          strerror(err));
                conn_close(c);
            } else if (evbuffer_get_length(out) > 0) {
                /* on_drained() runs once libevent wrote the rest. */
                bufferevent_enable(c->bev, EV_WRITE);
                if (evbuffer_get_length(out) > OUTPUT_MAX && !c->throttled) {
                    c->throttled = 1;
                    bufferevent_disable(c->bev, EV_READ);
                }
            } else {
                c->busy++;
                output_drained(c);
                c->busy--;
            }
        }
        conn_release(c);
    }
}

static void on_accept_pause_end(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;

    (void)fd;
    (void)what;
    for (size_t i = 0; i < srv->listener_count; i++)
        evconnlistener_enable(srv->listeners[i]);
}

/*
 * Out of descriptors, the pending connection stays in the backlog and the
 * listening socket stays readable: pause accepting for a moment instead of
 * retrying at once in a busy loop.
 */
static void on_accept_error(struct evconnlistener *listener, void *arg)
{
    struct server *srv = arg;
    int err = EVUTIL_SOCKET_ERROR();
    struct timeval pause = {0, ACCEPT_PAUSE_MS * 1000};

    (void)listener;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        log_repeat(&accept_errors, LOG_WARNING,
                   "cannot accept a policy connection: %s; pausing for %d ms "
                   "(%zu open; raise the open files limit, LimitNOFILE= in "
                   "systemd, above policy.max_connections)",
                   strerror(err), ACCEPT_PAUSE_MS, srv->connections);
        for (size_t i = 0; i < srv->listener_count; i++)
            evconnlistener_disable(srv->listeners[i]);
        evtimer_add(srv->accept_pause, &pause);
        return;
    }
    log_repeat(&accept_errors, LOG_WARNING,
               "cannot accept a policy connection: %s", strerror(err));
}

struct server *server_new(struct event_base *base,
                          const struct server_limits *limits,
                          server_decide_fn *decide, void *ctx)
{
    struct server *srv = calloc(1, sizeof(*srv));

    if (srv == NULL)
        return NULL;
    srv->base = base;
    srv->limits = *limits;
    srv->decide = decide;
    srv->ctx = ctx;
    srv->accept_pause = evtimer_new(base, on_accept_pause_end, srv);
    if (srv->accept_pause == NULL) {
        free(srv);
        return NULL;
    }
    return srv;
}

static evutil_socket_t unix_listen(const struct endpoint *ep, int mode,
                                   const char *group, unsigned uid,
                                   unsigned gid, char *err, size_t errlen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    evutil_socket_t fd;

    if (daemon_socket_in_use(ep->path)) {
        snprintf(err, errlen,
                 "socket %s is in use by another process; stop it or "
                 "choose another policy.socket",
                 ep->path);
        return -1;
    }
    if (unlink(ep->path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove stale socket %s: %s", ep->path,
                 strerror(errno));
        return -1;
    }
    strcpy(sun.sun_path, ep->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
        listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", ep->path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (daemon_socket_access(ep->path, (uid_t)uid, (gid_t)gid, group, mode, err,
                             errlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static evutil_socket_t inet_listen(const struct endpoint *ep, char *err,
                                   size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[8];
    evutil_socket_t fd = -1;
    int one = 1;
    int rc;

    snprintf(port, sizeof(port), "%d", ep->port);
    rc = getaddrinfo(ep->host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen,
                 "invalid listen address %s: %s; give an IP address, not a "
                 "name",
                 ep->host, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s port %d: %s", ep->host,
                 ep->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

int server_listen(struct server *srv, const struct endpoint *ep, int mode,
                  const char *group, unsigned uid, unsigned gid, char *err,
                  size_t errlen)
{
    evutil_socket_t fd;
    struct evconnlistener *l;

    if (srv->listener_count == LISTENERS_MAX) {
        snprintf(err, errlen, "at most %d policy sockets", LISTENERS_MAX);
        return -1;
    }
    fd = ep->kind == ENDPOINT_UNIX
             ? unix_listen(ep, mode, group, uid, gid, err, errlen)
             : inet_listen(ep, err, errlen);
    if (fd < 0)
        return -1;
    l = evconnlistener_new(srv->base, on_accept, srv,
                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
                           fd);
    if (l == NULL) {
        close(fd);
        snprintf(err, errlen, "cannot watch the policy socket");
        return -1;
    }
    evconnlistener_set_error_cb(l, on_accept_error);
    srv->listeners[srv->listener_count++] = l;
    return 0;
}

void server_free(struct server *srv)
{
    if (srv == NULL)
        return;
    for (size_t i = 0; i < srv->listener_count; i++)
        evconnlistener_free(srv->listeners[i]);
    if (srv->accept_pause != NULL)
        event_free(srv->accept_pause);
    free(srv);
}

char *slot_last_instance(struct slot *slot, size_t *len)
{
    *len = sizeof(slot->conn->last_instance);
    return slot->conn->last_instance;
}

size_t server_connections(const struct server *srv)
{
    return srv->connections;
}
