/*
 * test_config.c - config_load(): every key, the defaults, and each error
 *
 * The fixtures valid.conf, minimal.conf and several_errors.conf live in
 * t/unit/conf/.  The error cases are written to a temp dir, one file each,
 * so that each error's line number is visible in the table below.
 */
#include "check_main.h"
#include "config.h"
#include "test_files.h"

#include <stdio.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

/* One valid source and one route, for cases that need them. */
#define SOURCES                                                                \
    "sources = ( { address = \"203.0.113.10\"; daily_cap = 1; } );\n"
#define ROUTES "routes = ( { source = \"203.0.113.10\"; } );\n"

/* One file with errors and what its error text must contain. */
struct error_case {
    const char *name;  /* file name and case name */
    const char *text;  /* "@DIR@" stands for the temp dir */
    int line;          /* line of the error, or 0 when it has none */
    const char *key;   /* dotted key path, or NULL */
    const char *value; /* the bad value as the message quotes it, or NULL */
    const char *hint;  /* what to do, or the problem text that says it */
};

static const struct error_case error_cases[] = {
    {"integer_wider_than_32_bits",
     "# 9999999999 in a comment is fine\n"
     "sources = ( { address = \"203.0.113.10\"; daily_cap = 5000000000; } "
     ");\n" ROUTES,
     2, NULL, "integer 5000000000 does not fit in 32 bits",
     "write it with an L suffix (5000000000L)"},
    {"syntax_error", "timezone = \"UTC\";\ncount = ;\n" SOURCES ROUTES, 2, NULL,
     NULL, "syntax error"},
    {"unknown_key_top", "timezon = \"UTC\";\n" SOURCES ROUTES, 1, "timezon",
     NULL, "unknown key; check its spelling against rampart.conf(5)"},
    {"unknown_key_redis",
     "redis = {\n    adress = \"127.0.0.1:6379\";\n};\n" SOURCES ROUTES, 2,
     "redis.adress", NULL, "unknown key"},
    {"unknown_key_schedule",
     "schedules = {\n    s = {\n        per_day = 10;\n        per_dya = 10;\n"
     "    };\n};\n" SOURCES ROUTES,
     4, "schedules.s.per_dya", NULL, "unknown key"},
    {"unknown_key_source",
     "sources = ( { address = \"203.0.113.10\";\n"
     "    daily_cap = 1; dailycap = 5; } );\n" ROUTES,
     2, "sources[0].dailycap", NULL, "unknown key"},
    {"wrong_type_integer",
     "redis = {\n    timeout_ms = \"250\";\n};\n" SOURCES ROUTES, 2,
     "redis.timeout_ms", "found a string \"250\"", "expected an integer"},
    {"wrong_type_string", "timezone = 1;\n" SOURCES ROUTES, 1, "timezone",
     "found an integer 1", "expected a string in double quotes"},
    {"wrong_type_group", "redis = \"127.0.0.1\";\n" SOURCES ROUTES, 1, "redis",
     "found a string \"127.0.0.1\"", "expected a group { ... }"},
    {"wrong_type_bool",
     "milter = { allow_remote = \"yes\"; };\n" SOURCES ROUTES, 1,
     "milter.allow_remote", "found a string \"yes\"", "expected true or false"},
    {"wrong_type_cap_table",
     "schedules = { w = { per_day_by_week = \"100\"; }; };\n" SOURCES ROUTES, 1,
     "schedules.w.per_day_by_week", "found a string \"100\"",
     "expected an array of caps"},
    {"wrong_type_factor",
     "schedules = { d = { start = 5; factor = true; target = 10; }; "
     "};\n" SOURCES ROUTES,
     1, "schedules.d.factor", "found true", "expected a number"},
    {"wrong_type_sources", "sources = 5;\nroutes = ();\n", 1, "sources",
     "found an integer 5", "expected a list ( { ... }, ... )"},
    {"timeout_ms_zero", "redis = { timeout_ms = 0; };\n" SOURCES ROUTES, 1,
     "redis.timeout_ms", "invalid value 0", "must be from 1 to 60000"},
    {"timeout_ms_too_high", SOURCES "redis = { timeout_ms = 60001; };\n" ROUTES,
     2, "redis.timeout_ms", "invalid value 60001", "must be from 1 to 60000"},
    {"redis_address_no_port",
     "redis = { address = \"redis.example\"; };\n" SOURCES ROUTES, 1,
     "redis.address", "\"redis.example\"", "use \"unix:/path\""},
    {"redis_address_relative",
     "redis = {\n    address = \"unix:redis.sock\";\n};\n" SOURCES ROUTES, 2,
     "redis.address", "\"redis.sock\"", "needs an absolute path"},
    {"redis_prefix_invalid", "redis = { prefix = \"a b\"; };\n" SOURCES ROUTES,
     1, "redis.prefix", "\"a b\"", "use 1 to 64 letters, digits"},
    {"redis_username_alone",
     "redis = { username = \"rampart\"; };\n" SOURCES ROUTES, 1,
     "redis.username", NULL, "needs password_file as well"},
    {"password_file_missing",
     "redis = {\n    password_file = \"@DIR@/missing.password\";\n};\n" SOURCES
         ROUTES,
     2, "redis.password_file", "@DIR@/missing.password",
     "create it (mode 0640, readable by the rampart user) or remove the key"},
    {"password_file_empty",
     "redis = {\n    password_file = \"@DIR@/empty.password\";\n};\n" SOURCES
         ROUTES,
     2, "redis.password_file", "@DIR@/empty.password",
     "put the Redis password on its first line"},
    {"timezone_unknown",
     "\n\ntimezone = \"Mars/Olympus_Mons\";\n" SOURCES ROUTES, 3, "timezone",
     "\"Mars/Olympus_Mons\"", "install tzdata or use an IANA name"},
    {"timezone_path", "timezone = \"../../etc/passwd\";\n" SOURCES ROUTES, 1,
     "timezone", "\"../../etc/passwd\"", "use an IANA name"},
    {"count_invalid", "count = \"recipient\";\n" SOURCES ROUTES, 1, "count",
     "\"recipient\"", "must be \"recipients\" or \"messages\""},
    {"on_store_error_invalid", "on_store_error = \"ignore\";\n" SOURCES ROUTES,
     1, "on_store_error", "\"ignore\"", "must be \"tempfail\" or \"accept\""},
    {"log_level_invalid", "log_level = \"trace\";\n" SOURCES ROUTES, 1,
     "log_level", "\"trace\"", "must be \"info\" or \"debug\""},
    {"syslog_facility_invalid",
     "syslog_facility = \"local8\";\n" SOURCES ROUTES, 1, "syslog_facility",
     "\"local8\"", "\"local0\" to \"local7\""},
    {"daily_ramp_shrinks",
     "schedules = {\n    s = { per_day = [100, 200,\n        50]; "
     "};\n};\n" SOURCES ROUTES,
     3, "schedules.s.per_day[2]", "from 200 to 50", "caps must never decrease"},
    {"weekly_ramp_shrinks",
     "schedules = {\n    w = { per_day_by_week = [2000, 1000]; };\n};\n" SOURCES
         ROUTES,
     2, "schedules.w.per_day_by_week[1]", "from 2000 to 1000",
     "caps must never decrease"},
    {"daily_cap_zero",
     "schedules = {\n    s = { per_day = [0, 10]; };\n};\n" SOURCES ROUTES, 2,
     "schedules.s.per_day[0]", "invalid value 0",
     "must be from 1 to 1000000000000"},
    {"weekly_above_target",
     "schedules = {\n    w = { per_day_by_week = [100, 2000];\n"
     "          target = 1000; };\n};\n" SOURCES ROUTES,
     3, "schedules.w.target", "target 1000 is below the last weekly cap 2000",
     "raise target or lower per_day_by_week"},
    {"weekly_growth_no_target",
     "schedules = {\n    w = { per_day_by_week = [100];\n"
     "          then_add_per_week = 50; };\n};\n" SOURCES ROUTES,
     2, "schedules.w", "missing key \"target\"",
     "needs the cap where it stops"},
    {"doubling_factor_one",
     "schedules = {\n    doubling = {\n        start = 50;\n"
     "        factor = 1.0;\n        target = 1000;\n    };\n};\n" SOURCES
         ROUTES,
     4, "schedules.doubling.factor", "invalid value 1",
     "must be greater than 1.0 and at most 100"},
    {"doubling_factor_below_one",
     "schedules = {\n    d = { start = 50; factor = 0.5; target = 1000; };\n"
     "};\n" SOURCES ROUTES,
     2, "schedules.d.factor", "invalid value 0.5", "must be greater than 1.0"},
    {"doubling_start_above_target",
     "schedules = {\n    d = { start = 5000; factor = 2.0;\n"
     "          target = 1000; };\n};\n" SOURCES ROUTES,
     3, "schedules.d.target", "target 1000 is below start 5000",
     "the ramp would exceed its target on day 1"},
    {"doubling_no_target",
     "schedules = {\n    d = { start = 5; factor = 2.0; };\n};\n" SOURCES
         ROUTES,
     2, "schedules.d", "missing key \"target\"",
     "a doubling schedule needs the cap where it stops"},
    {"schedule_two_forms",
     "schedules = {\n    s = { per_day_by_week = [100];\n"
     "          per_day = 50; };\n};\n" SOURCES ROUTES,
     3, "schedules.s.per_day", NULL,
     "key does not apply to a weekly (per_day_by_week) schedule"},
    {"schedule_no_form",
     "schedules = {\n    s = { target = 10; };\n};\n" SOURCES ROUTES, 2,
     "schedules.s", NULL,
     "give per_day (a cap or an array of daily caps), per_day_by_week, or "
     "start and factor"},
    {"source_schedule_and_cap",
     "schedules = { s = { per_day = 10; }; };\n"
     "sources = ( { address = \"203.0.113.10\"; schedule = \"s\";\n"
     "    start = \"2026-12-01\";\n    daily_cap = 100; } );\n" ROUTES,
     4, "sources[0].daily_cap", NULL,
     "a source has either a schedule or a daily_cap, not both"},
    {"source_neither",
     "sources = (\n    { address = \"203.0.113.10\"; }\n);\n" ROUTES, 2,
     "sources[0]", NULL,
     "give either schedule (with start) for a warming IP or daily_cap for a "
     "warm one"},
    {"source_bad_start",
     "schedules = { s = { per_day = 10; }; };\n"
     "sources = ( { address = \"203.0.113.10\"; schedule = \"s\";\n"
     "    start = \"2026-02-29\"; } );\n" ROUTES,
     3, "sources[0].start", "\"2026-02-29\"", "use YYYY-MM-DD"},
    {"source_no_start",
     "schedules = { s = { per_day = 10; }; };\n"
     "sources = ( { address = \"203.0.113.10\"; schedule = \"s\"; } "
     ");\n" ROUTES,
     2, "sources[0]", "missing key \"start\"", "e.g. start = \"2026-12-01\""},
    {"source_start_without_schedule",
     "sources = ( { address = \"203.0.113.10\"; daily_cap = 5;\n"
     "    start = \"2026-12-01\"; } );\n" ROUTES,
     2, "sources[0].start", NULL,
     "start applies only to a source with a schedule"},
    {"source_unknown_schedule",
     "schedules = { slow = { per_day = 10; }; };\n"
     "sources = ( { address = \"203.0.113.10\";\n    schedule = \"fast\";\n"
     "    start = \"2026-12-01\"; } );\n" ROUTES,
     3, "sources[0].schedule", "\"fast\"",
     "no schedule named \"fast\" in the schedules group"},
    {"source_bad_address",
     "sources = ( { address = \"203.0.113.300\"; daily_cap = 5; },\n"
     "    { address = \"203.0.113.10\"; daily_cap = 5; } );\n" ROUTES,
     1, "sources[0].address", "\"203.0.113.300\"",
     "use an IPv4 or IPv6 address"},
    {"source_duplicate_ipv4",
     "sources = (\n    { address = \"203.0.113.10\"; daily_cap = 1; },\n"
     "    { address = \"203.0.113.10\"; daily_cap = 2; }\n);\n" ROUTES,
     3, "sources[1]", "source 203.0.113.10", "is already defined at line 2"},
    {"source_duplicate_ipv6",
     "sources = (\n    { address = \"2001:db8::10\"; daily_cap = 1; },\n"
     "    { address = \"[2001:DB8:0:0::0:10]\"; daily_cap = 2; }\n);\n"
     "routes = ( { source = \"2001:db8::10\"; } );\n",
     3, "sources[1]", "source 2001:db8::10", "is already defined at line 2"},
    {"sources_missing", "routes = ();\n", 0, NULL, "missing key \"sources\"",
     "list the sending IPs"},
    {"route_unknown_source",
     SOURCES "routes = (\n    { source = \"198.51.100.7\"; }\n);\n", 3,
     "routes[0].source", "source 198.51.100.7",
     "is not in the sources list; add it there with a schedule or "
     "daily_cap"},
    {"route_after_catch_all",
     SOURCES "routes = (\n    { source = \"203.0.113.10\"; },\n"
             "    { sasl_user = \"alice\"; source = \"203.0.113.10\"; }\n);\n",
     4, "routes[1]", "the route at line 3 has no conditions", "move it last"},
    {"route_bad_cidr_v4",
     SOURCES "routes = (\n    { client_addr = \"192.0.2.0/33\";\n"
             "      source = \"203.0.113.10\"; }\n);\n",
     3, "routes[0].client_addr", "\"192.0.2.0/33\"",
     "use an address or CIDR such as \"192.0.2.0/24\""},
    {"route_bad_cidr_v6",
     SOURCES "routes = ( { client_addr = \"2001:db8::/129\";\n"
             "      source = \"203.0.113.10\"; } );\n",
     2, "routes[0].client_addr", "\"2001:db8::/129\"",
     "use an address or CIDR"},
    {"route_cidr_empty_prefix",
     SOURCES "routes = ( { client_addr = \"192.0.2.0/\";\n"
             "      source = \"203.0.113.10\"; } );\n",
     2, "routes[0].client_addr", "\"192.0.2.0/\"", "use an address or CIDR"},
    {"route_cidr_not_address",
     SOURCES "routes = ( { client_addr = \"mail.example/24\";\n"
             "      source = \"203.0.113.10\"; } );\n",
     2, "routes[0].client_addr", "\"mail.example/24\"",
     "use an address or CIDR"},
    {"route_bad_daemon_addr",
     SOURCES "routes = ( { daemon_addr = \"192.0.2\";\n"
             "      source = \"203.0.113.10\"; } );\n",
     2, "routes[0].daemon_addr", "\"192.0.2\"",
     "give the address the MTA received the message on"},
    {"route_bad_sender_domain",
     SOURCES "routes = ( { sender_domain = \"exa mple.com\";\n"
             "      source = \"203.0.113.10\"; } );\n",
     2, "routes[0].sender_domain", "\"exa mple.com\"",
     "\".example.com\" for its subdomains"},
    {"route_sender_domain_empty_label",
     SOURCES "routes = ( { sender_domain = \"..example.com\";\n"
             "      source = \"203.0.113.10\"; } );\n",
     2, "routes[0].sender_domain", "\"..example.com\"",
     "\".example.com\" for its subdomains"},
    {"routes_missing", SOURCES, 0, NULL, "missing key \"routes\"",
     "map messages to sources"},
    {"milter_remote_socket",
     "milter = {\n    socket = \"inet:192.0.2.1:8890\";\n};\n" SOURCES ROUTES,
     2, "milter.socket", "\"inet:192.0.2.1:8890\"",
     "set allow_remote = true to accept milter connections from other hosts"},
    {"milter_wildcard_socket",
     "milter = { socket = \"inet:8890@0.0.0.0\"; };\n" SOURCES ROUTES, 1,
     "milter.socket", "\"inet:8890@0.0.0.0\"", "is not a loopback address"},
    {"milter_socket_mode",
     "milter = { socket_mode = \"0999\"; };\n" SOURCES ROUTES, 1,
     "milter.socket_mode", "\"0999\"", "use an octal string such as"},
    {"milter_header_invalid",
     "milter = { header = \"X Source:\"; };\n" SOURCES ROUTES, 1,
     "milter.header", "\"X Source:\"",
     "use printable ASCII without spaces or ':'"},
    {"ramp_min_use_above_one",
     "ramp = {\n    advance_min_use = 1.5;\n};\n" SOURCES ROUTES, 2,
     "ramp.advance_min_use", "invalid value 1.5",
     "a fraction from 0 to 1 (0.1 is 10 %)"},
    {"ramp_bounce_rate_negative",
     "ramp = { max_bounce_rate = -0.1; };\n" SOURCES ROUTES, 1,
     "ramp.max_bounce_rate", "invalid value -0.1", "a fraction from 0 to 1"},
    {"ramp_complaint_rate_text",
     "ramp = { max_complaint_rate = \"0.1%\"; };\n" SOURCES ROUTES, 1,
     "ramp.max_complaint_rate", "found a string \"0.1%\"", "expected a number"},
    {"ramp_on_block_invalid",
     "ramp = { on_block = \"stop\"; };\n" SOURCES ROUTES, 1, "ramp.on_block",
     "\"stop\"", "must be \"step_down\" or \"hold\" or \"pause\""},
    {"ramp_step_down_zero", "ramp = { block_step_down = 0; };\n" SOURCES ROUTES,
     1, "ramp.block_step_down", "invalid value 0", "must be from 1 to 1000"},
    {"ramp_pause_hours_negative",
     "ramp = { block_pause_hours = -1; };\n" SOURCES ROUTES, 1,
     "ramp.block_pause_hours", "invalid value -1", "must be from 0 to 8784"},
    {"ramp_history_zero", "ramp = { history = 0; };\n" SOURCES ROUTES, 1,
     "ramp.history", "invalid value 0", "must be from 1 to 100000"},
    {"ramp_unknown_key", "ramp = {\n    max_bounce = 0.1;\n};\n" SOURCES ROUTES,
     2, "ramp.max_bounce", NULL, "unknown key"},
    {"ramp_not_group", "ramp = 0.8;\n" SOURCES ROUTES, 1, "ramp",
     "found a number 0.8", "expected a group { ... }"},
    {"send_hours_short_hour",
     "pacing = { send_hours = \"8:00-20:00\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"8:00-20:00\"",
     "use \"HH:MM-HH:MM\" in local time"},
    {"send_hours_reversed",
     "pacing = { send_hours = \"20:00-08:00\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"20:00-08:00\"", "with the start before the end"},
    {"send_hours_empty_window",
     "pacing = { send_hours = \"08:00-08:00\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"08:00-08:00\"", "with the start before the end"},
    {"send_hours_past_midnight",
     "pacing = { send_hours = \"08:00-24:30\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"08:00-24:30\"", "\"00:00-24:00\""},
    {"send_hours_minute_60",
     "pacing = { send_hours = \"08:60-20:00\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"08:60-20:00\"", "use \"HH:MM-HH:MM\""},
    {"send_hours_sign",
     "pacing = { send_hours = \"+8:00-20:00\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"+8:00-20:00\"", "use \"HH:MM-HH:MM\""},
    {"send_hours_separator",
     "pacing = { send_hours = \"08:00/20:00\"; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "\"08:00/20:00\"", "use \"HH:MM-HH:MM\""},
    {"send_hours_number", "pacing = { send_hours = 8; };\n" SOURCES ROUTES, 1,
     "pacing.send_hours", "found an integer 8",
     "expected a string in double quotes"},
    {"pacing_burst_negative", "pacing = { burst = -1; };\n" SOURCES ROUTES, 1,
     "pacing.burst", "invalid value -1", "must be from 0 to 1000000000000"},
    {"pacing_per_hour_negative",
     "pacing = { per_hour = -5; };\n" SOURCES ROUTES, 1, "pacing.per_hour",
     "invalid value -5", "must be from 0"},
    {"pacing_weekdays_text",
     "pacing = { weekdays_only = \"yes\"; };\n" SOURCES ROUTES, 1,
     "pacing.weekdays_only", "found a string \"yes\"",
     "expected true or false"},
    {"pacing_unknown_key", "pacing = {\n    per_day = 5;\n};\n" SOURCES ROUTES,
     2, "pacing.per_day", NULL, "unknown key"},
    {"source_send_hours",
     "sources = ( { address = \"203.0.113.10\"; daily_cap = 1;\n"
     "    pacing = { send_hours = \"08:00-20\"; }; } );\n" ROUTES,
     2, "sources[0].pacing.send_hours", "\"08:00-20\"", "use \"HH:MM-HH:MM\""},
    {"source_pacing_unknown_key",
     "sources = ( { address = \"203.0.113.10\"; daily_cap = 1;\n"
     "    pacing = { hours = \"08:00-20:00\"; }; } );\n" ROUTES,
     2, "sources[0].pacing.hours", NULL, "unknown key"},
    {"source_pacing_not_group",
     "sources = ( { address = \"203.0.113.10\"; daily_cap = 1;\n"
     "    pacing = true; } );\n" ROUTES,
     2, "sources[0].pacing", "found true", "expected a group { ... }"},
    {"source_step_zero",
     "schedules = { s = { per_day = 10; }; };\n"
     "sources = ( { address = \"203.0.113.10\"; schedule = \"s\";\n"
     "    start = \"2026-12-01\"; step = 0; } );\n" ROUTES,
     3, "sources[0].step", "invalid value 0", "must be from 1 to 100000"},
    {"source_step_text",
     "schedules = { s = { per_day = 10; }; };\n"
     "sources = ( { address = \"203.0.113.10\"; schedule = \"s\";\n"
     "    start = \"2026-12-01\"; step = \"2\"; } );\n" ROUTES,
     3, "sources[0].step", "found a string \"2\"", "expected an integer"},
    {"source_step_fixed_cap",
     "sources = ( { address = \"203.0.113.10\"; daily_cap = 5;\n"
     "    step = 2; } );\n" ROUTES,
     2, "sources[0].step", NULL,
     "step applies only to a source with a schedule"},
    {"provider_name_default",
     SOURCES ROUTES "providers = (\n    { name = \"default\";\n"
                    "      domains = [\"example.net\"]; }\n);\n",
     4, "providers[0].name", "\"default\"",
     "\"default\" (the domains no provider lists) and \"log\" are reserved"},
    {"provider_name_log",
     SOURCES ROUTES "providers = ( { name = \"log\"; domains = "
                    "[\"example.net\"]; } );\n",
     3, "providers[0].name", "\"log\"", "are reserved"},
    {"provider_name_uppercase",
     SOURCES ROUTES "providers = ( { name = \"Gmail\"; domains = "
                    "[\"gmail.com\"]; } );\n",
     3, "providers[0].name", "\"Gmail\"",
     "use 1 to 32 lowercase letters, digits, '_' or '-'"},
    {"provider_name_too_long",
     SOURCES ROUTES "providers = ( { name = "
                    "\"abcdefghijklmnopqrstuvwxyz0123456\"; domains = "
                    "[\"gmail.com\"]; } );\n",
     3, "providers[0].name", "\"abcdefghijklmnopqrstuvwxyz0123456\"",
     "use 1 to 32"},
    {"provider_duplicate",
     SOURCES ROUTES
     "providers = (\n"
     "    { name = \"gmail\"; domains = [\"gmail.com\"]; },\n"
     "    { name = \"gmail\"; domains = [\"googlemail.com\"]; }\n"
     ");\n",
     5, "providers[1]", "provider gmail", "is already defined at line 4"},
    {"provider_missing_name",
     SOURCES ROUTES "providers = ( { domains = [\"gmail.com\"]; } );\n", 3,
     "providers[0]", "missing key \"name\"", "each provider has a name"},
    {"provider_no_domains",
     SOURCES ROUTES "providers = ( { name = \"gmail\"; } );\n", 3,
     "providers[0]", NULL, "a provider lists at least one of its domains or suffixes"},
    {"provider_domain_shared",
     SOURCES ROUTES
     "providers = (\n"
     "    { name = \"gmail\"; domains = [\"gmail.com\"]; },\n"
     "    { name = \"google\"; domains = [\"gmail.com\"]; }\n);\n",
     5, "providers[1]", "gmail.com", "is listed by provider gmail as well"},
    {"provider_suffix_without_dot",
     SOURCES ROUTES "providers = ( { name = \"yahoo\";\n"
                    "    suffixes = [\"yahoo.com\"]; } );\n",
     4, "providers[0].suffixes[0]", "\"yahoo.com\"",
     "use a dot and a domain, e.g. \".yahoo.com\""},
    {"provider_bad_domain",
     SOURCES ROUTES "providers = ( { name = \"yahoo\";\n"
                    "    domains = [\"ya hoo.com\"]; } );\n",
     4, "providers[0].domains[0]", "\"ya hoo.com\"", "invalid domain"},
    {"providers_not_list", SOURCES ROUTES "providers = { gmail = 1; };\n", 3,
     "providers", NULL, "expected a list ( { ... }, ... )"},
    {"provider_ramp_unknown",
     SOURCES ROUTES "providers = ( { name = \"gmail\"; domains = "
                    "[\"gmail.com\"]; } );\n"
                    "provider_ramps = (\n"
                    "    { provider = \"yahoo\"; share = 0.5; }\n);\n",
     5, "provider_ramps[0].provider", "no provider named \"yahoo\"",
     "in the providers list"},
    {"provider_ramp_share_zero",
     SOURCES ROUTES "provider_ramps = (\n"
                    "    { provider = \"default\"; share = 0.0; }\n);\n",
     4, "provider_ramps[0].share", "invalid value 0",
     "a fraction greater than 0 and at most 1"},
    {"provider_ramp_share_above_one",
     SOURCES ROUTES "provider_ramps = (\n"
                    "    { provider = \"default\"; share = 1.2; }\n);\n",
     4, "provider_ramps[0].share", "invalid value 1.2",
     "a fraction greater than 0 and at most 1"},
    {"provider_ramp_no_share",
     SOURCES ROUTES "provider_ramps = ( { provider = \"default\"; } );\n", 3,
     "provider_ramps[0]", "missing key \"share\"", "e.g. share = 0.4"},
    {"provider_ramp_duplicate",
     SOURCES ROUTES "provider_ramps = (\n"
                    "    { provider = \"default\"; share = 0.5; },\n"
                    "    { provider = \"default\"; share = 0.3; }\n);\n",
     5, "provider_ramps[1]", "provider default",
     "already has a ramp at line 4"},
    {"provider_ramps_too_many",
     SOURCES ROUTES "providers = (\n"
                    "    { name = \"p1\"; domains = [\"p1.example\"]; },\n"
                    "    { name = \"p2\"; domains = [\"p2.example\"]; },\n"
                    "    { name = \"p3\"; domains = [\"p3.example\"]; },\n"
                    "    { name = \"p4\"; domains = [\"p4.example\"]; },\n"
                    "    { name = \"p5\"; domains = [\"p5.example\"]; },\n"
                    "    { name = \"p6\"; domains = [\"p6.example\"]; },\n"
                    "    { name = \"p7\"; domains = [\"p7.example\"]; },\n"
                    "    { name = \"p8\"; domains = [\"p8.example\"]; }\n);\n"
                    "provider_ramps = (\n"
                    "    { provider = \"p1\"; share = 0.1; },\n"
                    "    { provider = \"p2\"; share = 0.1; },\n"
                    "    { provider = \"p3\"; share = 0.1; },\n"
                    "    { provider = \"p4\"; share = 0.1; },\n"
                    "    { provider = \"p5\"; share = 0.1; },\n"
                    "    { provider = \"p6\"; share = 0.1; },\n"
                    "    { provider = \"p7\"; share = 0.1; },\n"
                    "    { provider = \"p8\"; share = 0.1; },\n"
                    "    { provider = \"default\"; share = 0.2; }\n);\n",
     13, "provider_ramps", NULL, "at most 8 provider ramps are supported"},
#ifdef RAMPART_TESTING
    {"test_clock_offset_range",
     "test_clock_offset = 400000000;\n" SOURCES ROUTES, 1, "test_clock_offset",
     "invalid value 400000000", "must be from -316224000 to 316224000"},
#else
    {"test_clock_offset_production",
     "test_clock_offset = 86400;\n" SOURCES ROUTES, 1, "test_clock_offset",
     NULL, "works only in test builds (cmake -DRAMPART_TESTING=ON)"},
#endif
};

