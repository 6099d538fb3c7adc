/* SPDX-License-Identifier: MIT */
/* kafka_mock.c - librdkafka's mock cluster as a process the tests and benchmarks talk to.
 *
 * The mock cluster is a real Kafka protocol server on loopback that lives inside an
 * rd_kafka_t; this program hosts one (so it outlives the fngate processes a test restarts),
 * prints "bootstrap HOST:PORT", and then takes one command per line on stdin, answering
 * each with one line ("ok ..." or "error ..."):
 *   topic NAME PARTITIONS           create a topic
 *   produce TOPIC PARTITION KEY VAL  one record (KEY "-" = null key; VAL is the rest)
 *   record TOPIC PARTITION KEY TS HEADERS VAL
 *                                   one record with its timestamp (TS: epoch ms, "-" now) and
 *                                   headers (HEADERS: "-" none, or NAME=VALUE,... with %XX for
 *                                   any byte); answers "ok OFFSET"
 *   bulk TOPIC N PREFIX             N records, key "kI%16", value PREFIX + I (partitioned by key)
 *   down ID / up ID                 take broker ID down / bring it back
 * Records are flushed before "ok" is answered. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int produced_err;
static long long produced_offset;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        produced_err++;
    else
        produced_offset = (long long)m->offset;
}

/* Decodes %XX in place; returns the length. */
static size_t unescape(char *s)
{
    size_t n = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned v;
        if (s[i] == '%' && s[i + 1] && s[i + 2] && sscanf(s + i + 1, "%2x", &v) == 1) {
            s[n++] = (char)v;
            i += 2;
        } else {
            s[n++] = s[i];
        }
    }
    return n;
}

/* "NAME=VALUE,..." -> headers; NULL for "-". */
static rd_kafka_headers_t *parse_headers(char *spec)
{
    rd_kafka_headers_t *h;
    if (!strcmp(spec, "-"))
        return NULL;
    h = rd_kafka_headers_new(4);
    for (char *save = NULL, *item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        size_t vl;
        if (!eq)
            continue;
        *eq = '\0';
        vl = unescape(eq + 1);
        rd_kafka_header_add(h, item, -1, eq + 1, (ssize_t)vl);
    }
    return h;
}

int main(int argc, char **argv)
{
    char why[512], line[65536];
    int brokers = argc > 1 ? atoi(argv[1]) : 1;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *host, *prod;
    rd_kafka_mock_cluster_t *mc;

    rd_kafka_conf_set(conf, "log_level", "0", why, sizeof(why));
    if (!(host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why)))) {
        fprintf(stderr, "kafka_mock: %s\n", why);
        return 1;
    }
    if (!(mc = rd_kafka_mock_cluster_new(host, brokers > 0 ? brokers : 1))) {
        fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
        return 1;
    }
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), why, sizeof(why));
    rd_kafka_conf_set(conf, "linger.ms", "5", why, sizeof(why));
    rd_kafka_conf_set(conf, "log_level", "0", why, sizeof(why));
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    if (!(prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why)))) {
        fprintf(stderr, "kafka_mock: %s\n", why);
        return 1;
    }
    printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        char cmd[32], topic[256], key[256], ts[32], hdrs[4096];
        int a = 0, n = 0;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%31s", cmd) != 1)
            continue;
        produced_err = 0;
        if (!strcmp(cmd, "topic") && sscanf(line, "%*s %255s %d", topic, &a) == 2) {
            rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topic, a, 1);
            printf(e ? "error %s\n" : "ok\n", rd_kafka_err2str(e));
        } else if (!strcmp(cmd, "produce") && sscanf(line, "%*s %255s %d %255s %n", topic, &a, key, &n) == 3 && n) {
            const char *val = line + n;
            /* RD_KAFKA_V_KEY() casts its arguments unparenthesised: parentheses keep the
             * casts off the ?: conditions. A key of "-" is none. */
            rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(a),
                              RD_KAFKA_V_KEY((strcmp(key, "-") ? key : NULL), (strcmp(key, "-") ? strlen(key) : 0)),
                              RD_KAFKA_V_VALUE((void *)val, strlen(val)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
            rd_kafka_flush(prod, 10000);
            printf(produced_err ? "error delivery\n" : "ok\n");
        } else if (!strcmp(cmd, "record") &&
                   sscanf(line, "%*s %255s %d %255s %31s %4095s %n", topic, &a, key, ts, hdrs, &n) == 5 && n) {
            const char *val = line + n;
            rd_kafka_headers_t *h = parse_headers(hdrs);
            rd_kafka_resp_err_t e;
            e = rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(a),
                                  RD_KAFKA_V_KEY((strcmp(key, "-") ? key : NULL), (strcmp(key, "-") ? strlen(key) : 0)),
                                  RD_KAFKA_V_VALUE((void *)val, strlen(val)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_TIMESTAMP(strcmp(ts, "-") ? strtoll(ts, NULL, 10) : 0),
                                  RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
            if (e) {
                if (h)
                    rd_kafka_headers_destroy(h);     /* owned by the record only once taken */
                printf("error %s\n", rd_kafka_err2str(e));
            } else {
                rd_kafka_flush(prod, 10000);
                if (produced_err)
                    printf("error delivery\n");
                else
                    printf("ok %lld\n", produced_offset);
            }
        } else if (!strcmp(cmd, "bulk") && sscanf(line, "%*s %255s %d %255s", topic, &a, key) == 3) {
            for (int i = 0; i < a; i++) {
                char k[32], v[512];
                int kl = snprintf(k, sizeof(k), "k%d", i % 16), vl = snprintf(v, sizeof(v), "%s%d", key, i);
                while (rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(k, (size_t)kl),
                                         RD_KAFKA_V_VALUE(v, (size_t)vl), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                         RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(prod, 10);
            }
            rd_kafka_flush(prod, 60000);
            printf(produced_err ? "error %d deliveries failed\n" : "ok %d\n", produced_err ? produced_err : a);
        } else if ((!strcmp(cmd, "down") || !strcmp(cmd, "up")) && sscanf(line, "%*s %d", &a) == 1) {
            rd_kafka_resp_err_t e = !strcmp(cmd, "down") ? rd_kafka_mock_broker_set_down(mc, a)
                                                          : rd_kafka_mock_broker_set_up(mc, a);
            printf(e ? "error %s\n" : "ok\n", rd_kafka_err2str(e));
        } else {
            printf("error unknown command\n");
        }
        fflush(stdout);
    }
    rd_kafka_destroy(prod);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(host);
    return 0;
}
