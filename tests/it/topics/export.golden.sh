#!/bin/sh
# The topics and ACLs of broker-config/ as Kafka's own commands (Kafka 3.x).
# BOOTSTRAP: the cluster; ADMIN_CONFIG: a client properties file of an admin
# principal (a super user), e.g. broker-config/kafka/admin-client.properties.
# Safe to run again: topics are created only when missing, configs and ACLs
# are set to the same values.
set -e

kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.audit --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.dlq.civil.elderly --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.dlq.grid.incidents --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.dlq.hotline12345.knowledge --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.dlq.hotline12345.workorders --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.dlq.police.video_alerts --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.dlq.uplink.province --partitions 1 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=15811200000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.offsets --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.insync.replicas=2
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.offsets.civil --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.insync.replicas=2
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.offsets.grid --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.insync.replicas=2
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.offsets.hotline12345 --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.insync.replicas=2
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _gdx.offsets.police --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.insync.replicas=2
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic _schemas --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.insync.replicas=2
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic gov.civil.elderly.certification --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic gov.grid.incidents.incident --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic gov.hotline12345.knowledge.article --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic gov.hotline12345.workorders.workorder --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --create --if-not-exists --topic gov.police.video_alerts.alert --partitions 51 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000

kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.audit --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.dlq.civil.elderly --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.dlq.grid.incidents --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.dlq.hotline12345.knowledge --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.dlq.hotline12345.workorders --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.dlq.police.video_alerts --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.dlq.uplink.province --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=15811200000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.offsets --add-config cleanup.policy=compact,min.insync.replicas=2
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.offsets.civil --add-config cleanup.policy=compact,min.insync.replicas=2
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.offsets.grid --add-config cleanup.policy=compact,min.insync.replicas=2
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.offsets.hotline12345 --add-config cleanup.policy=compact,min.insync.replicas=2
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _gdx.offsets.police --add-config cleanup.policy=compact,min.insync.replicas=2
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name _schemas --add-config cleanup.policy=compact,min.insync.replicas=2
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name gov.civil.elderly.certification --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=2592000000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name gov.grid.incidents.incident --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=2592000000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name gov.hotline12345.knowledge.article --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=2592000000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name gov.hotline12345.workorders.workorder --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=2592000000
kafka-configs.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter --entity-type topics --entity-name gov.police.video_alerts.alert --add-config cleanup.policy=delete,min.insync.replicas=2,retention.ms=2592000000

kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Write --topic _gdx.audit
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --operation Write --topic _gdx.dlq.civil.elderly
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --operation Write --topic _gdx.offsets.civil
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --operation Write --topic gov.civil.elderly.certification
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --topic gov.grid.incidents.incident
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --topic gov.hotline12345.knowledge.article
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --topic gov.hotline12345.workorders.workorder
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Read --group civil. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Describe --group gdx- --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:civil --operation Write --transactional-id gdx-civil.elderly
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-auditor --operation Read --topic _gdx.audit
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-auditor --operation Describe --group gdx- --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-uplink --operation Write --topic _gdx.audit
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-uplink --operation Write --topic _gdx.dlq.uplink.province
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-uplink --operation Read --operation DescribeConfigs --topic gov.grid.incidents.incident
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-uplink --operation Read --operation DescribeConfigs --topic gov.hotline12345.workorders.workorder
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:gdx-uplink --operation Describe --group gdx- --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Write --topic _gdx.audit
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Read --operation Write --topic _gdx.dlq.grid.incidents
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Read --operation Write --topic _gdx.offsets.grid
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Read --operation Write --topic gov.grid.incidents.incident
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Read --topic gov.hotline12345.knowledge.article
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Read --topic gov.hotline12345.workorders.workorder
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Describe --group gdx- --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Read --group grid. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:grid --operation Write --transactional-id gdx-grid.incidents
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Write --topic _gdx.audit
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --operation Write --topic _gdx.dlq.hotline12345.knowledge
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --operation Write --topic _gdx.dlq.hotline12345.workorders
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --operation Write --topic _gdx.offsets.hotline12345
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --topic gov.grid.incidents.incident
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --operation Write --topic gov.hotline12345.knowledge.article
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --operation Write --topic gov.hotline12345.workorders.workorder
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Describe --group gdx- --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Read --group hotline12345. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Write --transactional-id gdx-hotline12345.knowledge
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:hotline12345 --operation Write --transactional-id gdx-hotline12345.workorders
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Write --topic _gdx.audit
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Read --operation Write --topic _gdx.dlq.police.video_alerts
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Read --operation Write --topic _gdx.offsets.police
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Read --topic gov.grid.incidents.incident
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Read --topic gov.hotline12345.knowledge.article
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Read --operation Write --topic gov.police.video_alerts.alert
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Describe --group gdx- --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Read --group police. --resource-pattern-type prefixed
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:police --operation Write --transactional-id gdx-police.video_alerts
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:schema-registry --operation Read --operation Write --operation DescribeConfigs --topic _schemas
kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --add --allow-principal User:schema-registry --operation Read --group schema-registry --resource-pattern-type prefixed
