/*
 * protocol.h - the Postfix SMTPD access policy delegation protocol
 *
 * A request is "name=value" lines ended by an empty line; the reply is one
 * "action=..." line and an empty line.  Unknown attributes are ignored.
 * When an attribute repeats, its first value counts, except
 * rampart_recipient, which lists one accepted recipient per line.
 */
#ifndef RAMPART_POLICY_PROTOCOL_H
#define RAMPART_POLICY_PROTOCOL_H

#include <stddef.h>

/* Longest line and request accepted; longer input closes the connection. */
#define POLICY_LINE_MAX       4096
#define POLICY_REQUEST_MAX    32768
#define POLICY_RECIPIENTS_MAX 1000 /* rampart_recipient lines per request */

enum policy_state {
    POLICY_STATE_OTHER, /* CONNECT, HELO, MAIL, VRFY, ETRN, DATA... */
    POLICY_STATE_RCPT,
    POLICY_STATE_END_OF_MESSAGE
};

/* One parsed request.  The strings point into "text", which it owns. */
struct policy_request {
    char *text;
    enum policy_state state;
    const char *request; /* must be "smtpd_access_policy" */
    const char *protocol_state;
    const char *instance; /* "" when absent */
    const char *queue_id;
    const char *sender;
    const char *recipient;
    const char *client_address;
    const char *server_address; /* Postfix 3.2 and later */
    const char *sasl_username;
    long recipient_count;    /* -1 when absent */
    const char **recipients; /* rampart_recipient values */
    size_t recipient_list_count;
    int repeated; /* attributes seen more than once */
};

/*
 * Parse one request from "text" (without the final empty line) of "len"
 * bytes.  Returns 0, or -1 with the reason in "err" for a malformed
 * request (a line without "=", a missing or unknown "request", a bad
 * recipient_count).
 */
int policy_request_parse(const char *text, size_t len,
                         struct policy_request *out, char *err, size_t errlen);

void policy_request_free(struct policy_request *req);

#endif
