/*
 * t-broker.c - the embedded broker: control-line parser, request and error names, topics
 * files, and the mock cluster driven through gdx_broker_exec_line in-process.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gdx_broker.h"
#include "gdx_conf.h"
#include "gdx_err.h"
#include "gdx_log.h"
#include "tap.h"

static char errstr[512];

static int parse(const char *line, struct gdx_broker_cmd *cmd)
{
    errstr[0] = '\0';
    return gdx_broker_cmd_parse(line, cmd, errstr, sizeof(errstr));
}

/* Parse must fail and its message must contain @p want. */
static void parse_fails(const char *line, const char *want)
{
    struct gdx_broker_cmd cmd;
    char name[80];
    int err = parse(line, &cmd);
    size_t i;

    for (i = 0; line[i] && i < sizeof(name) - 1; i++) {
        name[i] = (line[i] == '\n' || line[i] == '\r') ? ' ' : line[i];
    }
    name[i] = '\0';
    ok(err == GDX_ERR_USAGE && strstr(errstr, want), "'%s' refused: %s", name, errstr);
}

static void test_names(void)
{
    int err = 0;

    is_int(gdx_broker_api_key("Produce"), 0, "Produce is ApiKey 0");
    is_int(gdx_broker_api_key("produce"), 0, "request names are case-insensitive");
    is_int(gdx_broker_api_key("Metadata"), 3, "Metadata is 3");
    is_int(gdx_broker_api_key("InitProducerId"), 22, "InitProducerId is 22");
    is_int(gdx_broker_api_key("AddPartitionsToTxn"), 24, "AddPartitionsToTxn is 24");
    is_int(gdx_broker_api_key("EndTxn"), 26, "EndTxn is 26");
    is_int(gdx_broker_api_key("TxnOffsetCommit"), 28, "TxnOffsetCommit is 28");
    is_int(gdx_broker_api_key("ApiVersions"), 18, "ApiVersions is 18");
    is_int(gdx_broker_api_key("18"), 18, "a number is taken as the ApiKey");
    is_int(gdx_broker_api_key("Producer"), -1, "unknown request name");
    is_int(gdx_broker_api_key("-1"), -1, "negative ApiKey refused");
    is_int(gdx_broker_api_key("7x"), -1, "trailing junk refused");
    is_str(gdx_broker_api_name(10), "FindCoordinator", "name of ApiKey 10");
    ok(gdx_broker_api_name(99) == NULL, "no name for ApiKey 99");

    ok(gdx_broker_err_parse("NOT_LEADER_OR_FOLLOWER", &err) == GDX_OK && err == 6,
       "Kafka's NOT_LEADER_OR_FOLLOWER is error 6");
    ok(gdx_broker_err_parse("NOT_LEADER_FOR_PARTITION", &err) == GDX_OK && err == 6,
       "librdkafka's NOT_LEADER_FOR_PARTITION is error 6");
    ok(gdx_broker_err_parse("request_timed_out", &err) == GDX_OK && err == 7,
       "error names are case-insensitive");
    ok(gdx_broker_err_parse("RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE", &err) == GDX_OK &&
           err == 15,
       "the RD_KAFKA_RESP_ERR_ prefix is accepted");
    ok(gdx_broker_err_parse("_TRANSPORT", &err) == GDX_OK && err == -195,
       "local errors by their underscore name");
    ok(gdx_broker_err_parse("47", &err) == GDX_OK && err == 47, "error by number");
    is_int(gdx_broker_err_parse("NOT_AN_ERROR_NAME", &err), GDX_ERR_NOENT, "unknown error name");
}