#define ERROR_CASE_COUNT ((int)(sizeof(error_cases) / sizeof(error_cases[0])))

/* Copy "text" to "out" with every "@DIR@" replaced by "dir". */
static void expand(const char *text, const char *dir, char *out, size_t len)
{
    size_t used = 0;

    while (*text != '\0') {
        const char *piece = text;
        size_t piece_len = 1;

        if (strncmp(text, "@DIR@", 5) == 0) {
            piece = dir;
            piece_len = strlen(dir);
            text += 5;
        } else {
            text++;
        }
        ck_assert_msg(used + piece_len < len, "expanded text too long");
        memcpy(out + used, piece, piece_len);
        used += piece_len;
    }
    out[used] = '\0';
}

/* Load the case's file and fail unless its one error line matches. */
static void check_error_case(const struct error_case *c)
{
    char dir[256];
    char text[2048];
    char path[512];
    char want[1024];
    char *errors = NULL;
    struct rampart_config *cfg;

    tmpdir_make(dir, sizeof(dir));
    file_write(path, sizeof(path), dir, "empty.password", "");
    expand(c->text, dir, text, sizeof(text));
    file_write(path, sizeof(path), dir, c->name, text);

    cfg = config_load(path, &errors);
    ck_assert_msg(cfg == NULL, "%s: loaded, want an error", c->name);
    ck_assert_msg(errors != NULL, "%s: no error text", c->name);
    ck_assert_msg(count_lines(errors) == 1,
                  "%s: got %d error lines, want 1: %s", c->name,
                  count_lines(errors), errors);

    if (c->line > 0 && c->key != NULL)
        snprintf(want, sizeof(want), "%s:%d: %s: ", path, c->line, c->key);
    else if (c->line > 0)
        snprintf(want, sizeof(want), "%s:%d: ", path, c->line);
    else
        snprintf(want, sizeof(want), "%s: ", path);
    ck_assert_msg(strncmp(errors, want, strlen(want)) == 0,
                  "%s: got \"%s\", want it to start with \"%s\"", c->name,
                  errors, want);
    if (c->value != NULL) {
        expand(c->value, dir, want, sizeof(want));
        ck_assert_msg(strstr(errors, want) != NULL,
                      "%s: got \"%s\", want the value %s", c->name, errors,
                      want);
    }
    ck_assert_msg(strstr(errors, c->hint) != NULL,
                  "%s: got \"%s\", want the hint \"%s\"", c->name, errors,
                  c->hint);
    free(errors);
    tmpdir_remove(dir);
}

