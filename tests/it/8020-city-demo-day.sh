#!/bin/bash
# make test-long: the city demo at full size, as `make demo` runs it: a simulated day (60 s at
# 1440x) of all 112 systems and the uplink, then every system counted in the audit trail,
# verify, reconcile and the status page in Chromium (tests/it/0550 with CITY_DURATION=60s;
# the screenshot is build/test-artifacts/0550-city-status-page.png).
CITY_DURATION=${CITY_DURATION:-60s} exec bash "$(dirname "$0")/0550-city-demo.sh"
