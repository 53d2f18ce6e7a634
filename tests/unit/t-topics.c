/*
 * t-topics - lib/gdx_topics: the ACLs generated from an inventory keep every unit to its
 * own topics and to what is shared with it; Kafka's ACL rules as the evaluator applies them;
 * the files read back as written; destructive plans are held back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdx_err.h"
#include "gdx_topics.h"
#include "tap.h"

#define INV     "tests/it/topics/inventory.yaml"
#define SCHEMAS "tests/it/topics/schemas"

static int is_consumer(const struct gdx_inv_system *s, const char *unit)
{
    for (size_t i = 0; i < s->nconsumers; i++) {
        if (!strcmp(s->consumers[i], unit)) {
            return 1;
        }
    }
    return 0;
}

/* Every principal against every system: write only its own, read what is shared. */
static void check_isolation(const struct gdx_inventory *inv, const struct gdx_topics *t)
{
    size_t bad_write = 0, bad_read = 0, missing_read = 0, bad_txn = 0, bad_offsets = 0;
    size_t checks = 0, none_checked = 0;
    char principal[200], name[300];

    for (size_t u = 0; u < inv->nunits; u++) {
        const char *me = inv->units[u].id;
        snprintf(principal, sizeof(principal), "User:%s", me);
        for (size_t o = 0; o < inv->nunits; o++) {
            const struct gdx_inv_unit *owner = &inv->units[o];
            int mine = o == u;
            snprintf(name, sizeof(name), "_gdx.offsets.%s", owner->id);
            bad_offsets +=
                !mine != !gdx_acl_allowed(t, principal, GDX_ACL_RES_TOPIC, name, GDX_ACL_OP_WRITE);
            bad_offsets +=
                !mine != !gdx_acl_allowed(t, principal, GDX_ACL_RES_TOPIC, name, GDX_ACL_OP_READ);
            for (size_t i = 0; i < owner->nsystems; i++) {
                const struct gdx_inv_system *s = &owner->systems[i];
                int may_read = mine || !strcmp(s->share, "unconditional") ||
                               (!strcmp(s->share, "conditional") && is_consumer(s, me));
                int w =
                    gdx_acl_allowed(t, principal, GDX_ACL_RES_TOPIC, s->topic, GDX_ACL_OP_WRITE);
                int r = gdx_acl_allowed(t, principal, GDX_ACL_RES_TOPIC, s->topic, GDX_ACL_OP_READ);
                bad_write += w != mine;
                bad_read += r && !may_read;
                missing_read += may_read && !r;
                snprintf(name, sizeof(name), "_gdx.dlq.%s.%s", owner->id, s->id);
                bad_write += gdx_acl_allowed(t, principal, GDX_ACL_RES_TOPIC, name,
                                             GDX_ACL_OP_WRITE) != mine;
                bad_read +=
                    gdx_acl_allowed(t, principal, GDX_ACL_RES_TOPIC, name, GDX_ACL_OP_READ) != mine;
                snprintf(name, sizeof(name), "gdx-%s.%s", owner->id, s->id);
                bad_txn +=
                    gdx_acl_allowed(t, principal, GDX_ACL_RES_TXN, name, GDX_ACL_OP_WRITE) != mine;
                none_checked += !strcmp(s->share, "none") && !mine;
                checks++;
            }
        }
    }
    ok(checks == 20, "every unit checked against every system (%zu)", checks);
    is_int(bad_write, 0, "no unit may write another unit's topic or dead letter topic");
    is_int(bad_read, 0, "no unit may read what is not shared with it");
    is_int(missing_read, 0, "every unit may read what is shared with it");
    is_int(bad_txn, 0, "a unit may use only its own transactional ids");
    is_int(bad_offsets, 0, "a unit may read and write only its own offsets topic");
    ok(none_checked > 0, "不予共享 topics were among the checks (%zu)", none_checked);
}