START_TEST(load_error_case)
{
    check_error_case(&error_cases[_i]);
}
END_TEST

/*
 * A domain that one provider lists twice is one error.
 */
START_TEST(provider_domain_twice)
{
    static const struct error_case c = {
        "provider_domain_twice",
        SOURCES ROUTES "providers = ( { name = \"gmail\";\n"
                       "    domains = [\"gmail.com\", \"GMAIL.com\"]; } );\n",
        3,
        "providers[0]",
        "gmail.com",
        "is listed twice"};

    check_error_case(&c);
}
END_TEST

START_TEST(several_errors_all_reported)
{
    const char *path = TEST_CONF_DIR "/several_errors.conf";
    char *errors = NULL;
    static const char *const wanted[] = {
        ":2: redis.timeout_ms: invalid value 0",
        ":3: count: invalid value \"mails\"",
        ":5: schedules.shrinking.per_day[1]: the ramp shrinks from 100 to 50",
        ":9: routes[0].source: source 192.0.2.99 is not in the sources list",
    };

    ck_assert_ptr_null(config_load(path, &errors));
    ck_assert_ptr_nonnull(errors);
    ck_assert_msg(count_lines(errors) == 4, "got %d error lines, want 4: %s",
                  count_lines(errors), errors);
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        char want[512];

        snprintf(want, sizeof(want), "%s%s", path, wanted[i]);
        assert_contains(errors, want);
    }
    free(errors);
}
END_TEST

