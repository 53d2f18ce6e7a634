# The file connector: CSV and JSON Lines files from a drop folder.
CONNECTOR_NAMES += file
CONNECTOR_SRCS += connectors/file/file.c connectors/file/csv.c