static void check_services(const struct gdx_inventory *inv, const struct gdx_topics *t)
{
    size_t bad = 0, none_readers = 0;
    for (size_t u = 0; u < inv->nunits; u++) {
        for (size_t i = 0; i < inv->units[u].nsystems; i++) {
            const struct gdx_inv_system *s = &inv->units[u].systems[i];
            int want = s->uplink && strcmp(s->share, "none");
            bad += gdx_acl_allowed(t, "User:gdx-uplink", GDX_ACL_RES_TOPIC, s->topic,
                                   GDX_ACL_OP_READ) != want;
            bad += gdx_acl_allowed(t, "User:gdx-uplink", GDX_ACL_RES_TOPIC, s->topic,
                                   GDX_ACL_OP_WRITE);
            if (!strcmp(s->share, "none")) {
                /* every principal the file names, services included */
                for (size_t k = 0; k < t->nacls; k++) {
                    const char *p = t->acls[k].principal;
                    char own[200];
                    snprintf(own, sizeof(own), "User:%s", s->unit->id);
                    if (strcmp(p, own) &&
                        gdx_acl_allowed(t, p, GDX_ACL_RES_TOPIC, s->topic, GDX_ACL_OP_READ)) {
                        none_readers++;
                    }
                }
            }
        }
    }
    is_int(bad, 0, "the uplink reads exactly the shareable topics marked for the province");
    is_int(none_readers, 0, "no principal outside the unit reads a 不予共享 topic");
    ok(!gdx_acl_allowed(t, "User:gdx-auditor", GDX_ACL_RES_TOPIC,
                        "gov.hotline12345.workorders.workorder", GDX_ACL_OP_READ) &&
           gdx_acl_allowed(t, "User:gdx-auditor", GDX_ACL_RES_TOPIC, "_gdx.audit", GDX_ACL_OP_READ),
       "auditors read the audit mirror, not the data");
    ok(!gdx_acl_allowed(t, "User:hotline12345", GDX_ACL_RES_TOPIC, "_gdx.offsets",
                        GDX_ACL_OP_WRITE),
       "nobody may write the shared _gdx.offsets");
    ok(gdx_acl_allowed(t, "User:grid", GDX_ACL_RES_GROUP, "gdx-grid.incidents-offsets",
                       GDX_ACL_OP_DESCRIBE) &&
           !gdx_acl_allowed(t, "User:grid", GDX_ACL_RES_GROUP, "gdx-grid.incidents-offsets",
                            GDX_ACL_OP_READ),
       "gdx's assign-only consumers may look up their group, not join it");
    ok(gdx_acl_allowed(t, "User:grid", GDX_ACL_RES_GROUP, "grid.flink-incidents",
                       GDX_ACL_OP_READ) &&
           !gdx_acl_allowed(t, "User:grid", GDX_ACL_RES_GROUP, "police.alerts", GDX_ACL_OP_READ),
       "a unit's own consumers use groups under its prefix");
}

static void check_rules(void)
{
    struct gdx_topics *t = gdx_topics_new();
    gdx_topics_add_acl(t, "User:a", "*", GDX_ACL_RES_TOPIC, GDX_ACL_PREFIXED, "gov.a.",
                       GDX_ACL_OP_WRITE, 1);
    gdx_topics_add_acl(t, "User:b", "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, "*", GDX_ACL_OP_ALL,
                       1);
    gdx_topics_add_acl(t, "User:b", "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, "gov.a.x.y",
                       GDX_ACL_OP_READ, 0);
    gdx_topics_add_acl(t, "User:*", "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, "gov.pub.x.y",
                       GDX_ACL_OP_READ, 1);
    gdx_topics_add_acl(t, "User:c", "*", GDX_ACL_RES_TOPIC, GDX_ACL_LITERAL, "gov.c.x.y",
                       GDX_ACL_OP_ALTER_CONFIGS, 1);

    ok(gdx_acl_allowed(t, "User:a", GDX_ACL_RES_TOPIC, "gov.a.x.y", GDX_ACL_OP_WRITE),
       "a prefixed ACL covers the names under it");
    ok(!gdx_acl_allowed(t, "User:a", GDX_ACL_RES_TOPIC, "gov.ab.x.y", GDX_ACL_OP_WRITE),
       "prefix 'gov.a.' does not cover 'gov.ab.'");
    ok(gdx_acl_allowed(t, "User:a", GDX_ACL_RES_TOPIC, "gov.a.x.y", GDX_ACL_OP_DESCRIBE),
       "Write implies Describe");
    ok(!gdx_acl_allowed(t, "User:a", GDX_ACL_RES_TOPIC, "gov.a.x.y", GDX_ACL_OP_READ),
       "Write does not imply Read");
    ok(gdx_acl_allowed(t, "User:b", GDX_ACL_RES_TOPIC, "gov.z.x.y", GDX_ACL_OP_ALTER),
       "All on '*' allows everything");
    ok(!gdx_acl_allowed(t, "User:b", GDX_ACL_RES_TOPIC, "gov.a.x.y", GDX_ACL_OP_READ),
       "a deny wins over an allow");
    ok(gdx_acl_allowed(t, "User:b", GDX_ACL_RES_TOPIC, "gov.a.x.y", GDX_ACL_OP_DESCRIBE),
       "a deny of Read does not deny Describe (Kafka implies for allows only)");
    ok(gdx_acl_allowed(t, "User:zzz", GDX_ACL_RES_TOPIC, "gov.pub.x.y", GDX_ACL_OP_READ),
       "User:* matches every principal");
    ok(gdx_acl_allowed(t, "User:c", GDX_ACL_RES_TOPIC, "gov.c.x.y", GDX_ACL_OP_DESCRIBE_CONFIGS),
       "AlterConfigs implies DescribeConfigs");
    ok(!gdx_acl_allowed(t, "User:a", GDX_ACL_RES_GROUP, "gov.a.x.y", GDX_ACL_OP_WRITE),
       "resource types do not mix");
    ok(!gdx_acl_allowed(t, "User:nobody", GDX_ACL_RES_TOPIC, "gov.a.x.y", GDX_ACL_OP_READ),
       "nothing allowed is denied");
    gdx_topics_destroy(t);
}