START_TEST(missing_file)
{
    char dir[256];
    char path[300];
    char *errors = NULL;

    tmpdir_make(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/absent.conf", dir);
    ck_assert_ptr_null(config_load(path, &errors));
    ck_assert_ptr_nonnull(errors);
    assert_contains(errors, path);
    assert_contains(errors, "cannot read the file");
    free(errors);
    tmpdir_remove(dir);
}
END_TEST

/* A failed load may quote the password file's path but never its secret. */
START_TEST(errors_never_show_password)
{
    char dir[256];
    char secret[600];
    char password_path[512];
    char path[512];
    char text[1024];
    char *errors = NULL;

    tmpdir_make(dir, sizeof(dir));

    /* a valid password next to another error */
    file_write(password_path, sizeof(password_path), dir, "ok.password",
               "hunter2-secret\n");
    snprintf(text, sizeof(text),
             "redis = { password_file = \"%s\"; timeout_ms = -1; };\n" SOURCES
                 ROUTES,
             password_path);
    file_write(path, sizeof(path), dir, "other_error.conf", text);
    ck_assert_ptr_null(config_load(path, &errors));
    ck_assert_ptr_nonnull(errors);
    assert_contains(errors, "redis.timeout_ms");
    assert_lacks(errors, "hunter2");
    free(errors);

    /* a first line too long to be a password */
    memset(secret, 'S', sizeof(secret) - 1);
    memcpy(secret, "hunter2", 7);
    secret[sizeof(secret) - 1] = '\0';
    file_write(password_path, sizeof(password_path), dir, "long.password",
               secret);
    snprintf(text, sizeof(text),
             "redis = { password_file = \"%s\"; };\n" SOURCES ROUTES,
             password_path);
    file_write(path, sizeof(path), dir, "long_password.conf", text);
    errors = NULL;
    ck_assert_ptr_null(config_load(path, &errors));
    ck_assert_ptr_nonnull(errors);
    assert_contains(errors, "has a first line longer than 512 bytes");
    assert_lacks(errors, "hunter2");
    free(errors);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(minimal_defaults)
{
    char *errors = NULL;
    struct rampart_config *cfg =
        config_load(TEST_CONF_DIR "/minimal.conf", &errors);

    ck_assert_msg(cfg != NULL, "minimal.conf rejected: %s", errors);
    ck_assert_ptr_null(errors);
    ck_assert_str_eq(cfg->redis.address, "127.0.0.1:6379");
    ck_assert_int_eq(cfg->redis.endpoint.kind, ENDPOINT_INET);
    ck_assert_str_eq(cfg->redis.endpoint.host, "127.0.0.1");
    ck_assert_int_eq(cfg->redis.endpoint.port, 6379);
    ck_assert_int_eq(cfg->redis.timeout_ms, 250);
    ck_assert_str_eq(cfg->redis.prefix, "rampart");
    ck_assert_ptr_null(cfg->redis.username);
    ck_assert_ptr_null(cfg->redis.password_file);
    ck_assert_ptr_null(cfg->redis.password);
    ck_assert_int_eq(cfg->redis.database, 0);
    ck_assert_int_eq(cfg->redis.retention_days, 7);
    ck_assert_str_eq(cfg->timezone, "UTC");
    ck_assert_int_eq(cfg->count, UNIT_RECIPIENTS);
    ck_assert_int_eq(cfg->on_store_error, STORE_ERROR_TEMPFAIL);
    ck_assert_str_eq(cfg->milter.socket, "unix:/run/rampart/milter.sock");
    ck_assert_int_eq(cfg->milter.endpoint.kind, ENDPOINT_UNIX);
    ck_assert_str_eq(cfg->milter.endpoint.path, "/run/rampart/milter.sock");
    ck_assert_str_eq(cfg->milter.pid_file, "/run/rampart/rampart-milter.pid");
    ck_assert_ptr_null(cfg->milter.header);
    ck_assert_int_eq(cfg->milter.socket_mode, 0660);
    ck_assert_ptr_null(cfg->milter.socket_group);
    ck_assert(!cfg->milter.allow_remote);
    ck_assert_int_eq(cfg->milter.timeout_s, 30);
    ck_assert_ptr_null(cfg->user);
    ck_assert_ptr_null(cfg->group);
    ck_assert_int_eq(cfg->syslog_facility, LOG_MAIL);
    ck_assert(!cfg->log_debug);
    ck_assert_uint_eq(cfg->schedule_count, 0);
    ck_assert_uint_eq(cfg->source_count, 1);
    ck_assert_str_eq(cfg->sources[0].address, "203.0.113.10");
    ck_assert_ptr_null(cfg->sources[0].schedule);
    ck_assert_int_eq(cfg->sources[0].daily_cap, 1000);
    ck_assert_uint_eq(cfg->route_count, 1);
    ck_assert_uint_eq(cfg->routes[0].source, 0);
    ck_assert_str_eq(cfg->path, TEST_CONF_DIR "/minimal.conf");

    ck_assert_double_eq(cfg->ramp.advance_min_use, 0.8);
    ck_assert_double_eq(cfg->ramp.max_bounce_rate, 0.10);
    ck_assert_double_eq(cfg->ramp.max_complaint_rate, 0.001);
    ck_assert_int_eq(cfg->ramp.on_block, BLOCK_STEP_DOWN);
    ck_assert_int_eq(cfg->ramp.block_step_down, 1);
    ck_assert_int_eq(cfg->ramp.block_pause_hours, 24);
    ck_assert_int_eq(cfg->ramp.history, 100);
    ck_assert(!cfg->pacing.enabled);
    ck_assert_int_eq(cfg->pacing.open_minute, 0);
    ck_assert_int_eq(cfg->pacing.close_minute, 1440);
    ck_assert(!cfg->pacing.weekdays_only);
    ck_assert_int_eq(cfg->pacing.burst, 0);
    ck_assert_int_eq(cfg->pacing.per_hour, 0);
    ck_assert(!cfg->sources[0].pacing.enabled);
    ck_assert_int_eq(cfg->sources[0].pacing.close_minute, 1440);
    ck_assert_int_eq(cfg->sources[0].initial_step, 1);
    ck_assert_uint_eq(cfg->provider_count, 0);
    ck_assert_uint_eq(cfg->provider_ramp_count, 0);
    ck_assert_int_eq(cfg->test_clock_offset, 0);
    config_free(cfg);
}
END_TEST

/* Load valid.conf from its directory, for its relative password_file. */
static struct rampart_config *load_valid(void)
{
    char *errors = NULL;
    struct rampart_config *cfg;

    ck_assert_msg(chdir(TEST_CONF_DIR) == 0, "cannot enter %s", TEST_CONF_DIR);
    cfg = config_load("valid.conf", &errors);
    ck_assert_msg(cfg != NULL, "valid.conf rejected: %s", errors);
    ck_assert_ptr_null(errors);
    return cfg;
}

START_TEST(valid_general_keys)
{
    struct rampart_config *cfg = load_valid();

    ck_assert_str_eq(cfg->timezone, "Europe/Berlin");
    ck_assert_int_eq(cfg->count, UNIT_MESSAGES);
    ck_assert_int_eq(cfg->on_store_error, STORE_ERROR_ACCEPT);
    ck_assert(cfg->log_debug);
    ck_assert_int_eq(cfg->syslog_facility, LOG_LOCAL3);
    ck_assert_str_eq(cfg->user, "rampart");
    ck_assert_str_eq(cfg->group, "mail");
    config_free(cfg);
}
END_TEST

START_TEST(valid_redis_keys)
{
    struct rampart_config *cfg = load_valid();
    const struct redis_config *r = &cfg->redis;

    ck_assert_str_eq(r->address, "unix:/run/redis/redis.sock");
    ck_assert_int_eq(r->endpoint.kind, ENDPOINT_UNIX);
    ck_assert_str_eq(r->endpoint.path, "/run/redis/redis.sock");
    ck_assert_int_eq(r->timeout_ms, 400);
    ck_assert_str_eq(r->prefix, "warmup.eu-1");
    ck_assert_str_eq(r->username, "rampart");
    ck_assert_str_eq(r->password_file, "redis.password");
    ck_assert_str_eq(r->password, "valid-conf-secret");
    ck_assert_int_eq(r->database, 3);
    ck_assert_int_eq(r->retention_days, 30);
    config_free(cfg);
}
END_TEST

START_TEST(valid_milter_keys)
{
    struct rampart_config *cfg = load_valid();
    const struct milter_config *m = &cfg->milter;

    ck_assert_str_eq(m->socket, "inet:[::1]:8890");
    ck_assert_int_eq(m->endpoint.kind, ENDPOINT_INET);
    ck_assert_str_eq(m->endpoint.host, "::1");
    ck_assert_int_eq(m->endpoint.port, 8890);
    ck_assert_str_eq(m->pid_file, "/run/rampart/milter-test.pid");
    ck_assert_str_eq(m->header, "X-Rampart-Source");
    ck_assert_int_eq(m->socket_mode, 0600);
    ck_assert_str_eq(m->socket_group, "postfix");
    ck_assert(!m->allow_remote);
    ck_assert_int_eq(m->timeout_s, 60);
    config_free(cfg);
}
END_TEST

START_TEST(valid_schedules)
{
    struct rampart_config *cfg = load_valid();
    const struct schedule *s = cfg->schedules;

    ck_assert_uint_eq(cfg->schedule_count, 4);

    ck_assert_str_eq(s[0].name, "flat");
    ck_assert_int_eq(s[0].kind, SCHED_FLAT);
    ck_assert_int_eq(s[0].per_day, 500);

    ck_assert_str_eq(s[1].name, "daily");
    ck_assert_int_eq(s[1].kind, SCHED_DAILY);
    ck_assert_uint_eq(s[1].table_len, 3);
    ck_assert_int_eq(s[1].table[0], 50);
    ck_assert_int_eq(s[1].table[2], 200);

    ck_assert_str_eq(s[2].name, "weekly");
    ck_assert_int_eq(s[2].kind, SCHED_WEEKLY);
    ck_assert_uint_eq(s[2].table_len, 2);
    ck_assert_int_eq(s[2].table[1], 2000);
    ck_assert_int_eq(s[2].add_per_week, 500);
    ck_assert_int_eq(s[2].target, 5000);
    ck_assert_int_eq(s[2].line, 32);

    ck_assert_str_eq(s[3].name, "doubling");
    ck_assert_int_eq(s[3].kind, SCHED_DOUBLING);
    ck_assert_int_eq(s[3].start, 50);
    ck_assert_double_eq(s[3].factor, 1.5);
    ck_assert_int_eq(s[3].every_days, 2);
    ck_assert_int_eq(s[3].target, 10000);
    config_free(cfg);
}
END_TEST

START_TEST(valid_sources)
{
    struct rampart_config *cfg = load_valid();
    const struct source *src = cfg->sources;

    ck_assert_uint_eq(cfg->source_count, 5);
    ck_assert_str_eq(src[0].address, "203.0.113.10");
    ck_assert_ptr_eq(src[0].schedule, &cfg->schedules[2]);
    ck_assert_int_eq(src[0].start.year, 2026);
    ck_assert_int_eq(src[0].start.month, 12);
    ck_assert_int_eq(src[0].start.day, 1);
    ck_assert_int_eq(src[0].line, 40);

    ck_assert_str_eq(src[1].address, "2001:db8::10");
    ck_assert_ptr_eq(src[1].schedule, &cfg->schedules[3]);
    ck_assert_int_eq(src[1].start.day, 7);

    ck_assert_str_eq(src[2].address, "198.51.100.5");
    ck_assert_ptr_null(src[2].schedule);
    ck_assert_int_eq(src[2].daily_cap, 20000);

    ck_assert_ptr_eq(config_find_source(cfg, "2001:db8::10"), &src[1]);
    ck_assert_ptr_eq(config_find_source(cfg, "198.51.100.5"), &src[2]);
    ck_assert_ptr_null(config_find_source(cfg, "198.51.100.6"));
    ck_assert_str_eq(config_unit_name(cfg->count), "messages");
    ck_assert_str_eq(config_unit_name(UNIT_RECIPIENTS), "recipients");
    config_free(cfg);
}
END_TEST

START_TEST(valid_routes)
{
    struct rampart_config *cfg = load_valid();
    const struct route *r = cfg->routes;

    ck_assert_uint_eq(cfg->route_count, 4);
    ck_assert_str_eq(r[0].daemon_addr, "2001:db8::25");
    ck_assert_str_eq(r[0].daemon_name, "submission");
    ck_assert_int_eq(r[0].client.family, AF_INET);
    ck_assert_int_eq(r[0].client.prefix_len, 24);
    ck_assert_str_eq(r[0].sender_domain, ".example.com");
    ck_assert_str_eq(r[0].sasl_user, "alice");
    ck_assert_uint_eq(r[0].source, 1);
    ck_assert_int_eq(r[0].line, 47);

    ck_assert_str_eq(r[1].sender_domain, "xn--bcher-kva.example");
    ck_assert_ptr_null(r[1].daemon_addr);
    ck_assert_uint_eq(r[1].source, 0);

    ck_assert_int_eq(r[2].client.family, AF_INET6);
    ck_assert_int_eq(r[2].client.prefix_len, 33);
    ck_assert_uint_eq(r[2].source, 3);

    ck_assert_int_eq(r[3].client.family, 0);
    ck_assert_ptr_null(r[3].sender_domain);
    ck_assert_uint_eq(r[3].source, 2);
    config_free(cfg);
}
END_TEST

START_TEST(valid_ramp_keys)
{
    struct rampart_config *cfg = load_valid();
    const struct ramp_config *r = &cfg->ramp;

    ck_assert_double_eq(r->advance_min_use, 0.9);
    ck_assert_double_eq(r->max_bounce_rate, 0.05);
    ck_assert_double_eq(r->max_complaint_rate, 0.0005);
    ck_assert_int_eq(r->on_block, BLOCK_PAUSE);
    ck_assert_int_eq(r->block_step_down, 2);
    ck_assert_int_eq(r->block_pause_hours, 48);
    ck_assert_int_eq(r->history, 30);
    config_free(cfg);
}
END_TEST

/* Send hours 07:30-21:00 are minutes 450 to 1260 after midnight. */
START_TEST(valid_global_pacing)
{
    struct rampart_config *cfg = load_valid();
    const struct pacing_config *p = &cfg->pacing;

    ck_assert(p->enabled);
    ck_assert_int_eq(p->open_minute, 450);
    ck_assert_int_eq(p->close_minute, 1260);
    ck_assert(p->weekdays_only);
    ck_assert_int_eq(p->burst, 40);
    ck_assert_int_eq(p->per_hour, 800);

    /* a source without a pacing group has the global pacing */
    p = &cfg->sources[0].pacing;
    ck_assert(p->enabled);
    ck_assert_int_eq(p->open_minute, 450);
    ck_assert_int_eq(p->close_minute, 1260);
    ck_assert(p->weekdays_only);
    ck_assert_int_eq(p->burst, 40);
    ck_assert_int_eq(p->per_hour, 800);
    config_free(cfg);
}
END_TEST

/* A source's pacing group overrides the global keys it names. */
START_TEST(valid_source_pacing)
{
    struct rampart_config *cfg = load_valid();
    const struct pacing_config *off = &cfg->sources[2].pacing;
    const struct pacing_config *p = &cfg->sources[4].pacing;

    ck_assert(!off->enabled);
    ck_assert_int_eq(off->per_hour, 800);

    ck_assert(p->enabled);
    ck_assert_int_eq(p->open_minute, 540);
    ck_assert_int_eq(p->close_minute, 1050);
    ck_assert_int_eq(p->per_hour, 100);
    ck_assert(p->weekdays_only);
    ck_assert_int_eq(p->burst, 40);
    config_free(cfg);
}
END_TEST

START_TEST(valid_source_step)
{
    struct rampart_config *cfg = load_valid();

    ck_assert_int_eq(cfg->sources[0].initial_step, 1);
    ck_assert_int_eq(cfg->sources[3].initial_step, 3);
    ck_assert_int_eq(cfg->sources[2].initial_step, 1);
    config_free(cfg);
}
END_TEST

START_TEST(valid_providers)
{
    struct rampart_config *cfg = load_valid();
    const struct provider *p = cfg->providers;

    ck_assert_uint_eq(cfg->provider_count, 2);
    ck_assert_str_eq(p[0].name, "gmail");
    ck_assert_uint_eq(p[0].domain_count, 2);
    ck_assert_str_eq(p[0].domains[0], "gmail.com");
    ck_assert_str_eq(p[0].domains[1], "googlemail.com");
    ck_assert_uint_eq(p[0].suffix_count, 0);
    ck_assert_str_eq(p[1].name, "yahoo");
    ck_assert_uint_eq(p[1].suffix_count, 1);
    ck_assert_str_eq(p[1].suffixes[0], ".yahoo.co.jp");

    ck_assert_ptr_eq(config_provider_of(cfg, "gmail.com"), &p[0]);
    ck_assert_ptr_eq(config_provider_of(cfg, "googlemail.com"), &p[0]);
    ck_assert_ptr_eq(config_provider_of(cfg, "yahoo.com"), &p[1]);
    ck_assert_ptr_eq(config_provider_of(cfg, "mail.yahoo.co.jp"), &p[1]);
    /* a suffix matches subdomains only, and domains match exactly */
    ck_assert_ptr_null(config_provider_of(cfg, "yahoo.co.jp"));
    ck_assert_ptr_null(config_provider_of(cfg, "mail.gmail.com"));
    ck_assert_ptr_null(config_provider_of(cfg, "example.com"));
    config_free(cfg);
}
END_TEST

START_TEST(valid_provider_ramps)
{
    struct rampart_config *cfg = load_valid();
    const struct provider_ramp *r = cfg->provider_ramps;

    ck_assert_uint_eq(cfg->provider_ramp_count, 2);
    ck_assert_str_eq(r[0].provider, "gmail");
    ck_assert_double_eq(r[0].share, 0.4);
    ck_assert_str_eq(r[1].provider, "default");
    ck_assert_double_eq(r[1].share, 1.0);
    ck_assert_ptr_eq(config_provider_ramp(cfg, "gmail"), &r[0]);
    ck_assert_ptr_eq(config_provider_ramp(cfg, "default"), &r[1]);
    ck_assert_ptr_null(config_provider_ramp(cfg, "yahoo"));
    config_free(cfg);
}
END_TEST

/* Write "text" to a temp file and load it; NULL when it has errors. */
static struct rampart_config *load_text(const char *text, char **errors)
{
    char dir[256];
    char path[512];
    struct rampart_config *cfg;

    tmpdir_make(dir, sizeof(dir));
    file_write(path, sizeof(path), dir, "rampart.conf", text);
    *errors = NULL;
    cfg = config_load(path, errors);
    tmpdir_remove(dir);
    return cfg;
}

/* A source's pacing group turns pacing on even when the global is off. */
START_TEST(source_pacing_group_enables)
{
    char *errors;
    struct rampart_config *cfg =
        load_text("sources = ( { address = \"203.0.113.10\"; daily_cap = 10;\n"
                  "    pacing = { per_hour = 5; }; } );\n" ROUTES,
                  &errors);

    ck_assert_msg(cfg != NULL, "rejected: %s", errors);
    ck_assert(!cfg->pacing.enabled);
    ck_assert(cfg->sources[0].pacing.enabled);
    ck_assert_int_eq(cfg->sources[0].pacing.per_hour, 5);
    ck_assert_int_eq(cfg->sources[0].pacing.open_minute, 0);
    ck_assert_int_eq(cfg->sources[0].pacing.close_minute, 1440);
    config_free(cfg);
}
END_TEST

/* "00:00-24:00" is the whole day and "23:59-24:00" its last minute. */
START_TEST(send_hours_bounds)
{
    char *errors;
    struct rampart_config *cfg = load_text(
        "pacing = { send_hours = \"00:00-24:00\"; };\n"
        "sources = ( { address = \"203.0.113.10\"; daily_cap = 10;\n"
        "    pacing = { send_hours = \"23:59-24:00\"; }; } );\n" ROUTES,
        &errors);

    ck_assert_msg(cfg != NULL, "rejected: %s", errors);
    ck_assert_int_eq(cfg->pacing.open_minute, 0);
    ck_assert_int_eq(cfg->pacing.close_minute, 1440);
    ck_assert_int_eq(cfg->sources[0].pacing.open_minute, 1439);
    ck_assert_int_eq(cfg->sources[0].pacing.close_minute, 1440);
    config_free(cfg);
}
END_TEST

/* Only test builds (RAMPART_TESTING) accept test_clock_offset. */
START_TEST(test_clock_offset_key)
{
    char *errors;
    struct rampart_config *cfg =
        load_text("test_clock_offset = -86400;\n" SOURCES ROUTES, &errors);

#ifdef RAMPART_TESTING
    ck_assert_msg(cfg != NULL, "rejected: %s", errors);
    ck_assert_int_eq(cfg->test_clock_offset, -86400);
    config_free(cfg);
#else
    ck_assert_msg(cfg == NULL, "accepted test_clock_offset = %ld",
                  cfg->test_clock_offset);
    assert_contains(errors, "test_clock_offset works only in test builds");
    free(errors);
#endif
}
END_TEST

/* allow_remote lets the milter listen on a non-loopback address. */
START_TEST(remote_milter_allowed)
{
    char dir[256];
    char path[512];
    char *errors = NULL;
    struct rampart_config *cfg;

    tmpdir_make(dir, sizeof(dir));
    file_write(path, sizeof(path), dir, "remote.conf",
               "milter = { socket = \"inet:192.0.2.1:8890\";\n"
               "           allow_remote = true; };\n" SOURCES ROUTES);
    cfg = config_load(path, &errors);
    ck_assert_msg(cfg != NULL, "rejected: %s", errors);
    ck_assert(cfg->milter.allow_remote);
    ck_assert_str_eq(cfg->milter.endpoint.host, "192.0.2.1");
    config_free(cfg);
    tmpdir_remove(dir);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("config");
    TCase *errors = tcase_create("errors");
    TCase *valid = tcase_create("valid");

    tcase_add_loop_test(errors, load_error_case, 0, ERROR_CASE_COUNT);
    tcase_add_test(errors, provider_domain_twice);
    tcase_add_test(errors, several_errors_all_reported);
    tcase_add_test(errors, missing_file);
    tcase_add_test(errors, errors_never_show_password);
    suite_add_tcase(s, errors);

    tcase_add_test(valid, minimal_defaults);
    tcase_add_test(valid, valid_general_keys);
    tcase_add_test(valid, valid_redis_keys);
    tcase_add_test(valid, valid_milter_keys);
    tcase_add_test(valid, valid_schedules);
    tcase_add_test(valid, valid_sources);
    tcase_add_test(valid, valid_routes);
    tcase_add_test(valid, remote_milter_allowed);
    tcase_add_test(valid, valid_ramp_keys);
    tcase_add_test(valid, valid_global_pacing);
    tcase_add_test(valid, valid_source_pacing);
    tcase_add_test(valid, valid_source_step);
    tcase_add_test(valid, valid_providers);
    tcase_add_test(valid, valid_provider_ramps);
    tcase_add_test(valid, source_pacing_group_enables);
    tcase_add_test(valid, send_hours_bounds);
    tcase_add_test(valid, test_clock_offset_key);
    suite_add_tcase(s, valid);
    return s;
}