static void test_parse(void)
{
    struct gdx_broker_cmd cmd;

    ok(parse("ping", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_PING, "ping");
    ok(parse("  bootstrap \r\n", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_BOOTSTRAP,
       "bootstrap with spaces and CRLF");
    ok(parse("stop\n", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_STOP, "stop");
    ok(parse("down 2", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_DOWN && cmd.broker_id == 2,
       "down 2");
    ok(parse("up all", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_UP &&
           cmd.broker_id == GDX_BROKER_ALL,
       "up all");
    ok(parse("rtt\tall\t250", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_RTT &&
           cmd.broker_id == GDX_BROKER_ALL && cmd.rtt_ms == 250,
       "rtt all 250 (tabs)");
    ok(parse("errors Produce 3 NOT_LEADER_OR_FOLLOWER", &cmd) == GDX_OK &&
           cmd.op == GDX_BROKER_OP_ERRORS && cmd.api_key == 0 && cmd.count == 3 && cmd.err == 6,
       "errors Produce 3 NOT_LEADER_OR_FOLLOWER");
    ok(parse("errors 26 1 INVALID_TXN_STATE", &cmd) == GDX_OK && cmd.api_key == 26 &&
           cmd.count == 1 && cmd.err == 48,
       "errors by ApiKey number");
    ok(parse("errors-rtt 1 Produce REQUEST_TIMED_OUT 500 NO_ERROR 0", &cmd) == GDX_OK &&
           cmd.op == GDX_BROKER_OP_ERRORS_RTT && cmd.broker_id == 1 && cmd.nrtts == 2 &&
           cmd.errs[0] == 7 && cmd.rtts[0] == 500 && cmd.errs[1] == 0 && cmd.rtts[1] == 0,
       "errors-rtt with two pairs");
    ok(parse("clear Fetch", &cmd) == GDX_OK && cmd.op == GDX_BROKER_OP_CLEAR && cmd.api_key == 1,
       "clear Fetch");
    ok(parse("create-topic gov.civil.marriage.registration 12", &cmd) == GDX_OK &&
           cmd.op == GDX_BROKER_OP_CREATE_TOPIC &&
           !strcmp(cmd.topic, "gov.civil.marriage.registration") && cmd.partitions == 12 &&
           cmd.replication == 0,
       "create-topic without replication");
    ok(parse("create-topic t 2 1", &cmd) == GDX_OK && cmd.replication == 1,
       "create-topic with replication");
    ok(parse("leader gov.grid.incidents.incident 5 3", &cmd) == GDX_OK &&
           cmd.op == GDX_BROKER_OP_LEADER && cmd.partition == 5 && cmd.broker_id == 3,
       "leader");
    ok(parse("coordinator transaction gdx-hotline12345.workorders 2", &cmd) == GDX_OK &&
           cmd.op == GDX_BROKER_OP_COORDINATOR && !strcmp(cmd.key_type, "transaction") &&
           !strcmp(cmd.key, "gdx-hotline12345.workorders") && cmd.broker_id == 2,
       "coordinator transaction");
    ok(parse("coordinator group gdx-uplink 1", &cmd) == GDX_OK && !strcmp(cmd.key_type, "group"),
       "coordinator group");

    parse_fails("", "empty command");
    parse_fails("   \n", "empty command");
    parse_fails("reboot", "unknown command 'reboot'");
    parse_fails("PING", "unknown command");
    parse_fails("ping now", "usage: ping");
    parse_fails("down", "usage: down <broker-id|all>");
    parse_fails("down 0", "invalid broker id '0'");
    parse_fails("down -1", "invalid broker id");
    parse_fails("down 1 2", "usage: down");
    parse_fails("up one", "invalid broker id 'one'");
    parse_fails("rtt 1 fast", "invalid milliseconds 'fast'");
    parse_fails("rtt 1 -5", "invalid milliseconds");
    parse_fails("errors Produce 0 REQUEST_TIMED_OUT", "invalid count '0'");
    parse_fails("errors Produce 3", "usage: errors");
    parse_fails("errors Producer 3 REQUEST_TIMED_OUT", "unknown request type 'Producer'");
    parse_fails("errors Produce 3 NO_SUCH_ERROR", "unknown error name 'NO_SUCH_ERROR'");
    parse_fails("errors-rtt all Produce REQUEST_TIMED_OUT 10", "invalid broker id 'all'");
    parse_fails("errors-rtt 1 Produce REQUEST_TIMED_OUT 10 NO_ERROR", "usage: errors-rtt");
    parse_fails("create-topic bad/name 3", "invalid topic name");
    parse_fails("create-topic t 0", "invalid partition count '0'");
    parse_fails("create-topic t 1001", "invalid partition count");
    parse_fails("leader t x 1", "invalid partition 'x'");
    parse_fails("leader t 0 all", "invalid broker id 'all'");
    parse_fails("coordinator broker k 1", "invalid coordinator type 'broker'");

    {
        char line[GDX_BROKER_LINE_MAX + 10];
        memset(line, 'a', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\0';
        parse_fails(line, "line too long");
    }
    {
        char line[GDX_BROKER_LINE_MAX];
        size_t n = 0;
        n += (size_t)snprintf(line, sizeof(line), "errors-rtt 1 Produce");
        for (int i = 0; i < GDX_BROKER_MAX_RTTS + 1; i++) {
            n += (size_t)snprintf(line + n, sizeof(line) - n, " 7 1");
        }
        parse_fails(line, "too many words");
    }
}

static const char good_yaml[] = "# 演示用主题\n"
                                "topics:\n"
                                "  - name: gov.hotline12345.workorders.workorder\n"
                                "    partitions: 6\n"
                                "    replication.factor: 3\n"
                                "    config:\n"
                                "      cleanup.policy: delete\n"
                                "  - name: _gdx.offsets\n"
                                "    partitions: 1\n"
                                "    config: {cleanup.policy: compact}\n";

/* Loading @p yaml must fail with a message containing @p want. */
static void topics_fail(const char *yaml, const char *want, const char *name)
{
    struct gdx_broker_topics topics = {NULL, 0};
    struct gdx_node *root = gdx_conf_load_mem("t.yaml", yaml, strlen(yaml), errstr, sizeof(errstr));
    int err =
        root ? gdx_broker_topics_from_node(&topics, root, errstr, sizeof(errstr)) : GDX_ERR_CONFIG;
    ok(err == GDX_ERR_CONFIG && strstr(errstr, want), "%s: %s", name, errstr);
    gdx_conf_destroy(root);
    gdx_broker_topics_release(&topics);
}

static void test_topics(void)
{
    struct gdx_broker_topics topics = {NULL, 0};
    struct gdx_node *root;
    int err;

    root = gdx_conf_load_mem("t.yaml", good_yaml, strlen(good_yaml), errstr, sizeof(errstr));
    ok(root != NULL, "topics yaml loads: %s", root ? "" : errstr);
    err = root ? gdx_broker_topics_from_node(&topics, root, errstr, sizeof(errstr)) : -1;
    is_int(err, GDX_OK, "topics read");
    is_int(topics.n, 2, "two topics");
    if (topics.n == 2) {
        is_str(topics.v[0].name, "gov.hotline12345.workorders.workorder", "first name");
        is_int(topics.v[0].partitions, 6, "first partitions");
        is_int(topics.v[0].replication, 3, "first replication");
        is_str(topics.v[1].name, "_gdx.offsets", "second name");
        is_int(topics.v[1].partitions, 1, "second partitions");
        is_int(topics.v[1].replication, 0, "replication defaults to 0 (broker decides)");
    }
    gdx_conf_destroy(root);

    is_int(gdx_broker_topics_add_spec(&topics, "gov.grid.incidents.incident:6", errstr,
                                      sizeof(errstr)),
           GDX_OK, "--topic NAME:PARTITIONS");
    is_int(topics.n, 3, "added");
    is_int(gdx_broker_topics_add_spec(&topics, "_gdx.offsets:3", errstr, sizeof(errstr)), GDX_OK,
           "--topic for a listed topic");
    is_int(topics.n, 3, "replaces instead of adding");
    is_int(topics.v[1].partitions, 3, "with the new partition count");
    ok(gdx_broker_topics_add_spec(&topics, "no-count", errstr, sizeof(errstr)) == GDX_ERR_USAGE &&
           strstr(errstr, "NAME:PARTITIONS"),
       "--topic without count refused");
    ok(gdx_broker_topics_add_spec(&topics, "t:0", errstr, sizeof(errstr)) == GDX_ERR_USAGE,
       "--topic with 0 partitions refused");
    ok(gdx_broker_topics_add_spec(&topics, ":3", errstr, sizeof(errstr)) == GDX_ERR_USAGE,
       "--topic without name refused");
    ok(gdx_broker_topics_add_spec(&topics, "工单:3", errstr, sizeof(errstr)) == GDX_ERR_USAGE &&
           strstr(errstr, "invalid topic name"),
       "non-ASCII topic name refused");
    gdx_broker_topics_release(&topics);
    is_int(topics.n, 0, "released");

    ok(gdx_broker_topic_name_valid("_schemas"), "_schemas is a valid name");
    ok(!gdx_broker_topic_name_valid(".."), "'..' is not");
    ok(!gdx_broker_topic_name_valid("a b"), "a space is not allowed");

    topics_fail("topics:\n  - name: a\n", "no 'partitions'", "missing partitions");
    topics_fail("topics:\n  - partitions: 3\n", "no 'name'", "missing name");
    topics_fail("topics:\n  - name: a\n    partitions: 0\n", "t.yaml:3:", "zero partitions");
    topics_fail("topics:\n  - name: a\n    partitions: 3\n    retention: 1\n", "retention",
                "unknown key");
    topics_fail("topics:\n  - name: a\n    partitions: 3\n  - name: a\n    partitions: 2\n",
                "listed twice", "duplicate topic");
    topics_fail("topics:\n  - name: a/b\n    partitions: 3\n", "t.yaml:2:", "bad name");
    topics_fail("topics:\n  - name: a\n    partitions: 3\n    config: compact\n", "must be a map",
                "config not a map");
    topics_fail("topics: a\n", "must be a list", "topics not a list");
    topics_fail("topic:\n  - name: a\n", "topic", "misspelt top-level key");

    /* The shipped file, when the test runs from the repository root (make test does). */
    if (access("broker-config/topics.yaml", R_OK) == 0) {
        err = gdx_broker_topics_load(&topics, "broker-config/topics.yaml", errstr, sizeof(errstr));
        is_int(err, GDX_OK, "broker-config/topics.yaml loads: %s", err ? errstr : "");
        /* as many topics as the file has `- name:` entries, the demo's among them */
        FILE *f = fopen("broker-config/topics.yaml", "r");
        char line[512];
        int want = 0, demo = 0;
        while (f && fgets(line, sizeof(line), f)) {
            want += strncmp(line, "  - name: ", 10) == 0;
            /* whole lines: _gdx.offsets.<unit> (one per unit) is not _gdx.offsets */
            demo += !strcmp(line, "  - name: gov.hotline12345.workorders.workorder\n") ||
                    !strcmp(line, "  - name: _gdx.offsets\n");
        }
        if (f) {
            fclose(f);
        }
        is_int(topics.n, want, "it lists the file's %d topics", want);
        is_int(demo, 2, "the demo's data topic and _gdx.offsets among them");
        gdx_broker_topics_release(&topics);
    } else {
        diag("broker-config/topics.yaml not found from here; skipped");
    }
    ok(gdx_broker_topics_load(&topics, "/nonexistent/topics.yaml", errstr, sizeof(errstr)) !=
               GDX_OK &&
           strstr(errstr, "/nonexistent/topics.yaml"),
       "a missing file names the path");
}

static int exec(struct gdx_broker *broker, const char *line, char *reply, size_t size)
{
    return gdx_broker_exec_line(broker, line, reply, size);
}

static void test_mock(void)
{
    struct gdx_broker *broker;
    char reply[2048], want[2048];
    const char *bs;
    int commas = 0;

    ok(gdx_broker_new(0, errstr, sizeof(errstr)) == NULL, "0 brokers refused");
    broker = gdx_broker_new(2, errstr, sizeof(errstr));
    ok(broker != NULL, "mock cluster of 2 started: %s", broker ? "" : errstr);
    if (!broker) {
        return;
    }
    is_int(gdx_broker_count(broker), 2, "2 brokers");
    bs = gdx_broker_bootstraps(broker);
    for (const char *p = bs; *p; p++) {
        commas += *p == ',';
    }
    ok(!strncmp(bs, "127.0.0.1:", 10) && commas == 1, "bootstrap list on loopback: %s", bs);

    is_int(exec(broker, "ping", reply, sizeof(reply)), GDX_OK, "ping");
    is_str(reply, "ok pong", "ping reply");
    exec(broker, "bootstrap", reply, sizeof(reply));
    snprintf(want, sizeof(want), "ok %s", bs);
    is_str(reply, want, "bootstrap reply");
    is_int(exec(broker, "down 1", reply, sizeof(reply)), GDX_OK, "down 1");
    is_str(reply, "ok down 1", "down reply");
    is_int(exec(broker, "up all", reply, sizeof(reply)), GDX_OK, "up all");
    is_str(reply, "ok up all", "up reply");
    is_int(exec(broker, "down 3", reply, sizeof(reply)), GDX_ERR_NOENT, "down 3 of 2");
    is_str(reply, "error no broker 3: brokers are 1..2", "names the range");
    is_int(exec(broker, "rtt 2 50", reply, sizeof(reply)), GDX_OK, "rtt");
    is_int(exec(broker, "rtt all 0", reply, sizeof(reply)), GDX_OK, "rtt reset");
    is_int(exec(broker, "errors Produce 3 NOT_LEADER_OR_FOLLOWER", reply, sizeof(reply)), GDX_OK,
           "errors pushed");
    is_str(reply, "ok errors Produce 3 NOT_LEADER_FOR_PARTITION", "errors reply");
    is_int(exec(broker, "errors-rtt 2 InitProducerId COORDINATOR_NOT_AVAILABLE 10", reply,
                sizeof(reply)),
           GDX_OK, "errors-rtt pushed");
    is_int(exec(broker, "clear Produce", reply, sizeof(reply)), GDX_OK, "clear");
    is_int(
        exec(broker, "create-topic gov.hotline12345.workorders.workorder 6", reply, sizeof(reply)),
        GDX_OK, "create-topic");
    ok(exec(broker, "create-topic gov.hotline12345.workorders.workorder 6", reply, sizeof(reply)) !=
               GDX_OK &&
           strstr(reply, "TOPIC_ALREADY_EXISTS"),
       "create-topic twice: %s", reply);
    ok(exec(broker, "create-topic t3 1 3", reply, sizeof(reply)) != GDX_OK &&
           strstr(reply, "exceeds the 2 brokers"),
       "replication above broker count: %s", reply);
    is_int(exec(broker, "leader gov.hotline12345.workorders.workorder 5 2", reply, sizeof(reply)),
           GDX_OK, "leader");
    ok(exec(broker, "leader gov.hotline12345.workorders.workorder 6 2", reply, sizeof(reply)) !=
               GDX_OK &&
           !strncmp(reply, "error ", 6),
       "leader of a partition past the end: %s", reply);
    is_int(
        exec(broker, "coordinator transaction gdx-hotline12345.workorders 2", reply, sizeof(reply)),
        GDX_OK, "coordinator");
    is_int(exec(broker, "help", reply, sizeof(reply)), GDX_OK, "help");
    ok(strstr(reply, "errors <ApiName|ApiKey> <count> <ErrName>") != NULL, "help lists errors");
    ok(exec(broker, "nonsense", reply, sizeof(reply)) == GDX_ERR_USAGE &&
           !strncmp(reply, "error unknown command", 21),
       "bad command answers an error: %s", reply);
    is_int(exec(broker, "stop", reply, sizeof(reply)), GDX_OK, "stop");
    is_str(reply, "ok stopping", "stop reply");
    is_int(gdx_broker_topic_create(broker, "_schemas", 1, 0, errstr, sizeof(errstr)), GDX_OK,
           "topic_create with default replication");
    gdx_broker_destroy(broker);
    gdx_broker_destroy(NULL);
    ok(1, "destroyed");
}

int main(void)
{
    gdx_log_set_level(GDX_LOG_ERROR);
    test_names();
    test_parse();
    test_topics();
    test_mock();
    return done_testing();
}
