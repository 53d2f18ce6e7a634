/*
 * fuzz.h - what every fuzz harness under tests/fuzz/ shares.
 *
 * A harness is one file fuzz-<name>.c that defines LLVMFuzzerTestOneInput() (and optionally
 * LLVMFuzzerInitialize()). It is linked two ways (Makefile):
 *
 *   build/fuzz/<name>        with clang's libFuzzer and ASan+UBSan (`make fuzz`);
 *   $(B)/fuzz/replay-<name>  with tests/fuzz/replay.c, a plain main() that runs every file
 *                            of the given corpus folders once (`make test`, gcc, with or
 *                            without SANITIZE), so a fixed crash stays fixed on every build.
 *
 * A harness checks properties, not only the absence of crashes: FUZZ_CHECK() aborts with the
 * failed condition, which libFuzzer reports as a crash and saves the input.
 */
#ifndef GDX_FUZZ_H
#define GDX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A private folder for the process (removed at exit): files a harness must put on disk. */
const char *fuzz_tmpdir(void);
/* Write @p len bytes to fuzz_tmpdir()/@p name; returns the malloc'd path (aborts on error). */
char *fuzz_write(const char *name, const void *buf, size_t len);
/* Quiet the library's log (stderr) unless GDX_FUZZ_LOG is set. */
void fuzz_quiet(void);

#endif