static void check_plan(void)
{
    struct gdx_topics *want = gdx_topics_new(), *have = gdx_topics_new();
    struct gdx_topic *w, *h;
    struct gdx_plan *plan;
    char errstr[512] = "";

    w = gdx_topics_add(want, "gov.a.x.y", 6, 3);
    gdx_topic_set_conf(w, "retention.ms", "604800000");
    h = gdx_topics_add(have, "gov.a.x.y", 6, 3);
    gdx_topic_set_conf(h, "retention.ms", "2592000000");
    have->acls_known = 1;
    plan = gdx_topics_plan(want, have);
    is_int(plan->nchange, 1, "a shorter retention is a change");
    is_int(plan->ndestructive, 1, "and a destructive one");
    is_int(gdx_plan_check(plan, 0, errstr, sizeof(errstr)), GDX_ERR_USAGE,
           "apply holds a destructive plan back without --allow-destructive");
    ok(strstr(errstr, "retention.ms 2592000000 -> 604800000") != NULL, "naming the change: %s",
       errstr);
    is_int(gdx_plan_check(plan, 1, errstr, sizeof(errstr)), GDX_OK,
           "and lets it through with the flag");
    gdx_plan_destroy(plan);

    gdx_topic_set_conf(h, "retention.ms", "604800000");
    plan = gdx_topics_plan(want, have);
    is_int(plan->n, 0, "equal states: an empty plan");
    is_int(gdx_plan_check(plan, 0, errstr, sizeof(errstr)), GDX_OK, "which apply may run");
    gdx_plan_destroy(plan);

    gdx_topic_set_conf(h, "retention.ms", "-1");
    plan = gdx_topics_plan(want, have);
    is_int(plan->ndestructive, 1, "from unlimited retention (-1) to 7 days is destructive");
    gdx_plan_destroy(plan);
    gdx_topics_destroy(want);
    gdx_topics_destroy(have);
}

int main(void)
{
    struct gdx_inventory *inv = NULL;
    struct gdx_topics_gen gen;
    struct gdx_topics *t = gdx_topics_new(), *back = gdx_topics_new();
    char errstr[1024] = "";
    char path_t[] = "/tmp/gdx-t-topics-XXXXXX";
    int fd;
    FILE *f;

    is_int(gdx_inventory_load(&inv, INV, SCHEMAS, errstr, sizeof(errstr)), GDX_OK,
           "the test inventory loads: %s", errstr);
    if (!inv) {
        return done_testing();
    }
    is_int(inv->nunits, 4, "4 units");
    const struct gdx_inv_unit *grid = gdx_inventory_unit(inv, "grid");
    ok(grid && !strcmp(grid->systems[0].share, "unconditional") && grid->systems[0].share_from == 1,
       "a system without share takes its schema's gdx.share");
    const struct gdx_inv_unit *civil = gdx_inventory_unit(inv, "civil");
    ok(civil && !strcmp(civil->systems[0].share, "none") && civil->systems[0].share_from == 2,
       "a system with neither is not shared");

    gdx_topics_gen_defaults(&gen);
    is_int(gdx_topics_generate(inv, &gen, t, errstr, sizeof(errstr)), GDX_OK, "generate");
    check_isolation(inv, t);
    check_services(inv, t);
    is_int(gdx_topics_partitions(&gen, 3000), 6, "a small system gets the minimum, 6 partitions");
    is_int(gdx_topics_partitions(&gen, 200000), 51,
           "200,000 records a day of 1 KiB: 51 partitions (4 MiB each, a multiple of 3)");
    is_int(gdx_topics_partitions(&gen, 100000000), 60, "capped at 60");

    /* the files read back to the same state */
    fd = mkstemp(path_t);
    f = fdopen(fd, "w");
    gdx_topics_write_acls(t, f);
    fclose(f);
    is_int(gdx_topics_load_acls(back, path_t, errstr, sizeof(errstr)), GDX_OK,
           "acls.yaml reads back: %s", errstr);
    is_int(back->nacls, t->nacls, "with every binding (%zu)", t->nacls);
    f = fopen(path_t, "w");
    gdx_topics_write_topics(t, f);
    fclose(f);
    is_int(gdx_topics_load_topics(back, path_t, errstr, sizeof(errstr)), GDX_OK,
           "topics.yaml reads back: %s", errstr);
    gdx_topics_sort(back);
    {
        struct gdx_plan *plan = gdx_topics_plan(t, back);
        is_int(plan->n, 0, "and plans to nothing against what was written");
        gdx_plan_destroy(plan);
    }
    remove(path_t);

    check_rules();
    check_plan();

    gdx_topics_destroy(t);
    gdx_topics_destroy(back);
    gdx_inventory_destroy(inv);
    return done_testing();
}
