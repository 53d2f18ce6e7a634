# The exec connector: any program (Singer tap, script) as the adapter, JSON lines or frames.
# (tests/tools/exec-emit.c, the high-rate test adapter, uses connectors/exec/gdxframe.h.)
CONNECTOR_NAMES += exec
CONNECTOR_SRCS += connectors/exec/exec.c connectors/exec/child.c connectors/exec/frame.c
