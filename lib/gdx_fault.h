/*
 * gdx_fault.h - named fault points for tests (SQLite-style fault injection).
 *
 *   if (GDX_FAULT("audit.fsync")) { errno = EIO; goto fail; }
 *
 * In test builds (GDX_TEST_BUILD, the default of `make`) a point fires when the environment
 * variable GDX_FAULTS names it: `GDX_FAULTS=audit.fsync` fires on every hit,
 * `GDX_FAULTS=audit.fsync@3` only on the 3rd hit, `audit.fsync@3+` from the 3rd hit on;
 * several points are separated by commas. Every firing is logged (warn, `msg="fault
 * injected" point=NAME hit=N`), so a loop test can tell "the Nth hit failed and was handled"
 * from "the point was hit fewer than N times" and stops there. Release builds (`make
 * FAULTS=0`) compile every point to 0.
 *
 * The points (docs/hardening.md has what each simulates and the test that loops over it):
 *
 *   file.open   file.read   file.move                    the file connector's I/O
 *   audit.write audit.fsync                              the audit log (ENOSPC, EIO)
 *   kafka.commit  kafka.fatal                            the batch's transaction
 *   uplink.commit                                        the uplink's provincial commit
 *   registry.call                                        every schema registry request
 *   runtime.crash.after.commit  uplink.crash.after.commit  uplink.fatal   crash tests
 */
#ifndef GDX_FAULT_H
#define GDX_FAULT_H

#if defined(GDX_TEST_BUILD) && GDX_TEST_BUILD
int gdx_fault_hit(const char *name);
#define GDX_FAULT(name) gdx_fault_hit(name)
#else
#define GDX_FAULT(name) 0
#endif

#endif
