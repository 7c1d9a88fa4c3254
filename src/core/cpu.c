/*
 * CPU feature detection: cpuid + xgetbv on x86-64; on AArch64 NEON always, dotprod from
 * getauxval(AT_HWCAP) on Linux (sysctl on macOS). Other architectures report no SIMD features and
 * run the scalar kernels.
 */
#include "core/cpu.h"

#include <pthread.h>
#include <stdio.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#if defined(__x86_64__)
/* XCR0, the OS-enabled register state; only valid to read when CPUID.1:ECX.OSXSAVE is set. */
static unsigned long long read_xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (unsigned long long)hi << 32 | lo;
}

static void detect(g4_cpu_features *f) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12), f16c = c & (1u << 29);
    if (!osxsave || !avx) return;
    const unsigned long long xcr0 = read_xcr0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;   /* SSE and AVX state */
    const bool zmm_state = (xcr0 & 0xE6) == 0xE6; /* plus opmask and both ZMM halves */
    if (!ymm_state || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    const bool avx2 = b & (1u << 5), avx512f = b & (1u << 16);
    f->x86_avx2 = avx2 && fma && f16c;
    f->x86_avx512f = avx512f && zmm_state;
}
#elif defined(__aarch64__)
/* AdvSIMD is part of every AArch64 application profile; dotprod is optional (Armv8.2+). Bit
 * numbers from the kernel's uapi asm/hwcap.h, spelled out because older headers lack ASIMDDP. */
#define G4_HWCAP_ASIMDDP (1ul << 20)

static void detect(g4_cpu_features *f) {
    f->arm_neon = true;
#if defined(__linux__)
    f->arm_dotprod = (getauxval(AT_HWCAP) & G4_HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
    int has = 0;
    size_t len = sizeof has;
    f->arm_dotprod = sysctlbyname("hw.optional.arm.FEAT_DotProd", &has, &len, NULL, 0) == 0 && has != 0;
#endif
}
#else
static void detect(g4_cpu_features *f) {
    (void)f;
}
#endif

static g4_cpu_features g_features;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void detect_once(void) {
    detect(&g_features);
}

const g4_cpu_features *g4_cpu_features_get(void) {
    pthread_once(&g_once, detect_once);
    return &g_features;
}

void g4_cpu_features_describe(const g4_cpu_features *f, char *buf, size_t cap) {
#if defined(__x86_64__)
    const char *arch = "x86_64";
#elif defined(__aarch64__)
    const char *arch = "aarch64";
#else
    const char *arch = "other";
#endif
    snprintf(buf, cap, "%s:%s%s%s%s%s", arch, f->x86_avx2 ? " avx2" : "", f->x86_avx512f ? " avx512f" : "",
             f->arm_neon ? " neon" : "", f->arm_dotprod ? " dotprod" : "",
             f->x86_avx2 || f->x86_avx512f || f->arm_neon ? "" : " (no SIMD)");
}
