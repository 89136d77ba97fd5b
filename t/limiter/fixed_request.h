/*
 * fixed_request.h - decision requests with fixed caps, for tests that call
 * store_limit() directly
 *
 * The requests name the source 192.0.2.1 with prefix "t", a ramp state
 * with a fixed daily cap of 1000000 (so the state never limits), and a
 * day that spans 12 hours either side of the time of the call.
 */
#ifndef RAMPART_TEST_FIXED_REQUEST_H
#define RAMPART_TEST_FIXED_REQUEST_H

#include "limiter.h"

/*
 * Fill "req" for one message of "recipients" recipients in "mode" with a
 * single limit: "cap" recipients on the counter "key", whose window is
 * the hour either side of now.
 */
void fixed_request(struct limiter_request *req, const char *key, long cap,
                   enum limiter_mode mode, long recipients);

/* Add a limit of "cap" recipients on "key", with the first limit's window. */
void fixed_request_add(struct limiter_request *req, const char *key, long cap);

/* Set the recipients that the message adds to every limit. */
void fixed_request_recipients(struct limiter_request *req, long recipients);

#endif
