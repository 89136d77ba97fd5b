/*
 * protocol.c - the Postfix SMTPD access policy delegation protocol
 */
#include "protocol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Attributes rampart reads; each points at its field of the request. */
static const char **field_of(struct policy_request *req, const char *name)
{
    static const struct {
        const char *name;
        size_t offset;
    } fields[] = {
        {"request", offsetof(struct policy_request, request)},
        {"protocol_state", offsetof(struct policy_request, protocol_state)},
        {"instance", offsetof(struct policy_request, instance)},
        {"queue_id", offsetof(struct policy_request, queue_id)},
        {"sender", offsetof(struct policy_request, sender)},
        {"recipient", offsetof(struct policy_request, recipient)},
        {"client_address", offsetof(struct policy_request, client_address)},
        {"server_address", offsetof(struct policy_request, server_address)},
        {"sasl_username", offsetof(struct policy_request, sasl_username)},
    };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strcmp(fields[i].name, name) == 0)
            return (const char **)((char *)req + fields[i].offset);
    return NULL;
}

static int add_recipient(struct policy_request *req, const char *value,
                         char *err, size_t errlen)
{
    const char **grown;

    if (req->recipient_list_count == POLICY_RECIPIENTS_MAX) {
        snprintf(err, errlen, "more than %d rampart_recipient lines",
                 POLICY_RECIPIENTS_MAX);
        return -1;
    }
    if ((req->recipient_list_count & (req->recipient_list_count - 1)) == 0) {
        size_t size =
            req->recipient_list_count ? req->recipient_list_count * 2 : 4;

        grown = realloc(req->recipients, size * sizeof(*grown));
        if (grown == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        req->recipients = grown;
    }
    req->recipients[req->recipient_list_count++] = value;
    return 0;
}

/* Store one "name=value" line; "line" is writable and NUL-terminated. */
static int parse_line(struct policy_request *req, char *line, char *err,
                      size_t errlen)
{
    char *eq = strchr(line, '=');
    const char **field;

    if (eq == NULL || eq == line) {
        snprintf(err, errlen, "line \"%.60s\" is not name=value", line);
        return -1;
    }
    *eq = '\0';
    if (strcmp(line, "rampart_recipient") == 0)
        return add_recipient(req, eq + 1, err, errlen);
    if (strcmp(line, "recipient_count") == 0) {
        char *end;

        if (req->recipient_count >= 0) {
            req->repeated++;
            return 0;
        }
        errno = 0;
        req->recipient_count = strtol(eq + 1, &end, 10);
        if (eq[1] == '\0' || *end != '\0' || errno != 0 ||
            req->recipient_count < 0) {
            snprintf(err, errlen, "invalid recipient_count \"%.20s\"", eq + 1);
            return -1;
        }
        return 0;
    }
    field = field_of(req, line);
    if (field == NULL)
        return 0; /* unknown attributes are ignored */
    if (*field != NULL) {
        req->repeated++;
        return 0;
    }
    *field = eq + 1;
    return 0;
}

static enum policy_state state_of(const char *state)
{
    if (state == NULL)
        return POLICY_STATE_OTHER;
    if (strcmp(state, "RCPT") == 0)
        return POLICY_STATE_RCPT;
    if (strcmp(state, "END-OF-MESSAGE") == 0)
        return POLICY_STATE_END_OF_MESSAGE;
    return POLICY_STATE_OTHER;
}

int policy_request_parse(const char *text, size_t len,
                         struct policy_request *out, char *err, size_t errlen)
{
    char *line;
    char *next;

    memset(out, 0, sizeof(*out));
    out->recipient_count = -1;
    out->text = malloc(len + 1);
    if (out->text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(out->text, text, len);
    out->text[len] = '\0';
    if (memchr(out->text, '\0', len) != NULL) {
        snprintf(err, errlen, "request contains a NUL byte");
        goto fail;
    }
    for (line = out->text; line != NULL && *line != '\0'; line = next) {
        size_t n;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        n = strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        if (parse_line(out, line, err, errlen) != 0)
            goto fail;
    }
    if (out->request == NULL) {
        snprintf(err, errlen, "request attribute missing");
        goto fail;
    }
    if (strcmp(out->request, "smtpd_access_policy") != 0) {
        snprintf(err, errlen, "unknown request \"%.40s\"", out->request);
        goto fail;
    }
    if (out->instance == NULL)
        out->instance = "";
    out->state = state_of(out->protocol_state);
    return 0;

fail:
    policy_request_free(out);
    return -1;
}

void policy_request_free(struct policy_request *req)
{
    free(req->text);
    free(req->recipients);
    req->text = NULL;
    req->recipients = NULL;
}
