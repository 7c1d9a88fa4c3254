/*
 * CPU features that decide which kernel table runs (src/kernels/dispatch.h). Detected once per
 * process and then read from a cached copy, because cpuid traps to the hypervisor on a virtual
 * machine and g4_kernels_best() is called for every matmul.
 *
 * A feature is reported only when both the CPU and the operating system make it usable: AVX2 also
 * needs the OS to save the YMM registers on a context switch (OSXSAVE + XCR0), and on ARM the
 * kernel's HWCAP bits are the authority (they also reflect what qemu-user emulates with -cpu).
 */
#ifndef G4_CORE_CPU_H
#define G4_CORE_CPU_H

#include <stdbool.h>
#include <stddef.h>

typedef struct g4_cpu_features {
    bool x86_avx2;    /* AVX2 and FMA and F16C, with AVX state enabled by the OS */
    bool x86_avx512f; /* reported for information only: no kernel requires AVX-512 */
    bool arm_neon;    /* AdvSIMD (always present on AArch64) */
    bool arm_dotprod; /* SDOT/UDOT (Armv8.2 dotprod, HWCAP_ASIMDDP): Cortex-A76 and later */
} g4_cpu_features;

/* The features of this CPU, detected on first use (thread-safe) and constant afterwards. */
const g4_cpu_features *g4_cpu_features_get(void);

/* Writes a short description ("x86_64: avx2 avx512f", "aarch64: neon dotprod") into buf. */
void g4_cpu_features_describe(const g4_cpu_features *f, char *buf, size_t cap);

#endif
